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

    /// <summary>Queues one entry; waits for room when the chain is behind. Refuses entries after <see cref="Complete"/>.</summary>
    public void Add(AuditEntry entry)
    {
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
