using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Persistence;

namespace FastRebal.Engine.Pipeline;

// Operator commands: resolved, journaled with the batch and applied (kill switch, approvals, breaker releases, policy edits).
public sealed partial class EvaluationStage
{
    /// <summary>
    /// Adds the book events whose day the batch's market has reached, each as a journaled cash-flow command that
    /// carries its place in the schedule: applying it (live or in a replay) is what moves the schedule on.
    /// </summary>
    private void AddDueBookEvents()
    {
        var batchDay = DateOnly.FromDateTime(new DateTime(Math.Max(batchMarketTime, 1), DateTimeKind.Utc));
        for (var e = bookEventsApplied; e < bookEvents.Length && bookEvents[e].Date <= batchDay; e++)
        {
            var (date, flow, source) = bookEvents[e];
            var resolved = Resolve(bookEvents[e] switch
            {
                { Holdings: { } holdings } => new ReconcileHoldings("book events", $"{source}, after the close of {holdings.AsOf:yyyy-MM-dd}", holdings, bookEvents[e].AcceptHoldings),
                { Move: { } move } => new MoveToPolicy("book events", $"{source}, dated {date:yyyy-MM-dd}", move.AccountId, move.Policy),
                { Closing: { } account } => new CloseAccount("book events", $"{source}, dated {date:yyyy-MM-dd}", account),
                { ToModel: { } change } => new MoveToModel("book events", $"{source}, dated {date:yyyy-MM-dd}", change.AccountId, change.ModelId),
                { Opening: { } o } => new OpenAccount("book events", $"{source}, dated {date:yyyy-MM-dd}", o.AccountId, o.HouseholdId, o.ModelId, o.Policy, o.Cash),
                { Action: { Ratio: { } ratio } action } => new SplitInstrument("book events", $"{source}, effective {date:yyyy-MM-dd}", action.InstrumentId, ratio),
                { Action: { } action } => new ChangeSymbol("book events", $"{source}, effective {date:yyyy-MM-dd}", action.InstrumentId, action.Symbol ?? ""),
                _ => new ApplyCashFlow("book events", $"{source}, dated {date:yyyy-MM-dd}", flow!),
            });
            resolved.Name = "BookEvent";
            resolved.ScheduleIndex = e;
            batchCommands.Add((null, resolved));
        }
    }

    private void ApplyCommands()
    {
        foreach (var (original, command) in batchCommands)
        {
            if (command.ScheduleIndex >= 0)
            {
                // A replayed event must be this engine's event of that place, or the state would go on from another schedule.
                if (command.ScheduleIndex >= bookEvents.Length || !bookEvents[command.ScheduleIndex].Matches(command))
                {
                    var what = command.Kind switch
                    {
                        CommandKind.HoldingsSync => $"holdings sync of {command.Target}",
                        CommandKind.CloseAccount => $"close of {command.AccountId}",
                        CommandKind.Split or CommandKind.SymbolChange => $"corporate action on {command.Target}",
                        CommandKind.OpenAccount => $"opening of {command.AccountId}",
                        CommandKind.ModelMove => $"move of {command.AccountId} to model {command.Target}",
                        _ when command.Target is not null => $"move of {command.AccountId} to policy {command.Target}",
                        _ => $"{command.FlowKind} of {command.Amount} for {command.AccountId}",
                    };
                    throw new StateMismatchException($"the journal applies book event {command.ScheduleIndex + 1} ({what}), which is not this engine's event of that place; start it with the same book events (e.g. the same run --events file) or use another state folder");
                }
                bookEventsApplied = Math.Max(bookEventsApplied, command.ScheduleIndex + 1);
            }
            var result = Apply(command);
            if (command.Kind == CommandKind.Approval && result.Applied && approvals.TryGetValue(book.FindAccount(command.AccountId ?? ""), out var approval))
            {
                // Answered (and audited) once the account has been decided again in this batch.
                approval.Reply = original;
                continue;
            }
            (result.Applied ? ref Counters.CommandsApplied : ref Counters.CommandsRefused)++;
            AuditCommand(command, result);
            original?.Complete(result);
        }
    }

