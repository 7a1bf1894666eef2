namespace FastRebal.Engine.Pipeline;

/// <summary>
/// How a consumer waits for the producer. Every strategy here gives its core back while it waits: this engine runs on
/// machines with as few as two cores, where a busy-spinning consumer starves the very stage it is waiting for.
/// </summary>
public interface IWaitStrategy
{
    /// <summary>
    /// Waits until <paramref name="cursor"/> reaches <paramref name="sequence"/> and returns the highest published
    /// sequence (so the caller can take the whole batch), or returns early with a lower value once
    /// <paramref name="stop"/> is set.
    /// </summary>
    long WaitFor(long sequence, Sequence cursor, StopSignal stop);

    /// <summary>Called by the producer after publishing: wakes consumers that sleep in <see cref="WaitFor"/>.</summary>
    void Signal();
}

/// <summary>A flag a processor's owner sets to make it finish; waits check it.</summary>
public sealed class StopSignal
{
    private volatile bool set;

    public bool IsSet => set;

    public void Set() => set = true;
}

/// <summary>
/// Sleeps on a monitor until the producer signals. The lowest CPU use and a wake-up latency of a few microseconds;
/// the default for the engine's stages, which share two cores with ingestion and the console. The producer only
/// takes the lock when a consumer is actually asleep, so publishing stays cheap under load.
/// </summary>
public sealed class BlockingWaitStrategy : IWaitStrategy
{
    private readonly object gate = new();
    private int sleepers;

    public long WaitFor(long sequence, Sequence cursor, StopSignal stop)
    {
        var available = cursor.Value;
        if (available >= sequence)
        {
            return available;
        }
        // A short spin first: under load the next batch is usually microseconds away.
        for (var spin = 0; spin < 64; spin++)
        {
            Thread.SpinWait(20);
            if ((available = cursor.Value) >= sequence)
            {
                return available;
            }
        }
        lock (gate)
        {
            Interlocked.Increment(ref sleepers);
            try
            {
                while ((available = cursor.Value) < sequence && !stop.IsSet)
                {
                    // The timeout is a safety net only; a publish wakes the consumer at once.
                    Monitor.Wait(gate, 10);
                }
            }
            finally
            {
                Interlocked.Decrement(ref sleepers);
            }
        }
        return available;
    }

    public void Signal()
    {
        // The fence orders the producer's cursor write before this read of the sleeper count (store-load), so a
        // consumer that went to sleep after reading the old cursor is always seen and woken.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref sleepers) > 0)
        {
            lock (gate)
            {
                Monitor.PulseAll(gate);
            }
        }
    }
}

/// <summary>
/// Spins briefly, then yields the core, then sleeps a millisecond at a time. Lower wake-up latency than
/// <see cref="BlockingWaitStrategy"/> while busy and no lock at all, at the price of up to a millisecond's delay after
/// a long quiet spell; good for a throughput benchmark or a host with a core to spare per stage.
/// </summary>
public sealed class YieldingWaitStrategy : IWaitStrategy
{
    public long WaitFor(long sequence, Sequence cursor, StopSignal stop)
    {
        long available;
        var attempts = 0;
        while ((available = cursor.Value) < sequence && !stop.IsSet)
        {
            attempts++;
            if (attempts < 100)
            {
                Thread.SpinWait(10);
            }
            else if (attempts < 200)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(attempts < 1000 ? 0 : 1);
            }
        }
        return available;
    }

    public void Signal()
    {
    }
}
