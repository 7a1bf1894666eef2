using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Drift;

/// <summary>Which implementation of the sweep to run.</summary>
public enum SweepPath
{
    /// <summary>The widest vector the CPU accelerates.</summary>
    Auto,
    Scalar,
    Vector128,
    Vector256,
    Vector512,
}

/// <summary>
/// The drift sweep: for every account, total value, investable value, per-position drift and the account figures
/// (worst absolute drift, worst relative drift, total drift, band excess). Written twice: <see cref="SweepPath.Scalar"/>
/// is the plain reference; the vector paths do the same arithmetic 8, 4 and 2 lanes at a time and are
/// property-tested against it.
/// </summary>
public static class DriftSweep
{
    /// <summary>Below this many accounts a second core costs more in hand-off than it saves.</summary>
    public const int ParallelThreshold = 16_384;

    /// <summary>The widest path this CPU accelerates.</summary>
    public static SweepPath BestPath =>
        Simd512.IsAccelerated ? SweepPath.Vector512
        : Simd256.IsAccelerated ? SweepPath.Vector256
        : Simd128.IsAccelerated ? SweepPath.Vector128
        : SweepPath.Scalar;

    /// <summary>Sweeps every account using the book's own cash.</summary>
    public static void Run(AccountBook book, DriftReport report, SweepPath path = SweepPath.Auto, bool parallel = true) =>
        Run(book, book.c.Cash, report, path, parallel);

    /// <summary>Sweeps every account with <paramref name="cash"/> standing in for the book's cash (e.g. after pending cash flows).</summary>
    public static void Run(AccountBook book, double[] cash, DriftReport report, SweepPath path = SweepPath.Auto, bool parallel = true)
    {
        ValidateShapes(book, cash, report);
        SweepSpan<StoredMarks>(ResolvePath(path), book, cash, report, 0, book.AccountCount, parallel);
    }

    /// <summary>Sweeps accounts [<paramref name="from"/>, <paramref name="to"/>), on both cores when asked and the range is large enough.</summary>
    /// <param name="refreshMarks">
    /// Copy each slot's instrument price onto its mark as the sweep reads it (the live pass, where the prices moved
    /// since these accounts were last swept): the same marks as <see cref="AccountBook.RefreshMarks(bool)"/>, in one walk.
    /// </param>
    public static void RunRange(AccountBook book, DriftReport report, int from, int to, SweepPath path = SweepPath.Auto, bool parallel = false, bool refreshMarks = false)
    {
        ValidateRange(book, report, from, to);
        if (refreshMarks)
        {
            SweepSpan<FreshMarks>(ResolvePath(path), book, book.c.Cash, report, from, to, parallel);
        }
        else
        {
            SweepSpan<StoredMarks>(ResolvePath(path), book, book.c.Cash, report, from, to, parallel);
        }
    }

    /// <summary>Checks that the report fits the book and that accounts [from, to) are in it, before any is swept.</summary>
    internal static void ValidateRange(AccountBook book, DriftReport report, int from, int to)
    {
        ValidateShapes(book, book.c.Cash, report);
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(to, book.AccountCount);
    }

    /// <summary>
    /// Sweeps accounts [<paramref name="from"/>, <paramref name="to"/>) on the calling thread, unchecked: a chunk of a
    /// range <see cref="SweepPartner"/> checked, whose lineup rows it already refreshed.
    /// </summary>
    internal static void SweepChunk(SweepPath resolvedPath, AccountBook book, DriftReport report, int from, int to, bool refreshMarks)
    {
        if (refreshMarks)
        {
            Sweep<AccountRange, FreshMarks>(resolvedPath, book, book.c.Cash, report, new AccountRange(from, to));
        }
        else
        {
            Sweep<AccountRange, StoredMarks>(resolvedPath, book, book.c.Cash, report, new AccountRange(from, to));
        }
    }