    /// <summary>
    /// Turns an operator command into the record the journal keeps: everything needed to apply it, and nothing that
    /// is code. A policy edit runs its edit here, on the policies as earlier commands of the batch leave them.
    /// </summary>
    private JournaledCommand Resolve(ControlCommand command)
    {
        var resolved = new JournaledCommand { Who = command.Who, Why = command.Why, Name = command.GetType().Name };
        switch (command)
        {
            case ApplyCashFlow { Flow: var flow }:
                resolved.Kind = CommandKind.CashFlow;
                resolved.AccountId = flow.AccountId;
                resolved.FlowKind = flow.Kind;
                resolved.Amount = flow.Amount;
                resolved.KeepAsCash = flow.KeepAsCash;
                break;
            case EditPolicy edit:
                ResolvePolicyEdit(edit, resolved);
                break;
            case DecideApproval approval:
                resolved.Kind = CommandKind.Approval;
                resolved.AccountId = approval.AccountId;
                resolved.Approve = approval.Approve;
                break;
            case SweepAll:
                resolved.Kind = CommandKind.SweepAll;
                break;
            case ReconcileHoldings sync:
                ResolveSync(sync, resolved);
                break;
            case AcceptCustodianHoldings accept:
                ResolveAcceptance(accept, resolved);
                break;
            case MoveToPolicy move:
                ResolveMove(move, resolved);
                break;
            case CloseAccount close:
                resolved.Kind = CommandKind.CloseAccount;
                resolved.AccountId = close.AccountId;
                break;
            case SplitInstrument split:
                resolved.Kind = CommandKind.Split;
                resolved.Target = split.InstrumentId;
                resolved.Amount = split.Ratio;
                break;
            case ChangeSymbol change:
                resolved.Kind = CommandKind.SymbolChange;
                resolved.Target = change.InstrumentId;
                resolved.Symbol = change.Symbol;
                break;
            case OpenAccount open:
                ResolveOpen(open, resolved);
                break;
            case MoveToModel toModel:
                resolved.Kind = CommandKind.ModelMove;
                resolved.AccountId = toModel.AccountId;
                resolved.Target = toModel.ModelId;
                break;
            case ReleaseBreaker release:
                resolved.Kind = CommandKind.ReleaseBreaker;
                resolved.Breaker = release.Kind;
                resolved.Target = release.Target;
                break;
            default:
                resolved.Kind = CommandKind.Refused;
                resolved.Refusal = $"unknown command {command.GetType().Name}";
                break;
        }
        return resolved;
    }

