using System.Globalization;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

// Opening a client account while running, in one of the rows the book keeps free for it.
public sealed partial class EvaluationStage
{
    /// <summary>
    /// The accounts opened, and moved to another model, while running, in order, as journaled (kept in the
    /// checkpoint): a restart builds the book from the firm's files again, with the same free rows, and gives each
    /// account its row and targets back in the same order.
    /// </summary>
    private readonly List<JournaledCommand> rowChanges = [];

    /// <summary>Builds the opening's policy and tax elections; the checks that depend on the book run when it is applied.</summary>
    private void ResolveOpen(OpenAccount open, JournaledCommand resolved)
    {
        resolved.Kind = CommandKind.Refused;
        resolved.AccountId = open.AccountId;
        resolved.HouseholdId = string.IsNullOrWhiteSpace(open.HouseholdId) ? open.AccountId : open.HouseholdId;
        resolved.Target = open.ModelId;
        resolved.Amount = open.Cash;
        var policy = open.Policy.Policy;
        if (open.Cash < 0 || (double)open.Cash > Scenarios.ScenarioLoader.MaxAmount)
        {
            resolved.Refusal = string.Create(CultureInfo.InvariantCulture, $"open of {Scenarios.TextLimit.Clip(open.AccountId, 80)}: the opening cash must be 0 to {Scenarios.ScenarioLoader.MaxAmount:0e0}, got {open.Cash}");
            return;
        }
        if (tax is not null)
        {
            var settings = TaxScenario.NewSettings(open.Policy.Tax);
            string? problem = null;
            // A new account holds no lot for its elections to name.
            TaxScenario.CheckSettings(settings, policy.TaxStatus, (field, message) => problem ??= $"{field} {message}", (_, _) => false);
            if (problem is not null)
            {
                resolved.Refusal = $"open of {Scenarios.TextLimit.Clip(open.AccountId, 80)} under policy '{Scenarios.TextLimit.Clip(policy.Id, 80)}': {problem}";
                return;
            }
            resolved.TaxSettings = StateJson.Write(settings);
        }
        resolved.Kind = CommandKind.OpenAccount;
        resolved.SetPolicies([policy]);
    }

    private CommandResult ApplyOpen(JournaledCommand command)
    {
        var id = command.AccountId ?? "";
        var model = FindModel(command.Target);
        if (model < 0)
        {
            return CommandResult.Refused($"open of {Scenarios.TextLimit.Clip(id, 80)}: unknown model '{Scenarios.TextLimit.Clip(command.Target, 80)}'");
        }
        var policy = command.ResolvedPolicies()[0];
        if (book.CheckOpen(id, model, policy) is { } refused)
        {
            return CommandResult.Refused($"open of {Scenarios.TextLimit.Clip(id, 80)}: {refused}");
        }
        var a = book.Open(id, command.HouseholdId ?? id, model, policy);
        Volatile.Write(ref closed[a], false);
        var elections = "";
        if (tax is not null && command.TaxSettings is { } json)
        {
            var settings = StateJson.Read<AccountTaxSettings>(json);
            if (policy.TaxStatus == Model.TaxStatus.Taxable)
            {
                tax.Lots.Track(a);
            }
            tax.SetSettings(a, settings);
            changedTaxSettings[a] = settings;
            elections = $"; lot method {settings.LotMethod}, harvesting {(settings.Harvest.Enabled ? "on" : "off")}";
        }
        PolicyChanged(a);
        // Its drift goes from nothing to all cash by opening, not by the market: the breakers measure from its next figure.
        gate.FillsApplied(a, model);
        rowChanges.Add(command);
        var cash = "";
        if (command.Amount > 0)
        {
            // Money in at once, invested at the account's first decision, as a deposit is.
            book.ApplyCashFlow(a, (double)command.Amount);
            Moved(a, BookMovementKind.CashFlow, -1, 0, command.Amount);
            SetPendingFlow(a, command.Amount);
            cash = string.Create(CultureInfo.InvariantCulture, $", with {command.Amount:#,0.00} to invest");
        }
        return CommandResult.Ok($"{id} opened by {command.Who} in household {book.HouseholdId(a)} on model '{command.Target}' under policy '{policy.Id}' version {policy.Version}{elections}{cash}; {book.FreeRows} free row(s) left");
    }

    /// <summary>
    /// Gives the accounts opened and moved to another model their rows and targets back from a checkpoint, in the order
    /// it happened (the holdings, lots and policies are restored with the book, where they ended up).
    /// </summary>
    private void RestoreRowChanges(EvaluationImage image)
    {
        rowChanges.Clear();
        foreach (var change in image.RowChanges)
        {
            var model = FindModel(change.Target);
            if (change.Kind == CommandKind.OpenAccount)
            {
                book.AssignRow(book.AccountCount - book.FreeRows, change.AccountId!, change.HouseholdId ?? change.AccountId!, model);
            }
            else if (book.FindAccount(change.AccountId!) is var a && book.CoversModel(a, model))
            {
                book.ChangeModel(a, model);
            }
            else
            {
                book.AssignRow(book.AccountCount - book.FreeRows, change.AccountId!, book.HouseholdId(a), model);
                book.Leave(a);
            }
            rowChanges.Add(change);
        }
    }
}
