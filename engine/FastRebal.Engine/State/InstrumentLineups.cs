using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastRebal.Engine.State;

/// <summary>
/// The instrument lineups that many accounts share, each with a row holding its instruments' prices. An account that
/// holds exactly its model's instruments has the model's lineup (the builder lays out model instruments first, in
/// the model's order). A live sweep copies the rows' prices once, then reads such an account's marks from its row in
/// straight vector loads instead of gathering each slot's price through its instrument index: the gather, not the
/// memory traffic, was the larger cost of the live sweep.
/// </summary>
/// <remarks>
/// Only lineups shared by two accounts or more get a row, most shared first, up to <see cref="MaxRowSlots"/> slots
/// in all, so copying every row stays a few microseconds however varied the book is; an account without a row has
/// its prices gathered as before. A book's slots never change after it is built, so the lineups found then hold
/// for its life.
/// </remarks>
internal sealed class InstrumentLineups
{
    /// <summary>Row slots at most: copying them all costs a few microseconds, once per slice of a live pass.</summary>
    public const int MaxRowSlots = 4096;

    /// <summary>Per account, the offset of its lineup's row in <see cref="rowPrices"/>, or -1 when it has none.</summary>
    private readonly int[] rowOf;

    /// <summary>The rows' instruments, row after row; <see cref="rowPrices"/> holds their prices at the same offsets.</summary>
    private readonly int[] rowInstruments;
    private readonly double[] rowPrices;

    private InstrumentLineups(int[] rowOf, int[] rowInstruments, int lineupCount)
    {
        this.rowOf = rowOf;
        this.rowInstruments = rowInstruments;
        rowPrices = new double[rowInstruments.Length];
        LineupCount = lineupCount;
    }

    /// <summary>Lineups given a row.</summary>
    public int LineupCount { get; }

    /// <summary>Accounts whose marks come from a row.</summary>
    public int AccountsWithRow => rowOf.Count(r => r >= 0);

    /// <summary>Finds the shared lineups of a book's slot layout, with rows of <paramref name="maxRowSlots"/> slots at most in all.</summary>
    public static InstrumentLineups Find(int[] slotStart, int[] instrumentIndex, int maxRowSlots = MaxRowSlots)
    {
        var accountCount = slotStart.Length - 1;
        // Each lineup is named by the first account that has it; the comparer looks at the accounts' instrument runs.
        var firstWith = new Dictionary<int, int>(new SameInstruments(slotStart, instrumentIndex));
        var representative = new int[accountCount];
        var shared = new Dictionary<int, int>();
        for (var a = 0; a < accountCount; a++)
        {
            if (slotStart[a + 1] == slotStart[a])
            {
                representative[a] = -1;
                continue;
            }
            if (!firstWith.TryGetValue(a, out var first))
            {
                firstWith.Add(a, a);
                first = a;
            }
            representative[a] = first;
            shared[first] = shared.GetValueOrDefault(first) + 1;
        }

        var rowStartOf = new Dictionary<int, int>();
        var instruments = new List<int>();
        foreach (var (first, count) in shared.Where(e => e.Value >= 2).OrderByDescending(e => e.Value).ThenBy(e => e.Key))
        {
            var length = slotStart[first + 1] - slotStart[first];
            if (instruments.Count + length > maxRowSlots)
            {
                continue;
            }
            rowStartOf[first] = instruments.Count;
            instruments.AddRange(instrumentIndex.AsSpan(slotStart[first], length));
        }

        var rowOf = new int[accountCount];
        for (var a = 0; a < accountCount; a++)
        {
            rowOf[a] = representative[a] >= 0 && rowStartOf.TryGetValue(representative[a], out var row) ? row : -1;
        }
        return new InstrumentLineups(rowOf, [.. instruments], rowStartOf.Count);
    }

    /// <summary>Copies the instrument prices onto every row. Call before a sweep reads rows, on one thread.</summary>
    public void Refresh(double[] prices)
    {
        // Every row instrument is a slot's instrument, which the book checked against the price array when it was built.
        ref var price = ref MemoryMarshal.GetArrayDataReference(prices);
        for (var k = 0; k < rowInstruments.Length; k++)
        {
            rowPrices[k] = Unsafe.Add(ref price, rowInstruments[k]);
        }
    }

    /// <summary>The first price of the account's row (its slots' prices follow, in slot order), or a null reference when it has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref double Row(int account)
    {
        var row = rowOf[account];
        return ref row >= 0 ? ref rowPrices[row] : ref Unsafe.NullRef<double>();
    }

    /// <summary>Two accounts are equal when they hold the same instruments in the same slot order.</summary>
    private sealed class SameInstruments(int[] slotStart, int[] instrumentIndex) : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => Run(x).SequenceEqual(Run(y));

        public int GetHashCode(int account)
        {
            var hash = default(HashCode);
            hash.AddBytes(MemoryMarshal.AsBytes(Run(account)));
            return hash.ToHashCode();
        }

        private ReadOnlySpan<int> Run(int account) => instrumentIndex.AsSpan(slotStart[account], slotStart[account + 1] - slotStart[account]);
    }
}
