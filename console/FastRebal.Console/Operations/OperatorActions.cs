using System.Security.Claims;
using FastRebal.Console.Engine;
using FastRebal.Console.Live;
using FastRebal.Console.Security;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Runs;
using Microsoft.AspNetCore.Authorization;

namespace FastRebal.Console.Operations;

/// <summary>What became of an operator's action.</summary>
public readonly record struct ActionOutcome(bool Done, string Message, bool Forbidden = false)
{
    public static ActionOutcome Ok(string message) => new(true, message);

    public static ActionOutcome Refused(string message) => new(false, message);

    public static ActionOutcome Denied(string message) => new(false, message, Forbidden: true);
}

/// <summary>
/// Every state-changing action of the console, for the pages and the HTTP endpoints alike. Each one checks the
/// caller's role here, on the server, whatever the page showed; needs a reason; and records the signed-in user as
/// who acted: control commands and kill-switch changes are audited by the engine, user changes here.
/// </summary>
public sealed class OperatorActions(EngineSession session, IAuthorizationService authorization, LiveNotifier notifier, UserStore users, ILogger<OperatorActions> logger)
{
    public const int MaxReasonLength = 500;

    public Task<ActionOutcome> EngageKillSwitch(ClaimsPrincipal user, string? reason) => Act(user, Policies.Operate, reason, "engage the kill switch", (who, why, engine) =>
    {
        if (engine.KillSwitch.IsEngaged)
        {
            return Task.FromResult(ActionOutcome.Refused($"the kill switch is already engaged (by {engine.KillSwitch.State.Who}: {engine.KillSwitch.State.Why})"));
        }
        engine.KillSwitch.Engage(who, why, engine.Status().PricesPublished, DateTimeOffset.UtcNow);
        return Task.FromResult(ActionOutcome.Ok($"kill switch engaged by {who}: no order leaves and every scheduled child order is cancelled"));
    });

    public Task<ActionOutcome> ReleaseKillSwitch(ClaimsPrincipal user, string? reason) => Act(user, Policies.Operate, reason, "release the kill switch", (who, why, engine) =>
    {
        if (!engine.KillSwitch.IsEngaged)
        {
            return Task.FromResult(ActionOutcome.Refused("the kill switch is not engaged"));
        }
        engine.KillSwitch.Release(who, why, DateTimeOffset.UtcNow);
        return Task.FromResult(ActionOutcome.Ok($"kill switch released by {who}: trading may resume"));
    });

    public Task<ActionOutcome> ReleaseBreaker(ClaimsPrincipal user, BreakerKind kind, string? target, string? reason) =>
        Act(user, Policies.Operate, reason, "release a circuit breaker", (who, why, engine) => Send(engine, new ReleaseBreaker(who, why, kind, target)));

    public Task<ActionOutcome> DecideApproval(ClaimsPrincipal user, string accountId, bool approve, string? reason) =>
        Act(user, Policies.Operate, reason, approve ? "approve trades" : "reject trades", async (who, why, engine) =>
        {
            var outcome = await Send(engine, new DecideApproval(who, why, accountId, approve)).ConfigureAwait(false);
            // A refusal by the risk gate (prices moved past the collar since the plan was held) names the rule, not the account.
            return outcome.Message.Contains(accountId, StringComparison.Ordinal) ? outcome : outcome with { Message = $"{accountId}: {outcome.Message}" };
        });

    /// <summary>
    /// A holdings sync of one file of the custodian folder, named as the Reconciliation page lists it (a name, never a
    /// path: nothing outside the folder is read). A file that cannot be read is refused with the reason; bad rows are
    /// reported in the outcome, their accounts left unreconciled.
    /// </summary>
    public Task<ActionOutcome> RunHoldingsSync(ClaimsPrincipal user, string fileName, string? reason) =>
        Act(user, Policies.Operate, reason, "run a holdings sync", async (who, why, engine) =>
        {
            var folder = session.CustodianFolder;
            var path = Path.Combine(folder, Path.GetFileName(fileName));
            if (Path.GetFileName(fileName) != fileName || !File.Exists(path))
            {
                return ActionOutcome.Refused($"no file '{FastRebal.Engine.Scenarios.TextLimit.Clip(fileName, 120)}' in the custodian folder {folder}");
            }
            FastRebal.Engine.Reconciliation.CustodianHoldings holdings;
            try
            {
                holdings = FastRebal.Engine.Reconciliation.CustodianHoldings.Read(path);
            }
            catch (FastRebal.Engine.Scenarios.ScenarioFormatException e)
            {
                return ActionOutcome.Refused(e.Message);
            }
            var outcome = await Send(engine, new ReconcileHoldings(who, why, holdings)).ConfigureAwait(false);
            return holdings.Errors.Count == 0 ? outcome
                : outcome with { Message = $"{outcome.Message}. Rows not read: {string.Join("; ", holdings.Errors.Take(5).Select(e => e.ToString()))}{(holdings.Errors.Count > 5 ? $"; and {holdings.Errors.Count - 5} more" : "")}" };
        });

