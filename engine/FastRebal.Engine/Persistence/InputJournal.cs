using FASTER.core;
using MemoryPack;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// The input journal: every input the engine acts on (verified prices, staleness checks, each evaluation batch's
/// clock, fills and operator commands, kill-switch changes) is appended here before it is applied, in a FASTER
/// <see cref="FasterLog"/> with a checksum per entry; the entries' type belongs to the layer that writes them. Each
/// batch starts a commit as it is appended (group commit: the evaluation never waits for the disk), and the order
/// stage waits for a batch's commit before any order of it leaves (<see cref="EnsureDurable"/>), so no order can
/// leave for an input a crash could lose.
/// </summary>
/// <remarks>Appends are thread-safe: the ingestion thread, the evaluation thread and an operator's thread all append.</remarks>
public class InputJournal<TEntry> : IDisposable
    where TEntry : class, IJournalEntry<TEntry>
{
    private readonly IDevice device;
    private readonly FasterLog log;
    private long appended;
    private long lastCommitRequest;

    /// <summary>The longest an appended batch waits before a commit of it starts, when no order asks sooner.</summary>
    public static readonly TimeSpan CommitPacing = TimeSpan.FromMilliseconds(2);

    private static readonly long CommitPacingTicks = (long)(CommitPacing.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    private long lastBatch;
    private readonly Lock commitGate = new();

    public InputJournal(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        Folder = directory;
        device = Devices.CreateLogDevice(Path.Combine(directory, "journal.log"), recoverDevice: true);
        log = new FasterLog(new FasterLogSettings
        {
            LogDevice = device,
            LogCommitDir = directory,
            PageSizeBits = 22,
            MemorySizeBits = 26,
            SegmentSizeBits = SegmentSizeBits,
            LogChecksum = LogChecksumType.PerEntry,
            TryRecoverLatest = true,
        });
        lastBatch = CommittedBatch;
        HasCommit = log.RecoveredCookie is not null;
    }

    public string Folder { get; }

    /// <summary>Address of the oldest entry kept.</summary>
    public long BeginAddress => log.BeginAddress;

    /// <summary>Address just past the newest entry appended.</summary>
    public long TailAddress => log.TailAddress;

    /// <summary>Address up to which entries are on disk.</summary>
    public long CommittedUntil => log.CommittedUntilAddress;

    /// <summary>Entries appended since this journal was opened.</summary>
    public long Appended => Interlocked.Read(ref appended);

    /// <summary>Appends an entry (not yet durable: a later <see cref="Commit"/> makes it so) and returns its address.</summary>
    public long Append(TEntry entry)
    {
        // Each appending thread serializes into a buffer of its own, reused: a million quotes a second would
        // otherwise allocate their own size again every second.
        var buffer = serializeBuffer ??= new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
        buffer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(buffer, entry);
        Interlocked.Increment(ref appended);
        return buffer.WrittenCount <= MaxEntryBytes ? Enqueue(buffer) : AppendInParts(buffer.WrittenSpan);
    }

    /// <summary>The largest entry written whole; a larger one is split (a log entry must fit in one 4 MB page).</summary>
    internal const int MaxEntryBytes = 1 << 20;

    /// <summary>Every entry ends with the XxHash3 of what precedes it, checked on every read whatever FASTER checks.</summary>
    internal const int ChecksumBytes = sizeof(ulong);

    /// <summary>
    /// The journal's segment files are 64 MB: a file is deleted once a checkpoint no longer needs any of it, so the
    /// folder holds little more than the journal the kept checkpoints need. An address names a file and an offset.
    /// </summary>
    private const int SegmentSizeBits = 26;

    /// <summary>Seals a serialized entry with its checksum and enqueues it.</summary>
    private long Enqueue(System.Buffers.ArrayBufferWriter<byte> buffer)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(buffer.GetSpan(ChecksumBytes), System.IO.Hashing.XxHash3.HashToUInt64(buffer.WrittenSpan));
        buffer.Advance(ChecksumBytes);
        return log.Enqueue(buffer.WrittenSpan);
    }

    /// <summary>The entry's bytes without its checksum, or false when they do not match it.</summary>
    internal static bool TryUnseal(byte[] sealedEntry, out ReadOnlySpan<byte> entry)
    {
        entry = default;
        if (sealedEntry.Length <= ChecksumBytes)
        {
            return false;
        }
        entry = sealedEntry.AsSpan(0, sealedEntry.Length - ChecksumBytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(sealedEntry.AsSpan(entry.Length)) == System.IO.Hashing.XxHash3.HashToUInt64(entry);
    }

    /// <summary>Where an address lies on disk: the segment file and the offset in it, for messages a person acts on.</summary>
    public string Locate(long address) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Path.Combine(Folder, "journal.log." + (address >> SegmentSizeBits))} at offset {address & ((1L << SegmentSizeBits) - 1)}");

    /// <summary>Writes a serialized entry as parts of one group, in order; returns the address of the last.</summary>
    private long AppendInParts(ReadOnlySpan<byte> whole)
    {
        var group = Random.Shared.NextInt64(1, long.MaxValue);
        var count = (whole.Length + MaxEntryBytes - 1) / MaxEntryBytes;
        var address = 0L;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(MaxEntryBytes + 256);
        for (var i = 0; i < count; i++)
        {
            var part = whole.Slice(i * MaxEntryBytes, Math.Min(MaxEntryBytes, whole.Length - (i * MaxEntryBytes)));
            buffer.ResetWrittenCount();
            MemoryPackSerializer.Serialize(buffer, TEntry.Part(group, i, count, part.ToArray()));
            address = Enqueue(buffer);
        }
        return address;
    }

    [ThreadStatic]
    private static System.Buffers.ArrayBufferWriter<byte>? serializeBuffer;

    /// <summary>
    /// Makes everything appended so far durable; returns when it is on disk. The commit record carries the last
    /// batch sequence journaled, so a recovery can tell a journal that lost committed entries from a complete one.
    /// Waits by spinning: the order stage calls it before an order leaves, where a sleeping thread's wake-up would
    /// add to every order's latency.
    /// </summary>
    public void Commit() => Commit(spin: true);

    /// <summary>
    /// <see cref="Commit"/> for a checkpoint (on its own task, or of a stopped engine): it sleeps until the disk has
    /// the commit instead of spinning, so the engine's threads keep both cores while the disk is slow.
    /// </summary>
    public void CommitInBackground() => Commit(spin: false);

    private void Commit(bool spin)
    {
        try
        {
            long until, number;
            // Issued in order under the gate (a later commit record never names an earlier batch), waited for outside
            // it, so a thread waiting for a slow disk does not hold up another that only needs an earlier commit.
            lock (commitGate)
            {
                log.CommitStrongly(out until, out number, spinWait: false, cookie: BitConverter.GetBytes(Interlocked.Read(ref lastBatch)));
            }
            if (spin)
            {
                log.WaitForCommit(until, number);
            }
            else
            {
                log.WaitForCommitAsync(until, number).AsTask().GetAwaiter().GetResult();
            }
        }
        catch (CommitFailureException e)
        {
            throw new IOException($"journal {Folder}: the disk refused the write (full, or failing): nothing after the last commit is kept; free space and restart to recover ({e.Message})", e);
        }
    }

    /// <summary>
    /// Starts a commit of everything appended so far and returns at once (the evaluation thread must not wait for
    /// the disk). <see cref="EnsureDurable"/> waits for it where it matters: before an order leaves.
    /// </summary>
    public void RequestCommit()
    {
        try
        {
            log.CommitStrongly(out _, out _, spinWait: false, cookie: BitConverter.GetBytes(Interlocked.Read(ref lastBatch)));
        }
        catch (CommitFailureException e)
        {
            throw new IOException($"journal {Folder}: the disk refused the write (full, or failing): nothing after the last commit is kept; free space and restart to recover ({e.Message})", e);
        }
    }

    /// <summary>
    /// Returns once batch <paramref name="sequence"/> and everything journaled before it is on disk, committing if
    /// need be: the order stage calls it before a child order of that batch leaves, so no order is ever sent for an
    /// input a crash could lose.
    /// </summary>
    public void EnsureDurable(long sequence)
    {
        if (sequence <= Volatile.Read(ref durableBatch))
        {
            return;
        }
        while (batchEnds.TryPeek(out var head) && head.Sequence <= sequence)
        {
            if (log.CommittedUntilAddress < head.End)
            {
                Commit();
            }
            batchEnds.TryDequeue(out _);
            Volatile.Write(ref durableBatch, head.Sequence);
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<(long Sequence, long End)> batchEnds = new();
    private long durableBatch;

    /// <summary>The last batch sequence the journal's newest commit record says is on disk (0 for none).</summary>
    public long CommittedBatch => log.RecoveredCookie is { Length: 8 } cookie ? BitConverter.ToInt64(cookie) : 0;

    /// <summary>
    /// Marks the end of batch <paramref name="sequence"/>, just appended: <see cref="EnsureDurable"/> waits for the
    /// journal up to here, and the next commit record names it.
    /// </summary>
    protected void EndBatch(long sequence)
    {
        Interlocked.Exchange(ref lastBatch, sequence);
        batchEnds.Enqueue((sequence, log.TailAddress));
        // Group commit: at most one started per CommitPacing; a batch whose orders must leave sooner is committed by
        // EnsureDurable, so pacing costs no order any safety, only a quiet book's inputs up to that long on disk.
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (now - lastCommitRequest >= CommitPacingTicks)
        {
            lastCommitRequest = now;
            RequestCommit();
        }
    }

    /// <summary>
    /// Reads the committed entries from <paramref name="from"/> on, with each entry's address. A damaged entry ends
    /// the read with an <see cref="InvalidDataException"/> naming its address; a torn tail that was never committed
    /// is not read at all.
    /// </summary>
    public IEnumerable<(TEntry Entry, long Address)> Read(long from)
    {
        var start = Math.Max(from, log.BeginAddress);
        var end = log.CommittedUntilAddress;
        if (start >= end)
        {
            yield break;
        }
        using var iterator = log.Scan(start, end);
        // Parts of split entries, by group, until the last one arrives. A group cut short by a crash (its last parts
        // never committed) stays here and is dropped: its entry was never whole, so nothing acted on it.
        var groups = new Dictionary<long, List<byte[]>>();
        while (true)
        {
            byte[]? bytes;
            long address;
            try
            {
                if (!iterator.GetNext(out bytes, out _, out address))
                {
                    break;
                }
            }
            catch (Exception e) when (e is not InvalidDataException)
            {
                throw new InvalidDataException($"journal entry after {Locate(iterator.CompletedUntilAddress)} is damaged ({e.Message})", e);
            }
            if (!TryUnseal(bytes!, out var sealedPayload))
            {
                throw new InvalidDataException($"journal entry in {Locate(address)} does not match its checksum: it is damaged");
            }
            TEntry? entry = Decode(sealedPayload, address);
            if (entry.IsPart)
            {
                entry = JoinPart(groups, entry, address);
                if (entry is null)
                {
                    continue;
                }
            }
            yield return (entry, address);
        }
        if (iterator.NextAddress < end)
        {
            // FASTER stops quietly where the file no longer holds what its commit record promised (a truncated or
            // zeroed tail): committed inputs are missing, and that must never pass unnoticed.
            throw new InvalidDataException($"journal committed up to address {end}, but readable only up to {Locate(iterator.NextAddress)}: its tail is damaged or missing");
        }
    }

    /// <summary>Adds a part to its group; returns the whole entry once its last part is in, otherwise null.</summary>
    private TEntry? JoinPart(Dictionary<long, List<byte[]>> groups, TEntry part, long address)
    {
        if (part.PartIndex == 0)
        {
            groups[part.PartGroup] = [];
        }
        if (!groups.TryGetValue(part.PartGroup, out var parts) || parts.Count != part.PartIndex || part.Payload is null)
        {
            // The journal was cut before this group began (a truncation point always falls between whole entries).
            return null;
        }
        parts.Add(part.Payload);
        if (parts.Count < part.PartCount)
        {
            return null;
        }
        groups.Remove(part.PartGroup);
        var whole = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(whole, at);
            at += p.Length;
        }
        return Decode(whole, address);
    }

    /// <summary>Decodes an entry whose checksum matched; anything that still does not decode is damage, never a crash.</summary>
    private TEntry Decode(ReadOnlySpan<byte> bytes, long address)
    {
        try
        {
            return MemoryPackSerializer.Deserialize<TEntry>(bytes) ?? throw new InvalidDataException($"journal entry in {Locate(address)} is empty");
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"journal entry in {Locate(address)} does not decode ({e.Message})", e);
        }
    }

    /// <summary>Drops the entries before <paramref name="address"/> (no checkpoint needs them any more).</summary>
    public void TruncateUntil(long address)
    {
        if (address > log.BeginAddress)
        {
            log.TruncateUntil(address);
            // The new start is recorded with the next commit, which the engine's next batch requests anyway; nothing
            // waits for it, since the journal after it is whole either way (FASTER drops the segments once committed).
            RequestCommit();
        }
    }

    /// <summary>Whether a commit record was found when the journal opened (false for a journal never committed).</summary>
    public bool HasCommit { get; }

    /// <summary>Closes without committing: a damaged journal is set aside exactly as it was found.</summary>
    internal void Abandon()
    {
        log.Dispose();
        device.Dispose();
    }

    public void Dispose()
    {
        try
        {
            // A clean close leaves nothing uncommitted (a crash would: recovery re-reads those quotes from the feed).
            Commit();
        }
        catch (IOException)
        {
            // The disk is already failing; what was committed stays, and the fault that got us here says why.
        }
        log.Dispose();
        device.Dispose();
    }
}

/// <summary>What the input journal needs of its entries: one that carries a part of an entry too large for a page.</summary>
public interface IJournalEntry<TSelf>
    where TSelf : class, IJournalEntry<TSelf>
{
    /// <summary>Part <paramref name="index"/> of <paramref name="count"/> of an entry's serialized bytes.</summary>
    static abstract TSelf Part(long group, int index, int count, byte[] payload);

    bool IsPart { get; }

    long PartGroup { get; }

    int PartIndex { get; }

    int PartCount { get; }

    byte[]? Payload { get; }
}
