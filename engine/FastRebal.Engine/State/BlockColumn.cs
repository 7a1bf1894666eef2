using System.Runtime.CompilerServices;

namespace FastRebal.Engine.State;

/// <summary>
/// Values appended in blocks of a fixed size, so the column grows without copying what it holds: twenty million
/// positions in one array that doubles would copy it again and again.
/// </summary>
internal sealed class BlockColumn<T>
    where T : unmanaged
{
    private const int Shift = 16;
    private const int Mask = (1 << Shift) - 1;
    private readonly List<T[]> blocks = [];

    // The block the next value goes in, so that adding (tens of millions of times) does not look it up in the list.
    private T[] last = [];

    public int Count { get; private set; }

    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref blocks[index >> Shift][index & Mask];
    }

    public void Add(T value)
    {
        var at = Count & Mask;
        if (at == 0)
        {
            if (Count >> Shift == blocks.Count)
            {
                // Every value is written before it is read, so the block need not be cleared first.
                blocks.Add(GC.AllocateUninitializedArray<T>(1 << Shift));
            }
            last = blocks[Count >> Shift];
        }
        last[at] = value;
        Count++;
    }

    /// <summary>Drops the values from <paramref name="count"/> on.</summary>
    public void Truncate(int count)
    {
        Count = Math.Min(Count, count);
        if ((Count & Mask) != 0)
        {
            last = blocks[Count >> Shift];
        }
    }

    /// <summary>The values in one array of their exact length.</summary>
    public T[] ToArray()
    {
        var all = GC.AllocateUninitializedArray<T>(Count);
        for (var b = 0; b * (1 << Shift) < Count; b++)
        {
            blocks[b].AsSpan(0, Math.Min(1 << Shift, Count - (b * (1 << Shift)))).CopyTo(all.AsSpan(b * (1 << Shift)));
        }
        return all;
    }
}
