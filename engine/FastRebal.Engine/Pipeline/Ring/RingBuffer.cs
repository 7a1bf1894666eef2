using System.Runtime.CompilerServices;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// A preallocated ring of struct slots in the LMAX Disruptor style, for one producer thread. The producer claims a
/// sequence with <see cref="Next()"/>, writes the slot in place through the <c>ref</c> indexer, and publishes it;
/// consumers (<see cref="BatchProcessor{T, THandler}"/>) read every published slot in order, a whole batch at a time.
/// Nothing is allocated per event and no slot is ever copied into a queue node.
/// </summary>
/// <remarks>
/// Back-pressure: the producer never laps the slowest consumer registered with <see cref="AddGatingSequence"/>; when
/// the ring is full it waits (spinning briefly, then yielding, then sleeping) until that consumer moves on. Exactly one
/// thread may call <see cref="Next()"/> and <see cref="Publish(long)"/>.
/// </remarks>
public sealed class RingBuffer<T>
    where T : struct
{
    private readonly T[] slots;
    private readonly long mask;
    private readonly IWaitStrategy wait;
    private readonly Sequence cursor = new();
    private Sequence[] gating = [];

    // Producer-only state: no other thread reads these, so they need no padding or fences.
    private long claimed = Sequence.Initial;
    private long cachedMinimumGating = Sequence.Initial;

    public RingBuffer(int capacity, IWaitStrategy wait)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentException($"ring capacity must be a power of two of at least 2, got {capacity}", nameof(capacity));
        }
        slots = new T[capacity];
        mask = capacity - 1;
        this.wait = wait;
    }

    public int Capacity => slots.Length;

    /// <summary>The highest published sequence.</summary>
    public Sequence Cursor => cursor;

    public IWaitStrategy WaitStrategy => wait;

    /// <summary>The slot of a sequence; the producer writes it between claim and publish, consumers read it after.</summary>
    public ref T this[long sequence]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref slots[(int)(sequence & mask)];
    }

    /// <summary>Makes the producer wait for this consumer before reusing a slot. Register before publishing starts.</summary>
    public void AddGatingSequence(Sequence consumer) => gating = [.. gating, consumer];

    /// <summary>Claims the next slot, waiting while the ring is full.</summary>
    public long Next() => Next(1);

    /// <summary>Claims the next <paramref name="count"/> slots and returns the highest.</summary>
    public long Next(int count)
    {
        if ((uint)(count - 1) >= (uint)slots.Length)
        {
            ThrowBadCount(count);
        }
        var next = claimed + count;
        var wrapPoint = next - slots.Length;
        if (wrapPoint > cachedMinimumGating)
        {
            var spin = new SpinWait();
            long minimum;
            while (wrapPoint > (minimum = MinimumGating(claimed)))
            {
                spin.SpinOnce(sleep1Threshold: 30);
            }
            cachedMinimumGating = minimum;
        }
        claimed = next;
        return next;
    }

    /// <summary>Claims one slot if one is free now, without waiting.</summary>
    public bool TryNext(out long sequence)
    {
        var next = claimed + 1;
        if (next - slots.Length > cachedMinimumGating && next - slots.Length > (cachedMinimumGating = MinimumGating(claimed)))
        {
            sequence = -1;
            return false;
        }
        claimed = next;
        sequence = next;
        return true;
    }

    /// <summary>Makes the slot visible to consumers.</summary>
    public void Publish(long sequence)
    {
        cursor.SetVolatile(sequence);
        wait.Signal();
    }

    /// <summary>Makes slots <paramref name="low"/>..<paramref name="high"/> visible at once (one fence for the batch).</summary>
    public void Publish(long low, long high)
    {
        Publish(high);
    }

    /// <summary>Slots claimed by the producer and not yet consumed by every gating consumer.</summary>
    public long Backlog => Cursor.Value - MinimumGating(Cursor.Value);

    private long MinimumGating(long fallback)
    {
        var minimum = fallback;
        foreach (var sequence in gating)
        {
            minimum = Math.Min(minimum, sequence.Value);
        }
        return minimum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadCount(int count) =>
        throw new ArgumentOutOfRangeException(nameof(count), $"can claim 1 to the ring's capacity at once, asked for {count}");
}
