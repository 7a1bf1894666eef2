namespace FastRebal.Engine.Model;

/// <summary>A holding: quantity of one instrument (tax lots come with the tax capability).</summary>
public sealed record Position(string InstrumentId, decimal Quantity);

/// <summary>A client account as an input file or a host describes it.</summary>
public sealed record Account(
    string Id,
    string HouseholdId,
    string ModelId,
    decimal Cash,
    IReadOnlyList<Position> Positions,
    InvestmentPolicy Policy,
    DateOnly? LastRebalanced = null);

/// <summary>A price for one instrument, with the time it was observed.</summary>
public sealed record Price(string InstrumentId, double Value, DateTimeOffset? Timestamp = null);

public enum CashFlowKind
{
    Deposit,
    Dividend,
    Withdrawal,

    /// <summary>An advisory or custody fee taken from the account: money out, as a withdrawal.</summary>
    Fee,

    /// <summary>Interest paid into the account: money in, as a dividend.</summary>
    Interest,
}

/// <summary>Cash entering or leaving an account. <see cref="Amount"/> is always positive; the kind gives the direction.</summary>
public sealed record CashFlow(string AccountId, CashFlowKind Kind, decimal Amount)
{
    public decimal SignedAmount => Kind is CashFlowKind.Withdrawal or CashFlowKind.Fee ? -Amount : Amount;

    /// <summary>
    /// Income (a dividend or interest) paid out as cash rather than reinvested: the live engine adds it to the account's
    /// cash and does not queue it to be invested. A book event's choice; a scenario file has no such field (its cash
    /// flows are money on its way to be invested or raised).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool KeepAsCash { get; init; }

    /// <summary>Whether the kind is income, the only money that may be kept as cash instead of reinvested.</summary>
    public static bool IsIncome(CashFlowKind kind) => kind is CashFlowKind.Dividend or CashFlowKind.Interest;
}
