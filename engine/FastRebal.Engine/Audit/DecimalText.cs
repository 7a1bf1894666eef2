using System.Buffers;
using System.Buffers.Text;
using System.Globalization;

namespace FastRebal.Engine.Audit;

/// <summary>
/// A decimal's invariant text (the default format: every digit of its scale kept, as <c>1.50</c>) written as UTF-8
/// straight from its 96-bit integer and scale. The audit writer formats several decimals per trade record, and the
/// runtime's general number formatting is most of what that costs.
/// </summary>
internal static class DecimalText
{
    /// <summary>Longest text: 29 digits, a sign, a point and a leading zero and zeros before the digits (scale up to 28).</summary>
    public const int MaxLength = 64;

    private static readonly UInt128 TenToThe19 = 10_000_000_000_000_000_000UL;

    /// <summary>Writes <paramref name="value"/> as <c>value.ToString(CultureInfo.InvariantCulture)</c> spells it.</summary>
    public static bool TryFormat(decimal value, Span<byte> destination, out int written)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var magnitude = new UInt128((uint)bits[2], ((ulong)(uint)bits[1] << 32) | (uint)bits[0]);
        if (magnitude == 0 || destination.Length < MaxLength)
        {
            // Zero (whose sign the runtime decides) and short buffers: the runtime's own formatting.
            return value.TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
        }
        var scale = (bits[3] >> 16) & 0xFF;
        // The digits, right to left, in chunks of 19 (the most a ulong holds whole).
        Span<byte> digits = stackalloc byte[40];
        var start = digits.Length;
        while (magnitude > ulong.MaxValue)
        {
            (magnitude, var chunk) = UInt128.DivRem(magnitude, TenToThe19);
            start -= 19;
            Utf8Formatter.TryFormat((ulong)chunk, digits.Slice(start, 19), out _, new StandardFormat('D', 19));
        }
        var low = (ulong)magnitude;
        var count = CountDigits(low);
        start -= count;
        Utf8Formatter.TryFormat(low, digits.Slice(start, count), out _);
        var text = digits[start..];

        var at = 0;
        if (bits[3] < 0)
        {
            destination[at++] = (byte)'-';
        }
        if (scale >= text.Length)
        {
            // All of it after the point: 0.00ddd.
            destination[at++] = (byte)'0';
            destination[at++] = (byte)'.';
            destination.Slice(at, scale - text.Length).Fill((byte)'0');
            at += scale - text.Length;
            text.CopyTo(destination[at..]);
            at += text.Length;
        }
        else
        {
            var whole = text.Length - scale;
            text[..whole].CopyTo(destination[at..]);
            at += whole;
            if (scale > 0)
            {
                destination[at++] = (byte)'.';
                text[whole..].CopyTo(destination[at..]);
                at += scale;
            }
        }
        written = at;
        return true;
    }

    private static int CountDigits(ulong value)
    {
        var count = 1;
        while (value >= 10)
        {
            value /= 10;
            count++;
        }
        return count;
    }
}
