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
}

/// <summary>Cash entering or leaving an account. <see cref="Amount"/> is always positive; the kind gives the direction.</summary>
public sealed record CashFlow(string AccountId, CashFlowKind Kind, decimal Amount)
{
    public decimal SignedAmount => Kind is CashFlowKind.Withdrawal or CashFlowKind.Fee ? -Amount : Amount;
}
