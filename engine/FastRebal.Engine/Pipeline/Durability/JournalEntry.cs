using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Risk;
using MemoryPack;

namespace FastRebal.Engine.Pipeline;

/// <summary>What one journal entry records.</summary>
public enum JournalEntryKind : byte
{
    /// <summary>Raw quotes, as builds before <see cref="Verified"/> journaled them; no longer written or read.</summary>
    Ticks,

    /// <summary>The ingestion thread's periodic staleness check, at the feed's clock.</summary>
    StalenessCheck,

    /// <summary>One evaluation batch: its clock, the feed position it reached, and the fills and commands it applied.</summary>
    Batch,

    /// <summary>The kill switch engaged or released.</summary>
    KillSwitch,

    /// <summary>The verifier's whole state at this point of the tick stream (written for a checkpoint to start from).</summary>
    VerifierState,

    /// <summary>
    /// One part of an entry too large for a page of the log (a batch that applies the fills of a whole opening, say):
    /// the reader joins the parts of a group and yields the entry where its last part lies.
    /// </summary>
    Part,

    /// <summary>
    /// One read of the feed, verified: how many quotes it held, the verifier's state for each instrument they touched
    /// and the verified price changes, journaled before any of them reaches the book. Recovery puts the verifier back
    /// from these rows instead of verifying every quote again.
    /// </summary>
    Verified,

    /// <summary>The folder's first start: committed before the folder names its book, so a journal that has lost every commit record is told from a new one.</summary>
    Opened,
}

/// <summary>
/// One entry of the input journal. Member order is the schema (MemoryPack, version-tolerant): add members at the end
/// with the next order number, never reorder or reuse one.
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class JournalEntry : IJournalEntry<JournalEntry>
{
    [MemoryPackOrder(0)]
    public JournalEntryKind Kind { get; set; }

    /// <summary>Ticks: feed position of the first tick (positions count ticks read since the feed began, from 1).</summary>
    [MemoryPackOrder(1)]
    public long FirstPosition { get; set; }

    [MemoryPackOrder(2)]
    public SourceTick[]? Ticks { get; set; }

    /// <summary>StalenessCheck: the feed clock the check ran at.</summary>
    [MemoryPackOrder(3)]
    public long Now { get; set; }

    /// <summary>Batch: the engine input sequence (part of every order id).</summary>
    [MemoryPackOrder(4)]
    public long Sequence { get; set; }

    /// <summary>Batch: market time of the batch.</summary>
    [MemoryPackOrder(5)]
    public long MarketTime { get; set; }

    /// <summary>Batch: the last feed position whose verified price the batch applied.</summary>
    [MemoryPackOrder(6)]
    public long FeedPosition { get; set; }

    [MemoryPackOrder(7)]
    public AccountFill[]? Fills { get; set; }

    [MemoryPackOrder(8)]
    public JournaledCommand[]? Commands { get; set; }

    [MemoryPackOrder(9)]
    public KillSwitchRecord? KillSwitch { get; set; }

    [MemoryPackOrder(10)]
    public VerifierImage? Verifier { get; set; }

    /// <summary>
    /// Batch: how many accounts of a rolling pass the batch swept at most (0 = the whole rest of the pass). Chosen by
    /// whether more input was waiting, which is timing, so it is recorded for replay to do the same.
    /// </summary>
    [MemoryPackOrder(11)]
    public int SweepLimit { get; set; }

    /// <summary>Part: which split entry the part belongs to (random, so groups of different runs never mix).</summary>
    [MemoryPackOrder(12)]
    public long PartGroup { get; set; }

    [MemoryPackOrder(13)]
    public int PartIndex { get; set; }

    [MemoryPackOrder(14)]
    public int PartCount { get; set; }

    /// <summary>Part: its share of the serialized entry.</summary>
    [MemoryPackOrder(15)]
    public byte[]? Payload { get; set; }

    [MemoryPackIgnore]
    public bool IsPart => Kind == JournalEntryKind.Part;

    public static JournalEntry Part(long group, int index, int count, byte[] payload) =>
        new() { Kind = JournalEntryKind.Part, PartGroup = group, PartIndex = index, PartCount = count, Payload = payload };

    /// <summary>Verified: how many quotes the read held (from <see cref="FirstPosition"/> on).</summary>
    [MemoryPackOrder(16)]
    public int TickCount { get; set; }

    /// <summary>Verified: the trading day (UTC day number) of the read's last quote.</summary>
    [MemoryPackOrder(17)]
    public long LastDay { get; set; }

    /// <summary>Verified: the verifier's state for each instrument the read touched.</summary>
    [MemoryPackOrder(18)]
    public VerifierDelta? Delta { get; set; }

    /// <summary>Verified: the price changes the read verified, in feed order.</summary>
    [MemoryPackOrder(19)]
    public PriceEvent[]? Prices { get; set; }

    /// <summary>Batch: the execution reports from a firm's venue it passed to the order stage, in the order they came.</summary>
    [MemoryPackOrder(20)]
    public Orders.Execution.ExecutionReport[]? Reports { get; set; }
}

