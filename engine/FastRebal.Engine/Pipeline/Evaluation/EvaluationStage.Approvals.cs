using FastRebal.Engine.Approvals;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

// The approval queue's lifecycle: an account's plan is held for an operator, approved (and then decided again at the
// prices of that batch, so nothing stale is released), rejected, or expired when its market day is over.
public sealed partial class EvaluationStage
{
    /// <summary>
    /// An operator's approval, given in this batch and answered once the account has been decided again: the
    /// command's reply waits for that answer, so the operator hears what was released, not only that it was approved.
    /// </summary>
    private sealed class GivenApproval(JournaledCommand command, bool harvest)
    {
        public JournaledCommand Command { get; } = command;

        /// <summary>Whether the held plan was a harvest (decided again by a harvest scan, not a drift decision).</summary>
        public bool Harvest { get; } = harvest;

        public ControlCommand? Reply { get; set; }

        /// <summary>What the decision at this batch's prices did; null until the account is decided.</summary>
        public CommandResult? Outcome { get; set; }
    }

    /// <summary>Approvals given in the current batch, by account; empty between batches, so no checkpoint keeps them.</summary>
    private readonly Dictionary<int, GivenApproval> approvals = [];

    /// <summary>Market days a held item stands (1: until its day ends); 0 keeps it until an operator decides.</summary>
    private readonly int approvalExpiryDays;

    /// <summary>
    /// Holds an account's plan for an operator, with what the risk gate would say of it now; a checkpoint's plan comes
    /// back with what the gate said when it was held (<paramref name="riskCheck"/>), and is not counted again.
    /// </summary>
    private void Hold(int a, TradePlan plan, Decision decision, DateOnly since, bool restored = false, string? riskCheck = null)
    {
        awaitingApproval[a] = (plan, decision);
        awaitingApprovalView[a] = new PendingApproval(decision, [.. plan.Trades], since, riskCheck ?? RiskCheck(a, plan),
            approvalExpiryDays > 0 ? since.AddDays(approvalExpiryDays - 1) : null);
        Interlocked.Increment(ref awaitingApprovalCount);
        if (!restored)
        {
            Counters.NeedsApproval++;
        }
    }

    private (TradePlan Plan, Decision Decision) Unhold(int a)
    {
        awaitingApproval.Remove(a, out var held);
        awaitingApprovalView.TryRemove(a, out _);
        Interlocked.Decrement(ref awaitingApprovalCount);
        return held;
    }

    private string RiskCheck(int a, TradePlan plan)
    {
        if (plan.Trades.Count == 0)
        {
            return "nothing for the risk gate to check: the holdings off target are illiquid and traded by hand";
        }
        return gate.Preview(a, book.ModelIndex(a), Indexed(plan), sequence, batchMarketTime) is { } refusal
            ? $"the risk gate would refuse them at the held prices: {refusal}"
            : "the risk gate would pass them at the held prices";
    }

    /// <summary>
    /// Items whose last market day is over leave the queue when a new day opens: each expiry is audited, and the
    /// account is decided afresh in the day's full sweep (held again, at the new prices, if it still needs an operator).
    /// </summary>
    private void ExpireApprovals()
    {
        if (approvalExpiryDays == 0 || awaitingApprovalCount == 0)
        {
            return;
        }
        var expired = awaitingApprovalView.Where(p => p.Value.LastDay < day).Select(p => p.Key).Order().ToList();
        foreach (var a in expired)
        {
            var item = awaitingApprovalView[a];
            Unhold(a);
            harvesting.Remove(a);
            parkedExcess[a] = double.NaN;
            Counters.ApprovalsExpired++;
            audit?.Add(AuditEntries.Approval(
                new ApprovalAuditRecord(new DateTimeOffset(batchMarketTime, TimeSpan.Zero), "expired", item.Id, item.Decision.AccountId, item.Decision.PolicyId, item.Decision.PolicyVersion,
                    "engine", $"not decided by the end of {item.LastDay:yyyy-MM-dd}; the account is decided again at {day:yyyy-MM-dd}'s prices"),
                book.HouseholdId(a)));
        }
    }

    /// <summary>
    /// Applies an operator's decision on a held item. A rejection parks the account; an approval takes the item out
    /// of the queue and has the account decided again in this batch, at this batch's prices (see <see cref="Decide"/>).
    /// </summary>
    private CommandResult ApplyApproval(JournaledCommand command)
    {
        var a = book.FindAccount(command.AccountId ?? "");
        if (a < 0 || !awaitingApproval.ContainsKey(a))
        {
            return CommandResult.Refused($"account '{command.AccountId}' has no trades waiting for approval (an item expires when its last market day is over)");
        }
        var held = Unhold(a);
        if (!command.Approve)
        {
            harvesting.Remove(a);
            Park(a);
            return CommandResult.Ok($"trades for {command.AccountId} rejected by {command.Who}: {command.Why}");
        }
        approvals[a] = new GivenApproval(command, held.Decision.Rule == DecisionRule.TaxLossHarvest);
        parkedExcess[a] = double.NaN;
        MarkDirty(a);
        return CommandResult.Ok($"approved for {command.AccountId} by {command.Who}; decided again at this batch's prices");
    }

    /// <summary>The reason a released plan carries once an operator approved it.</summary>
    private static Decision Approved(Decision decision, GivenApproval approval) => decision with
    {
        Action = DecisionAction.Rebalance,
        Reason = $"{decision.Reason}; approved by {approval.Command.Who}: {approval.Command.Why}",
    };

    /// <summary>What an approved account's decision at this batch's prices did, for the operator's reply.</summary>
    private CommandResult ApprovalOutcome(int a, Decision decision, int trades)
    {
        var account = book.AccountId(a);
        if (openTrades[a] > 0)
        {
            return CommandResult.Ok($"{trades} trade(s) for {account} released, sized at this batch's prices");
        }
        return decision.Action == DecisionAction.NeedsApproval
            ? CommandResult.Ok($"acknowledged for {account}; nothing to trade automatically (its illiquid holdings are traded by hand)")
            : CommandResult.Refused($"approved for {account}, nothing released: {decision.Reason}");
    }

    /// <summary>
    /// Answers every approval given in this batch and audits it with its outcome. An account the batch could not
    /// decide (halted, or trading) releases nothing: it is decided again when it can, and held again if it must be.
    /// </summary>
    private void SettleApprovals()
    {
        if (approvals.Count == 0)
        {
            return;
        }
        foreach (var (a, approval) in approvals.OrderBy(p => p.Key))
        {
            var result = approval.Outcome ?? CommandResult.Refused(
                $"approved for {book.AccountId(a)}, nothing released: the account is halted or has trades in flight; it is decided again when it can be");
            (result.Applied ? ref Counters.CommandsApplied : ref Counters.CommandsRefused)++;
            AuditCommand(approval.Command, result);
            approval.Reply?.Complete(result);
        }
        approvals.Clear();
    }

    private void AuditCommand(JournaledCommand command, CommandResult result) =>
        audit?.Add(AuditEntries.OperatorAction(command.Name, command.Who, command.Why, $"{(result.Applied ? "applied" : "refused")}: {result.Detail}"));
}
