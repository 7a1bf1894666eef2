using System.Buffers;
using System.Globalization;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Batching;

/// <summary>
/// Keeps a plan's cash at or above its reserve after its sells changed: buys are trimmed, largest first, a lot at a
/// time; a buy left under the minimum trade is dropped; if that is not enough the plan is blocked. The same rule as
/// the trade generator's, for plans whose buys the generator did not size (model trades, substitutes).
/// </summary>
public static class BuyTrimmer
{
    public static void KeepReserve(TradePlan plan, decimal minTradeValue, Func<string, decimal> stepOf)
    {
        var shortfall = plan.Reserve - plan.CashAfter;
        if (shortfall <= 0)
        {
            return;
        }
        var buys = plan.RentBuysLargestFirst(out var count);
        try
        {
            for (var k = 0; k < count; k++)
            {
                var buy = buys[k];
                if (shortfall <= 0)
                {
                    break;
                }
                var index = plan.Trades.IndexOf(buy);
                var cut = Math.Min(buy.Quantity, TradeSizing.CeilingToStep(shortfall / buy.Price, stepOf(buy.InstrumentId)));
                var remaining = buy.Quantity - cut;
                if (remaining <= 0 || remaining * buy.Price < minTradeValue)
                {
                    plan.Trades.RemoveAt(index);
                    shortfall -= buy.Notional;
                    plan.Warnings.Add(PlanWarning.BuyDropped(buy.InstrumentId, plan.Reserve));
                }
                else
                {
                    plan.Trades[index] = buy with { Quantity = remaining };
                    shortfall -= cut * buy.Price;
                    plan.Warnings.Add(PlanWarning.BuyTrimmed(buy.InstrumentId, cut, plan.Reserve));
                }
            }
        }
        finally
        {
            ArrayPool<Trade>.Shared.Return(buys, clearArray: true);
        }
        if (plan.CashAfter < plan.Reserve)
        {
            plan.BlockedReason = Text($"the account would hold {plan.CashAfter:N2} in cash, below its reserve of {plan.Reserve:N2}; not traded");
            plan.Trades.Clear();
        }
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
