using System.Globalization;
using FastRebal.Engine.Approvals;
using FastRebal.Engine.Batching;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Runs;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tax;

/// <summary>A run with its tax side: the final decisions and trades, what each trade did to the lots, wash sales, harvests, approvals and model blocks.</summary>
public sealed class TaxRunResult
{
    public required RunResult Run { get; init; }

    public required IReadOnlyList<TaxedTrade> TaxedTrades { get; init; }

    public required IReadOnlyList<WashSale> WashSales { get; init; }

    public required IReadOnlyList<HarvestRecord> Harvests { get; init; }

    public required IReadOnlyList<AccountTaxSummary> Accounts { get; init; }

    /// <summary>The approval items this run submitted or found already decided, with their status.</summary>
    public required IReadOnlyList<ApprovalItem> Approvals { get; init; }

    public required IReadOnlyList<ModelBlock> Blocks { get; init; }

    /// <summary>Lots after the released trades fill at their prices.</summary>
    public required LotBook Lots { get; init; }
}

/// <summary>
/// The tax-aware layer over a one-shot run. <see cref="Rebalance"/> takes the plain run's decisions and plans and
/// makes every sell tax-aware: lots are relieved by the account's method (tax-optimal for withdrawals), a gains budget
/// caps what a rebalance realizes, short-term lots about to turn long-term can be kept, nothing is repurchased within
/// 30 days of a household loss sale (a substitute is bought instead), substitutes held after a harvest count toward
/// their model instrument, cash-only accounts sell nothing, small accounts trade as model blocks, and accounts that
/// wait for an operator go to the approval queue. <see cref="Harvest"/> runs the tax-loss harvesting scan.
/// Released trades are applied to the lot book and the household wash-sale ledger as if filled at their prices.
/// </summary>
public static class TaxAwareRun
{
    public static TaxRunResult Rebalance(TaxScenario scenario, ApprovalQueue? queue = null, DateTimeOffset? now = null, RunOptions? options = null)
    {
        queue ??= new ApprovalQueue();
        var when = now ?? DateTimeOffset.UtcNow;
        var loaded = scenario.Scenario;
        var book = loaded.Book;
        var asOf = loaded.AsOf;
        var baseRun = RebalanceRun.Execute(book, asOf, loaded.CashFlows, options);
        var netFlow = NetFlows(book, loaded);
        var flowKinds = new HashSet<CashFlowKind>[book.AccountCount];
        for (var a = 0; a < book.AccountCount; a++)
        {
            flowKinds[a] = [];
        }
        foreach (var pending in loaded.CashFlows)
        {
            flowKinds[pending.Account].Add(pending.Flow.Kind);
        }
        var lots = scenario.Lots;
        var ledger = scenario.NewLedger(lots);
        var historyWashes = ledger.WashSales.Count;

        var batch = scenario.Batching is { } batching
            ? SmallAccountBatcher.Plan(book, baseRun, netFlow, batching.BelowValue)
            : new BatchPlan(new Dictionary<int, (Decision, TradePlan)>(), new Dictionary<string, int>());

        var decisions = new Decision[book.AccountCount];
        var plans = new TradePlan?[book.AccountCount];
        var taxed = new List<TaxedTrade>();
        var approvals = new List<ApprovalItem>();
        var summaries = new List<AccountTaxSummary>();
        var held = new List<Trade>();
        for (var a = 0; a < book.AccountCount; a++)
        {
            var (decision, plan) = batch.Accounts.TryGetValue(a, out var batched) ? batched : (baseRun.Decisions[a], baseRun.Plans[a]);
            var settings = scenario.SettingsFor(book.AccountId(a));
            Dictionary<string, LotSelection>? selections = null;
            if (plan is not null && !plan.IsBlocked)
            {
                (decision, plan, selections) = TaxPlanAdjuster.Adjust(book, a, asOf, decision, plan, settings, (decimal)book.Cash[a] + netFlow[a], netFlow[a], lots.For(book.AccountId(a)), ledger, batched: batch.Accounts.ContainsKey(a));
            }
            (decision, var item) = Approval(book, a, asOf, decision, plan, queue, when);
            if (item is not null)
            {
                approvals.Add(item);
                if (item.Status == ApprovalStatus.Pending && plan is { IsBlocked: false })
                {
                    held.AddRange(plan.Trades);
                }
            }
            decisions[a] = decision;
            plans[a] = plan;
            var released = plan is not null && !plan.IsBlocked && decision.Action is DecisionAction.Rebalance or DecisionAction.CashFlow;
            var accountTrades = released
                ? Apply(book, a, asOf, plan!.Trades, SourceOf(decision, flowKinds[a]), settings, lots, ledger, selections)
                : [];
            taxed.AddRange(accountTrades);
            summaries.Add(Summarize(book.AccountId(a), accountTrades, [], settings));
        }

        var trades = new List<Trade>();
        for (var a = 0; a < book.AccountCount; a++)
        {
            if (plans[a] is { IsBlocked: false } plan && decisions[a].Action is DecisionAction.Rebalance or DecisionAction.CashFlow)
            {
                trades.AddRange(plan.Trades);
            }
        }
        return new TaxRunResult
        {
            Run = new RunResult
            {
                AsOf = asOf, Decisions = decisions, Trades = trades, HeldTrades = held, Plans = plans, Drift = baseRun.Drift,
                SweepTime = baseRun.SweepTime, DecideTime = baseRun.DecideTime,
            },
            TaxedTrades = taxed,
            WashSales = [.. ledger.WashSales.Skip(historyWashes)],
            Harvests = [],
            Accounts = AddDisallowed(summaries, ledger.WashSales.Skip(historyWashes)),
            Approvals = approvals,
            Blocks = SmallAccountBatcher.Blocks(book, batch.Accounts.Keys.Order(), plans),
            Lots = lots,
        };
    }

