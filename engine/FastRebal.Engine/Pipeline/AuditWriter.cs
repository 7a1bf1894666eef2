using System.Threading.Channels;
using FastRebal.Engine.Audit;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// Takes audit entries from the engine's stages and appends them to the chain on a task of its own, so hashing and
/// file writes never run on the evaluation thread. The queue is bounded: when the chain falls behind (a day's open
/// with a trade for every account), the stage waits for room rather than dropping a record, because an audit trail
/// with gaps is worth nothing. Reads use WaitToReadAsync + TryRead (see dotnet/runtime #132094).
/// </summary>
public sealed class AuditWriter
{
    private readonly Channel<AuditEntry> queue;
    private readonly Task pump;
    private long written;

    public AuditWriter(AuditChain chain, int capacity = 1 << 16)
    {
        Chain = chain;
        queue = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        pump = Task.Run(PumpAsync);
    }

    public AuditChain Chain { get; }

    /// <summary>Records appended to the chain so far.</summary>
    public long Written => Interlocked.Read(ref written);

    private long batch;
    private long added;

    /// <summary>
    /// Waits until every entry added so far is in the chain's file (a checkpoint must not get ahead of the audit
    /// trail: recovery re-creates only the records of batches after it). Call from the thread that adds.
    /// </summary>
    internal void WaitUntilWritten()
    {
        SpinWait.SpinUntil(() => Written >= Interlocked.Read(ref added));
        Chain.Flush();
    }
    private long resumeBatch;
    private long resumeSkip;

    /// <summary>The figure naming the engine batch a record came from: recovery finds in the chain where to resume.</summary>
    public const string BatchFigure = "batch";

    /// <summary>Entries added from now on come from this batch (called by the evaluation stage, on its thread).</summary>
    internal void StartBatch(long sequence) => batch = sequence;

    /// <summary>
    /// Recovery: the chain already holds every record of the batches before <paramref name="lastBatch"/> and the
    /// first <paramref name="recordsOfLastBatch"/> of it; the replay adds them again, so those are dropped here.
    /// </summary>
    internal void ResumeAfter(long lastBatch, long recordsOfLastBatch) => (resumeBatch, resumeSkip) = (lastBatch, recordsOfLastBatch);

    /// <summary>The newest batch the chain has records of, and how many it has of that batch (0, 0 for none).</summary>
    internal static (long Batch, long Records) LastBatchIn(AuditChain chain)
    {
        var records = chain.Store.ReadAll();
        long last = 0, count = 0;
        for (var i = records.Count - 1; i >= 0; i--)
        {
            if (records[i].Entry.Figure(BatchFigure) is not { } figure)
            {
                continue;
            }
            var b = long.Parse(figure, System.Globalization.CultureInfo.InvariantCulture);
            if (last == 0)
            {
                last = b;
            }
            if (b != last)
            {
                break;
            }
            count++;
        }
        return (last, count);
    }

    /// <summary>Queues one entry; waits for room when the chain is behind. Refuses entries after <see cref="Complete"/>.</summary>
    public void Add(AuditEntry entry)
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
        if (batch > 0)
        {
            entry = entry with { Figures = [.. entry.Figures, new AuditFigure(BatchFigure, batch.ToString(System.Globalization.CultureInfo.InvariantCulture))] };
        }
        Interlocked.Increment(ref added);
        while (!queue.Writer.TryWrite(entry))
        {
            if (!queue.Writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
            {
                throw new InvalidOperationException("the audit writer is closed: the engine has stopped");
            }
        }
    }

    /// <summary>Appends everything queued, then makes the chain durable (fsync and seal). Call once the stages have stopped.</summary>
    public void Complete()
    {
        queue.Writer.TryComplete();
        pump.GetAwaiter().GetResult();
        Chain.Flush(durable: true);
    }

    private async Task PumpAsync()
    {
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var entry))
            {
                Chain.Append(entry);
                Interlocked.Increment(ref written);
            }
            Chain.Flush();
        }
    }
}
