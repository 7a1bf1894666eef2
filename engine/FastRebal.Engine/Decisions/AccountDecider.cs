using FastRebal.Engine.Drift;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Decisions;

/// <summary>
/// Decides one account by its IPS and, when it must act, sizes its trades: the one place both the one-shot run and
/// the live engine's evaluation stage take an account's decision from.
/// </summary>
public static class AccountDecider
{
    /// <summary>Decides one account and, when it must act, sizes its trades.</summary>
    public static (Decision Decision, TradePlan? Plan) Decide(AccountBook book, DriftReport report, int a, DateOnly asOf, decimal cash, decimal netFlow)
    {
        var policy = book.Policy(a);
        Decision Make(DecisionAction action, DecisionRule rule, DecisionReason why, TradePlan? plan) => new(
            book.AccountId(a), action, rule, why, report.TotalValue[a], report.MaxAbsDrift[a], report.MaxRelativeDrift[a],
            report.TotalDrift[a], policy.BandType, policy.BandWidth, policy.Id, policy.Version, plan?.IsBlocked == false ? plan.Trades.Count : 0,
            plan?.Warnings ?? (IReadOnlyList<PlanWarning>)[]);

        if (!report.HasInvestableValue(a) && netFlow >= 0)
        {
            return (Make(DecisionAction.NoTrade, DecisionRule.NoInvestableValue, DecisionReason.NoInvestableValue(report.TotalValue[a]), null), null);
        }

        var outcome = RebalanceRules.Evaluate(policy, report.MaxAbsDrift[a], report.MaxRelativeDrift[a], report.Breaches(a),
            RebalanceRules.FindAssetClassBreach(book, report, a), book.LastRebalanced(a), asOf);
        var snapshotNeeded = outcome.Rebalance || netFlow != 0 || cash < (decimal)(book.ReserveAmounts[a] + (book.ReservePercents[a] * report.TotalValue[a]));
        if (!snapshotNeeded)
        {
            return (Make(DecisionAction.NoTrade, outcome.Rule, DecisionReason.Trigger(outcome), null), null);
        }

        // Sizing keeps nothing of the snapshot (its trades and plan copy what they need), so it borrows this thread's.
        var snapshot = AccountSnapshot.Borrow(book, a, cash);
        TradePlan plan;
        DecisionAction action;
        DecisionRule rule;
        DecisionReason why;
        if (outcome.Rebalance)
        {
            var goal = TradeGenerator.GoalFor(policy, outcome.Rule == DecisionRule.BandBreach);
            plan = TradeGenerator.Rebalance(snapshot, goal, RuleLabel(outcome.Rule));
            (action, rule, why) = (DecisionAction.Rebalance, outcome.Rule, DecisionReason.Rebalance(outcome, goal));
        }
        else
        {
            plan = TradeGenerator.CashFlow(snapshot, netFlow);
            (action, rule, why) = (DecisionAction.CashFlow, DecisionRule.CashFlow, DecisionReason.CashFlow(outcome, netFlow));
        }

        if (plan.IsBlocked)
        {
            var blockRule = netFlow < 0 && !outcome.Rebalance ? DecisionRule.WithdrawalNotCovered : DecisionRule.CashReserve;
            return (Make(DecisionAction.Blocked, blockRule, why.Blocked(plan.BlockedReason), plan), plan);
        }
        if (plan.ApprovalReason is not null)
        {
            return (Make(DecisionAction.NeedsApproval, DecisionRule.IlliquidOutOfBand, why.HeldForApproval(plan.ApprovalReason), plan), plan);
        }
        if (plan.Trades.Count == 0 && action == DecisionAction.Rebalance)
        {
            why = why.NothingPlaced();
        }
        return (Make(action, rule, why, plan), plan);
    }

    private static string RuleLabel(DecisionRule rule) => rule switch
    {
        DecisionRule.BandBreach => "band breach",
        DecisionRule.AssetClassBandBreach => "asset-class band breach",
        DecisionRule.CalendarDue => "calendar",
        _ => rule.ToString(),
    };
}
