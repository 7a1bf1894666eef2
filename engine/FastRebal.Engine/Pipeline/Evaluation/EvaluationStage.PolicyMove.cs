using FastRebal.Engine.Model;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

// Moving an account to another named IPS: its investment policy and its tax elections change together.
public sealed partial class EvaluationStage
{
    /// <summary>
    /// The tax settings of accounts whose elections changed while running (moved to another IPS, or edited with their
    /// policy); the files give the others at start. Kept in the checkpoint.
    /// </summary>
    private readonly SortedDictionary<int, AccountTaxSettings> changedTaxSettings = [];

    /// <summary>
    /// Moves that wait for the account's trades in flight, as journaled (kept in the checkpoint): the account trades
    /// nothing new meanwhile, and moves in the first batch that finds it with nothing in flight.
    /// </summary>
    private readonly SortedDictionary<int, JournaledCommand> moving = [];

    /// <summary>
    /// Whether the account is closed, or waits for trades in flight to close, to move, or for a split of an instrument it
    /// holds or targets (no new trade either way).
    /// </summary>
    private bool IsClosedOrWaiting(int a) => IsClosedOrClosing(a) || (moving.Count > 0 && moving.ContainsKey(a)) || (splitting.Count > 0 && WaitsForSplit(a));

    /// <summary>Tax settings an edit earlier in the batch resolved, for a later edit of the same batch to start from.</summary>
    private readonly Dictionary<int, AccountTaxSettings> taxOverlay = [];

    /// <summary>Builds the account's policy and tax settings under the named IPS; the checks that depend on the book run when it is applied.</summary>
    private void ResolveMove(MoveToPolicy move, JournaledCommand resolved)
    {
        resolved.Kind = CommandKind.Refused;
        resolved.AccountId = move.AccountId;
        resolved.Target = move.Policy.Policy.Id;
        var a = book.FindAccount(move.AccountId);
        if (a < 0)
        {
            resolved.Refusal = $"move to policy '{Scenarios.TextLimit.Clip(move.Policy.Policy.Id, 80)}': unknown account '{Scenarios.TextLimit.Clip(move.AccountId, 80)}'";
            return;
        }
        var policy = move.Policy.Policy;
        var problems = PolicyValidation.Problems(policy, book.Instruments);
        if (problems.Count > 0)
        {
            resolved.Refusal = $"move of {move.AccountId} to policy '{policy.Id}': {problems[0].Field} {problems[0].Problem}; nothing was changed";
            return;
        }
        if (tax is not null)
        {
            var settings = TaxScenario.NewSettings(move.Policy.Tax);
            string? problem = null;
            TaxScenario.CheckSettings(settings, policy.TaxStatus, (field, message) => problem ??= $"{field} {message}", (instrument, id) => HasLot(a, instrument, id));
            if (problem is not null)
            {
                resolved.Refusal = $"move of {move.AccountId} to policy '{policy.Id}': {problem}; nothing was changed";
                return;
            }
            resolved.TaxSettings = StateJson.Write(settings);
        }
        policyOverlay[a] = policy;
        resolved.Kind = CommandKind.PolicyMove;
        resolved.Accounts = [a];
        resolved.SetPolicies([policy]);
    }

    private bool HasLot(int a, string instrument, string id)
    {
        var slot = tax!.Lots.IsTracked(a) ? tax.Lots.SlotOf(a, instrument) : -1;
        return slot >= 0 && tax.Lots.Lots(slot).Any(l => l.Id == id);
    }

