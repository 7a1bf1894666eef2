using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace FastRebal.Engine.Audit;

/// <summary>Bytes of a layout: little-endian integers, strings as their UTF-8 byte count then the bytes, and text.</summary>
internal sealed class ByteText(int capacity)
{
    private byte[] bytes = new byte[capacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => bytes.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Append(ReadOnlySpan<byte> value)
    {
        value.CopyTo(Room(value.Length));
        Length += value.Length;
    }

    public void Advance(int count) => Length += count;

    public void Int64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(Room(8), value);
        Length += 8;
    }

    public void Int32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(Room(4), value);
        Length += 4;
    }

    /// <summary>A whole number as JSON writes it (invariant digits, a minus sign when negative).</summary>
    public void Number(long value)
    {
        Utf8Formatter.TryFormat(value, Room(20), out var written);
        Length += written;
    }

    /// <summary>Writes <paramref name="value"/> over the byte at <paramref name="at"/>.</summary>
    public void Patch8(int at, byte value) => bytes[at] = value;

    /// <summary>Writes <paramref name="value"/> over the integer written at <paramref name="at"/>.</summary>
    public void Patch(int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at, 4), value);

    /// <summary>Writes a string's byte count and its UTF-8 bytes.</summary>
    public void Bytes(ReadOnlySpan<byte> utf8)
    {
        Int32(utf8.Length);
        Append(utf8);
    }

    /// <summary>Writes a string's byte count and UTF-8 bytes; returns where the bytes start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int String(ReadOnlySpan<char> value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        Int32(count);
        var start = Length;
        Length += Encoding.UTF8.GetBytes(value, Room(count));
        return start;
    }

    /// <summary>The value's UTF-8 alone, replacing what was here.</summary>
    public ReadOnlySpan<byte> Of(ReadOnlySpan<char> value)
    {
        Length = 0;
        Length = Encoding.UTF8.GetBytes(value, Room(Encoding.UTF8.GetByteCount(value)));
        return Written;
    }

    /// <summary>The free bytes after what is written, at least <paramref name="count"/> of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Room(int count)
    {
        if (bytes.Length - Length < count)
        {
            Grow(count);
        }
        return bytes.AsSpan(Length);
    }

    // Apart from Room, so that every append inlines the check and only a full buffer makes a call.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int count) => Array.Resize(ref bytes, Math.Max(bytes.Length * 2, Length + count));
}
