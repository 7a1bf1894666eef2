using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastRebal.Engine.Drift;

/// <summary>Whether an account's band is relative (a tolerance per slot) or absolute (one for all): a struct type parameter, so the JIT compiles each walk without the other's work.</summary>
internal interface IBandKind
{
    static abstract bool IsRelative { get; }
}

internal readonly struct RelativeBand : IBandKind
{
    public static bool IsRelative => true;
}

internal readonly struct AbsoluteBand : IBandKind
{
    public static bool IsRelative => false;
}

/// <summary>Per-account values every drift step needs, broadcast once per account.</summary>
internal readonly record struct DriftConstants<TVector>(TVector Inverse, TVector RelativeScale, TVector AbsoluteTolerance)
    where TVector : struct;

/// <summary>
/// The four running figures of an account's drift pass, one lane per slot position. Folding halves the width
/// (max with max, sum with sum) so the sweep can step down from 8 to 4 to 2 lanes and finish in scalars.
/// </summary>
internal struct DriftAccumulator<TVector>
    where TVector : struct
{
    public TVector MaxAbs;
    public TVector SumAbs;
    public TVector MaxRelative;
    public TVector MaxExcess;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DriftAccumulator<TVector> Start<TOps>()
        where TOps : struct, ISimdOps<TVector> => new()
        {
            MaxAbs = TOps.Broadcast(0),
            SumAbs = TOps.Broadcast(0),
            MaxRelative = TOps.Broadcast(0),
            MaxExcess = TOps.Broadcast(double.NegativeInfinity),
        };

    /// <summary>
    /// Drift of the slots at <paramref name="at"/>, whose values (quantity x mark) the sweep left in
    /// <paramref name="drift"/>: replaces them with the drift and folds it into the figures.
    /// </summary>
    /// <remarks>With an absolute band (<typeparamref name="TBand"/>) the excess is left to the caller (see DriftSweep.WalkDrift).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step<TOps, TBand>(ref double target, ref double inverseTarget, ref double drift, nuint at, in DriftConstants<TVector> k)
        where TOps : struct, ISimdOps<TVector>
        where TBand : struct, IBandKind
    {
        var targets = TOps.Load(ref target, at);
        var d = TOps.Subtract(TOps.Multiply(TOps.Load(ref drift, at), k.Inverse), targets);
        TOps.Store(d, ref drift, at);
        var abs = TOps.Abs(d);
        MaxAbs = TOps.Max(MaxAbs, abs);
        SumAbs = TOps.Add(SumAbs, abs);
        if (TBand.IsRelative)
        {
            MaxExcess = TOps.Max(MaxExcess, TOps.Subtract(abs, TOps.Add(TOps.Multiply(targets, k.RelativeScale), k.AbsoluteTolerance)));
        }
        // The inverse target is 0 where the target is 0, so positions outside the model add no relative drift.
        MaxRelative = TOps.Max(MaxRelative, TOps.Multiply(abs, TOps.Load(ref inverseTarget, at)));
    }
}

/// <summary>The folds, inlined into the kernel: called once per account, a call each would cost more than the fold.</summary>
internal static class DriftAccumulatorFolds
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DriftAccumulator<Vector256<double>> Fold(this in DriftAccumulator<Vector512<double>> wide) => new()
    {
        MaxAbs = Vector256.Max(wide.MaxAbs.GetLower(), wide.MaxAbs.GetUpper()),
        SumAbs = wide.SumAbs.GetLower() + wide.SumAbs.GetUpper(),
        MaxRelative = Vector256.Max(wide.MaxRelative.GetLower(), wide.MaxRelative.GetUpper()),
        MaxExcess = Vector256.Max(wide.MaxExcess.GetLower(), wide.MaxExcess.GetUpper()),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DriftAccumulator<Vector128<double>> Fold(this in DriftAccumulator<Vector256<double>> wide) => new()
    {
        MaxAbs = Vector128.Max(wide.MaxAbs.GetLower(), wide.MaxAbs.GetUpper()),
        SumAbs = wide.SumAbs.GetLower() + wide.SumAbs.GetUpper(),
        MaxRelative = Vector128.Max(wide.MaxRelative.GetLower(), wide.MaxRelative.GetUpper()),
        MaxExcess = Vector128.Max(wide.MaxExcess.GetLower(), wide.MaxExcess.GetUpper()),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double MaxAbs, double SumAbs, double MaxRelative, double MaxExcess) Fold(this in DriftAccumulator<Vector128<double>> wide) => (
        Math.Max(wide.MaxAbs.GetElement(0), wide.MaxAbs.GetElement(1)),
        wide.SumAbs.GetElement(0) + wide.SumAbs.GetElement(1),
        Math.Max(wide.MaxRelative.GetElement(0), wide.MaxRelative.GetElement(1)),
        Math.Max(wide.MaxExcess.GetElement(0), wide.MaxExcess.GetElement(1)));
}
