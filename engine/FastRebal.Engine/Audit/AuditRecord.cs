namespace FastRebal.Engine.Audit;

/// <summary>What an audit record is about. The name (not the number) is what the canonical encoding holds.</summary>
public enum AuditKind
{
    /// <summary>An account's decision: rebalance or not, and why.</summary>
    Decision,

    /// <summary>A released trade and the rule that drove it.</summary>
    Trade,

    /// <summary>An order or plan the risk gate refused.</summary>
    RiskRejection,

    /// <summary>Something an operator did (kill switch, threshold change, ...): who, when, why.</summary>
    OperatorAction,

    /// <summary>An approval item submitted, approved or rejected.</summary>
    Approval,

    /// <summary>A tax-loss harvest, a skipped harvest or a swap back.</summary>
    Harvest,

    /// <summary>Retention: the records before this point were exported to an archive and pruned from the live file.</summary>
    Checkpoint,

    /// <summary>A live fill's tax effect: the lots a sale relieved (gain and term of each), the lot a buy opened, and any wash sale it caused.</summary>
    Fill,
}

/// <summary>One named figure of a record (a drift, a band, a quantity), already formatted with the invariant culture.</summary>
public sealed record AuditFigure(string Name, string Value);

/// <summary>
/// What a caller hands the chain: everything about the event. The chain adds the sequence, the time and the hashes.
/// </summary>
/// <param name="Kind">What the record is about.</param>
/// <param name="AccountId">The account, or "" for a firm-wide event.</param>
/// <param name="HouseholdId">The account's household, or "".</param>
/// <param name="PolicyId">The client's investment policy id, or "".</param>
/// <param name="PolicyVersion">Its version (0 when there is no policy).</param>
/// <param name="Rule">The rule that drove it (BandBreach, CalendarDue, CashFlow, LargeHarvest, KillSwitch ...).</param>
/// <param name="Explanation">
/// The plain-language sentence a reviewer reads. For an entry with a <see cref="ReasonCode"/> it is not kept: it is put
/// into words from the code and the figures each time it is read.
/// </param>
/// <param name="Figures">The numbers behind it, in a fixed order.</param>
/// <param name="Actor">Who acted (an operator, or "engine").</param>
/// <param name="ActorReason">Why they acted, for operator actions and approvals; "" otherwise.</param>
/// <param name="InputHash">Lower-case hex SHA-256 of the inputs the decision used, or "".</param>
public sealed record AuditEntry(
    AuditKind Kind,
    string AccountId,
    string HouseholdId,
    string PolicyId,
    int PolicyVersion,
    string Rule,
    string Explanation,
    IReadOnlyList<AuditFigure> Figures,
    string Actor,
    string ActorReason,
    string InputHash)
{
    private readonly string? explanation = Explanation;

    /// <summary>
    /// The shape of the reason when the record keeps it as a code and its parts in <see cref="Figures"/> (a decision's
    /// or a trade's: see <see cref="AuditReasons"/>); null for a record that keeps its sentence.
    /// </summary>
    public string? ReasonCode { get; init; }

    public string Explanation
    {
        get => ReasonCode is null ? explanation ?? "" : AuditReasons.Words(this);
        init => explanation = value;
    }

    public string? Figure(string name) => Figures.FirstOrDefault(f => f.Name == name)?.Value;
}

/// <summary>
/// One link of the chain: the entry, its place (sequence, UTC time) and the hashes that bind it to everything before.
/// <see cref="Hash"/> = SHA-256(previous hash bytes ‖ <see cref="AuditEncoding.Canonical"/>(record)).
/// </summary>
public sealed record AuditRecord(long Sequence, DateTimeOffset Timestamp, AuditEntry Entry, string PreviousHash, string Hash)
{
    /// <summary>The previous hash of the first record of a chain: 32 zero bytes.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>The UTC day the record belongs to (for the daily Merkle root and the report).</summary>
    public DateOnly Day => DateOnly.FromDateTime(Timestamp.UtcDateTime);
}
