using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// Takes audit entries from the evaluation stage and appends them to the chain on a task of its own. The stage only
/// keeps what an entry is made of (the decision, the trade, a copy of the inputs). Chunks are handed over at the end of
/// each evaluation batch, or sooner when one fills. Each chunk is prepared on a thread-pool task of its own, several at
/// once: its input hashes made and, for a file, its records' bodies encoded (<see cref="AuditBodies"/>). The chain's
/// task takes the prepared chunks in the order they were handed over, links and hashes them, and appends each with one
/// write: only that part of a record depends on the one before. The records in flight are bounded: when the chain
/// falls behind (a day's open with a trade for every account), the stage waits for room rather than dropping a record,
/// because an audit trail with gaps is worth nothing. Reads use WaitToReadAsync + TryRead (see dotnet/runtime #132094).
/// </summary>
public sealed class AuditWriter
{
    /// <summary>The figure naming the engine batch a record came from: recovery finds in the chain where to resume.</summary>
    public const string BatchFigure = "batch";

    // Chunks being prepared or prepared, in the order they were handed over, on their way to the chain.
    private readonly Channel<Task<PreparedChunk>> prepared;
    private readonly Task pump;

    // Encoded bodies the chain is done with, for the next chunks.
    private readonly System.Collections.Concurrent.ConcurrentBag<AuditBodies> spareBodies = [];
    private readonly int chunkSize;
    private List<PendingEntry> pending;
    private long written;
    private long added;
    private long batch;
    private AuditFigure? batchFigure;
    private long resumeBatch;
    private long resumeSkip;
    private Exception? failure;

    /// <param name="chain">The chain the records go to.</param>
    /// <param name="capacity">Records that may wait for the chain before the stage waits for room (at least one chunk's worth).</param>
    /// <param name="chunkSize">Records the stage collects before handing them over within a batch.</param>
    public AuditWriter(AuditChain chain, int capacity = 1 << 16, int chunkSize = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, chunkSize);
        Chain = chain;
        this.chunkSize = chunkSize;
        pending = new List<PendingEntry>(chunkSize);
        // The room is shared out: one chunk being appended by the chain, the rest being prepared or waiting for it.
        prepared = Channel.CreateBounded<Task<PreparedChunk>>(new BoundedChannelOptions(Math.Max(1, capacity / chunkSize - 1))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        pump = Task.Run(PumpAsync);
    }

    public AuditChain Chain { get; }

    /// <summary>Records appended to the chain so far.</summary>
    public long Written => Interlocked.Read(ref written);

    /// <summary>Records added so far (appended or on their way).</summary>
    public long Added => Interlocked.Read(ref added);

    /// <summary>
    /// Waits until every entry added so far is in the chain's file (a checkpoint must not get ahead of the audit
    /// trail: recovery re-creates only the records of batches after it). Call from the thread that adds.
    /// </summary>
    internal void WaitUntilWritten()
    {
        HandOver();
        SpinWait.SpinUntil(() => Written >= Added || pump.IsCompleted);
        if (Volatile.Read(ref failure) is not null)
        {
            // The chain refused a write: nothing may go on as if the records were kept.
            throw Closed();
        }
        Chain.Flush();
    }

    /// <summary>Entries added from now on come from this batch (called by the evaluation stage, on its thread).</summary>
    internal void StartBatch(long sequence)
    {
        batch = sequence;
        batchFigure = sequence > 0 ? new AuditFigure(BatchFigure, sequence.ToString(CultureInfo.InvariantCulture)) : null;
    }

    /// <summary>The batch is evaluated: what it added goes to the chain now (called by the evaluation stage, on its thread).</summary>
    internal void EndBatch() => HandOver();

    /// <summary>
    /// Recovery: the chain already holds every record of the batches before <paramref name="lastBatch"/> and the
    /// first <paramref name="recordsOfLastBatch"/> of it; the replay adds them again, so those are dropped here.
    /// </summary>
    internal void ResumeAfter(long lastBatch, long recordsOfLastBatch) => (resumeBatch, resumeSkip) = (lastBatch, recordsOfLastBatch);

    /// <summary>The newest batch the chain has records of, and how many it has of that batch (0, 0 for none).</summary>
    internal static (long Batch, long Records) LastBatchIn(AuditChain chain) => chain.Store.LastBatch();

    /// <summary>Queues one entry built by the caller; waits for room when the chain is behind. Refuses entries after <see cref="Complete"/>.</summary>
    public void Add(AuditEntry entry) => Add(new PendingEntry(entry, null, null, null, "", null));

    /// <summary>Queues an entry whose input hash is that of <paramref name="inputs"/> (computed by the writer), or as it is when there are none.</summary>
    internal void Add(AuditEntry entry, AuditInputSnapshot? inputs) => Add(new PendingEntry(entry, null, null, null, "", inputs));

    /// <summary>Queues a decision's record; the writer builds it as <see cref="AuditEntries.Decision(State.AccountBook, int, Decision, string)"/> does.</summary>
    internal void AddDecision(string householdId, Decision decision, AuditInputSnapshot? inputs) =>
        Add(new PendingEntry(null, decision, null, null, householdId, inputs));