    private static void SweepSpan<TMarks>(SweepPath path, AccountBook book, double[] cash, DriftReport report, int from, int to, bool parallel)
        where TMarks : struct, IMarkSource
    {
        if (typeof(TMarks) == typeof(FreshMarks))
        {
            book.Lineups.Refresh(book.PriceArray);
        }
        var accounts = to - from;
        if (!parallel || accounts < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            Sweep<AccountRange, TMarks>(path, book, cash, report, new AccountRange(from, to));
            return;
        }
        // More chunks than cores so a core that finishes early takes another instead of idling.
        var chunks = Environment.ProcessorCount * 4;
        var perChunk = (accounts + chunks - 1) / chunks;
        Parallel.For(0, chunks, chunk =>
        {
            var first = from + (chunk * perChunk);
            var last = Math.Min(to, first + perChunk);
            if (first < last)
            {
                Sweep<AccountRange, TMarks>(path, book, cash, report, new AccountRange(first, last));
            }
        });
    }

    /// <summary>
    /// Sweeps only the listed accounts, on the calling thread: the live path, where a price tick names the accounts
    /// holding the instrument. Entries must be valid account indices; order does not matter.
    /// </summary>
    public static void RunAccounts(AccountBook book, DriftReport report, int[] accounts, int count, SweepPath path = SweepPath.Auto) =>
        RunAccounts(book, report, accounts, 0, count, path);

