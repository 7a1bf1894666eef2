using System.Runtime.InteropServices;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// A sequence number two threads share (a ring's cursor, a consumer's progress). The value sits alone in the middle
/// of 128 bytes so no other hot field shares its cache line (or the adjacent line the CPU prefetches with it): a
/// producer writing its cursor must not keep invalidating the line a consumer is spinning on for its own progress.
/// </summary>
public sealed class Sequence(long initial = Sequence.Initial)
{
    /// <summary>Nothing claimed or consumed yet.</summary>
    public const long Initial = -1;

    private PaddedLong padded = new() { Value = initial };

    /// <summary>An acquire read: everything the writer did before its release write is visible after it.</summary>
    public long Value => Volatile.Read(ref padded.Value);

    /// <summary>A release write: everything written before (the ring slots) is visible to a reader that sees the new value.</summary>
    public void SetVolatile(long value) => Volatile.Write(ref padded.Value, value);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A long with 64 bytes of padding on either side.</summary>
[StructLayout(LayoutKind.Explicit, Size = 2 * CacheLine)]
internal struct PaddedLong
{
    public const int CacheLine = 64;

    [FieldOffset(CacheLine)]
    public long Value;
}
