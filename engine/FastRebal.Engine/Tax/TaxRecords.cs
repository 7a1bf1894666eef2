using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Tax;

/// <summary>A trade with its tax effect: the lots a sell relieved (gains by term), the lot a buy opened, and any wash sale it caused.</summary>
public sealed record TaxedTrade(Trade Trade, TradeSource Source, IReadOnlyList<LotRelief> Lots, string? OpenedLotId, IReadOnlyList<WashSale> WashSales)
{
    public decimal ShortTermGain => Lots.Where(l => l.Term == HoldingTerm.ShortTerm).Sum(l => l.Gain);

    public decimal LongTermGain => Lots.Where(l => l.Term == HoldingTerm.LongTerm).Sum(l => l.Gain);
}

public enum HarvestStatus
{
    /// <summary>Sold and replaced by the substitute in this run.</summary>
    Harvested,

    /// <summary>Larger than the account's limit: waits for an operator.</summary>
    PendingApproval,

    /// <summary>Rejected by an operator.</summary>
    Rejected,

    /// <summary>A loss worth harvesting that was not harvested; the reason says why (wash sale, no substitute, illiquid...).</summary>
    Skipped,

    /// <summary>A substitute swapped back to the model instrument after the wash-sale window.</summary>
    SwappedBack,
}

/// <summary>
/// One harvest (or swap back, or a loss that could not be harvested), as the audit chain will link it: account,
/// policy id and version, the lots, the loss by term, the substitute, the estimated tax saved and why.
/// </summary>
public sealed record HarvestRecord(
    DateOnly Date,
    string AccountId,
    string HouseholdId,
    string PolicyId,
    int PolicyVersion,
    HarvestStatus Status,
    string InstrumentId,
    IReadOnlyList<string> LotIds,
    decimal Quantity,
    decimal ShortTermLoss,
    decimal LongTermLoss,
    string? SubstituteId,
    decimal SubstituteQuantity,
    decimal EstimatedTaxSaved,
    string Reason,
    string? ApprovalId = null)
{
    public decimal Loss => ShortTermLoss + LongTermLoss;
}

/// <summary>What one run realized and saved for an account; the KPIs and the audit trail read these.</summary>
public sealed record AccountTaxSummary(
    string AccountId,
    decimal RealizedShortTerm,
    decimal RealizedLongTerm,
    decimal HarvestedLosses,
    decimal DisallowedLosses,
    decimal EstimatedTaxSaved);
