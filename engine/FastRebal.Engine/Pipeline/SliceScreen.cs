using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FastRebal.Engine.Drift;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// The first look at a swept slice, four accounts at a time: which accounts the evaluation stage must look at one
/// by one. Most accounts of a pass are in band with nothing parked, and testing them one at a time (a branch and a
/// handful of loads each) cost about a sixth of a busy pass.
/// </summary>
internal static class SliceScreen
{
    /// <summary>
    /// One bit per account <paramref name="first"/> to <paramref name="first"/> + 3, set for each with a position
    /// out of band, a class band the cheap bound (see <see cref="Decisions.AssetClassBandIndex.MayBreachBound"/>)
    /// cannot rule out, or a parked breach (not NaN). A superset of what the exact checks act on: the bound is taken
    /// with twice their slack, so an account left out has nothing to decide and nothing to clear.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Four(int first, DriftReport report, double[] cash, double[] narrowest, double[] targetSum, double[] parkedExcess)
    {
        var at = (nuint)first;
        var investable = Load(report.InvestableValue, at);
        var hasValue = Vector256.GreaterThan(investable, Vector256<double>.Zero);
        var outOfBand = Vector256.GreaterThan(Load(report.MaxExcess, at), Vector256<double>.Zero);
        var invested = (Load(report.TotalValue, at) - Load(cash, at)) / investable;
        var bound = Load(report.TotalDrift, at) + (Vector256.Abs(invested - Load(targetSum, at)) * 0.5);
        var classMayBreak = Vector256.GreaterThan(bound, Load(narrowest, at) - Vector256.Create(2e-9));
        var parked = Load(parkedExcess, at);
        var isParked = Vector256.Equals(parked, parked);
        return ((hasValue & (outOfBand | classMayBreak)) | isParked).ExtractMostSignificantBits();
    }

    /// <summary>Four values from <paramref name="at"/>; callers stay within the arrays (Four's accounts exist).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Load(double[] values, nuint at)
    {
        if (at + 4 > (nuint)values.Length)
        {
            ThrowOutside(values.Length);
        }
        return Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(values), at);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutside(int length) => throw new ArgumentOutOfRangeException(nameof(length), $"four accounts from this one are not all among the {length}");
}