    private CommandResult ApplyMove(JournaledCommand move)
    {
        var a = book.FindAccount(move.AccountId ?? "");
        var policy = move.ResolvedPolicies()[0];
        if (a < 0 || move.Accounts is not [var index] || index != a)
        {
            return CommandResult.Refused($"move to policy '{policy.Id}': unknown account '{move.AccountId}'");
        }
        if (IsClosedOrClosing(a))
        {
            return CommandResult.Refused($"{move.AccountId} is closed, or closes once its trades in flight are done: it cannot move to policy '{policy.Id}'");
        }
        if (moving.TryGetValue(a, out var waiting))
        {
            return CommandResult.Refused($"{move.AccountId} already waits to move to {WaitingFor(waiting)} once its trades in flight are done");
        }
        // A held plan was made under the old IPS: approving it after the move would trade by a policy the account left.
        if (awaitingApproval.ContainsKey(a))
        {
            return CommandResult.Refused($"{move.AccountId} has trades waiting for approval; approve or reject them, then move it to policy '{policy.Id}'");
        }
        // Fills of trades planned under the old IPS would relieve lots by the new one's elections, against a plan that
        // never weighed them: the move waits until they are done, and the account trades nothing new meanwhile. What
        // the book would refuse is refused now, not after the wait.
        if (openTrades[a] > 0)
        {
            if (book.CheckPolicyUpdate(a, policy, move: true) is { } refused)
            {
                return CommandResult.Refused($"move to policy '{policy.Id}' refused: {refused}; nothing was changed");
            }
            moving[a] = move;
            return CommandResult.Ok($"{move.AccountId} has trades in flight: it moves to policy '{policy.Id}' once they are done, and trades nothing new meanwhile");
        }
        return Move(a, move);
    }

    /// <summary>Moves the accounts that waited for their trades in flight and have none left; each move is audited.</summary>
    private void FinishMoves()
    {
        foreach (var (a, move) in moving.Where(m => openTrades[m.Key] == 0).ToList())
        {
            moving.Remove(a);
            var result = move.Kind == CommandKind.ModelMove ? MoveModel(a, move) : Move(a, move);
            audit?.Add(Audit.AuditEntries.OperatorAction(move.Name, move.Who, move.Why,
                $"{(result.Applied ? "applied" : "refused")} once its trades in flight were done: {result.Detail}"));
        }
    }

    private CommandResult Move(int a, JournaledCommand move)
    {
        var policy = move.ResolvedPolicies()[0];
        var current = book.Policy(a);
        AccountTaxSettings? settings = null;
        if (tax is not null && move.TaxSettings is { } json)
        {
            settings = StateJson.Read<AccountTaxSettings>(json);
            // Checked again when it applies: the fills it waited for may have sold a lot its elections name.
            string? problem = null;
            TaxScenario.CheckSettings(settings, policy.TaxStatus, (field, message) => problem ??= $"{field} {message}", (instrument, id) => HasLot(a, instrument, id));
            if (problem is not null)
            {
                return CommandResult.Refused($"move of {move.AccountId} to policy '{policy.Id}': {problem}; nothing was changed");
            }
        }
        if (book.UpdatePolicy(a, policy, move: true) is { } refused)
        {
            return CommandResult.Refused($"move to policy '{policy.Id}' refused: {refused}; nothing was changed");
        }
        if (settings is not null)
        {
            tax!.SetSettings(a, settings);
            changedTaxSettings[a] = settings;
        }
        PolicyChanged(a);
        var elections = tax is null ? "" : $"; tax elections now lot method {tax.Settings(a).LotMethod}, gains budget {tax.Settings(a).GainsBudget?.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, harvesting {(tax.Settings(a).Harvest.Enabled ? "on" : "off")}";
        return CommandResult.Ok($"{move.AccountId} moved from policy '{current.Id}' version {current.Version} to policy '{policy.Id}' version {policy.Version}{elections}");
    }

    /// <summary>What a waiting move is for, in words.</summary>
    private static string WaitingFor(JournaledCommand move) => move.Kind == CommandKind.ModelMove ? $"model '{move.Target}'" : $"policy '{move.Target}'";

    /// <summary>Puts back the moved accounts' tax settings from a checkpoint (the others come from the files).</summary>
    private void RestoreMoves(EvaluationImage image)
    {
        moving.Clear();
        foreach (var move in image.WaitingMoves)
        {
            moving[book.FindAccount(move.AccountId ?? "")] = move;
        }
        changedTaxSettings.Clear();
        if (tax is null)
        {
            return;
        }
        for (var i = 0; i < image.MovedAccounts.Length; i++)
        {
            var settings = StateJson.Read<AccountTaxSettings>(image.MovedTaxSettings[i]);
            tax.SetSettings(image.MovedAccounts[i], settings);
            changedTaxSettings[image.MovedAccounts[i]] = settings;
        }
    }
}