    /// <summary>
    /// Money into or out of one account (a deposit, withdrawal, dividend, interest or fee), as <c>run --events</c> applies
    /// one; <paramref name="keepAsCash"/>: income paid out as cash instead of reinvested.
    /// </summary>
    public Task<ActionOutcome> ApplyCashFlow(ClaimsPrincipal user, string accountId, FastRebal.Engine.Model.CashFlowKind kind, decimal amount, string? reason, bool keepAsCash = false) =>
        Act(user, Policies.Operate, reason, "apply a cash flow", (who, why, engine) =>
            amount <= 0 || amount > (decimal)FastRebal.Engine.Scenarios.ScenarioLoader.MaxAmount
                ? Task.FromResult(ActionOutcome.Refused($"a cash flow's amount must be positive (the kind gives the direction), got {amount}"))
                : Send(engine, new ApplyCashFlow(who, why, new FastRebal.Engine.Model.CashFlow(accountId, kind, amount) { KeepAsCash = keepAsCash })));

    /// <summary>Moves one account to another of the firm's named policies (its IPS and tax elections together).</summary>
    public Task<ActionOutcome> MoveToPolicy(ClaimsPrincipal user, string accountId, string policyId, string? reason) =>
        Act(user, Policies.Administer, reason, "move an account to another IPS", (who, why, engine) =>
            session.Policies.FirstOrDefault(p => p.Policy.Id == policyId) is { } named
                ? Send(engine, new MoveToPolicy(who, why, accountId, named))
                : Task.FromResult(ActionOutcome.Refused($"the firm has no named policy '{FastRebal.Engine.Scenarios.TextLimit.Clip(policyId, 80)}'{(session.Policies.Count == 0 ? " (a generated firm has none; Console:Firm names a firm folder whose firm.json lists them)" : "")}")));

    /// <summary>Moves one account to another model, keeping its IPS, holdings, lots and cash.</summary>
    public Task<ActionOutcome> MoveToModel(ClaimsPrincipal user, string accountId, string? modelId, string? reason) =>
        Act(user, Policies.Administer, reason, "move an account to another model", (who, why, engine) =>
            Send(engine, new FastRebal.Engine.Pipeline.MoveToModel(who, why, accountId, modelId ?? "")));

    /// <summary>
    /// Opens a client account in one of the rows kept free (Console:OpenCapacity): on a model, under one of the firm's
    /// named policies, with the cash it brings invested at its first decision.
    /// </summary>
    public Task<ActionOutcome> OpenAccount(ClaimsPrincipal user, string? accountId, string? householdId, string? modelId, string? policyId, decimal cash, string? reason) =>
        Act(user, Policies.Administer, reason, "open an account", (who, why, engine) =>
            string.IsNullOrWhiteSpace(accountId) ? Task.FromResult(ActionOutcome.Refused("an account to open needs an id"))
            : session.Policies.FirstOrDefault(p => p.Policy.Id == policyId) is { } named
                ? Send(engine, new FastRebal.Engine.Pipeline.OpenAccount(who, why, accountId.Trim(), string.IsNullOrWhiteSpace(householdId) ? accountId.Trim() : householdId.Trim(), modelId ?? "", named, cash))
                : Task.FromResult(ActionOutcome.Refused($"the firm has no named policy '{FastRebal.Engine.Scenarios.TextLimit.Clip(policyId, 80)}'{(session.Policies.Count == 0 ? " (a generated firm has none; Console:Firm names a firm folder whose firm.json lists them)" : "")}")));

    /// <summary>Closes a client account: its holdings and cash leave the book in kind, and it is never decided again.</summary>
    public Task<ActionOutcome> CloseAccount(ClaimsPrincipal user, string accountId, string? reason) =>
        Act(user, Policies.Administer, reason, "close an account", (who, why, engine) => Send(engine, new FastRebal.Engine.Pipeline.CloseAccount(who, why, accountId)));