    /// <summary>Queues a released trade's record; the writer builds it from the decision that drove it.</summary>
    internal void AddTrade(string householdId, Decision decision, Trade trade, AuditInputSnapshot? inputs) =>
        Add(new PendingEntry(null, decision, trade, null, householdId, inputs));

    private void Add(PendingEntry entry)
    {
        if (batch < resumeBatch)
        {
            return;
        }
        if (batch == resumeBatch && resumeSkip > 0)
        {
            resumeSkip--;
            return;
        }
        pending.Add(entry with { Batch = batchFigure });
        Interlocked.Increment(ref added);
        if (pending.Count >= chunkSize)
        {
            HandOver();
        }
    }

    /// <summary>Hands the collected entries to the writer, waiting for room when too many are on their way.</summary>
    private void HandOver()
    {
        if (pending.Count == 0)
        {
            return;
        }
        var chunk = pending;
        pending = new List<PendingEntry>(chunkSize);
        // Started only once it has its place in the queue, so no chunk is prepared that the chain will never take.
        var preparing = new Task<PreparedChunk>(() => Prepare(chunk));
        while (!prepared.Writer.TryWrite(preparing))
        {
            bool open;
            try
            {
                open = prepared.Writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Closed();
            }
            if (!open)
            {
                throw Closed();
            }
        }
        preparing.Start(TaskScheduler.Default);
    }

    private InvalidOperationException Closed() => Volatile.Read(ref failure) is { } e
        ? new InvalidOperationException($"the audit trail cannot be written, so nothing more may be decided: {e.Message}", e)
        : new InvalidOperationException("the audit writer is closed: the engine has stopped");

    /// <summary>Appends everything queued, then makes the chain durable (fsync and seal). Call once the stages have stopped.</summary>
    public void Complete()
    {
        HandOver();
        prepared.Writer.TryComplete();
        pump.GetAwaiter().GetResult();
        Chain.Flush(durable: true);
    }

    private async Task PumpAsync()
    {
        try
        {
            await AppendQueuedAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The stage must not wait for room that will never come, nor go on as if its records were kept.
            Volatile.Write(ref failure, e);
            prepared.Writer.TryComplete(e);
            throw;
        }
    }

    /// <summary>
    /// Makes a chunk's input hashes and, when the chain writes to a file, encodes its records' bodies: the part of the
    /// work that needs nothing from the records before, done on a thread-pool task while earlier chunks are linked.
    /// </summary>
    private PreparedChunk Prepare(List<PendingEntry> chunk)
    {
        foreach (var item in chunk)
        {
            _ = item.Inputs?.Hash;
        }
        var source = new ChunkSource(chunk);
        if (Chain.Store is not FileAuditStore)
        {
            return new PreparedChunk(source, null);
        }
        var bodies = spareBodies.TryTake(out var spare) ? spare : new AuditBodies();
        return new PreparedChunk(source, bodies.Encode(source));
    }

    private async Task AppendQueuedAsync()
    {
        var reader = prepared.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var preparing))
            {
                var chunk = await preparing.ConfigureAwait(false);
                Chain.AppendAll(chunk.Source, chunk.Bodies);
                if (chunk.Bodies is { } bodies)
                {
                    spareBodies.Add(bodies);
                }
                Interlocked.Add(ref written, chunk.Source.Count);
            }
            Chain.Flush();
        }
    }

    /// <summary>A chunk ready for the chain: its entries, and their encoded bodies when the chain writes to a file.</summary>
    private sealed record PreparedChunk(ChunkSource Source, AuditBodies? Bodies);

    /// <summary>A chunk as the chain reads it.</summary>
    private sealed class ChunkSource(List<PendingEntry> chunk) : IAuditEntrySource
    {
        public int Count => chunk.Count;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Write(int index, IAuditEntrySink sink)
        {
            var item = chunk[index];
            var inputHash = item.Inputs?.Hash;
            if (item.Entry is { } entry)
            {
                AuditEncoding.WriteEntry(sink, entry, inputHash, item.Batch);
            }
            else if (item.Trade is { } trade)
            {
                AuditEntries.WriteTrade(sink, item.HouseholdId, item.Decision!, trade, inputHash ?? "", null, item.Batch);
            }
            else
            {
                AuditEntries.WriteDecision(sink, item.HouseholdId, item.Decision!, inputHash ?? "", item.Batch);
            }
        }

        public AuditEntry Entry(int index)
        {
            var builder = new AuditEntryBuilder();
            Write(index, builder);
            return builder.Build();
        }
    }

    /// <summary>An entry on its way: built already, or the decision (and trade) it is built from; the batch it came from.</summary>
    private readonly record struct PendingEntry(AuditEntry? Entry, Decision? Decision, Trade? Trade, AuditFigure? Batch, string HouseholdId, AuditInputSnapshot? Inputs);
}