    /// <summary>Sweeps <paramref name="count"/> accounts of the list from <paramref name="start"/> on (a part of a longer list).</summary>
    public static void RunAccounts(AccountBook book, DriftReport report, int[] accounts, int start, int count, SweepPath path = SweepPath.Auto)
    {
        ValidateShapes(book, book.c.Cash, report);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, accounts.Length - start);
        for (var i = start; i < start + count; i++)
        {
            if ((uint)accounts[i] >= (uint)book.AccountCount)
            {
                throw new ArgumentOutOfRangeException(nameof(accounts), $"account index {accounts[i]} is not in the book");
            }
        }
        Sweep<AccountList, StoredMarks>(ResolvePath(path), book, book.c.Cash, report, new AccountList(accounts, start, count));
    }

    private static void ValidateShapes(AccountBook book, double[] cash, DriftReport report)
    {
        if (cash.Length != book.AccountCount || report.TotalValue.Length != book.AccountCount || report.Drift.Length != book.SlotCount)
        {
            ThrowShapeMismatch();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowShapeMismatch() =>
        throw new ArgumentException("the drift report and cash array must be sized for this book");

    internal static SweepPath ResolvePath(SweepPath path)
    {
        var resolved = path == SweepPath.Auto ? BestPath : path;
        var supported = resolved switch
        {
            SweepPath.Vector512 => Simd512.IsAccelerated,
            SweepPath.Vector256 => Simd256.IsAccelerated,
            SweepPath.Vector128 => Simd128.IsAccelerated,
            _ => true,
        };
        return supported ? resolved : throw new PlatformNotSupportedException($"{resolved} is not hardware accelerated on this CPU");
    }

    private static void Sweep<TAccounts, TMarks>(SweepPath path, AccountBook book, double[] cash, DriftReport r, TAccounts accounts)
        where TAccounts : struct, IAccountSet
        where TMarks : struct, IMarkSource
    {
        switch (path)
        {
            case SweepPath.Vector512:
                SweepLadder<TAccounts, TMarks>(book, cash, r, accounts, widest: 8);
                break;
            case SweepPath.Vector256:
                SweepLadder<TAccounts, TMarks>(book, cash, r, accounts, widest: 4);
                break;
            case SweepPath.Vector128:
                SweepLadder<TAccounts, TMarks>(book, cash, r, accounts, widest: 2);
                break;
            default:
                for (var i = 0; i < accounts.Count; i++)
                {
                    var a = accounts[i];
                    if (typeof(TMarks) == typeof(FreshMarks))
                    {
                        book.RefreshMarks(book.c.SlotStart[a], book.c.SlotStart[a + 1], parallel: false);
                    }
                    SweepAccountScalar(book.c, cash, r, a);
                }
                break;
        }
    }

    /// <summary>The reference implementation for one account: plain loops, no vectors.</summary>
    internal static void SweepAccountScalar(BookColumns c, double[] cash, DriftReport r, int a)
    {
        var start = c.SlotStart[a];
        var end = c.SlotStart[a + 1];
        var total = 0.0;
        for (var s = start; s < end; s++)
        {
            total += c.Quantity[s] * c.Mark[s];
        }
        total += cash[a];
        var investable = StoreValues(c, r, a, total);
        if (!(investable > 0))
        {
            ClearDrift(r, a, start, end);
            return;
        }

        var inverse = 1 / investable;
        var (relativeScale, absoluteTolerance) = Tolerance(c, a);
        double maxAbs = 0, sumAbs = 0, maxRelative = 0, maxExcess = double.NegativeInfinity;
        for (var s = start; s < end; s++)
        {
            var target = c.Target[s];
            var drift = (c.Quantity[s] * c.Mark[s] * inverse) - target;
            r.Drift[s] = drift;
            var abs = Math.Abs(drift);
            maxAbs = Math.Max(maxAbs, abs);
            sumAbs += abs;
            maxExcess = Math.Max(maxExcess, abs - ((target * relativeScale) + absoluteTolerance));
            if (target > 0)
            {
                maxRelative = Math.Max(maxRelative, abs / target);
            }
        }
        StoreFigures(r, a, maxAbs, maxRelative, sumAbs, maxExcess);
    }

    /// <summary>
    /// The vector kernel: a ladder. Each account's slots are taken 8 at a time (Vector512) while 8 remain, then 4
    /// (Vector256), then 2 (Vector128), then one by one. The accumulators are folded in half at each step down, so the
    /// fold is the horizontal reduction and no lane is ever masked or read twice. <paramref name="widest"/> is where
    /// the ladder starts (8, 4 or 2 lanes), which is how each path is tested on its own.
    /// The first walk stores each slot's value (quantity x mark) where its drift will go, and the second reads it
    /// back from there (a cache line still in L1) instead of loading and multiplying quantity and mark again.
    /// Every column reference is moved to the account's first slot, so a walk indexes slots from 0 and a lineup's price
    /// row lines up with the account's slots.
    /// </summary>
    // Optimized from the first call: a recovery replays a few hundred batches, too few for tiering to reach this
    // loop before the replay is over; straight-line vector code gains nothing from the profile tiering would gather.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SweepLadder<TAccounts, TMarks>(AccountBook book, double[] cash, DriftReport r, TAccounts accounts, int widest)
        where TAccounts : struct, IAccountSet
        where TMarks : struct, IMarkSource
    {
        var c = book.c;
        var lineups = book.Lineups;
        ref var q = ref MemoryMarshal.GetArrayDataReference(c.Quantity);
        ref var m = ref MemoryMarshal.GetArrayDataReference(c.Mark);
        ref var ix = ref MemoryMarshal.GetArrayDataReference(c.InstrumentIndex);
        ref var p = ref MemoryMarshal.GetArrayDataReference(book.PriceArray);
        ref var t = ref MemoryMarshal.GetArrayDataReference(c.Target);
        ref var it = ref MemoryMarshal.GetArrayDataReference(c.InverseTarget);
        ref var d = ref MemoryMarshal.GetArrayDataReference(r.Drift);

        for (var i = 0; i < accounts.Count; i++)
        {
            var a = accounts[i];
            var start = c.SlotStart[a];
            var end = c.SlotStart[a + 1];
            var first = (nuint)start;
            var length = end - start;

            ref var row = ref typeof(TMarks) == typeof(FreshMarks) ? ref lineups.Row(a) : ref Unsafe.NullRef<double>();
            var total = Unsafe.IsNullRef(ref row)
                ? Values<TMarks>(ref Unsafe.Add(ref q, first), ref Unsafe.Add(ref m, first), ref Unsafe.Add(ref ix, first), ref p, ref Unsafe.Add(ref d, first), length, widest)
                : Values<RowMarks>(ref Unsafe.Add(ref q, first), ref Unsafe.Add(ref m, first), ref Unsafe.Add(ref ix, first), ref row, ref Unsafe.Add(ref d, first), length, widest);

            var investable = StoreValues(c, r, a, total + cash[a]);
            if (!(investable > 0))
            {
                ClearDrift(r, a, start, end);
                continue;
            }
            var inverse = 1 / investable;
            if (c.RelativeBand[a])
            {
                WalkDrift<RelativeBand>(r, ref Unsafe.Add(ref t, first), ref Unsafe.Add(ref it, first), ref Unsafe.Add(ref d, first), a, length, inverse, c.BandWidth[a], 0, widest);
            }
            else
            {
                WalkDrift<AbsoluteBand>(r, ref Unsafe.Add(ref t, first), ref Unsafe.Add(ref it, first), ref Unsafe.Add(ref d, first), a, length, inverse, 0, c.BandWidth[a], widest);
            }
        }
    }

    /// <summary>
    /// The ladder's first walk over an account's <paramref name="length"/> slots (every reference at its first slot):
    /// stores each slot's value (quantity x mark) in <paramref name="d"/> and returns their sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Values<TMarks>(ref double q, ref double m, ref int ix, ref double p, ref double d, int length, int widest)
        where TMarks : struct, IMarkSource
    {
        var s = 0;
        // Each width's accumulator exists only where the ladder starts at or above it: a CPU without the wider
        // vectors would otherwise run their software fallback (calls, not instructions) for every account.
        var value128 = Vector128<double>.Zero;
        if (widest >= 4)
        {
            var value256 = Vector256<double>.Zero;
            if (widest >= 8)
            {
                var value512 = Vector512<double>.Zero;
                for (; s <= length - 8; s += 8)
                {
                    var value = Vector512.LoadUnsafe(ref q, (nuint)s) * TMarks.Read512(ref m, ref ix, ref p, (nuint)s);
                    value.StoreUnsafe(ref d, (nuint)s);
                    value512 += value;
                }
                value256 = value512.GetLower() + value512.GetUpper();
            }
            for (; s <= length - 4; s += 4)
            {
                var value = Vector256.LoadUnsafe(ref q, (nuint)s) * TMarks.Read256(ref m, ref ix, ref p, (nuint)s);
                value.StoreUnsafe(ref d, (nuint)s);
                value256 += value;
            }
            value128 = value256.GetLower() + value256.GetUpper();
        }
        for (; s <= length - 2; s += 2)
        {
            var value = Vector128.LoadUnsafe(ref q, (nuint)s) * TMarks.Read128(ref m, ref ix, ref p, (nuint)s);
            value.StoreUnsafe(ref d, (nuint)s);
            value128 += value;
        }
        var total = value128.GetElement(0) + value128.GetElement(1);
        for (; s < length; s++)
        {
            var value = Unsafe.Add(ref q, s) * TMarks.Read(ref m, ref ix, ref p, (nuint)s);
            Unsafe.Add(ref d, s) = value;
            total += value;
        }
        return total;
    }

    /// <summary>
    /// The ladder's second walk over an account's slots: drift from the stored values, and the account's figures. With
    /// an absolute band every slot has the same tolerance, so the worst excess is the worst drift less the band, taken
    /// once instead of per slot (rounding is monotonic, so the two are equal to the bit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WalkDrift<TBand>(DriftReport r, ref double t, ref double it, ref double d, int a, int length, double inverse, double relativeScale, double absoluteTolerance, int widest)
        where TBand : struct, IBandKind
    {
        var s = 0;
        // As in Values: the wider accumulators only where the ladder starts at or above them.
        var acc128 = DriftAccumulator<Vector128<double>>.Start<Simd128>();
        if (widest >= 4)
        {
            var acc256 = DriftAccumulator<Vector256<double>>.Start<Simd256>();
            if (widest >= 8)
            {
                var acc512 = DriftAccumulator<Vector512<double>>.Start<Simd512>();
                var k512 = new DriftConstants<Vector512<double>>(Vector512.Create(inverse), Vector512.Create(relativeScale), Vector512.Create(absoluteTolerance));
                for (; s <= length - 8; s += 8)
                {
                    acc512.Step<Simd512, TBand>(ref t, ref it, ref d, (nuint)s, k512);
                }
                acc256 = acc512.Fold();
            }
            var k256 = new DriftConstants<Vector256<double>>(Vector256.Create(inverse), Vector256.Create(relativeScale), Vector256.Create(absoluteTolerance));
            for (; s <= length - 4; s += 4)
            {
                acc256.Step<Simd256, TBand>(ref t, ref it, ref d, (nuint)s, k256);
            }
            acc128 = acc256.Fold();
        }
        var k128 = new DriftConstants<Vector128<double>>(Vector128.Create(inverse), Vector128.Create(relativeScale), Vector128.Create(absoluteTolerance));
        for (; s <= length - 2; s += 2)
        {
            acc128.Step<Simd128, TBand>(ref t, ref it, ref d, (nuint)s, k128);
        }
        var (maxAbs, sumAbs, maxRelative, maxExcess) = acc128.Fold();
        for (; s < length; s++)
        {
            var target = Unsafe.Add(ref t, s);
            var drift = (Unsafe.Add(ref d, s) * inverse) - target;
            Unsafe.Add(ref d, s) = drift;
            var abs = Math.Abs(drift);
            maxAbs = Math.Max(maxAbs, abs);
            sumAbs += abs;
            if (TBand.IsRelative)
            {
                maxExcess = Math.Max(maxExcess, abs - ((target * relativeScale) + absoluteTolerance));
            }
            maxRelative = Math.Max(maxRelative, abs * Unsafe.Add(ref it, s));
        }
        if (!TBand.IsRelative)
        {
            maxExcess = length > 0 ? maxAbs - absoluteTolerance : double.NegativeInfinity;
        }
        StoreFigures(r, a, maxAbs, maxRelative, sumAbs, maxExcess);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double StoreValues(BookColumns c, DriftReport r, int a, double total)
    {
        var investable = total - (c.ReserveAmount[a] + (c.ReservePercent[a] * total));
        r.TotalValue[a] = total;
        r.InvestableValue[a] = investable;
        return investable;
    }

    /// <summary>A tolerance is target × relativeScale + absoluteTolerance, so one formula covers both band types.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double RelativeScale, double AbsoluteTolerance) Tolerance(BookColumns c, int a) =>
        c.RelativeBand[a] ? (c.BandWidth[a], 0) : (0, c.BandWidth[a]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFigures(DriftReport r, int a, double maxAbs, double maxRelative, double sumAbs, double maxExcess)
    {
        r.MaxAbsDrift[a] = maxAbs;
        r.MaxRelativeDrift[a] = maxRelative;
        r.TotalDrift[a] = sumAbs / 2;
        r.MaxExcess[a] = maxExcess;
    }

    private static void ClearDrift(DriftReport r, int a, int start, int end)
    {
        r.Drift.AsSpan(start, end - start).Clear();
        StoreFigures(r, a, 0, 0, 0, double.NegativeInfinity);
    }
}

/// <summary>Which accounts a sweep visits. A struct type parameter, so the JIT compiles one loop per kind with no indirection.</summary>
internal interface IAccountSet
{
    int Count { get; }

    int this[int i] { get; }
}

/// <summary>Accounts [From, To): the full sweep.</summary>
internal readonly struct AccountRange(int from, int to) : IAccountSet
{
    public int Count => to - from;

    public int this[int i] => from + i;
}

/// <summary>An explicit list of accounts: the incremental sweep after a tick.</summary>
internal readonly struct AccountList(int[] accounts, int start, int count) : IAccountSet
{
    public int Count => count;

    public int this[int i] => accounts[start + i];
}