    /// <summary>
    /// Splits an instrument for every account (<paramref name="ratio"/> as new shares per old share: <c>2</c>, <c>3:2</c>,
    /// <c>1:10</c>), effective in the engine's next batch; with trades in flight in the instrument it waits for them.
    /// </summary>
    public Task<ActionOutcome> SplitInstrument(ClaimsPrincipal user, string instrumentId, string? ratio, string? reason) =>
        Act(user, Policies.Administer, reason, "split an instrument", (who, why, engine) =>
            FastRebal.Engine.Model.CorporateAction.ParseRatio(ratio, out var parsed) is { } problem
                ? Task.FromResult(ActionOutcome.Refused($"split of {FastRebal.Engine.Scenarios.TextLimit.Clip(instrumentId, 80)}: the ratio {problem}"))
                : Send(engine, new FastRebal.Engine.Pipeline.SplitInstrument(who, why, instrumentId, parsed)));

    /// <summary>Gives an instrument a new ticker; its id, holdings, lots and targets stay.</summary>
    public Task<ActionOutcome> ChangeSymbol(ClaimsPrincipal user, string instrumentId, string? symbol, string? reason) =>
        Act(user, Policies.Administer, reason, "change an instrument's symbol", (who, why, engine) =>
            Send(engine, new FastRebal.Engine.Pipeline.ChangeSymbol(who, why, instrumentId, symbol?.Trim() ?? "")));

    /// <summary>Takes the custodian's figures of the latest holdings sync for one account (all its breaks, or nothing).</summary>
    public Task<ActionOutcome> AcceptCustodianHoldings(ClaimsPrincipal user, string accountId, string? reason) =>
        Act(user, Policies.Operate, reason, "accept the custodian's figures", (who, why, engine) => Send(engine, new AcceptCustodianHoldings(who, why, accountId)));

    /// <summary>How many accounts a policy change would touch (0 when the target is unknown).</summary>
    public int AccountsAffected(PolicyScope scope, string target) => AccountsOf(scope, target).Count;

    /// <summary>The ids of the accounts a policy change would touch (none when the target is unknown).</summary>
    private List<string> AccountsOf(PolicyScope scope, string target)
    {
        if (session.Engine is not { } engine)
        {
            return [];
        }
        var book = engine.Book;
        if (scope == PolicyScope.Account)
        {
            return book.FindAccount(target) >= 0 ? [target] : [];
        }
        var model = -1;
        for (var m = 0; m < book.Models.Count; m++)
        {
            model = book.Models[m].Id == target ? m : model;
        }
        var accounts = new List<string>();
        for (var a = 0; model >= 0 && a < book.AccountCount; a++)
        {
            if (book.ModelIndex(a) == model && !book.IsFreeRow(a))
            {
                accounts.Add(book.AccountId(a));
            }
        }
        return accounts;
    }

    /// <summary>Previews kept in the data directory: the newest, for whoever checks a figure with the command line.</summary>
    private const int PreviewsKept = 5;

