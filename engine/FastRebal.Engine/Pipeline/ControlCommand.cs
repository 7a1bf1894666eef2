using FastRebal.Engine.Model;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// An instruction from outside the hot path (the console, a host, a test): applied by the evaluation stage between
/// batches, so it never races a sweep. Every command names who sent it and why, for the audit trail.
/// </summary>
public abstract record ControlCommand(string Who, string Why)
{
    private readonly TaskCompletionSource<CommandResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the engine has applied (or refused) the command.</summary>
    public Task<CommandResult> Completion => completion.Task;

    internal void Complete(CommandResult result) => completion.TrySetResult(result);
}

/// <summary>What became of a command: applied, or refused with the reason.</summary>
public readonly record struct CommandResult(bool Applied, string Detail)
{
    public static CommandResult Ok(string detail) => new(true, detail);

    public static CommandResult Refused(string detail) => new(false, detail);
}

/// <summary>Replaces the investment policy of one account, or of every account on a model.</summary>
public sealed record EditPolicy(string Who, string Why, string? AccountId, string? ModelId, Func<InvestmentPolicy, InvestmentPolicy> Edit) : ControlCommand(Who, Why)
{
    /// <summary>
    /// Changes each taxable account's tax elections too (lot method, gains budget, harvesting...), from its own; none
    /// when null. An account that keeps no lots (tax-deferred) has no elections and keeps none.
    /// </summary>
    public Func<Tax.AccountTaxSettings, Tax.AccountTaxSettings>? EditTax { get; init; }
}

/// <summary>
/// Moves an account to another named IPS (its investment policy and its tax elections together), keeping its model.
/// Refused for an unknown account, a change of tax status (taxable and tax-deferred keep lots differently: reload
/// the account), what a policy edit would refuse (e.g. other restricted instruments), trades in flight, or trades waiting for approval.
/// </summary>
public sealed record MoveToPolicy(string Who, string Why, string AccountId, Scenarios.NamedPolicy Policy) : ControlCommand(Who, Why);

/// <summary>
/// Moves an account to another model, keeping its IPS, holdings, lots and cash: it takes the model's targets in its own
/// row when it has a place for each of the model's instruments, otherwise it moves to one of the book's free rows.
/// With trades in flight it waits for them and trades nothing new meanwhile; refused with trades waiting for approval,
/// or when halted by its breaker.
/// </summary>
public sealed record MoveToModel(string Who, string Why, string AccountId, string ModelId) : ControlCommand(Who, Why);

/// <summary>
/// Opens a client account in one of the book's free rows (<see cref="State.AccountBook.FreeRows"/>): on
/// <paramref name="ModelId"/> under the named IPS <paramref name="Policy"/> (its policy and tax elections), in household
/// <paramref name="HouseholdId"/>, with <paramref name="Cash"/> deposited (invested at its first decision; 0 for none).
/// Refused for an id the book holds, an unknown model, a policy or elections that fail validation, or no free row.
/// </summary>
public sealed record OpenAccount(string Who, string Why, string AccountId, string HouseholdId, string ModelId, Scenarios.NamedPolicy Policy, decimal Cash = 0) : ControlCommand(Who, Why);

/// <summary>
/// Closes a client account: its holdings and cash are transferred out of the book in kind (no trade; the lots leave
/// with the shares), and it is never decided again. One with trades in flight closes once they are done.
/// </summary>
public sealed record CloseAccount(string Who, string Why, string AccountId) : ControlCommand(Who, Why);

/// <summary>
/// A split of an instrument, effective now for every account: <paramref name="Ratio"/> new shares for each old one (2
/// for 2-for-1, 1.5 for 3-for-2, 0.1 for a 1-for-10 reverse split). Quantities and lots are multiplied by it (each
/// lot keeps its cost basis), the book's price is divided by it, and a fraction of a share that cannot be held is
/// paid out as cash in lieu. It waits while an account that holds or targets the instrument has trades in flight
/// (their fills would come at the old price), and those accounts trade nothing new meanwhile.
/// </summary>
public sealed record SplitInstrument(string Who, string Why, string InstrumentId, decimal Ratio) : ControlCommand(Who, Why);

/// <summary>Gives an instrument a new ticker (a symbol change). Its id, positions, lots and targets are unchanged.</summary>
public sealed record ChangeSymbol(string Who, string Why, string InstrumentId, string Symbol) : ControlCommand(Who, Why);

/// <summary>Money into or out of an account; invested or raised at its next evaluation.</summary>
public sealed record ApplyCashFlow(string Who, string Why, CashFlow Flow) : ControlCommand(Who, Why);

/// <summary>Releases the trades an account holds for approval (illiquid holdings out of band), or rejects them.</summary>
public sealed record DecideApproval(string Who, string Why, string AccountId, bool Approve) : ControlCommand(Who, Why);

/// <summary>
/// A holdings sync: compares a custodian's end-of-day holdings with the book and keeps every break
/// (<see cref="EvaluationStage.Reconciliation"/>). With <paramref name="AcceptAll"/> the sender also takes the
/// custodian's figures for every account whose breaks can all be accepted.
/// </summary>
public sealed record ReconcileHoldings(string Who, string Why, Reconciliation.CustodianHoldings Holdings, bool AcceptAll = false) : ControlCommand(Who, Why);

/// <summary>
/// Takes the custodian's figures from the latest holdings sync for one account: its positions and cash become what
/// the custodian holds. Refused while the account has trades in flight, or when any of its breaks cannot be accepted.
/// </summary>
public sealed record AcceptCustodianHoldings(string Who, string Why, string AccountId) : ControlCommand(Who, Why);

/// <summary>Re-evaluates every account now, not only those a price touched.</summary>
public sealed record SweepAll(string Who, string Why) : ControlCommand(Who, Why);

/// <summary>Which circuit breaker an operator releases.</summary>
public enum BreakerKind
{
    Account,
    Model,
    MarketWide,
}

/// <summary>
/// Releases a tripped circuit breaker: one account's (<see cref="Target"/> = account id), one model's (model id) or
/// the market-wide one (no target). Goes through the control plane so the release is audited and never races a sweep.
/// </summary>
public sealed record ReleaseBreaker(string Who, string Why, BreakerKind Kind, string? Target = null) : ControlCommand(Who, Why);
