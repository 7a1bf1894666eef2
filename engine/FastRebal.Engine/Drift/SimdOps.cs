using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastRebal.Engine.Drift;

/// <summary>
/// The handful of vector operations the drift kernel needs, as static members of a struct so the kernel can be
/// written once and the JIT specialises it per vector width (<see cref="Vector512{T}"/>, <see cref="Vector256{T}"/>,
/// <see cref="Vector128{T}"/>), the way System.Numerics.Tensors writes its operators.
/// </summary>
internal interface ISimdOps<TVector>
    where TVector : struct
{
    static abstract bool IsAccelerated { get; }

    static abstract int Count { get; }

    /// <summary>0, 1, 2, ... in each lane, used to mask the overlapping tail vector.</summary>
    static abstract TVector LaneIndex { get; }

    static abstract TVector Load(ref double source, nuint offset);

    static abstract void Store(TVector value, ref double destination, nuint offset);

    static abstract TVector Broadcast(double value);

    static abstract TVector Add(TVector left, TVector right);

    static abstract TVector Subtract(TVector left, TVector right);

    static abstract TVector Multiply(TVector left, TVector right);

    static abstract TVector Divide(TVector left, TVector right);

    static abstract TVector Abs(TVector value);

    static abstract TVector Max(TVector left, TVector right);

    /// <summary>All-ones lanes where left &gt; right.</summary>
    static abstract TVector GreaterThan(TVector left, TVector right);

    static abstract TVector GreaterThanOrEqual(TVector left, TVector right);

    static abstract TVector Select(TVector mask, TVector whenTrue, TVector whenFalse);

    static abstract double Sum(TVector value);

    static abstract double MaxAcross(TVector value);
}

internal readonly struct Simd512 : ISimdOps<Vector512<double>>
{
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;
    public static int Count => Vector512<double>.Count;
    public static Vector512<double> LaneIndex => Vector512.Create(0.0, 1, 2, 3, 4, 5, 6, 7);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Load(ref double source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<double> value, ref double destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    public static Vector512<double> Broadcast(double value) => Vector512.Create(value);
    public static Vector512<double> Add(Vector512<double> left, Vector512<double> right) => left + right;
    public static Vector512<double> Subtract(Vector512<double> left, Vector512<double> right) => left - right;
    public static Vector512<double> Multiply(Vector512<double> left, Vector512<double> right) => left * right;
    public static Vector512<double> Divide(Vector512<double> left, Vector512<double> right) => left / right;
    public static Vector512<double> Abs(Vector512<double> value) => Vector512.Abs(value);
    public static Vector512<double> Max(Vector512<double> left, Vector512<double> right) => Vector512.Max(left, right);
    public static Vector512<double> GreaterThan(Vector512<double> left, Vector512<double> right) => Vector512.GreaterThan(left, right);
    public static Vector512<double> GreaterThanOrEqual(Vector512<double> left, Vector512<double> right) => Vector512.GreaterThanOrEqual(left, right);
    public static Vector512<double> Select(Vector512<double> mask, Vector512<double> whenTrue, Vector512<double> whenFalse) => Vector512.ConditionalSelect(mask, whenTrue, whenFalse);
    public static double Sum(Vector512<double> value) => Vector512.Sum(value);
    public static double MaxAcross(Vector512<double> value) => Simd256.MaxAcross(Vector256.Max(value.GetLower(), value.GetUpper()));
}

internal readonly struct Simd256 : ISimdOps<Vector256<double>>
{
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;
    public static int Count => Vector256<double>.Count;
    public static Vector256<double> LaneIndex => Vector256.Create(0.0, 1, 2, 3);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Load(ref double source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<double> value, ref double destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    public static Vector256<double> Broadcast(double value) => Vector256.Create(value);
    public static Vector256<double> Add(Vector256<double> left, Vector256<double> right) => left + right;
    public static Vector256<double> Subtract(Vector256<double> left, Vector256<double> right) => left - right;
    public static Vector256<double> Multiply(Vector256<double> left, Vector256<double> right) => left * right;
    public static Vector256<double> Divide(Vector256<double> left, Vector256<double> right) => left / right;
    public static Vector256<double> Abs(Vector256<double> value) => Vector256.Abs(value);
    public static Vector256<double> Max(Vector256<double> left, Vector256<double> right) => Vector256.Max(left, right);
    public static Vector256<double> GreaterThan(Vector256<double> left, Vector256<double> right) => Vector256.GreaterThan(left, right);
    public static Vector256<double> GreaterThanOrEqual(Vector256<double> left, Vector256<double> right) => Vector256.GreaterThanOrEqual(left, right);
    public static Vector256<double> Select(Vector256<double> mask, Vector256<double> whenTrue, Vector256<double> whenFalse) => Vector256.ConditionalSelect(mask, whenTrue, whenFalse);
    public static double Sum(Vector256<double> value) => Vector256.Sum(value);
    public static double MaxAcross(Vector256<double> value) => Simd128.MaxAcross(Vector128.Max(value.GetLower(), value.GetUpper()));
}

internal readonly struct Simd128 : ISimdOps<Vector128<double>>
{
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated;
    public static int Count => Vector128<double>.Count;
    public static Vector128<double> LaneIndex => Vector128.Create(0.0, 1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Load(ref double source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<double> value, ref double destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    public static Vector128<double> Broadcast(double value) => Vector128.Create(value);
    public static Vector128<double> Add(Vector128<double> left, Vector128<double> right) => left + right;
    public static Vector128<double> Subtract(Vector128<double> left, Vector128<double> right) => left - right;
    public static Vector128<double> Multiply(Vector128<double> left, Vector128<double> right) => left * right;
    public static Vector128<double> Divide(Vector128<double> left, Vector128<double> right) => left / right;
    public static Vector128<double> Abs(Vector128<double> value) => Vector128.Abs(value);
    public static Vector128<double> Max(Vector128<double> left, Vector128<double> right) => Vector128.Max(left, right);
    public static Vector128<double> GreaterThan(Vector128<double> left, Vector128<double> right) => Vector128.GreaterThan(left, right);
    public static Vector128<double> GreaterThanOrEqual(Vector128<double> left, Vector128<double> right) => Vector128.GreaterThanOrEqual(left, right);
    public static Vector128<double> Select(Vector128<double> mask, Vector128<double> whenTrue, Vector128<double> whenFalse) => Vector128.ConditionalSelect(mask, whenTrue, whenFalse);
    public static double Sum(Vector128<double> value) => Vector128.Sum(value);
    public static double MaxAcross(Vector128<double> value) => Math.Max(value.GetElement(0), value.GetElement(1));
}