    /// <summary>
    /// The tax-loss harvesting scan over every taxable account with harvesting on (plus swap backs after the window).
    /// Harvests above an account's limit go to the approval queue and are released once approved.
    /// </summary>
    public static TaxRunResult Harvest(TaxScenario scenario, ApprovalQueue? queue = null, DateTimeOffset? now = null) => Harvest(scenario, queue, now, heldInBook: false);

    private static TaxRunResult Harvest(TaxScenario scenario, ApprovalQueue? queue, DateTimeOffset? now, bool heldInBook)
    {
        queue ??= new ApprovalQueue();
        var when = now ?? DateTimeOffset.UtcNow;
        var loaded = scenario.Scenario;
        var book = loaded.Book;
        var asOf = loaded.AsOf;
        var lots = scenario.Lots;
        var ledger = scenario.NewLedger(lots);
        var historyWashes = ledger.WashSales.Count;
        var records = new List<HarvestRecord>();
        var taxed = new List<TaxedTrade>();
        var trades = new List<Trade>();
        var held = new List<Trade>();
        var approvals = new List<ApprovalItem>();
        var summaries = new List<AccountTaxSummary>();
        for (var a = 0; a < book.AccountCount; a++)
        {
            var settings = scenario.SettingsFor(book.AccountId(a));
            var accountTrades = new List<TaxedTrade>();
            var accountRecords = new List<HarvestRecord>();
            foreach (var plan in HarvestScanner.Scan(book, a, asOf, settings, lots, ledger, heldInBook))
            {
                var record = plan.Record;
                if (record.Status == HarvestStatus.PendingApproval)
                {
                    var policy = book.Policy(a);
                    var item = queue.Submit(new ApprovalItem(ApprovalItem.MakeId(ApprovalKind.LargeHarvest, record.AccountId, asOf, plan.Trades), ApprovalKind.LargeHarvest,
                        record.AccountId, policy.Id, policy.Version, asOf, record.Reason, plan.Trades), when);
                    approvals.Add(item);
                    record = item.Status switch
                    {
                        ApprovalStatus.Approved => record with { Status = HarvestStatus.Harvested, Reason = $"{record.Reason}; approved by {item.Decision!.Who}: {item.Decision.Why}" },
                        ApprovalStatus.Rejected => record with { Status = HarvestStatus.Rejected, EstimatedTaxSaved = 0, Reason = $"{record.Reason}; rejected by {item.Decision!.Who}: {item.Decision.Why}" },
                        _ => record,
                    };
                    record = record with { ApprovalId = item.Id };
                    if (record.Status == HarvestStatus.PendingApproval)
                    {
                        held.AddRange(plan.Trades);
                    }
                }
                if (record.Status is HarvestStatus.Harvested or HarvestStatus.SwappedBack)
                {
                    var source = record.Status == HarvestStatus.Harvested ? TradeSource.Harvest : TradeSource.SwapBack;
                    accountTrades.AddRange(Apply(book, a, asOf, plan.Trades, source, settings, lots, ledger,
                        plan.Sale is null ? null : new Dictionary<string, LotSelection>(StringComparer.Ordinal) { [plan.Trades[0].InstrumentId] = plan.Sale }));
                    trades.AddRange(plan.Trades);
                }
                accountRecords.Add(record);
            }
            taxed.AddRange(accountTrades);
            records.AddRange(accountRecords);
            summaries.Add(Summarize(book.AccountId(a), accountTrades, accountRecords, settings));
        }
        var decisions = new Decision[book.AccountCount];
        var recordsByAccount = records.ToLookup(r => r.AccountId, StringComparer.Ordinal);
        var tradesByAccount = trades.ToLookup(t => t.AccountId, StringComparer.Ordinal);
        for (var a = 0; a < book.AccountCount; a++)
        {
            var policy = book.Policy(a);
            var mine = recordsByAccount[book.AccountId(a)].ToList();
            var count = tradesByAccount[book.AccountId(a)].Count();
            var reason = mine.Count == 0 ? "no lot passes the harvest threshold" : string.Join("; ", mine.Select(r => $"{r.InstrumentId}: {r.Status}"));
            decisions[a] = new Decision(book.AccountId(a), count > 0 ? DecisionAction.Rebalance : DecisionAction.NoTrade, DecisionRule.WithinBand, $"harvest scan: {reason}",
                0, 0, 0, 0, policy.BandType, policy.BandWidth, policy.Id, policy.Version, count, []);
        }
        return new TaxRunResult
        {
            Run = new RunResult
            {
                AsOf = asOf, Decisions = decisions, Trades = trades, HeldTrades = held, Plans = new TradePlan?[book.AccountCount],
                Drift = new Drift.DriftReport(book), SweepTime = TimeSpan.Zero, DecideTime = TimeSpan.Zero,
            },
            TaxedTrades = taxed,
            WashSales = [.. ledger.WashSales.Skip(historyWashes)],
            Harvests = records,
            Accounts = AddDisallowed(summaries, ledger.WashSales.Skip(historyWashes)),
            Approvals = approvals,
            Blocks = [],
            Lots = lots,
        };
    }

