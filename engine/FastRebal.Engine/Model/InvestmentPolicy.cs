namespace FastRebal.Engine.Model;

/// <summary>How the tolerance band around a target weight is measured.</summary>
public enum BandType
{
    /// <summary>Target ± width in weight points (a 5% band on a 60% target allows 55%..65%).</summary>
    Absolute,

    /// <summary>Target ± width × target (a 25% band on a 60% target allows 45%..75%).</summary>
    Relative,
}

/// <summary>Calendar rebalancing frequency from the IPS.</summary>
public enum CalendarSchedule
{
    None,
    Monthly,
    Quarterly,
    SemiAnnual,
    Annual,
}

/// <summary>What makes an account rebalance.</summary>
public enum RebalanceTrigger
{
    /// <summary>Only a band breach.</summary>
    Threshold,

    /// <summary>Only the calendar.</summary>
    Calendar,

    /// <summary>A band breach first; the calendar is the backstop.</summary>
    Hybrid,
}

/// <summary>Where a rebalance takes the account.</summary>
public enum RebalanceMode
{
    /// <summary>Every position back to its target weight.</summary>
    ToTarget,

    /// <summary>Only positions outside the band move, and only back inside its edge (fewer, smaller trades).</summary>
    ToBandEdge,

    /// <summary>Only positions outside the band move, halfway from the edge they broke to their target.</summary>
    Halfway,
}

public enum TaxStatus
{
    Taxable,
    TaxDeferred,
}

/// <summary>
/// The investment policy statement (IPS) the client signed, as the engine applies it. Every decision cites its
/// <see cref="Id"/> and <see cref="Version"/>, so an auditor can tie a trade to the policy in force.
/// </summary>
public sealed record InvestmentPolicy
{
    public string Id { get; init; } = "";

    public int Version { get; init; } = 1;

    public RebalanceTrigger Trigger { get; init; } = RebalanceTrigger.Hybrid;

    public BandType BandType { get; init; } = BandType.Absolute;

    /// <summary>Band width as a fraction: 0.05 is 5 weight points (absolute) or 5% of the target (relative).</summary>
    public double BandWidth { get; init; } = 0.05;

    /// <summary>Optional absolute bands on whole asset classes (class weight minus class target).</summary>
    public IReadOnlyDictionary<string, double>? AssetClassBands { get; init; }

    public CalendarSchedule Calendar { get; init; } = CalendarSchedule.Quarterly;

    /// <summary>A rebalance (other than investing or raising cash flows) waits at least this long after the last one.</summary>
    public int MinDaysBetweenRebalances { get; init; }

    /// <summary>Cash kept aside as a fixed amount.</summary>
    public decimal CashReserveAmount { get; init; }

    /// <summary>Cash kept aside as a fraction of account value (0.02 = 2%); added to the fixed amount.</summary>
    public double CashReservePercent { get; init; }

    /// <summary>Trades worth less than this are suppressed (with a warning).</summary>
    public decimal MinTradeValue { get; init; }

    /// <summary>Whether the client allows fractional shares (the instrument must allow them too).</summary>
    public bool FractionalShares { get; init; }

    /// <summary>Client restrictions: never bought for this account, and held quantities are sold down.</summary>
    public IReadOnlyList<string>? RestrictedInstruments { get; init; }

    public TaxStatus TaxStatus { get; init; } = TaxStatus.Taxable;

    public RebalanceMode Mode { get; init; } = RebalanceMode.ToTarget;
}
