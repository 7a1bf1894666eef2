using System.Globalization;

namespace FastRebal.Engine.Orders;

// A trade's numbers as its words spell them, written with standard formats: a custom format parses its pattern on
// every call, and a day's opening words a hundred thousand trades. Each gives exactly the custom format's text (the
// standard ones round half away from zero for decimals too); values the shortcut does not cover take the custom format.

/// <summary>A quantity as "0.######" writes it: a positive one rounded to six places and written with "F6" less its trailing zeros.</summary>
internal readonly struct QuantityWords(decimal value) : ISpanFormattable
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (value <= 0)
        {
            return value.TryFormat(destination, out charsWritten, "0.######", C);
        }
        if (!decimal.Round(value, 6, MidpointRounding.AwayFromZero).TryFormat(destination, out charsWritten, "F6", C))
        {
            return false;
        }
        while (destination[charsWritten - 1] == '0')
        {
            charsWritten--;
        }
        if (destination[charsWritten - 1] == '.')
        {
            charsWritten--;
        }
        return true;
    }

    public string ToString(string? format, IFormatProvider? formatProvider) => value.ToString("0.######", C);
}

/// <summary>A notional as "#,0.00" writes it: for a positive one, the standard "N2" writes the same.</summary>
internal readonly struct NotionalWords(decimal value) : ISpanFormattable
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        value > 0 ? value.TryFormat(destination, out charsWritten, "N2", C) : value.TryFormat(destination, out charsWritten, "#,0.00", C);

    public string ToString(string? format, IFormatProvider? formatProvider) => value.ToString("#,0.00", C);
}

/// <summary>A ratio as "0.00%" writes it: one not below zero rounded to two places of a percent, written with "F2" and a percent sign.</summary>
internal readonly struct PercentWords(decimal ratio) : ISpanFormattable
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (ratio < 0)
        {
            return ratio.TryFormat(destination, out charsWritten, "0.00%", C);
        }
        if (!decimal.Round(ratio * 100, 2, MidpointRounding.AwayFromZero).TryFormat(destination, out charsWritten, "F2", C) || charsWritten == destination.Length)
        {
            return false;
        }
        destination[charsWritten++] = '%';
        return true;
    }

    public string ToString(string? format, IFormatProvider? formatProvider) => ratio.ToString("0.00%", C);
}
