namespace FastRebal.Engine.Model;

/// <summary>
/// Something that happens to an account's book on a given day, outside trading: for now a cash flow (a deposit, a
/// withdrawal, a dividend to invest, a fee). The live engine applies each when its market reaches the day, journaled
/// with the batch it lands in and audited, so a recovery applies it exactly once.
/// </summary>
/// <param name="Source">Where it came from, for the audit trail (e.g. "events.csv line 4").</param>
public sealed record BookEvent(DateOnly Date, CashFlow Flow, string Source);
