using System.Diagnostics;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

// Deciding one account, parking what cannot trade, and releasing a plan through the risk gate to the order stage.
public sealed partial class EvaluationStage
{
    /// <summary>
    /// Tells the order stage that the trades published so far form blocks now (a heartbeat numbered by block, so
    /// block ids stay unique and follow from the same inputs). The first account released in a batch is flushed at
    /// once, so a price move reaches the market without waiting for the rest of the batch's decisions; after it,
    /// blocks gather up to <c>accountsPerBlock</c> accounts, and the batch's end flushes the rest.
    /// </summary>
    private void FlushBlocks() => publisher.Publish(BlockFlush());

    /// <summary>The heartbeat that closes the blocks published so far (see <see cref="FlushBlocks"/>).</summary>
    private OrderEvent BlockFlush()
    {
        releasedSinceFlush = 0;
        flushedThisBatch = true;
        return new OrderEvent { Kind = OrderEventKind.Heartbeat, MarketTime = batchMarketTime, Sequence = ++blockSequence };
    }

    /// <summary>Decides one swept account whose drift the breakers have already seen, if it has anything to act on.</summary>
    private void Decide(int a, bool calendarCheck)
    {
        var model = book.ModelIndex(a);
        if (openTrades[a] > 0 || IsClosedOrWaiting(a) || gate.IsHalted(a, model) || (awaitingApprovalCount > 0 && awaitingApproval.ContainsKey(a)))
        {
            return;
        }
        var approval = approvals.Count > 0 ? approvals.GetValueOrDefault(a) : null;
        if (approval is { Harvest: true })
        {
            // An approved harvest is scanned again at this batch's prices and placed (or found no longer worth it).
            approval.Outcome = HarvestAccount(a, model, ScanHarvest(a), approval);
            return;
        }
        var flow = pendingFlow[a];
        // A debit left once an account's trades are done (fills at prices other than the plan's) is settled by
        // selling, as the decider restores a reserve: an account is never left below zero until its next breach.
        var candidate = flow != 0
            || book.Cash[a] < 0
            || report.Breaches(a)
            || (calendarCheck && book.Policy(a) is { Trigger: not RebalanceTrigger.Threshold } policy && RebalanceRules.IsCalendarDue(policy.Calendar, book.LastRebalanced(a), day))
            || classBands.IsBreached(report, a);
        if (!candidate)
        {
            parkedExcess[a] = double.NaN;
            if (approval is not null)
            {
                approval.Outcome = CommandResult.Ok($"approved for {book.AccountId(a)}, nothing to trade: at this batch's prices the account is within its bands");
            }
            return;
        }
        if (IsParked(a, flow))
        {
            return;
        }

        var cash = (decimal)book.Cash[a] + Math.Min(flow, 0);
        // What the decision saw (holdings, marks, cash, policy, flow), copied before anything changes; the audit writer hashes it.
        var inputs = audit is null ? null : AuditInputs.Capture(book, a, day, flow);
        var (decision, plan) = AccountDecider.Decide(book, report, a, day, cash, flow);
        if (tax is not null && plan is { IsBlocked: false })
        {
            // The same tax rules as a one-shot run: lots relieved by the account's method within its gains budget and
            // deferral, no buy washing a household loss, cash-only accounts selling nothing, buys trimmed to the reserve.
            (decision, plan, _) = TaxPlanAdjuster.Adjust(book, a, day, decision, plan, tax.Settings(a), cash, flow, tax.Lots.For(a), tax.Ledger, batched: false, substitutesInBook: true);
        }
        Counters.Decisions++;
        switch (decision.Action)
        {
            case DecisionAction.Rebalance or DecisionAction.CashFlow when plan is { Trades.Count: > 0 }:
                decision = Release(a, model, decision, plan, inputs);
                break;
            case DecisionAction.NeedsApproval when approval is not null && plan is { Trades.Count: > 0 }:
                decision = Release(a, model, Approved(decision, approval), plan, inputs);
                break;
            case DecisionAction.NeedsApproval when approval is not null:
                // Acknowledged: only illiquid holdings are off target, and those are traded by hand.
                decision = decision with { Reason = $"{decision.Reason}; acknowledged by {approval.Command.Who}: {approval.Command.Why}" };
                Park(a);
                break;
            case DecisionAction.NeedsApproval when plan is not null:
                Hold(a, plan, decision, day);
                break;
            case DecisionAction.Blocked:
                Counters.Blocked++;
                Park(a);
                break;
            default:
                if (decision.Action == DecisionAction.CashFlow && flow > 0)
                {
                    SetPendingFlow(a, 0);
                }
                // A calendar not due or a rebalance too soon after the last one holds whatever the drift does, so
                // such an account waits for tomorrow instead of being decided again each time its drift grows.
                Park(a, untilTomorrow: decision.Rule is DecisionRule.CalendarNotDue or DecisionRule.MinDaysBetweenRebalances);
                break;
        }
        if (approval is not null)
        {
            approval.Outcome = ApprovalOutcome(a, decision, plan?.Trades.Count ?? 0);
        }
        audit?.AddDecision(book.HouseholdId(a), decision, inputs);
        Remember(decision);
    }

