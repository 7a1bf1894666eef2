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

    /// <summary>Where raw quotes are journaled before they are verified (the durable engine); none when null.</summary>
    internal EngineJournal? Journal { get; set; }

    /// <summary>
    /// Held while a read is verified and journaled, and while a staleness check freezes and is journaled: the
    /// evaluation copies the risk gate's reference prices under it (see <see cref="JournaledReferencePrices"/>).
    /// </summary>
    internal object JournalOrder { get; init; } = new();

    /// <summary>
    /// Lockstep only: true when every stage after ingestion has finished what it was given (the host checks both
    /// rings), so the next trading day's quotes are verified against the state the last day left.
    /// </summary>
    internal Func<bool>? PipelineIdle { get; set; }

    /// <summary>
    /// The splits the engine's book events will apply (instrument, ex-date, ratio): the first quote of an instrument on
    /// or after its ex-date first rescales the verifier to the new shares (<see cref="PriceVerifier.Rescale"/>), so the
    /// fall by the ratio is not held as a jump. Whether a split is done is read from the verifier's own quote times, so
    /// a recovered verifier is not rescaled twice.
    /// </summary>
    public (int Instrument, DateOnly ExDate, double Ratio)[] Splits { get; init; } = [];

    private long resumeAfter;
    private readonly List<PriceEvent> carried = [];
    private readonly List<PriceEvent> dayEvents = [];
    private volatile bool snapshotRequested;
    private long snapshotAddress = -1;
    private long snapshotCursor;
    private VerifierImage? snapshotImage;

    /// <summary>
    /// Continues after a recovery: ticks up to <paramref name="afterPosition"/> are already in the journal and are
    /// read past, and <paramref name="pending"/> (verified from them but never evaluated) go out first.
    /// </summary>
    internal void Resume(long afterPosition, long day, IReadOnlyList<PriceEvent> pending)
    {
        resumeAfter = afterPosition;
        lastDay = day;
        carried.AddRange(pending);
    }

    /// <summary>
    /// The verifier's state with what ingestion holds but has not published, at the current feed position. Call on
    /// the ingestion thread or when it is stopped.
    /// </summary>
    internal VerifierImage CaptureVerifier()
    {
        // Before the thread runs (a recovery saved as a checkpoint at once), what it would resume from is the state.
        var image = verifier.Capture(Math.Max(Counters.TicksRead, resumeAfter));
        image.Unpublished = [.. carried, .. dayEvents];
        image.LastDay = lastDay;
        return image;
    }

    /// <summary>
    /// Called on the ingestion thread once the feed has completed and its last batch is published, with whether
    /// <see cref="Stop"/> was called: no verifier state is journaled after it, so a checkpoint asked for and not yet cut
    /// never will be (see <see cref="Durability.EngineDurability"/>).
    /// </summary>
    internal Action<Func<bool>>? FeedEnded { get; set; }

    /// <summary>The sequence of the last batch published to the evaluation stage.</summary>
    internal long PublishedSequence => ring.Cursor.Value;

    /// <summary>Asks the ingestion thread to journal the verifier's state at its next quiet point (a checkpoint starts from it).</summary>
    internal void RequestVerifierSnapshot()
    {
        Volatile.Write(ref snapshotAddress, -1);
        snapshotRequested = true;
    }

    /// <summary>The requested verifier state, its journal address and the price ring's cursor when it was taken, once written.</summary>
    internal bool TryGetVerifierSnapshot(out long address, out long ringCursor, out VerifierImage image)
    {
        address = Volatile.Read(ref snapshotAddress);
        ringCursor = Volatile.Read(ref snapshotCursor);
        image = Volatile.Read(ref snapshotImage)!;
        return address >= 0;
    }

    public void Start()
    {
        thread = new Thread(Run) { IsBackground = true, Name = "fastrebal-ingest" };
        thread.Start();
    }

    /// <summary>
    /// Stops reading the feed; everything already verified is published before the thread ends, except, in a
    /// lockstep replay, the unfinished day's prices: those stay with the verifier's state (a durable engine's last
    /// checkpoint keeps them), so no day is ever evaluated in two parts.
    /// </summary>
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
            SkipJournaledTicks();
            if (!Lockstep)
            {
                foreach (var e in carried)
                {
                    PublishEvent(e);
                }
            }
            else
            {
                dayEvents.AddRange(carried);
            }
            carried.Clear();
            while (!stop.IsSet)
            {
                ServiceSnapshot();
                var read = feed.Read(buffer);
                var now = Stopwatch.GetTimestamp();
                var segmentStart = 0;
                for (var i = 0; i < read; i++)
                {
                    if (Lockstep && buffer[i].Timestamp / TimeSpan.TicksPerDay != lastDay)
                    {
                        // A new trading day: journal and verify what came before, let the pipeline finish the last
                        // day, then go on. Verifying ahead would let the risk gate see tomorrow's prices.
                        Offer(segmentStart, i, now);
                        segmentStart = i;
                        FlushDay();
                        WaitForIdle();
                        if (stop.IsSet)
                        {
                            // Stopping: the rest of the read is not offered (nor journaled), so a durable engine's
                            // next start reads it again and every day still runs in lockstep.
                            segmentStart = read;
                            break;
                        }
                        lastDay = buffer[i].Timestamp / TimeSpan.TicksPerDay;
                        CheckStaleness(buffer[i].Timestamp);
                    }
                }
                if (Offer(segmentStart, read, now))
                {
                    lastPublish = now;
                }
                if (!Lockstep && now - lastStaleness > staleness)
                {
                    CheckStaleness(feed.Now);
                    lastStaleness = now;
                }
                if (read == 0)
                {
                    if (Lockstep)
                    {
                        FlushDay();
                    }
                    else if (now - lastPublish > heartbeat)
                    {
                        // A lockstep replay sends none: a heartbeat is a batch, and its timing would make the
                        // replay's batches (and so its order ids) differ from run to run.
                        Publish(-1, 0, feed.Now, now, Counters.TicksRead);
                        lastPublish = now;
                        Counters.Heartbeats++;
                    }
                    if (feed.IsCompleted)
                    {
                        Volatile.Write(ref completed, true);
                        FeedEnded?.Invoke(() => stop.IsSet);
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

    /// <summary>
    /// Verifies ticks [from, to) of the buffer, journals what that changed, then publishes the verified prices (or
    /// holds them for the day, in lockstep); returns whether any price changed.
    /// </summary>
    private bool Offer(int from, int to, long now)
    {
        if (to <= from)
        {
            return false;
        }
        var first = Counters.TicksRead + 1;
        verifiedNow.Clear();
        lock (JournalOrder)
        {
            for (var i = from; i < to; i++)
            {
                Counters.TicksRead++;
                if (Splits.Length > 0)
                {
                    RescaleForSplits(buffer[i]);
                }
                var verdict = verifier.Offer(buffer[i]);
                if (verdict.Kind == VerdictKind.Verified && verdict.Changed)
                {
                    verifiedNow.Add(new PriceEvent { Instrument = buffer[i].Instrument, Price = verdict.Price, MarketTime = buffer[i].Timestamp, ReceivedAt = now, FeedPosition = Counters.TicksRead, Changes = 1 });
                }
            }
            Conflate(verifiedNow);
            // Nothing verified reaches the book before it is journaled: the verifier's changed rows rebuild it exactly.
            Journal?.AppendVerified(first, to - from, buffer[to - 1].Timestamp / TimeSpan.TicksPerDay, verifier.TakeDelta(), verifiedNow);
        }
        Counters.PricesPublished += verifiedNow.Count;
        if (Lockstep)
        {
            dayEvents.AddRange(verifiedNow);
        }
        else
        {
            foreach (var e in verifiedNow)
            {
                PublishEvent(e);
            }
        }
        return verifiedNow.Count > 0;
    }

    private readonly List<PriceEvent> verifiedNow = [];

    /// <summary>Rescales the verifier for each split of the tick's instrument whose ex-date the tick is the first quote on or after.</summary>
    private void RescaleForSplits(in SourceTick tick)
    {
        foreach (var (instrument, exDate, ratio) in Splits)
        {
            var start = exDate.DayNumber * TimeSpan.TicksPerDay;
            if (instrument == tick.Instrument && tick.Timestamp >= start && verifier.LatestQuoteTimeOf(instrument) < start)
            {
                verifier.Rescale(instrument, ratio);
            }
        }
    }

    /// <summary>For <see cref="Conflate"/>: the pass that last kept each instrument, and where it put it.</summary>
    private long[] keptIn = [];
    private int[] keptAt = [];
    private long conflation;

    /// <summary>
    /// Keeps, of one read's verified changes, only each instrument's last within each trading day, in feed order:
    /// evaluation applies a batch's last price per instrument anyway, so the book ends the same, and neither the ring
    /// nor the journal carries a busy feed's every step. A day's changes never merge into the next day's.
    /// </summary>
    internal void Conflate(List<PriceEvent> changes)
    {
        if (changes.Count < 2)
        {
            return;
        }
        if (keptIn.Length < verifier.InstrumentCount)
        {
            keptIn = new long[verifier.InstrumentCount];
            keptAt = new int[verifier.InstrumentCount];
        }
        // From the end back: the first seen of an instrument in a day is its last. Kept ones move to the tail, and
        // count the changes they stand for (evaluation tells a busy feed by them).
        var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(changes);
        var kept = all.Length;
        var day = long.MinValue;
        for (var i = all.Length - 1; i >= 0; i--)
        {
            var change = all[i];
            var changeDay = change.MarketTime / TimeSpan.TicksPerDay;
            if (changeDay != day)
            {
                day = changeDay;
                conflation++;
            }
            if (keptIn[change.Instrument] != conflation)
            {
                keptIn[change.Instrument] = conflation;
                keptAt[change.Instrument] = --kept;
                all[kept] = change;
            }
            else
            {
                all[keptAt[change.Instrument]].Changes += change.Changes;
            }
        }
        changes.RemoveRange(0, kept);
    }

    private void CheckStaleness(long marketNow)
    {
        lock (JournalOrder)
        {
            Journal?.Append(new JournalEntry { Kind = JournalEntryKind.StalenessCheck, Now = marketNow });
            verifier.CheckStaleness(marketNow);
        }
    }

    /// <summary>Reads past the ticks a recovery found in the journal (the feed restarts from its beginning).</summary>
    private void SkipJournaledTicks()
    {
        if (feed is IResumableFeed resumable && Counters.TicksRead < resumeAfter)
        {
            var skipped = resumable.SkipTo(resumeAfter - Counters.TicksRead, verifier.LatestQuoteTime is var latest and > long.MinValue ? latest : feed.Now);
            Counters.TicksRead += skipped;
            if (Counters.TicksRead < resumeAfter)
            {
                throw new InvalidOperationException($"the feed ended after {Counters.TicksRead} ticks, but the journal holds {resumeAfter}: it is not the feed this state was built from");
            }
            return;
        }
        while (Counters.TicksRead < resumeAfter && !stop.IsSet)
        {
            var want = (int)Math.Min(buffer.Length, resumeAfter - Counters.TicksRead);
            var read = feed.Read(buffer.AsSpan(0, want));
            Counters.TicksRead += read;
            if (read == 0)
            {
                if (feed.IsCompleted)
                {
                    throw new InvalidOperationException($"the feed ended after {Counters.TicksRead} ticks, but the journal holds {resumeAfter}: it is not the feed this state was built from");
                }
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>Journals the verifier's state if a checkpoint asked for it: between two offers, it matches the journal exactly.</summary>
    private void ServiceSnapshot()
    {
        if (!snapshotRequested || Journal is null)
        {
            return;
        }
        snapshotRequested = false;
        var image = CaptureVerifier();
        var address = Journal.Append(new JournalEntry { Kind = JournalEntryKind.VerifierState, Verifier = image });
        Volatile.Write(ref snapshotImage, image);
        Volatile.Write(ref snapshotCursor, ring.Cursor.Value);
        Volatile.Write(ref snapshotAddress, address);
    }

    /// <summary>Lockstep: publishes the day's verified prices in one go, so evaluation takes the whole day as one batch.</summary>
    private void FlushDay()
    {
        for (var from = 0; from < dayEvents.Count; from += ring.Capacity)
        {
            var count = Math.Min(ring.Capacity, dayEvents.Count - from);
            var high = ring.Next(count);
            var low = high - count + 1;
            var stamp = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i++)
            {
                var e = dayEvents[from + i];
                // A lockstep wait is replay pacing, not engine latency: such ticks are stamped when they enter the ring.
                e.ReceivedAt = stamp;
                ring[low + i] = e;
            }
            ring.Publish(low, high);
        }
        dayEvents.Clear();
    }

    private void WaitForIdle()
    {
        var spin = new SpinWait();
        while (!stop.IsSet && !(ring.Backlog == 0 && (PipelineIdle?.Invoke() ?? true)))
        {
            ServiceSnapshot();
            spin.SpinOnce(sleep1Threshold: 20);
        }
    }

    private void PublishEvent(PriceEvent e)
    {
        var sequence = ring.Next();
        ring[sequence] = e;
        ring.Publish(sequence);
    }

    private void Publish(int instrument, double price, long marketTime, long receivedAt, long feedPosition) =>
        PublishEvent(new PriceEvent { Instrument = instrument, Price = price, MarketTime = marketTime, ReceivedAt = receivedAt, FeedPosition = feedPosition });
}
