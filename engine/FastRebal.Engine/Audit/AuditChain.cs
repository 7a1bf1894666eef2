using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

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
    public void AppendAll(IReadOnlyList<AuditEntry> entries) => AppendAll(new EntryList(entries));

    /// <summary>
    /// <see cref="AppendAll(IReadOnlyList{AuditEntry})"/> for entries a source writes: to a file store they go straight
    /// into their hashes and lines, with no entry built but the last (the store's <see cref="IAuditStore.Last"/>).
    /// <paramref name="bodies"/>, when given, are the source's bodies encoded already (on another thread): only the
    /// links are left to make here.
    /// </summary>
    internal void AppendAll(IAuditEntrySource source, AuditBodies? bodies = null)
    {
        if (bodies is not null && bodies.Count != source.Count)
        {
            throw new ArgumentException($"{bodies.Count} encoded bodies for {source.Count} entries", nameof(bodies));
        }
        if (source.Count == 0)
        {
            return;
        }
        lock (gate)
        {
            try
            {
                if (Store is FileAuditStore file)
                {
                    last = AppendLines(file, source, bodies ?? ownBodies.Encode(source));
                }
                else
                {
                    var records = new AuditRecord[source.Count];
                    for (var i = 0; i < records.Length; i++)
                    {
                        records[i] = last = Link(source.Entry(i));
                    }
                    Store.AppendAll(records);
                }
            }
            catch
            {
                // The store did not take them: the chain goes on from what it holds.
                last = Store.Last;
                throw;
            }
        }
    }

    /// <summary>Links and hashes the source's encoded bodies and hands their lines to the file as one write; returns the last record.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private AuditRecord AppendLines(FileAuditStore file, IAuditEntrySource source, AuditBodies bodies)
    {
        var writer = AuditRecordWriter.ForThisThread;
        lines.ResetWrittenCount();
        Span<byte> previous = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        // The two hashes as the line writes them: lower-case hex, in UTF-8.
        Span<byte> previousText = stackalloc byte[2 * SHA256.HashSizeInBytes];
        Span<byte> hashText = stackalloc byte[2 * SHA256.HashSizeInBytes];
        var linkTo = last?.Hash ?? AuditRecord.GenesisHash;
        Convert.FromHexString(linkTo, previous, out _, out _);
        Convert.TryToHexStringLower(previous, previousText, out _);
        var sequence = last?.Sequence ?? 0;
        DateTimeOffset? before = last?.Timestamp;
        var timestamp = default(DateTimeOffset);
        var count = source.Count;
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                hash.CopyTo(previous);
                hashText.CopyTo(previousText);
            }
            var now = clock.GetUtcNow().ToUniversalTime();
            timestamp = before is { } t && now < t ? t : now;
            before = timestamp;
            sequence++;
            writer.Link(bodies, i, sequence, timestamp, previous, previousText, hash, hashText, lines);
        }
        var record = new AuditRecord(sequence, timestamp, source.Entry(count - 1), Convert.ToHexStringLower(previous), Convert.ToHexStringLower(hash));
        file.AppendLines(lines.WrittenSpan, record);
        if (lines.Capacity > MaxKeptBuffer)
        {
            lines = new ArrayBufferWriter<byte>(InitialBuffer);
        }
        return record;
    }

    // The bodies of appends whose caller did not encode them (under the lock, so one at a time).
    private readonly AuditBodies ownBodies = new();

    private const int InitialBuffer = 64 * 1024;

    // A very large append (a day's opening in one go) should not pin its buffer for the rest of the run.
    private const int MaxKeptBuffer = 16 * 1024 * 1024;

    private ArrayBufferWriter<byte> lines = new(InitialBuffer);

    /// <summary>Entries already built.</summary>
    private sealed class EntryList(IReadOnlyList<AuditEntry> entries) : IAuditEntrySource
    {
        public int Count => entries.Count;

        public void Write(int index, IAuditEntrySink sink) => AuditEncoding.WriteEntry(sink, entries[index]);

        public AuditEntry Entry(int index) => entries[index];
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
