using FastRebal.Engine.Orders;

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