    /// <summary>Whether the account's breach was decided today without trading and has not grown enough to be decided again.</summary>
    private bool IsParked(int a, decimal flow) => flow == 0 && parkedOn[a] == day && report.MaxExcess[a] < parkedExcess[a] + RedecideDriftStep;

    private void Park(int a, bool untilTomorrow = false)
    {
        parkedOn[a] = day;
        parkedExcess[a] = untilTomorrow ? double.PositiveInfinity : report.MaxExcess[a];
    }

    /// <summary>
    /// The plan's trades with their instruments' indices, in a list this stage reuses (evaluation thread only): valid
    /// until the next call. A list per released plan was an allocation per decision on the steady path.
    /// </summary>
    private List<(int Instrument, Trade Trade)> Indexed(TradePlan plan)
    {
        indexedTrades.Clear();
        foreach (var trade in plan.Trades)
        {
            indexedTrades.Add((book.Instruments.IndexOf(trade.InstrumentId), trade));
        }
        return indexedTrades;
    }

    private Decision Release(int a, int model, Decision decision, TradePlan plan, AuditInputSnapshot? inputs = null)
    {
        var trades = Indexed(plan);
        var refusal = gate.Check(a, model, trades, sequence, batchMarketTime);
        if (refusal is not null)
        {
            Counters.HeldByRisk++;
            audit?.Add(AuditEntries.RiskRejection(decision.AccountId, book.HouseholdId(a), book.Policy(a), "PlanRefused",
                $"{decision.Action} plan of {trades.Count} trade(s) held by the risk gate: {refusal}", [new("trades", trades.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))]), inputs);
            Park(a);
            return decision with { Reason = $"{decision.Reason}; held by the risk gate: {refusal}", TradeCount = 0 };
        }
        var origin = batchOrigin != 0 ? batchOrigin : Stopwatch.GetTimestamp();
        outgoing.Clear();
        foreach (var (instrument, trade) in trades)
        {
            outgoing.Add(new OrderEvent
            {
                Kind = OrderEventKind.Trade,
                Account = a,
                Instrument = instrument,
                Side = trade.Side,
                Quantity = trade.Quantity,
                Price = trade.Price,
                Sequence = sequence,
                MarketTime = batchMarketTime,
                OriginTimestamp = origin,
            });
        }
        if (audit is not null)
        {
            var household = book.HouseholdId(a);
            foreach (var (_, trade) in trades)
            {
                audit.AddTrade(household, decision, trade, inputs);
            }
        }
        openTrades[a] = trades.Count;
        var firstFlush = false;
        if (++releasedSinceFlush >= (flushedThisBatch ? accountsPerBlock : 1))
        {
            firstFlush = !flushedThisBatch;
            outgoing.Add(BlockFlush());
        }
        publisher.PublishAll(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(outgoing));
        if (firstFlush && sweepLimit == 0)
        {
            // A quiet batch's first trades just woke the order stage, and the scheduler often wakes it on this very
            // core, where it would wait until this pass ends (1 to 3 ms on the 10k probe book, 3 or 4 ticks a run).
            // Yielding once lets it send them now; when it woke on the other core, or nothing else is runnable here,
            // the yield returns at once. A busy feed's batches do not yield: the stages must not trade places there.
            Thread.Yield();
        }
        // A harvest is not a rebalance: it leaves the account's last rebalance date (and so its calendar) alone.
        rebalancing[a] = decision.Action == DecisionAction.Rebalance && decision.Rule != DecisionRule.TaxLossHarvest;
        PlanLossSales(a, trades);
        Counters.TradesReleased += trades.Count;
        if (decision.Rule != DecisionRule.TaxLossHarvest)
        {
            // A harvest counts as a harvest where it is placed (EvaluationStage.Harvest).
            if (decision.Action == DecisionAction.Rebalance)
            {
                Counters.Rebalances++;
            }
            else
            {
                Counters.CashFlowsInvested++;
            }
        }
        parkedExcess[a] = double.NaN;
        return decision;
    }

    private void Remember(Decision decision)
    {
        if (decision.Action == DecisionAction.NoTrade)
        {
            return;
        }
        var slot = recentCount % recent.Length;
        Volatile.Write(ref recent[slot], decision);
        Interlocked.Increment(ref recentCount);
    }
}