    private CommandResult Apply(JournaledCommand command)
    {
        switch (command.Kind)
        {
            case CommandKind.Refused:
                return CommandResult.Refused(command.Refusal ?? "refused");
            case CommandKind.CashFlow:
            {
                var flow = new CashFlow(command.AccountId ?? "", command.FlowKind, command.Amount) { KeepAsCash = command.KeepAsCash };
                var a = book.FindAccount(flow.AccountId);
                if (a < 0)
                {
                    return CommandResult.Refused($"cash flow: unknown account '{flow.AccountId}'");
                }
                if (flow.Amount <= 0)
                {
                    return CommandResult.Refused($"cash flow for {flow.AccountId}: amount must be positive, got {flow.Amount}");
                }
                if (flow.KeepAsCash && !CashFlow.IsIncome(flow.Kind))
                {
                    return CommandResult.Refused($"cash flow for {flow.AccountId}: only a dividend or interest can be kept as cash, not a {flow.Kind}");
                }
                if (flow.SignedAmount > 0)
                {
                    // Money that arrived is cash at once; the flow stays pending only to be invested.
                    book.ApplyCashFlow(a, (double)flow.SignedAmount);
                    Moved(a, BookMovementKind.CashFlow, -1, 0, flow.SignedAmount);
                }
                MarkDirty(a);
                if (flow.KeepAsCash)
                {
                    return CommandResult.Ok($"{flow.Kind} of {flow.Amount:0.00} kept as cash in {flow.AccountId}");
                }
                SetPendingFlow(a, pendingFlow[a] + flow.SignedAmount);
                return CommandResult.Ok($"{flow.Kind} of {flow.Amount:0.00} queued for {flow.AccountId}");
            }
            case CommandKind.PolicyEdit:
                return ApplyPolicies(command);
            case CommandKind.Approval:
                return ApplyApproval(command);
            case CommandKind.SweepAll:
                sweepAllRequested = true;
                return CommandResult.Ok("every account is re-evaluated in this batch");
            case CommandKind.ReleaseBreaker:
                return ApplyBreakerRelease(command);
            case CommandKind.HoldingsSync:
                return ApplySync(command);
            case CommandKind.AcceptHoldings:
                return ApplyAcceptance(command);
            case CommandKind.PolicyMove:
                return ApplyMove(command);
            case CommandKind.CloseAccount:
                return ApplyClose(command);
            case CommandKind.Split:
                return ApplySplit(command);
            case CommandKind.SymbolChange:
                return ApplySymbolChange(command);
            case CommandKind.OpenAccount:
                return ApplyOpen(command);
            case CommandKind.ModelMove:
                return ApplyModelMove(command);
            default:
                return CommandResult.Refused($"unknown command kind {command.Kind}");
        }
    }

    private CommandResult ApplyBreakerRelease(JournaledCommand release)
    {
        var (index, what) = release.Breaker switch
        {
            BreakerKind.Account => (release.Target is { } id ? book.FindAccount(id) : -1, $"account {release.Target}"),
            BreakerKind.Model => (FindModel(release.Target), $"model {release.Target}"),
            _ => (0, "the market-wide breaker"),
        };
        if (index < 0)
        {
            return CommandResult.Refused($"breaker release: unknown {release.Breaker.ToString().ToLowerInvariant()} '{release.Target}'");
        }
        if (!gate.Release(release.Breaker, index, release.Who, release.Why))
        {
            return CommandResult.Refused($"{what} is not halted");
        }
        if (release.Breaker == BreakerKind.Account)
        {
            MarkDirty(index);
        }
        else
        {
            // A model or the whole market back in business: every account it held back is looked at again.
            sweepAllRequested = true;
        }
        return CommandResult.Ok($"{what} released by {release.Who}");
    }

    private int FindModel(string? modelId)
    {
        for (var m = 0; m < book.Models.Count; m++)
        {
            if (book.Models[m].Id == modelId)
            {
                return m;
            }
        }
        return -1;
    }