/// <summary>
/// An operator command as the engine resolved it, ready to apply again on replay. A policy edit is journaled as the
/// policies it produced (the edit itself is code), so replaying it needs nothing but this record.
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class JournaledCommand
{
    [MemoryPackOrder(0)]
    public CommandKind Kind { get; set; }

    [MemoryPackOrder(1)]
    public string Who { get; set; } = "";

    [MemoryPackOrder(2)]
    public string Why { get; set; } = "";

    /// <summary>The command's type name, for the audit trail.</summary>
    [MemoryPackOrder(3)]
    public string Name { get; set; } = "";

    [MemoryPackOrder(4)]
    public string? AccountId { get; set; }

    [MemoryPackOrder(5)]
    public Model.CashFlowKind FlowKind { get; set; }

    [MemoryPackOrder(6)]
    public decimal Amount { get; set; }

    [MemoryPackOrder(7)]
    public bool Approve { get; set; }

    [MemoryPackOrder(8)]
    public BreakerKind Breaker { get; set; }

    [MemoryPackOrder(9)]
    public string? Target { get; set; }

    /// <summary>Policy edit: the accounts it changes.</summary>
    [MemoryPackOrder(10)]
    public int[]? Accounts { get; set; }

    /// <summary>Policy edit: each account's new policy (JSON).</summary>
    [MemoryPackOrder(11)]
    public string[]? Policies { get; set; }

    /// <summary>Refused while being resolved: why (nothing to apply).</summary>
    [MemoryPackOrder(12)]
    public string? Refusal { get; set; }

    /// <summary>Policy edit: for each account, which of <see cref="Policies"/> it gets (an edit of a model shares a few policies among many accounts).</summary>
    [MemoryPackOrder(13)]
    public int[]? PolicyIndex { get; set; }

    /// <summary>A book event: its place in the engine's schedule of book events (-1 for an operator's command).</summary>
    [MemoryPackOrder(14)]
    public int ScheduleIndex { get; set; } = -1;

    /// <summary>Holdings sync: the custodian's holdings compared (<see cref="Approve"/>: accept every acceptable account).</summary>
    [MemoryPackOrder(15)]
    public Reconciliation.HoldingsImage? Holdings { get; set; }

    /// <summary>Accepting a sync's figures: the instruments whose quantities become the custodian's, and those quantities.</summary>
    [MemoryPackOrder(16)]
    public string[]? Instruments { get; set; }

    [MemoryPackOrder(17)]
    public decimal[]? Quantities { get; set; }

    /// <summary>Accepting a sync's figures: the cash balance the account takes, when its cash differed.</summary>
    [MemoryPackOrder(18)]
    public decimal? CashBalance { get; set; }

    /// <summary>Move to another IPS: the account's tax settings under it (JSON).</summary>
    [MemoryPackOrder(19)]
    public string? TaxSettings { get; set; }

    /// <summary>Cash flow: income kept as cash, not queued to be invested.</summary>
    [MemoryPackOrder(20)]
    public bool KeepAsCash { get; set; }

    /// <summary>Policy edit with tax elections: the distinct new settings (JSON), and for each account in <see cref="Accounts"/> which it gets (-1: unchanged).</summary>
    [MemoryPackOrder(21)]
    public string[]? TaxSettingsList { get; set; }

    [MemoryPackOrder(22)]
    public int[]? TaxSettingsIndex { get; set; }

    /// <summary>Symbol change: the instrument's new ticker (<see cref="Target"/> is its id; a split's ratio is in <see cref="Amount"/>).</summary>
    [MemoryPackOrder(23)]
    public string? Symbol { get; set; }

    /// <summary>Account opening: its household (<see cref="AccountId"/> is the account, <see cref="Target"/> its model, <see cref="Amount"/> its opening cash).</summary>
    [MemoryPackOrder(24)]
    public string? HouseholdId { get; set; }

    [MemoryPackIgnore]
    private Model.InvestmentPolicy[]? resolvedPolicies;

    /// <summary>Keeps each account's new tax settings (null: unchanged), as distinct JSON for the journal.</summary>
    internal void SetTaxSettings(Tax.AccountTaxSettings?[] settings)
    {
        var distinct = new Dictionary<string, int>(StringComparer.Ordinal);
        TaxSettingsIndex = new int[settings.Length];
        for (var i = 0; i < settings.Length; i++)
        {
            if (settings[i] is not { } one)
            {
                TaxSettingsIndex[i] = -1;
                continue;
            }
            var json = StateJson.Write(one);
            if (!distinct.TryGetValue(json, out var index))
            {
                distinct[json] = index = distinct.Count;
            }
            TaxSettingsIndex[i] = index;
        }
        TaxSettingsList = [.. distinct.OrderBy(p => p.Value).Select(p => p.Key)];
    }

    /// <summary>Each account's new tax settings (null: unchanged); none when the edit left them alone.</summary>
    internal Tax.AccountTaxSettings?[]? ResolvedTaxSettings()
    {
        if (TaxSettingsIndex is null)
        {
            return null;
        }
        var distinct = (TaxSettingsList ?? []).Select(StateJson.Read<Tax.AccountTaxSettings>).ToArray();
        return [.. TaxSettingsIndex.Select(i => i < 0 ? null : distinct[i])];
    }

    /// <summary>Keeps the edited policies (and their JSON, for the journal).</summary>
    internal void SetPolicies(Model.InvestmentPolicy[] policies)
    {
        resolvedPolicies = policies;
        var distinct = new Dictionary<string, int>(StringComparer.Ordinal);
        PolicyIndex = new int[policies.Length];
        for (var i = 0; i < policies.Length; i++)
        {
            var json = StateJson.Write(policies[i]);
            if (!distinct.TryGetValue(json, out var index))
            {
                distinct[json] = index = distinct.Count;
            }
            PolicyIndex[i] = index;
        }
        Policies = [.. distinct.OrderBy(p => p.Value).Select(p => p.Key)];
    }

    /// <summary>The edited policies, one per account in <see cref="Accounts"/> (read back from JSON after a restart).</summary>
    internal Model.InvestmentPolicy[] ResolvedPolicies()
    {
        if (resolvedPolicies is null)
        {
            var distinct = (Policies ?? []).Select(StateJson.Read<Model.InvestmentPolicy>).ToArray();
            resolvedPolicies = [.. (PolicyIndex ?? []).Select(i => distinct[i])];
        }
        return resolvedPolicies;
    }
}

public enum CommandKind : byte
{
    Refused,
    CashFlow,
    PolicyEdit,
    Approval,
    SweepAll,
    ReleaseBreaker,
    HoldingsSync,
    AcceptHoldings,
    PolicyMove,
    CloseAccount,
    Split,
    SymbolChange,
    OpenAccount,
    ModelMove,
}