    /// <summary>What the ledger records a run's buys as: a dividend invested is a dividend reinvestment.</summary>
    private static TradeSource SourceOf(Decision decision, HashSet<CashFlowKind> kinds) => decision.Action switch
    {
        DecisionAction.CashFlow when kinds.Count == 1 && kinds.Contains(CashFlowKind.Dividend) => TradeSource.DividendReinvestment,
        DecisionAction.CashFlow => TradeSource.CashFlow,
        _ => TradeSource.Rebalance,
    };

    /// <summary>
    /// A day: the harvest scan first, its fills applied to the book and its trades added to the household history (so
    /// the rebalance sees the loss sales and substitute buys), then the rebalance. The book's layout is fixed when it
    /// is built, so in a day a harvest only buys a substitute the account's book already has a place for (e.g. one in
    /// its model). The book and the lots end the day as if every released trade filled at its price.
    /// </summary>
    public static TaxRunResult Day(TaxScenario scenario, ApprovalQueue? queue = null, DateTimeOffset? now = null)
    {
        var harvest = Harvest(scenario, queue, now, heldInBook: true);
        var book = scenario.Scenario.Book;
        var asOf = scenario.Scenario.AsOf;
        var history = scenario.History.ToList();
        foreach (var byAccount in harvest.TaxedTrades.GroupBy(t => t.Trade.AccountId, StringComparer.Ordinal))
        {
            var a = book.FindAccount(byAccount.Key);
            var fills = byAccount.Select(t => (book.Instruments.IndexOf(t.Trade.InstrumentId), (double)(t.Trade.Side == TradeSide.Buy ? t.Trade.Quantity : -t.Trade.Quantity))).ToArray();
            book.ApplyExecution(a, fills, (double)byAccount.Sum(t => t.Trade.CashEffect), null);
            foreach (var t in byAccount)
            {
                if (t.Trade.Side == TradeSide.Buy)
                {
                    history.Add(new HouseholdTradeInput(asOf, t.Trade.AccountId, t.Trade.InstrumentId, TradeSide.Buy, t.Trade.Quantity, t.Source, t.OpenedLotId, Price: t.Trade.Price));
                }
                else
                {
                    history.AddRange(t.Lots.Select(l => new HouseholdTradeInput(asOf, t.Trade.AccountId, t.Trade.InstrumentId, TradeSide.Sell, l.Quantity, t.Source, l.LotId, l.Gain, t.Trade.Price, l.Term)));
                }
            }
        }
        var rebalance = Rebalance(scenario.WithHistory(history), queue, now);
        var harvested = harvest.Accounts.ToDictionary(s => s.AccountId, StringComparer.Ordinal);
        return new TaxRunResult
        {
            Run = new RunResult
            {
                AsOf = asOf, Decisions = rebalance.Run.Decisions, Trades = [.. harvest.Run.Trades, .. rebalance.Run.Trades],
                HeldTrades = [.. harvest.Run.HeldTrades, .. rebalance.Run.HeldTrades], Plans = rebalance.Run.Plans,
                Drift = rebalance.Run.Drift, SweepTime = rebalance.Run.SweepTime, DecideTime = rebalance.Run.DecideTime,
            },
            TaxedTrades = [.. harvest.TaxedTrades, .. rebalance.TaxedTrades],
            WashSales = [.. harvest.WashSales, .. rebalance.WashSales],
            Harvests = harvest.Harvests,
            Accounts = [.. rebalance.Accounts.Select(r => harvested.TryGetValue(r.AccountId, out var h)
                ? new AccountTaxSummary(r.AccountId, r.RealizedShortTerm + h.RealizedShortTerm, r.RealizedLongTerm + h.RealizedLongTerm,
                    h.HarvestedLosses, r.DisallowedLosses + h.DisallowedLosses, h.EstimatedTaxSaved)
                : r)],
            Approvals = [.. harvest.Approvals, .. rebalance.Approvals],
            Blocks = rebalance.Blocks,
            Lots = rebalance.Lots,
        };
    }

