using FASTER.core;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Pipeline;
using MemoryPack;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// The input journal: every input the engine acts on (raw feed quotes, staleness checks, each evaluation batch's
/// clock, fills and operator commands, kill-switch changes) is appended here before it is applied, in a FASTER
/// <see cref="FasterLog"/> with a checksum per entry. A batch is committed (on disk) before it is evaluated, and
/// every earlier entry with it, so no order can leave for an input a crash could lose.
/// </summary>
/// <remarks>Appends are thread-safe: the ingestion thread, the evaluation thread and an operator's thread all append.</remarks>
public sealed class InputJournal : IBatchJournal, IDisposable
{
    private readonly IDevice device;
    private readonly FasterLog log;
    private long appended;

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
            SegmentSizeBits = 30,
            LogChecksum = LogChecksumType.PerEntry,
            TryRecoverLatest = true,
        });
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
    public long Append(JournalEntry entry)
    {
        var bytes = MemoryPackSerializer.Serialize(entry);
        Interlocked.Increment(ref appended);
        return log.Enqueue(bytes);
    }

    /// <summary>Makes everything appended so far durable; returns when it is on disk.</summary>
    public void Commit() => log.Commit(spinWait: true);

    public long AppendTicks(long firstPosition, SourceTick[] ticks) =>
        Append(new JournalEntry { Kind = JournalEntryKind.Ticks, FirstPosition = firstPosition, Ticks = ticks });

    public void AppendBatch(long sequence, long marketTime, long feedPosition, IReadOnlyList<AccountFill> fills, IReadOnlyList<(ControlCommand? Original, JournaledCommand Resolved)> commands)
    {
        Append(new JournalEntry
        {
            Kind = JournalEntryKind.Batch,
            Sequence = sequence,
            MarketTime = marketTime,
            FeedPosition = feedPosition,
            Fills = fills.Count == 0 ? null : [.. fills],
            Commands = commands.Count == 0 ? null : [.. commands.Select(c => c.Resolved)],
        });
        Commit();
    }

    /// <summary>
    /// Reads the committed entries from <paramref name="from"/> on, with each entry's address. A damaged entry ends
    /// the read with an <see cref="InvalidDataException"/> naming its address; a torn tail that was never committed
    /// is not read at all.
    /// </summary>
    public IEnumerable<(JournalEntry Entry, long Address)> Read(long from)
    {
        var start = Math.Max(from, log.BeginAddress);
        var end = log.CommittedUntilAddress;
        if (start >= end)
        {
            yield break;
        }
        using var iterator = log.Scan(start, end);
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
                throw new InvalidDataException($"journal {Folder}: entry after address {iterator.CompletedUntilAddress} is damaged ({e.Message})", e);
            }
            JournalEntry? entry;
            try
            {
                entry = MemoryPackSerializer.Deserialize<JournalEntry>(bytes);
            }
            catch (MemoryPackSerializationException e)
            {
                throw new InvalidDataException($"journal {Folder}: entry at address {address} does not decode ({e.Message})", e);
            }
            if (entry is null)
            {
                throw new InvalidDataException($"journal {Folder}: entry at address {address} is empty");
            }
            yield return (entry, address);
        }
    }

    /// <summary>Drops the entries before <paramref name="address"/> (no checkpoint needs them any more).</summary>
    public void TruncateUntil(long address)
    {
        if (address > log.BeginAddress)
        {
            log.TruncateUntil(address);
            log.Commit(spinWait: true);
        }
    }

    public void Dispose()
    {
        log.Dispose();
        device.Dispose();
    }
}