    /// <summary>
    /// The dry run of a policy change: the engine's decision core over the accounts it would touch, as they stand and
    /// as edited (<see cref="PolicyPreview"/>). Changes nothing; an admin's action, as the change itself is.
    /// </summary>
    public async Task<(PolicyPreview? Preview, ActionOutcome Outcome)> PreviewPolicy(ClaimsPrincipal user, PolicyForm form, CancellationToken cancel = default)
    {
        if (!(await authorization.AuthorizeAsync(user, Policies.Administer).ConfigureAwait(false)).Succeeded)
        {
            return (null, ActionOutcome.Denied($"{user.Identity?.Name ?? "an anonymous user"} may not preview a policy change: it needs the {RoleOf(Policies.Administer)} role"));
        }
        if (session.Engine is not { } engine)
        {
            return (null, ActionOutcome.Refused($"the engine is not running yet ({session.Progress})"));
        }
        var problems = form.Validate(engine.Book.Instruments);
        if (problems.Count > 0)
        {
            return (null, ActionOutcome.Refused(string.Join(" ", problems.Select(p => p.Message))));
        }
        var accounts = AccountsOf(form.Scope, form.Target);
        if (accounts.Count == 0)
        {
            return (null, ActionOutcome.Refused($"no account to preview for {form.Scope.ToString().ToLowerInvariant()} '{FastRebal.Engine.Scenarios.TextLimit.Clip(form.Target, 80)}'"));
        }
        var change = form.Copy();
        var folder = Path.Combine(session.PreviewFolder, DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var preview = await PolicyPreview.RunAsync(engine, accounts, change.ApplyTo, folder, change.ChangesTax ? change.ApplyTax : null, cancel).WaitAsync(TimeSpan.FromMinutes(2), cancel).ConfigureAwait(false);
            foreach (var old in Directory.GetDirectories(session.PreviewFolder).Order(StringComparer.Ordinal).SkipLast(PreviewsKept))
            {
                Directory.Delete(old, recursive: true);
            }
            return (preview, ActionOutcome.Ok($"dry run of {accounts.Count:N0} account(s) written to {folder}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException or FastRebal.Engine.Scenarios.ScenarioFormatException or ArgumentException)
        {
            logger.LogWarning(e, "Policy preview failed");
            return (null, ActionOutcome.Refused($"the dry run failed: {e.Message}"));
        }
    }

    public Task<ActionOutcome> ChangePolicy(ClaimsPrincipal user, PolicyForm form, string? reason) => Act(user, Policies.Administer, reason, "change a policy", (who, why, engine) =>
    {
        var problems = form.Validate(engine.Book.Instruments);
        if (problems.Count > 0)
        {
            return Task.FromResult(ActionOutcome.Refused(string.Join(" ", problems.Select(p => p.Message))));
        }
        var change = form.Copy();
        var edit = new EditPolicy(who, $"{why} ({change.Describe()})", change.Scope == PolicyScope.Account ? change.Target : null, change.Scope == PolicyScope.Model ? change.Target : null, change.ApplyTo)
        {
            EditTax = change.ChangesTax ? change.ApplyTax : null,
        };
        return Send(engine, edit);
    });

    public Task<ActionOutcome> AddUser(ClaimsPrincipal user, string name, string role, string password, string? reason) =>
        ManageUsers(user, reason, "UserAdded", name, $"user {name} added with role {role}", () => users.Add(name, role, password));

    public Task<ActionOutcome> SetRole(ClaimsPrincipal user, string name, string role, string? reason) =>
        ManageUsers(user, reason, "UserRoleChanged", name, $"user {name} now has role {role}", () => users.SetRole(name, role, user.Identity?.Name ?? ""));

    public Task<ActionOutcome> SetPassword(ClaimsPrincipal user, string name, string password, string? reason) =>
        ManageUsers(user, reason, "UserPasswordReset", name, $"password of user {name} reset", () => users.SetPassword(name, password));

    public Task<ActionOutcome> RemoveUser(ClaimsPrincipal user, string name, string? reason) =>
        ManageUsers(user, reason, "UserRemoved", name, $"user {name} removed", () => users.Remove(name, user.Identity?.Name ?? ""));

    private Task<ActionOutcome> ManageUsers(ClaimsPrincipal user, string? reason, string action, string name, string done, Func<string?> change) =>
        Act(user, Policies.Administer, reason, "manage users", (who, why, _) =>
        {
            if (change() is { } problem)
            {
                return Task.FromResult(ActionOutcome.Refused(problem));
            }
            session.Chain?.Append(AuditEntries.OperatorAction(action, who, why, done, [new("user", name)]));
            return Task.FromResult(ActionOutcome.Ok(done));
        }, needsEngine: false);

    private static async Task<ActionOutcome> Send(EngineHost engine, ControlCommand command)
    {
        var result = await engine.Control.Send(command).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return result.Applied ? ActionOutcome.Ok(result.Detail) : ActionOutcome.Refused(result.Detail);
    }

    private async Task<ActionOutcome> Act(ClaimsPrincipal user, string policy, string? reason, string what, Func<string, string, EngineHost, Task<ActionOutcome>> action, bool needsEngine = true)
    {
        var who = user.Identity?.Name;
        if (user.Identity?.IsAuthenticated != true || string.IsNullOrEmpty(who) || !(await authorization.AuthorizeAsync(user, policy).ConfigureAwait(false)).Succeeded)
        {
            logger.LogWarning("Refused: {User} may not {What}", who ?? "anonymous", what);
            return ActionOutcome.Denied($"{who ?? "an anonymous user"} may not {what}: it needs the {RoleOf(policy)} role");
        }
        if (string.IsNullOrWhiteSpace(reason))
        {
            return ActionOutcome.Refused($"to {what}, give a reason: it goes into the audit trail");
        }
        if (reason.Length > MaxReasonLength)
        {
            return ActionOutcome.Refused($"the reason is {reason.Length} characters; keep it to {MaxReasonLength}");
        }
        if (needsEngine && session.Engine is null)
        {
            return ActionOutcome.Refused($"the engine is not running yet ({session.Progress})");
        }
        try
        {
            var outcome = await action(who, reason.Trim(), session.Engine!).ConfigureAwait(false);
            logger.LogInformation("{User} asked to {What}: {Outcome}", who, what, outcome.Message);
            return outcome;
        }
        catch (TimeoutException)
        {
            return ActionOutcome.Refused("the engine did not answer within 30 seconds; the command is still queued and will be audited when applied");
        }
        finally
        {
            notifier.RefreshSoon();
        }
    }

    private static string RoleOf(string policy) => policy switch
    {
        Policies.Operate => Roles.Operator,
        Policies.Administer => Roles.Admin,
        _ => Roles.Viewer,
    };
}