    private static decimal[] NetFlows(AccountBook book, Scenarios.LoadedScenario loaded)
    {
        var netFlow = new decimal[book.AccountCount];
        foreach (var pending in loaded.CashFlows)
        {
            netFlow[pending.Account] += pending.Flow.SignedAmount;
        }
        return netFlow;
    }

    /// <summary>Queues accounts that wait for an operator; releases those already approved.</summary>
    private static (Decision, ApprovalItem?) Approval(AccountBook book, int a, DateOnly asOf, Decision decision, TradePlan? plan, ApprovalQueue queue, DateTimeOffset when)
    {
        var kind = decision.Action switch
        {
            DecisionAction.NeedsApproval => ApprovalKind.IlliquidHoldings,
            DecisionAction.Blocked => ApprovalKind.BlockedAccount,
            _ => (ApprovalKind?)null,
        };
        if (kind is not { } k)
        {
            return (decision, null);
        }
        var trades = k == ApprovalKind.BlockedAccount ? [] : plan?.Trades ?? [];
        var policy = book.Policy(a);
        var item = queue.Submit(new ApprovalItem(ApprovalItem.MakeId(k, decision.AccountId, asOf, trades), k, decision.AccountId, policy.Id, policy.Version, asOf, decision.Reason, [.. trades]), when);
        if (item.Status == ApprovalStatus.Pending)
        {
            return (decision with { Reason = $"{decision.Reason}; waiting for approval {item.Id}" }, item);
        }
        var by = $"{item.Status.ToString().ToLowerInvariant()} by {item.Decision!.Who} ({item.Decision.Why}), approval {item.Id}";
        if (item.Status == ApprovalStatus.Approved && k == ApprovalKind.IlliquidHoldings)
        {
            return (decision with { Action = DecisionAction.Rebalance, Reason = $"{decision.Reason}; released: {by}" }, item);
        }
        return (decision with { Reason = $"{decision.Reason}; {by}" }, item);
    }

