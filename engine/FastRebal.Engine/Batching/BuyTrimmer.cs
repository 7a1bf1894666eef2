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
        if (plan.TrimBuysForReserve(minTradeValue, stepOf) && plan.CashAfter < plan.Reserve)
        {
            plan.BlockedReason = Text($"the account would hold {plan.CashAfter:N2} in cash, below its reserve of {plan.Reserve:N2}; not traded");
            plan.Trades.Clear();
        }
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
