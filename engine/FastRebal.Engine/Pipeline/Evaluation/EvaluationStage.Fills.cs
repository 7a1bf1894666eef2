using FastRebal.Engine.Orders;
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
                    Moved(a, BookMovementKind.Fill, fill.Instrument, signed, -signed * fill.Price);
                    gate.FillsApplied(a, book.ModelIndex(a));
                    Counters.FillsApplied++;
                    if (tax is not null)
                    {
                        ApplyTax(a, fill);
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
                harvesting.Remove(a);
                tax?.Ledger.ClearPlanned(book.HouseholdId(a), book.AccountId(a));
            }
            // Swept again in this batch even mid-trade (it is not decided until its trades are done), so its drift
            // figures always follow from the book: a recovered engine computes the same ones.
            MarkDirty(a);
        }
    }

    /// <summary>
    /// A fill's tax effect, as the one-shot run applies a trade: a taxable account's buy opens a lot at the fill price
    /// and its sale relieves lots by its method (tax-optimal when raising cash) within its deferral, exactly the lots
    /// its plan was sized against when nothing changed between; should the deferral keep back shares the plan could
    /// not foresee (a lot came within its window since), the rest comes from the kept lots, so lots always follow the
    /// position. Every buy and loss sale of every account goes through the household's wash-sale ledger.
    /// </summary>
    private void ApplyTax(int a, AccountFill fill)
    {
        var lots = tax!.Lots;
        var policy = book.Policy(a);
        var deferred = policy.TaxStatus == Model.TaxStatus.TaxDeferred;
        var tracked = !deferred && lots.IsTracked(a);
        var accountId = book.AccountId(a);
        var household = book.HouseholdId(a);
        var instrumentId = book.Instruments[fill.Instrument].Id;
        harvesting.TryGetValue(a, out var harvest);
        var source = harvest?.Source ?? (rebalancing[a] ? TradeSource.Rebalance : TradeSource.CashFlow);
        var slot = lots.SlotOf(a, fill.Instrument);
        TaxedTrade taxed;
        if (fill.Side == TradeSide.Buy)
        {
            var opened = tracked ? lots.Open(slot, day, fill.Quantity, fill.Price) : null;
            Counters.LotsOpened += opened is null ? 0 : 1;
            var washes = tax.Ledger.RecordBuy(household, accountId, deferred, instrumentId, day, fill.Quantity, opened?.Id, source);
            taxed = new TaxedTrade(FilledTrade(accountId, instrumentId, fill), source, [], opened?.Id, washes);
        }
        else
        {
            if (!tracked || lots.LotCount(slot) == 0)
            {
                Counters.LotShortfalls += tracked ? 1 : 0;
                return;
            }
            var (selection, method) = SelectLots(a, slot, fill.Instrument, fill.Quantity, fill.Price, harvest);
            lots.Relieve(a, slot, selection);
            var reliefs = selection.Reliefs;
            if (selection.Shortfall > 0)
            {
                var rest = LotSelector.Select(lots.Lots(slot), selection.Shortfall, fill.Price, day, method == LotMethod.SpecificLots ? LotMethod.Fifo : method);
                lots.Relieve(a, slot, rest);
                reliefs = [.. reliefs, .. rest.Reliefs];
                Counters.LotShortfalls += rest.Shortfall > 0 ? 1 : 0;
            }
            Counters.LotSales++;
            var washes = tax.Ledger.RecordSale(household, accountId, instrumentId, day, reliefs);
            taxed = new TaxedTrade(FilledTrade(accountId, instrumentId, fill), source, reliefs, null, washes);
        }
        Counters.WashSales += taxed.WashSales.Count;
        if (audit is not null && (tracked || taxed.WashSales.Count > 0))
        {
            audit.Add(Audit.AuditEntries.Fill(book, a, taxed));
        }
    }

    /// <summary>
    /// The lots a sale of the account's slot relieves: for a harvest the lots it found at a loss (a swap back the lots
    /// it planned), otherwise by the account's method (tax-optimal when raising cash) within its deferral.
    /// </summary>
    private (LotSelection Selection, LotMethod Method) SelectLots(int a, int slot, int instrument, decimal quantity, decimal price, HarvestInFlight? harvest)
    {
        var settings = tax!.Settings(a);
        var raisingCash = !rebalancing[a] && harvest is null;
        var harvested = harvest?.Lots.GetValueOrDefault(instrument);
        var method = harvested is not null ? LotMethod.SpecificLots : TaxPlanAdjuster.ReliefMethod(settings, raisingCash);
        var selection = LotSelector.Select(tax.Lots.Lots(slot), quantity, price, day, method,
            harvested is not null ? SellLimits.None : TaxPlanAdjuster.Limits(settings, raisingCash, budget: null, step: 1m),
            harvested ?? TaxPlanAdjuster.Specific(settings, book.Instruments[instrument].Id));
        return (selection, method);
    }

    /// <summary>
    /// Tells the household's ledger which of a released plan's sales will realize a loss, so another account of the
    /// household decided before the fills does not buy the instrument back (a wash sale, lost for good when the buyer
    /// is tax-deferred). Cleared when the account's trades are done; the fills record the sales themselves.
    /// </summary>
    private void PlanLossSales(int a, (int Instrument, Trade Trade)[] trades)
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
            if (slot >= 0 && tax.Lots.AnyAtLoss(slot, trade.Price) && SelectLots(a, slot, instrument, trade.Quantity, trade.Price, harvest).Selection.Reliefs.Any(r => r.Gain < 0))
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

    private static Trade FilledTrade(string accountId, string instrumentId, AccountFill fill) =>
        new(accountId, instrumentId, fill.Side, fill.Quantity, fill.Price, "fill");

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
