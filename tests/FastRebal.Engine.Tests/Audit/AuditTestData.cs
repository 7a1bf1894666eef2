using FastRebal.Engine.Audit;

namespace FastRebal.Engine.Tests.Audit;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>Entries and small chains for the audit tests.</summary>
public static class AuditTestData
{
    public static readonly DateTimeOffset Start = new(2025, 9, 26, 14, 30, 0, TimeSpan.Zero);

    public static AuditEntry Decision(string account = "ACC-1") => new(
        AuditKind.Decision, account, "HH-1", "IPS-" + account, 2, "BandBreach",
        "rebalance: band breach: max drift 6.77% (relative 16.9%) outside the ±5.00% absolute band; to target",
        [new("maxAbsDrift", "0.0677"), new("bandType", "Absolute"), new("bandWidth", "0.05")], "engine", "", new string('a', 64));

    public static AuditEntry Trade(string account = "ACC-1") => new(
        AuditKind.Trade, account, "HH-1", "IPS-" + account, 2, "BandBreach", "Sell 10 SPY at 500.00 (5,000.00) for a band breach",
        [new("instrument", "SPY"), new("side", "Sell"), new("quantity", "10"), new("price", "500")], "engine", "", new string('a', 64));

    public static AuditEntry Operator() => AuditEntries.OperatorAction("KillSwitchEngaged", "alice", "bad prices from one feed", "kill switch engaged", [new("orders", "12")]);

    /// <summary>Three records one minute apart: a decision, a trade, an operator action.</summary>
    public static IReadOnlyList<AuditRecord> ThreeRecords()
    {
        var store = new MemoryAuditStore();
        var clock = new ManualClock(Start);
        var chain = new AuditChain(store, clock);
        chain.Append(Decision());
        clock.Advance(TimeSpan.FromMinutes(1));
        chain.Append(Trade());
        clock.Advance(TimeSpan.FromMinutes(1));
        chain.Append(Operator());
        return store.Records;
    }

    /// <summary>The file bytes of records, one line each.</summary>
    public static byte[] FileBytes(IEnumerable<AuditRecord> records) =>
        [.. records.SelectMany(r => AuditEncoding.WriteLine(r).Append((byte)'\n'))];

    public static AuditVerification VerifyBytes(byte[] bytes, AuditSeal? seal = null)
    {
        var content = FileAuditStore.Parse("audit.jsonl", bytes, seal);
        return AuditVerifier.Verify(content.Lines, content.Torn, content.Seal);
    }

    public static AuditSeal SealOf(IReadOnlyList<AuditRecord> records) => new(records[^1].Sequence, records[^1].Hash);
}
