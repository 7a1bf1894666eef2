using FastRebal.Engine.Orders;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

// Fills from the order stage, and the cash flows they settle.
public sealed partial class EvaluationStage
{
    private void ApplyFills()
    {
        Span<(int, double)> one = stackalloc (int, double)[1];
        foreach (var fill in batchFills)
        {
            var a = fill.Account;
            if (fill.Quantity != 0)
            {
                var signed = fill.Side == TradeSide.Buy ? fill.Quantity : -fill.Quantity;
                one[0] = (fill.Instrument, (double)signed);
                try
                {
                    book.ApplyExecution(a, one, (double)(-signed * fill.Price), fill.TradeComplete && openTrades[a] == 1 && rebalancing[a] ? day : null);
                    gate.FillsApplied(a, book.ModelIndex(a));
                    Counters.FillsApplied++;
                    if (tax is not null && tax.Lots.IsTracked(a) && book.Policy(a).TaxStatus == Model.TaxStatus.Taxable)
                    {
                        ApplyToLots(a, fill);
                    }
                }
                catch (ArgumentException)
                {
                    // The book refused (it would go short or below zero cash): nothing was applied, and the account is
                    // re-evaluated from its real state once its trades are done.
                    Counters.FillErrors++;
                }
            }
            if (fill.TradeComplete && openTrades[a] > 0 && --openTrades[a] == 0)
            {
                SettleFlow(a);
            }
            // Swept again in this batch even mid-trade (it is not decided until its trades are done), so its drift
            // figures always follow from the book: a recovered engine computes the same ones.
            MarkDirty(a);
        }
    }

    /// <summary>
    /// Moves the account's lots with a fill, as the fill moved its position: a buy opens a lot at the fill price; a sell
    /// relieves lots by the account's method (tax-optimal when it raises cash) within its deferral, exactly the lots
    /// its plan was sized against when nothing changed between. Should the deferral keep back shares the plan could
    /// not foresee (a lot came within its window since), the rest comes from the kept lots: lots always follow the position.
    /// </summary>
    private void ApplyToLots(int a, AccountFill fill)
    {
        var lots = tax!.Lots;
        var slot = lots.SlotOf(a, fill.Instrument);
        if (fill.Side == TradeSide.Buy)
        {
            lots.Open(slot, day, fill.Quantity, fill.Price);
            Counters.LotsOpened++;
            return;
        }
        var held = lots.Lots(slot);
        if (held.Count == 0)
        {
            Counters.LotShortfalls++;
            return;
        }
        var settings = tax.Settings(a);
        var raisingCash = !rebalancing[a];
        var method = TaxPlanAdjuster.ReliefMethod(settings, raisingCash);
        var specific = TaxPlanAdjuster.Specific(settings, book.Instruments[fill.Instrument].Id);
        var selection = LotSelector.Select(held, fill.Quantity, fill.Price, day, method, TaxPlanAdjuster.Limits(settings, raisingCash, budget: null, step: 1m), specific);
        lots.Relieve(a, slot, selection);
        Counters.LotSales++;
        if (selection.Shortfall > 0)
        {
            var rest = LotSelector.Select(lots.Lots(slot), selection.Shortfall, fill.Price, day, method == LotMethod.SpecificLots ? LotMethod.Fifo : method);
            lots.Relieve(a, slot, rest);
            if (rest.Shortfall > 0)
            {
                Counters.LotShortfalls++;
            }
        }
    }

    private void SettleFlow(int a)
    {
        var flow = pendingFlow[a];
        if ((flow < 0 && book.ApplyCashFlow(a, (double)flow) is null) || flow > 0)
        {
            SetPendingFlow(a, 0);
        }
    }

    /// <summary>Sets an account's pending flow and keeps count of the accounts that have one (so a full sweep skips the check when none do).</summary>
    private void SetPendingFlow(int a, decimal flow)
    {
        accountsWithPendingFlow += (flow != 0 ? 1 : 0) - (pendingFlow[a] != 0 ? 1 : 0);
        pendingFlow[a] = flow;
    }
}
