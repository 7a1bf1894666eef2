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
        var current = book.Policy(a);
        // Fills of trades planned under the old IPS would relieve lots by the new one's elections, against a plan that never weighed them.
        if (openTrades[a] > 0)
        {
            return CommandResult.Refused($"{move.AccountId} has trades in flight; move it to policy '{policy.Id}' once they are done");
        }
        // A held plan was made under the old IPS: approving it after the move would trade by a policy the account left.
        if (awaitingApproval.ContainsKey(a))
        {
            return CommandResult.Refused($"{move.AccountId} has trades waiting for approval; approve or reject them, then move it to policy '{policy.Id}'");
        }
        if (book.UpdatePolicy(a, policy, move: true) is { } refused)
        {
            return CommandResult.Refused($"move to policy '{policy.Id}' refused: {refused}; nothing was changed");
        }
        if (tax is not null && move.TaxSettings is { } json)
        {
            var settings = StateJson.Read<AccountTaxSettings>(json);
            tax.SetSettings(a, settings);
            changedTaxSettings[a] = settings;
        }
        PolicyChanged(a);
        var elections = tax is null ? "" : $"; tax elections now lot method {tax.Settings(a).LotMethod}, gains budget {tax.Settings(a).GainsBudget?.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, harvesting {(tax.Settings(a).Harvest.Enabled ? "on" : "off")}";
        return CommandResult.Ok($"{move.AccountId} moved from policy '{current.Id}' version {current.Version} to policy '{policy.Id}' version {policy.Version}{elections}");
    }

    /// <summary>Puts back the moved accounts' tax settings from a checkpoint (the others come from the files).</summary>
    private void RestoreMoves(EvaluationImage image)
    {
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
