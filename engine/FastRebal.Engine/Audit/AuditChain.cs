using System.Runtime.CompilerServices;

namespace FastRebal.Engine.Audit;

/// <summary>
/// The append side of the audit trail. Any thread may append (pipeline stages, the console, the CLI): appends are
/// serialized under one lock, so sequence numbers, timestamps and links follow the order records reach the store.
/// Each record's hash is SHA-256(previous hash ‖ canonical record); timestamps never go backwards (a clock stepping
/// back is held at the last record's time), so each UTC day's records are one run of the chain.
/// </summary>
public sealed class AuditChain : IDisposable
{
    private readonly Lock gate = new();
    private readonly TimeProvider clock;
    private AuditRecord? last;

    public AuditChain(IAuditStore store, TimeProvider? clock = null)
    {
        Store = store;
        this.clock = clock ?? TimeProvider.System;
        last = store.Last;
    }

    public IAuditStore Store { get; }

    public long LastSequence
    {
        get
        {
            lock (gate)
            {
                return last?.Sequence ?? 0;
            }
        }
    }

    public string TailHash
    {
        get
        {
            lock (gate)
            {
                return last?.Hash ?? AuditRecord.GenesisHash;
            }
        }
    }

    public AuditRecord Append(AuditEntry entry)
    {
        lock (gate)
        {
            var record = Link(entry);
            Store.Append(record);
            last = record;
            return record;
        }
    }

    /// <summary>
    /// Appends entries in order as one write to the store: the records are exactly those <see cref="Append"/> would
    /// make one by one, and no other thread's record falls between them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AppendAll(IReadOnlyList<AuditEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }
        lock (gate)
        {
            var records = new AuditRecord[entries.Count];
            for (var i = 0; i < records.Length; i++)
            {
                records[i] = last = Link(entries[i]);
            }
            try
            {
                Store.AppendAll(records);
            }
            catch
            {
                // The store did not take them: the chain goes on from what it holds.
                last = Store.Last;
                throw;
            }
        }
    }

    private AuditRecord Link(AuditEntry entry)
    {
        var now = clock.GetUtcNow().ToUniversalTime();
        var timestamp = last is not null && now < last.Timestamp ? last.Timestamp : now;
        var sequence = (last?.Sequence ?? 0) + 1;
        var previous = last?.Hash ?? AuditRecord.GenesisHash;
        return new AuditRecord(sequence, timestamp, entry, previous, AuditEncoding.ComputeHash(previous, sequence, timestamp, entry));
    }

    /// <summary>Flushes the store; durable = on disk (fsync) and the seal moved up to the last record.</summary>
    public void Flush(bool durable = false)
    {
        lock (gate)
        {
            Store.Flush(durable);
        }
    }

    public AuditVerification Verify()
    {
        lock (gate)
        {
            return Store.Verify();
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            Store.Dispose();
        }
    }
}