    /// <summary>Runs a policy edit on every account it names and checks the results; nothing is applied here.</summary>
    private void ResolvePolicyEdit(EditPolicy edit, JournaledCommand resolved)
    {
        resolved.Kind = CommandKind.Refused;
        var targets = new List<int>();
        if (edit.AccountId is { } accountId)
        {
            var a = book.FindAccount(accountId);
            if (a < 0)
            {
                resolved.Refusal = $"policy edit: unknown account '{accountId}'";
                return;
            }
            targets.Add(a);
        }
        else if (edit.ModelId is { } modelId)
        {
            var model = FindModel(modelId);
            if (model < 0)
            {
                resolved.Refusal = $"policy edit: unknown model '{modelId}'";
                return;
            }
            for (var a = 0; a < book.AccountCount; a++)
            {
                if (book.ModelIndex(a) == model && !book.IsFreeRow(a))
                {
                    targets.Add(a);
                }
            }
        }
        else
        {
            resolved.Refusal = "policy edit: name an account or a model";
            return;
        }

        // Every new policy is built and checked before any is applied, so a bad edit changes no account.
        var updated = new InvestmentPolicy[targets.Count];
        var taxUpdated = edit.EditTax is null || tax is null ? null : new FastRebal.Engine.Tax.AccountTaxSettings?[targets.Count];
        for (var i = 0; i < targets.Count; i++)
        {
            var current = policyOverlay.GetValueOrDefault(targets[i]) ?? book.Policy(targets[i]);
            InvestmentPolicy next;
            try
            {
                next = edit.Edit(current) with { Id = current.Id, Version = current.Version + 1 };
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                resolved.Refusal = $"policy edit for {book.AccountId(targets[i])}: {e.Message}";
                return;
            }
            var problems = PolicyValidation.Problems(next, book.Instruments);
            if (problems.Count > 0)
            {
                resolved.Refusal = $"policy edit for {book.AccountId(targets[i])}: {problems[0].Field} {problems[0].Problem}; no account changed";
                return;
            }
            updated[i] = next;
            if (taxUpdated is not null && ResolveTaxEdit(edit, targets[i], next) is var (settings, problem))
            {
                if (problem is not null)
                {
                    resolved.Refusal = $"policy edit for {book.AccountId(targets[i])}: {problem}; no account changed";
                    return;
                }
                taxUpdated[i] = settings;
            }
        }
        for (var i = 0; i < targets.Count; i++)
        {
            policyOverlay[targets[i]] = updated[i];
            if (taxUpdated?[i] is { } settings)
            {
                taxOverlay[targets[i]] = settings;
            }
        }
        resolved.Kind = CommandKind.PolicyEdit;
        resolved.Accounts = [.. targets];
        resolved.SetPolicies(updated);
        if (taxUpdated is not null)
        {
            resolved.SetTaxSettings(taxUpdated);
        }
    }

    /// <summary>
    /// An account's tax elections after an edit, checked (settings null: the account keeps no lots, so no elections),
    /// from its settings as earlier commands of the batch leave them.
    /// </summary>
    private (FastRebal.Engine.Tax.AccountTaxSettings? Settings, string? Problem) ResolveTaxEdit(EditPolicy edit, int a, InvestmentPolicy policy)
    {
        if (!tax!.Lots.IsTracked(a))
        {
            return (null, null);
        }
        FastRebal.Engine.Tax.AccountTaxSettings next;
        try
        {
            next = edit.EditTax!(taxOverlay.GetValueOrDefault(a) ?? tax.Settings(a));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return (null, e.Message);
        }
        string? problem = null;
        FastRebal.Engine.Tax.TaxScenario.CheckSettings(next, policy.TaxStatus, (field, message) => problem ??= $"{field} {message}", (instrument, id) => HasLot(a, instrument, id));
        return (next, problem);
    }

    private CommandResult ApplyPolicies(JournaledCommand edit)
    {
        var targets = edit.Accounts ?? [];
        var updated = edit.ResolvedPolicies();
        for (var i = 0; i < targets.Length; i++)
        {
            if (book.CheckPolicyUpdate(targets[i], updated[i]) is { } refused)
            {
                return CommandResult.Refused($"{refused}; no account changed");
            }
        }
        var taxSettings = tax is null ? null : edit.ResolvedTaxSettings();
        for (var i = 0; i < targets.Length; i++)
        {
            book.UpdatePolicy(targets[i], updated[i]);
            if (taxSettings?[i] is { } settings)
            {
                tax!.SetSettings(targets[i], settings);
                changedTaxSettings[targets[i]] = settings;
            }
            PolicyChanged(targets[i]);
        }
        var elections = taxSettings is null ? "" : $" (tax elections of {taxSettings.Count(t => t is not null)} taxable account(s) with it)";
        return CommandResult.Ok($"policy updated on {targets.Length} account(s){elections} by {edit.Who}: {edit.Why}");
    }

    /// <summary>An account has another policy: its class bands follow, a parked breach is looked at afresh, and it is decided again.</summary>
    private void PolicyChanged(int a)
    {
        classBands.Refresh(a);
        parkedExcess[a] = double.NaN;
        MarkDirty(a);
    }
}
