using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

// Tax-loss harvesting on the schedule each account's IPS sets: scanned at the opening of a day, before the day's
// decisions, and traded through the risk gate and the order stage like any plan.
public sealed partial class EvaluationStage
{
    /// <summary>An account's harvest trades in flight: what they are for, and per instrument sold the lots its fills relieve.</summary>
    private sealed record HarvestInFlight(TradeSource Source, Dictionary<int, string[]> Lots);

    private readonly Dictionary<int, HarvestInFlight> harvesting = [];

    /// <summary>The trading day before the one the current batch opened (what a weekly, monthly or quarterly schedule compares with).</summary>
    private DateOnly previousDay;

    /// <summary>
    /// The harvest scan of every taxable account of [<paramref name="from"/>, <paramref name="to"/>) whose schedule is due (and that is not trading, halted or waiting for
    /// an operator), as the one-shot <c>harvest</c> runs it: the same <see cref="HarvestScanner"/> over the live lots
    /// and the household ledger, buying only substitutes the account's book holds a place for. An account's harvests
    /// and swap backs go out as one plan; one above the account's approval limit holds the whole plan for an operator.
    /// Every harvest placed (or held for approval) is audited with its lots, loss and substitute.
    /// </summary>
    private void Harvest(int from, int to)
    {
        for (var a = from; a < to; a++)
        {
            var settings = tax!.Settings(a);
            if (!settings.Harvest.Enabled || !tax.Lots.IsTracked(a) || !HarvestScanner.IsDue(settings.Harvest.Schedule, previousDay, day)
                || (!settings.Harvest.SwapBack && !tax.Lots.AccountHasHarvestable(a, settings.Harvest)))
            {
                continue;
            }
            var model = book.ModelIndex(a);
            if (openTrades[a] > 0 || IsClosedOrWaiting(a) || gate.IsHalted(a, model) || (awaitingApprovalCount > 0 && awaitingApproval.ContainsKey(a)) || approvals.ContainsKey(a))
            {
                continue;
            }
            HarvestAccount(a, model, ScanHarvest(a));
        }
    }

    private List<HarvestPlan> ScanHarvest(int a) => HarvestScanner.Scan(book, a, day, tax!.Settings(a), tax.Lots.Store, tax.Ledger, heldInBook: true);

    /// <summary>
    /// Places an account's harvests as one plan, or holds it for an operator when one is above the account's limit
    /// (unless <paramref name="approval"/> was given for it in this batch); returns what an approval did.
    /// </summary>
    private CommandResult? HarvestAccount(int a, int model, List<HarvestPlan> plans, GivenApproval? approval = null)
    {
        var plan = new TradePlan { CashBefore = (decimal)book.Cash[a] };
        var lots = new Dictionary<int, string[]>();
        var pending = false;
        var swapBackOnly = true;
        var reasons = new List<string>();
        foreach (var harvest in plans)
        {
            var record = harvest.Record;
            if (record.Status is HarvestStatus.Harvested or HarvestStatus.SwappedBack or HarvestStatus.PendingApproval && !Merge(plan, harvest.Trades))
            {
                // Found and worth harvesting, but not placed: audited, since a reviewer would ask why.
                record = record with { Status = HarvestStatus.Skipped, EstimatedTaxSaved = 0, Reason = $"{record.Reason}; not placed: another harvest of the account today trades the same instrument the other way" };
                Counters.HarvestsSkipped++;
            }
            else if (record.Status is HarvestStatus.Harvested or HarvestStatus.SwappedBack or HarvestStatus.PendingApproval)
            {
                pending |= record.Status == HarvestStatus.PendingApproval;
                swapBackOnly &= record.Status == HarvestStatus.SwappedBack;
                if (harvest.Sale is { } sale)
                {
                    lots[book.Instruments.IndexOf(record.InstrumentId)] = [.. sale.Reliefs.Select(r => r.LotId)];
                }
                reasons.Add(record.Reason);
                Counters.Harvests++;
            }
            else
            {
                // A loss that cannot be harvested today is found again at each scan until it can: counted, not audited
                // each day (the one-shot harvest command lists the reasons on demand).
                Counters.HarvestsSkipped++;
                continue;
            }
            audit?.Add(AuditEntries.Harvest(record, ""));
        }
        if (plan.Trades.Count == 0)
        {
            return approval is null ? null : CommandResult.Ok($"approved for {book.AccountId(a)}, nothing to trade: at this batch's prices no harvest is worth placing");
        }
        var policy = book.Policy(a);
        var decision = new Decision(book.AccountId(a), pending ? DecisionAction.NeedsApproval : DecisionAction.Rebalance, DecisionRule.TaxLossHarvest,
            string.Join("; ", reasons), report.TotalValue[a], report.MaxAbsDrift[a], report.MaxRelativeDrift[a], report.TotalDrift[a],
            policy.BandType, policy.BandWidth, policy.Id, policy.Version, plan.Trades.Count, []);
        harvesting[a] = new HarvestInFlight(swapBackOnly ? TradeSource.SwapBack : TradeSource.Harvest, lots);
        Counters.Decisions++;
        if (pending && approval is null)
        {
            plan.ApprovalReason = "a harvest is above the account's approval limit";
            Hold(a, plan, decision, day);
        }
        else
        {
            decision = Release(a, model, approval is null ? decision : Approved(decision, approval), plan);
            if (openTrades[a] == 0)
            {
                // The risk gate held it: the lots stay as they are.
                harvesting.Remove(a);
            }
        }
        audit?.AddDecision(book.HouseholdId(a), decision, null);
        Remember(decision);
        return approval is null ? null : ApprovalOutcome(a, decision, plan.Trades.Count);
    }

    /// <summary>Adds a harvest's trades to the account's plan: an instrument already traded the same way takes the shares; one traded the other way refuses the harvest.</summary>
    private static bool Merge(TradePlan plan, IReadOnlyList<Trade> trades)
    {
        foreach (var trade in trades)
        {
            if (plan.Trades.Exists(t => t.InstrumentId == trade.InstrumentId && t.Side != trade.Side))
            {
                return false;
            }
        }
        foreach (var trade in trades)
        {
            var same = plan.Trades.FindIndex(t => t.InstrumentId == trade.InstrumentId);
            if (same < 0)
            {
                plan.Trades.Add(trade);
            }
            else
            {
                plan.Trades[same] = plan.Trades[same] with { Quantity = plan.Trades[same].Quantity + trade.Quantity, Reason = $"{plan.Trades[same].Reason}; {trade.Reason}" };
            }
        }
        return true;
    }
}
