namespace FastRebal.Engine.Audit;

/// <summary>
/// Where the chain's records live. The chain calls <see cref="Append"/> under its own lock, in sequence order, so a
/// store needs no locking of its own for appends.
/// </summary>
public interface IAuditStore : IDisposable
{
    /// <summary>The last record stored (the chain continues from it), or null for an empty store.</summary>
    AuditRecord? Last { get; }

    void Append(AuditRecord record);

    /// <summary>Appends records in order; a store that can should hand them to the operating system as one write.</summary>
    void AppendAll(IReadOnlyList<AuditRecord> records)
    {
        foreach (var record in records)
        {
            Append(record);
        }
    }

    /// <summary>Pushes appended records to the operating system; with <paramref name="durable"/>, to the disk (fsync).</summary>
    void Flush(bool durable);

    /// <summary>Every record, in order.</summary>
    IReadOnlyList<AuditRecord> ReadAll();

    /// <summary>Every record of one kind with one of the given rules, in order; a store may skip the others unread.</summary>
    IReadOnlyList<AuditRecord> ReadRules(AuditKind kind, params IReadOnlyList<string> rules) =>
        [.. ReadAll().Where(r => r.Entry.Kind == kind && rules.Contains(r.Entry.Rule))];

    /// <summary>
    /// The newest engine batch among the records and how many records it has (0, 0 for none): where a recovery that
    /// replays that batch resumes the trail (see <see cref="Pipeline.AuditWriter"/>). A store may read only its end.
    /// </summary>
    (long Batch, long Records) LastBatch()
    {
        var (batch, records, _) = AuditSegments.LastBatch(ReadAll());
        return (batch, records);
    }

    /// <summary>Checks the stored chain from scratch.</summary>
    AuditVerification Verify();
}

/// <summary>Records in a list: for tests and for hosts that ship records elsewhere themselves.</summary>
public sealed class MemoryAuditStore : IAuditStore
{
    private readonly List<AuditRecord> records = [];

    public AuditRecord? Last => records.Count > 0 ? records[^1] : null;

    public IReadOnlyList<AuditRecord> Records => records;

    public void Append(AuditRecord record) => records.Add(record);

    public void Flush(bool durable)
    {
    }

    public IReadOnlyList<AuditRecord> ReadAll() => [.. records];

    public AuditVerification Verify() => AuditVerifier.Verify(records);

    public void Dispose()
    {
    }
}