    /// <summary>Fills trades against the lot book and the ledger: sells first (a same-day buy is then a replacement), then buys. A sell relieves the lots chosen for it while planning.</summary>
    private static List<TaxedTrade> Apply(AccountBook book, int a, DateOnly asOf, IReadOnlyList<Trade> trades, TradeSource source, AccountTaxSettings settings,
        LotBook lots, WashSaleLedger ledger, IReadOnlyDictionary<string, LotSelection>? chosen = null)
    {
        var accountId = book.AccountId(a);
        var household = book.HouseholdId(a);
        var policy = book.Policy(a);
        var deferred = policy.TaxStatus == TaxStatus.TaxDeferred;
        var tracked = !deferred && lots.HasAccount(accountId);
        var result = new List<TaxedTrade>();
        foreach (var sell in trades.Where(t => t.Side == TradeSide.Sell))
        {
            if (!tracked || !lots.HasLots(accountId, sell.InstrumentId))
            {
                result.Add(new TaxedTrade(sell, source, [], null, []));
                continue;
            }
            var raisingCash = source is TradeSource.CashFlow or TradeSource.DividendReinvestment;
            var method = TaxPlanAdjuster.ReliefMethod(settings, raisingCash);
            // The lots chosen while planning (within the budget and deferral) are the lots sold.
            var selection = chosen?.GetValueOrDefault(sell.InstrumentId) is { } planned && planned.Quantity == sell.Quantity
                ? planned
                : LotSelector.Select(lots.Lots(accountId, sell.InstrumentId), sell.Quantity, sell.Price, asOf, method, specificLots: TaxPlanAdjuster.Specific(settings, sell.InstrumentId));
            lots.Sell(accountId, sell.InstrumentId, selection);
            var washes = ledger.RecordSale(household, accountId, sell.InstrumentId, asOf, selection.Reliefs);
            result.Add(new TaxedTrade(sell, source, selection.Reliefs, null, washes));
        }
        foreach (var buy in trades.Where(t => t.Side == TradeSide.Buy))
        {
            var lot = tracked ? lots.Buy(accountId, buy.InstrumentId, asOf, buy.Quantity, buy.Price) : null;
            var washes = ledger.RecordBuy(household, accountId, deferred, buy.InstrumentId, asOf, buy.Quantity, lot?.Id, source);
            result.Add(new TaxedTrade(buy, source, [], lot?.Id, washes));
        }
        return result;
    }

    private static AccountTaxSummary Summarize(string accountId, IReadOnlyList<TaxedTrade> trades, IReadOnlyList<HarvestRecord> harvests, AccountTaxSettings settings)
    {
        var harvested = harvests.Where(h => h.Status == HarvestStatus.Harvested).ToList();
        return new AccountTaxSummary(
            accountId,
            trades.Sum(t => t.ShortTermGain),
            trades.Sum(t => t.LongTermGain),
            harvested.Sum(h => h.Loss),
            0,
            harvested.Sum(h => (h.ShortTermLoss * settings.ShortTermTaxRate) + (h.LongTermLoss * settings.LongTermTaxRate)));
    }

    /// <summary>Disallowed losses belong to the account that sold the shares (the replacement lot carries them as basis).</summary>
    private static List<AccountTaxSummary> AddDisallowed(List<AccountTaxSummary> summaries, IEnumerable<WashSale> washSales)
    {
        var bySeller = washSales.ToLookup(w => w.SaleAccountId, StringComparer.Ordinal);
        return [.. summaries.Select(s => s with { DisallowedLosses = bySeller[s.AccountId].Sum(w => w.DisallowedLoss) })];
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
