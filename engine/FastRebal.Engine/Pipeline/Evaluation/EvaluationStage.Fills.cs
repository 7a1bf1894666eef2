using FastRebal.Engine.Orders;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

// Fills from the order stage, and the cash flows they settle.
public sealed partial class EvaluationStage
{
    /// <summary>
    /// Hands the batch's execution reports (journaled with it) to the order stage before any trade the batch releases,
    /// so the order stage meets them at the same point of its stream on every replay.
    /// </summary>
    private void PassOnReports()
    {
        foreach (var report in batchReports)
        {
            publisher.Publish(new OrderEvent { Kind = OrderEventKind.Report, Report = report, MarketTime = batchMarketTime, Sequence = sequence });
        }
    }

    private void ApplyFills()
    {
        foreach (var fill in batchFills)
        {
            var a = fill.Account;
            if (fill.Quantity != 0)
            {
                var signed = fill.Side == TradeSide.Buy ? fill.Quantity : -fill.Quantity;
                var outcome = book.ApplyFill(a, fill.Instrument, (double)signed, (double)(-signed * fill.Price),
                    fill.TradeComplete && openTrades[a] == 1 && rebalancing[a] ? day : null);
                if (outcome is FillOutcome.Applied or FillOutcome.AppliedOnDebit)
                {
                    Moved(a, BookMovementKind.Fill, fill.Instrument, signed, -signed * fill.Price);
                    gate.FillsApplied(a, book.ModelIndex(a));
                    Counters.FillsApplied++;
                    Counters.FillsOnDebit += outcome == FillOutcome.AppliedOnDebit ? 1 : 0;
                    if (tax is not null)
                    {
                        ApplyTax(a, fill);
                    }
                }
                else
                {
                    // The book refused (no slot, or it would go short): nothing was applied, and the account is
                    // re-evaluated from its real state once its trades are done. The venue's fill stands, so the trail
                    // records the break.
                    Counters.FillErrors++;
                    audit?.Add(Audit.AuditEntries.RefusedFill(book, a, fill.Instrument, fill.Side, fill.Quantity, fill.Price, outcome));
                }
            }
            if (fill.TradeComplete && openTrades[a] > 0 && --openTrades[a] == 0)
            {
                SettleFlow(a);
                harvesting.Remove(a);
                tax?.Ledger.ClearPlanned(book.HouseholdId(a), book.AccountId(a));
            }
            // Swept again in this batch even mid-trade (it is not decided until its trades are done), so its drift
            // figures always follow from the book: a recovered engine computes the same ones.
            MarkDirty(a);
        }
    }

    /// <summary>A fill's tax effect (<see cref="FillTaxes"/>), counted, and audited when it touched lots or washed a loss.</summary>
    private void ApplyTax(int a, AccountFill fill)
    {
        harvesting.TryGetValue(a, out var harvest);
        var source = harvest?.Source ?? (rebalancing[a] ? TradeSource.Rebalance : TradeSource.CashFlow);
        var outcome = FillTaxes.Apply(tax!, book, a, day, fill.Instrument, fill.Side, fill.Quantity, fill.Price, source, RaisingCash(a, harvest),
            harvest?.Lots.GetValueOrDefault(fill.Instrument));
        Counters.LotsOpened += outcome.LotOpened ? 1 : 0;
        Counters.LotSales += outcome.LotSold ? 1 : 0;
        Counters.LotShortfalls += outcome.LotShortfall ? 1 : 0;
        if (outcome.Trade is not { } taxed)
        {
            return;
        }
        Counters.WashSales += taxed.WashSales.Count;
        var tracked = book.Policy(a).TaxStatus != Model.TaxStatus.TaxDeferred && tax!.Lots.IsTracked(a);
        if (audit is not null && (tracked || taxed.WashSales.Count > 0))
        {
            audit.Add(Audit.AuditEntries.Fill(book, a, taxed));
        }
    }

    /// <summary>A sale neither of a rebalance nor of a harvest raises cash (a withdrawal), and picks its lots tax-optimally.</summary>
    private bool RaisingCash(int a, HarvestInFlight? harvest) => !rebalancing[a] && harvest is null;

    /// <summary>
    /// Tells the household's ledger which of a released plan's sales will realize a loss, so another account of the
    /// household decided before the fills does not buy the instrument back (a wash sale, lost for good when the buyer
    /// is tax-deferred). Cleared when the account's trades are done; the fills record the sales themselves.
    /// </summary>
    private void PlanLossSales(int a, List<(int Instrument, Trade Trade)> trades)
    {
        if (tax is null || !tax.Lots.IsTracked(a) || book.Policy(a).TaxStatus != Model.TaxStatus.Taxable)
        {
            return;
        }
        harvesting.TryGetValue(a, out var harvest);
        foreach (var (instrument, trade) in trades)
        {
            var slot = trade.Side == TradeSide.Sell ? tax.Lots.SlotOf(a, instrument) : -1;
            // Most sales have no lot at a loss to reach: only those that do are worth picking lots for.
            if (slot >= 0 && tax.Lots.AnyAtLoss(slot, trade.Price)
                && FillTaxes.SelectLots(tax, book, a, slot, instrument, trade.Quantity, trade.Price, day, RaisingCash(a, harvest), harvest?.Lots.GetValueOrDefault(instrument)).Selection.Reliefs.Any(r => r.Gain < 0))
            {
                tax.Ledger.PlanLossSale(book.HouseholdId(a), book.AccountId(a), trade.InstrumentId, day);
            }
        }
    }

    /// <summary>The ledger a host gave (<see cref="EngineOptions.BookLedger"/>); none during a replay, which repeats what it was told before.</summary>
    internal IBookLedger? BookLedger { get; set; }

    private void Moved(int a, BookMovementKind kind, int instrument, decimal quantity, decimal cash)
    {
        if (!replaying)
        {
            BookLedger?.Record(day, a, kind, instrument, quantity, cash);
        }
    }

    private void SettleFlow(int a)
    {
        var flow = pendingFlow[a];
        if (flow > 0)
        {
            SetPendingFlow(a, 0);
        }
        else if (flow < 0 && book.ApplyCashFlow(a, (double)flow) is null)
        {
            Moved(a, BookMovementKind.CashFlow, -1, 0, flow);
            SetPendingFlow(a, 0);
        }
    }

    /// <summary>
    /// The cash flow an account still waits on: money in not yet invested (positive), or money out not yet raised
    /// (negative: a withdrawal or fee its cash does not cover yet). Read from another thread (the console), it is read
    /// until two reads agree, since a decimal is not written in one step.
    /// </summary>
    public decimal PendingFlow(int account)
    {
        decimal first, second;
        do
        {
            first = pendingFlow[account];
            Thread.MemoryBarrier();
            second = pendingFlow[account];
        }
        while (first != second);
        return first;
    }

    /// <summary>Sets an account's pending flow and keeps count of the accounts that have one (so a full sweep skips the check when none do).</summary>
    private void SetPendingFlow(int a, decimal flow)
    {
        accountsWithPendingFlow += (flow != 0 ? 1 : 0) - (pendingFlow[a] != 0 ? 1 : 0);
        pendingFlow[a] = flow;
    }
}
