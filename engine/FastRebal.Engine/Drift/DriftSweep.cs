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
/// is the plain reference, the vector paths are the same arithmetic over 2, 4 or 8 lanes and are property-tested
/// against it.
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
        var resolved = Resolve(path);
        var accounts = book.AccountCount;
        if (!parallel || accounts < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            SweepRange(resolved, book.c, cash, report, 0, accounts);
            return;
        }
        // More chunks than cores so a core that finishes early takes another instead of idling.
        var chunks = Environment.ProcessorCount * 4;
        var perChunk = (accounts + chunks - 1) / chunks;
        Parallel.For(0, chunks, chunk =>
        {
            var from = chunk * perChunk;
            var to = Math.Min(accounts, from + perChunk);
            if (from < to)
            {
                SweepRange(resolved, book.c, cash, report, from, to);
            }
        });
    }

    /// <summary>Sweeps accounts [<paramref name="from"/>, <paramref name="to"/>) on the calling thread.</summary>
    public static void RunRange(AccountBook book, DriftReport report, int from, int to, SweepPath path = SweepPath.Auto)
    {
        ValidateShapes(book, book.c.Cash, report);
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(to, book.AccountCount);
        SweepRange(Resolve(path), book.c, book.c.Cash, report, from, to);
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

    private static SweepPath Resolve(SweepPath path)
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

    private static void SweepRange(SweepPath path, BookColumns c, double[] cash, DriftReport r, int from, int to)
    {
        switch (path)
        {
            case SweepPath.Vector512:
                SweepVector<Simd512, Vector512<double>>(c, cash, r, from, to);
                break;
            case SweepPath.Vector256:
                SweepVector<Simd256, Vector256<double>>(c, cash, r, from, to);
                break;
            case SweepPath.Vector128:
                SweepVector<Simd128, Vector128<double>>(c, cash, r, from, to);
                break;
            default:
                for (var a = from; a < to; a++)
                {
                    SweepAccountScalar(c, cash, r, a);
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
    /// The vector kernel. Each account's slots are walked in full vectors; the remainder is one more vector that ends
    /// at the account's last slot and overlaps the previous one. Maxima are unaffected by seeing a slot twice; the
    /// sums mask the overlapped lanes out; the drift store writes identical values twice.
    /// Accounts with fewer slots than lanes use the scalar code.
    /// </summary>
    private static void SweepVector<TOps, TVector>(BookColumns c, double[] cash, DriftReport r, int from, int to)
        where TOps : struct, ISimdOps<TVector>
        where TVector : struct
    {
        var width = TOps.Count;
        ref var quantity = ref MemoryMarshal.GetArrayDataReference(c.Quantity);
        ref var mark = ref MemoryMarshal.GetArrayDataReference(c.Mark);
        ref var target = ref MemoryMarshal.GetArrayDataReference(c.Target);
        ref var drift = ref MemoryMarshal.GetArrayDataReference(r.Drift);
        var lane = TOps.LaneIndex;
        var zero = TOps.Broadcast(0);

        for (var a = from; a < to; a++)
        {
            var start = c.SlotStart[a];
            var end = c.SlotStart[a + 1];
            if (end - start < width)
            {
                SweepAccountScalar(c, cash, r, a);
                continue;
            }
            var lastFull = end - width;

            var valueSum = zero;
            int s;
            for (s = start; s <= lastFull; s += width)
            {
                valueSum = TOps.Add(valueSum, TOps.Multiply(TOps.Load(ref quantity, (nuint)s), TOps.Load(ref mark, (nuint)s)));
            }
            var tailKeep = TOps.GreaterThanOrEqual(lane, TOps.Broadcast(s - lastFull));
            if (s < end)
            {
                var value = TOps.Multiply(TOps.Load(ref quantity, (nuint)lastFull), TOps.Load(ref mark, (nuint)lastFull));
                valueSum = TOps.Add(valueSum, TOps.Select(tailKeep, value, zero));
            }
            var investable = StoreValues(c, r, a, TOps.Sum(valueSum) + cash[a]);
            if (!(investable > 0))
            {
                ClearDrift(r, a, start, end);
                continue;
            }

            var inverse = TOps.Broadcast(1 / investable);
            var (relativeScaleValue, absoluteToleranceValue) = Tolerance(c, a);
            var relativeScale = TOps.Broadcast(relativeScaleValue);
            var absoluteTolerance = TOps.Broadcast(absoluteToleranceValue);
            var maxAbs = zero;
            var sumAbs = zero;
            var maxRelative = zero;
            var maxExcess = TOps.Broadcast(double.NegativeInfinity);
            for (s = start; s < end; s += width)
            {
                // The last step re-reads the final full vector of the account (see summary).
                var at = (nuint)Math.Min(s, lastFull);
                var targets = TOps.Load(ref target, at);
                var d = TOps.Subtract(TOps.Multiply(TOps.Multiply(TOps.Load(ref quantity, at), TOps.Load(ref mark, at)), inverse), targets);
                TOps.Store(d, ref drift, at);
                var abs = TOps.Abs(d);
                maxAbs = TOps.Max(maxAbs, abs);
                sumAbs = TOps.Add(sumAbs, s > lastFull ? TOps.Select(tailKeep, abs, zero) : abs);
                var tolerance = TOps.Add(TOps.Multiply(targets, relativeScale), absoluteTolerance);
                maxExcess = TOps.Max(maxExcess, TOps.Subtract(abs, tolerance));
                var relative = TOps.Select(TOps.GreaterThan(targets, zero), TOps.Divide(abs, targets), zero);
                maxRelative = TOps.Max(maxRelative, relative);
            }
            StoreFigures(r, a, TOps.MaxAcross(maxAbs), TOps.MaxAcross(maxRelative), TOps.Sum(sumAbs), TOps.MaxAcross(maxExcess));
        }
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
