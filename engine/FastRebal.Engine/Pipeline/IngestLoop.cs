using System.Diagnostics;
using FastRebal.Engine.Ingestion;

namespace FastRebal.Engine.Pipeline;

/// <summary>Figures of the ingestion thread.</summary>
public sealed class IngestCounters
{
    public long TicksRead;
    public long PricesPublished;
    public long Heartbeats;
}

/// <summary>
/// The ingestion thread: reads the feed in batches, verifies every quote, and publishes each verified price change
/// into the evaluation ring. When the feed is quiet it publishes a heartbeat every <see cref="HeartbeatInterval"/>, so
/// the stages after it still apply commands and send scheduled orders; every <see cref="StalenessInterval"/> it asks
/// the verifier to freeze instruments whose prices went stale.
/// </summary>
public sealed class IngestLoop
{
    private readonly IPriceFeed feed;
    private readonly PriceVerifier verifier;
    private readonly RingBuffer<PriceEvent> ring;
    private readonly SourceTick[] buffer;
    private readonly StopSignal stop = new();
    private Thread? thread;
    private long lastDay = -1;

    public IngestLoop(IPriceFeed feed, PriceVerifier verifier, RingBuffer<PriceEvent> ring, int readBatch = 4096)
    {
        this.feed = feed;
        this.verifier = verifier;
        this.ring = ring;
        buffer = new SourceTick[readBatch];
    }

    public IngestCounters Counters { get; } = new();

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(1);

    public TimeSpan StalenessInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Replay in lockstep: before the first price of a new trading day, wait until evaluation has finished every
    /// earlier one. A replay read as fast as possible would otherwise run days ahead of the book, and the risk gate
    /// would compare each day's orders with a price from weeks later.
    /// </summary>
    public bool Lockstep { get; init; }

    /// <summary>Set once the feed completed and everything it produced was published.</summary>
    public bool FeedCompleted => Volatile.Read(ref completed);

    private bool completed;

    /// <summary>Called on the ingestion thread if the feed throws; the loop then stops.</summary>
    public Action<Exception>? OnFault { get; init; }

    public void Start()
    {
        thread = new Thread(Run) { IsBackground = true, Name = "fastrebal-ingest" };
        thread.Start();
    }

    /// <summary>Stops reading the feed; everything already read is published before the thread ends.</summary>
    public void Stop()
    {
        stop.Set();
        thread?.Join();
    }

    private void Run()
    {
        var lastPublish = Stopwatch.GetTimestamp();
        var lastStaleness = lastPublish;
        var heartbeat = (long)(HeartbeatInterval.TotalSeconds * Stopwatch.Frequency);
        var staleness = (long)(StalenessInterval.TotalSeconds * Stopwatch.Frequency);
        try
        {
            while (!stop.IsSet)
            {
                var read = feed.Read(buffer);
                var now = Stopwatch.GetTimestamp();
                Counters.TicksRead += read;
                for (var i = 0; i < read; i++)
                {
                    var verdict = verifier.Offer(buffer[i]);
                    if (verdict.Kind == VerdictKind.Verified && verdict.Changed)
                    {
                        Publish(buffer[i].Instrument, verdict.Price, buffer[i].Timestamp, now);
                        lastPublish = now;
                        Counters.PricesPublished++;
                    }
                }
                if (now - lastStaleness > staleness)
                {
                    verifier.CheckStaleness(feed.Now);
                    lastStaleness = now;
                }
                if (read == 0)
                {
                    if (now - lastPublish > heartbeat)
                    {
                        Publish(-1, 0, feed.Now, now);
                        lastPublish = now;
                        Counters.Heartbeats++;
                    }
                    if (feed.IsCompleted)
                    {
                        Volatile.Write(ref completed, true);
                        break;
                    }
                    // Nothing to read: give the core to the other stages rather than spin on an empty feed. Latency
                    // figures start when a tick is read, so this polling delay is not in them (a push-based adapter
                    // for a real feed would have none).
                    Thread.Sleep(1);
                }
            }
        }
        catch (Exception e)
        {
            OnFault?.Invoke(e);
        }
    }

    private void Publish(int instrument, double price, long marketTime, long receivedAt)
    {
        if (Lockstep && marketTime / TimeSpan.TicksPerDay != lastDay)
        {
            lastDay = marketTime / TimeSpan.TicksPerDay;
            var spin = new SpinWait();
            while (ring.Backlog > 0 && !stop.IsSet)
            {
                spin.SpinOnce(sleep1Threshold: 20);
            }
        }
        var sequence = ring.Next();
        ref var slot = ref ring[sequence];
        slot.Instrument = instrument;
        slot.Price = price;
        slot.MarketTime = marketTime;
        // A lockstep wait is replay pacing, not engine latency: such ticks are stamped when they enter the ring.
        slot.ReceivedAt = Lockstep ? Stopwatch.GetTimestamp() : receivedAt;
        ring.Publish(sequence);
    }
}
