namespace FastRebal.Engine.Pipeline;

/// <summary>What a stage does with each slot of its input ring.</summary>
public interface IRingHandler<T>
    where T : struct
{
    /// <summary>
    /// Handles one slot. <paramref name="endOfBatch"/> is true on the last slot available when the batch began: the
    /// place to do per-batch work (evaluate, flush), which is what lets a slow stage catch up by taking bigger batches.
    /// </summary>
    void OnEvent(ref T item, long sequence, bool endOfBatch);
}

/// <summary>How a processor is doing, for the status snapshot.</summary>
public enum ProcessorState
{
    Idle,
    Running,
    Stopped,

    /// <summary>A handler threw: the processor records it and carries on, so the pipeline never wedges (the host reacts, e.g. with the kill switch).</summary>
    Faulted,
}

/// <summary>
/// Runs one stage on a dedicated thread: waits for published slots, hands every available one to the handler in
/// order, then advances its own <see cref="Sequence"/> once per batch (which is what frees the slots for the
/// producer). Generic over the handler type so the JIT can inline a struct handler's calls.
/// </summary>
public sealed class BatchProcessor<T, THandler>
    where T : struct
    where THandler : IRingHandler<T>
{
    /// <summary>Within a long batch, how many slots are handled between releases back to the producer (a power of two).</summary>
    private const int ReleaseEvery = 4096;

    private readonly RingBuffer<T> ring;
    private readonly StopSignal stop = new();
    // Not readonly on purpose: calling a struct handler through a readonly field would copy it on every call and
    // lose the state it keeps between events.
#pragma warning disable IDE0044
    private THandler handler;
#pragma warning restore IDE0044
    private Thread? thread;
    private long drainTo = long.MaxValue;
    private int state;
    private Exception? fault;
    private long faults;

    /// <param name="ring">The input ring; this processor becomes one of its gating consumers.</param>
    /// <param name="handler">The stage.</param>
    /// <param name="name">Thread name, for dumps and profilers.</param>
    public BatchProcessor(RingBuffer<T> ring, THandler handler, string name)
    {
        this.ring = ring;
        this.handler = handler;
        Name = name;
        ring.AddGatingSequence(Sequence);
    }

    public string Name { get; }

    /// <summary>The last slot this processor finished.</summary>
    public Sequence Sequence { get; } = new();

    public ProcessorState State => (ProcessorState)Volatile.Read(ref state);

    /// <summary>Whether <see cref="Stop"/> has been called (the thread may still be finishing a batch).</summary>
    internal bool Stopping => stop.IsSet;

    /// <summary>The first exception a handler threw, if any.</summary>
    public Exception? Fault => Volatile.Read(ref fault);

    public long FaultCount => Interlocked.Read(ref faults);

    /// <summary>Called on the processor thread when a handler throws (after it is recorded).</summary>
    public Action<Exception>? OnFault { get; init; }

    public void Start()
    {
        if (Interlocked.CompareExchange(ref state, (int)ProcessorState.Running, (int)ProcessorState.Idle) != (int)ProcessorState.Idle)
        {
            throw new InvalidOperationException($"{Name} was already started");
        }
        thread = new Thread(Run) { IsBackground = true, Name = Name };
        thread.Start();
    }

    /// <summary>
    /// Stops after draining: every slot published before this call is handled, then the thread ends. Stop the
    /// producer first, or slots it publishes meanwhile may be left for the next start. With
    /// <paramref name="drain"/> false it stops after the batch under way, leaving what is published and not taken yet.
    /// </summary>
    public void Stop(TimeSpan? timeout = null, bool drain = true)
    {
        Volatile.Write(ref drainTo, drain ? ring.Cursor.Value : long.MinValue);
        stop.Set();
        ring.WaitStrategy.Signal();
        if (thread is not null && !thread.Join(timeout ?? TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"{Name} did not drain within {timeout ?? TimeSpan.FromSeconds(30)}");
        }
    }

    private void Run()
    {
        var next = Sequence.Value + 1;
        while (true)
        {
            var available = ring.WaitStrategy.WaitFor(next, ring.Cursor, stop);
            if (stop.IsSet && next > Volatile.Read(ref drainTo))
            {
                // Drained to where Stop asked (nothing more, when it asked for no draining).
                break;
            }
            if (available < next)
            {
                if (stop.IsSet)
                {
                    // Stop came while slots were still being handed out: take them without waiting.
                    available = ring.Cursor.Value;
                    if (available < next)
                    {
                        break;
                    }
                }
                else
                {
                    continue;
                }
            }
            // A batch runs to what is published when it reaches its last slot, not only to what was there when it
            // began (up to one ring's worth): a stage that conflates (evaluation) then takes all the backlog at once.
            // Slots are released every ReleaseEvery events, so the producer keeps filling while the batch is handled;
            // handlers copy what they keep from a slot, so a released slot is never read again.
            var batchStart = next;
            for (var s = next; ; s++)
            {
                // A stopping processor's batch ends where it stands: what follows is for the next batch, if any.
                if (s == available && s - batchStart < ring.Capacity && !stop.IsSet)
                {
                    available = Math.Max(available, Math.Min(ring.Cursor.Value, batchStart + ring.Capacity - 1));
                }
                try
                {
                    handler.OnEvent(ref ring[s], s, s == available);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref faults);
                    Interlocked.CompareExchange(ref fault, e, null);
                    Volatile.Write(ref state, (int)ProcessorState.Faulted);
                    OnFault?.Invoke(e);
                }
                if (s == available)
                {
                    break;
                }
                if ((s & (ReleaseEvery - 1)) == 0)
                {
                    Sequence.SetVolatile(s);
                }
            }
            Sequence.SetVolatile(available);
            next = available + 1;
        }
        Interlocked.CompareExchange(ref state, (int)ProcessorState.Stopped, (int)ProcessorState.Running);
    }
}
