using System.Globalization;
using FastRebal.Engine.Scenarios;
using nietras.SeparatedValues;

namespace FastRebal.Engine.Firms;

/// <summary>
/// The current row of a firm CSV file, copied out of the reader's buffer (one buffer for the whole file), with typed
/// reads of its columns. A value that cannot be read is an error naming the file, the line and the column, and marks
/// the row failed.
/// </summary>
internal sealed class Row(FirmCsvFile file, int[] columns, List<InputError> errors)
{
    private readonly (int Start, int Length)[] cells = new (int, int)[columns.Length];
    private char[] text = new char[256];

    /// <summary>The number of columns the header names.</summary>
    public int Width { get; } = columns.Count(c => c >= 0);

    /// <summary>The line of the file the row starts on (the header is line 1).</summary>
    public int Line { get; private set; }

    public bool Failed { get; private set; }

    /// <summary>How many values the row has (the header may name more or fewer columns).</summary>
    public int Values { get; private set; }

    public void Load(SepReader.Row csv)
    {
        Line = csv.LineNumberFrom;
        Values = csv.ColCount;
        Failed = false;
        var used = 0;
        for (var k = 0; k < columns.Length; k++)
        {
            if (columns[k] < 0 || columns[k] >= csv.ColCount)
            {
                cells[k] = (0, 0);
                continue;
            }
            var value = csv[columns[k]].Span.Trim();
            if (used + value.Length > text.Length)
            {
                Array.Resize(ref text, Math.Max(text.Length * 2, used + value.Length));
            }
            value.CopyTo(text.AsSpan(used));
            cells[k] = (used, value.Length);
            used += value.Length;
        }
    }

    /// <summary>This row as it was loaded, to be read again later (reporting its errors to <paramref name="to"/>) after the reader has moved on.</summary>
    public Row Copy(List<InputError> to)
    {
        var copy = new Row(file, columns, to) { Line = Line, Values = Values };
        copy.text = text[..cells.Sum(c => c.Length)];
        cells.CopyTo(copy.cells, 0);
        return copy;
    }

    /// <summary>Whether a row of <paramref name="values"/> values ends before a required column of the header.</summary>
    public bool LacksRequired(int values)
    {
        for (var k = 0; k < file.Required; k++)
        {
            if (columns[k] >= values)
            {
                return true;
            }
        }
        return false;
    }

    public ReadOnlySpan<char> Span(int column) => text.AsSpan(cells[column].Start, cells[column].Length);

    /// <param name="quiet">Do not report an empty value (the caller only looks).</param>
    public string? Text(int column, bool optional = false, bool quiet = false)
    {
        var span = Span(column);
        if (!span.IsEmpty)
        {
            return new string(span);
        }
        if (!optional && !quiet)
        {
            Fail(column, "is required");
        }
        return null;
    }

    public decimal? Number(int column, bool optional = false)
    {
        var span = Span(column);
        if (span.IsEmpty)
        {
            return Missing<decimal>(column, optional);
        }
        if (TryNumber(span, out var value))
        {
            return value;
        }
        Fail(column, $"expects a number (like 1234.56), got '{TextLimit.Clip(new string(span), 60)}'");
        return null;
    }

    /// <summary>A number as <see cref="Number"/> reads it; false for an empty or malformed value.</summary>
    public static bool TryNumber(ReadOnlySpan<char> text, out decimal value) =>
        TryParsePlain(text, out value) || decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// The plain form nearly every export writes ("-1234.5678": a sign, up to 18 digits, a point), read without the
    /// general parser; anything else (exponents, more digits) is left to <see cref="decimal.TryParse(ReadOnlySpan{char}, NumberStyles, IFormatProvider?, out decimal)"/>.
    /// </summary>
    internal static bool TryParsePlain(ReadOnlySpan<char> text, out decimal value)
    {
        value = 0;
        var negative = text.Length > 0 && text[0] == '-';
        var mantissa = 0L;
        var digits = 0;
        var scale = -1;
        for (var i = negative ? 1 : 0; i < text.Length; i++)
        {
            if (text[i] == '.')
            {
                if (scale >= 0)
                {
                    return false;
                }
                scale = 0;
                continue;
            }
            var digit = (uint)(text[i] - '0');
            if (digit > 9 || ++digits > 18)
            {
                return false;
            }
            mantissa = (mantissa * 10) + digit;
            scale += scale >= 0 ? 1 : 0;
        }
        if (digits == 0)
        {
            return false;
        }
        value = new decimal((int)mantissa, (int)(mantissa >> 32), 0, negative, (byte)Math.Max(scale, 0));
        return true;
    }

    public double? Double(int column)
    {
        var span = Span(column);
        if (span.IsEmpty)
        {
            return Missing<double>(column, optional: false);
        }
        if (double.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        Fail(column, $"expects a number (like 101.25), got '{TextLimit.Clip(new string(span), 60)}'");
        return null;
    }

    public DateOnly? Date(int column, bool optional = false)
    {
        var span = Span(column);
        if (span.IsEmpty)
        {
            return Missing<DateOnly>(column, optional);
        }
        if (TryParseIsoDate(span, out var value) || DateOnly.TryParseExact(span, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out value))
        {
            return value;
        }
        Fail(column, $"expects a date (YYYY-MM-DD), got '{TextLimit.Clip(new string(span), 60)}'");
        return null;
    }

    /// <summary>
    /// A valid date in the form every export writes ("2025-03-31"), read without the general parser; false for
    /// anything else, which <see cref="DateOnly.TryParseExact(ReadOnlySpan{char}, ReadOnlySpan{char}, IFormatProvider?, DateTimeStyles, out DateOnly)"/> then reads.
    /// </summary>
    internal static bool TryParseIsoDate(ReadOnlySpan<char> text, out DateOnly value)
    {
        value = default;
        if (text.Length != 10 || text[4] != '-' || text[7] != '-')
        {
            return false;
        }
        var year = 0;
        var month = 0;
        var day = 0;
        for (var i = 0; i < 10; i++)
        {
            if (i is 4 or 7)
            {
                continue;
            }
            var digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                return false;
            }
            if (i < 4)
            {
                year = (year * 10) + (int)digit;
            }
            else if (i < 7)
            {
                month = (month * 10) + (int)digit;
            }
            else
            {
                day = (day * 10) + (int)digit;
            }
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }
        value = new DateOnly(year, month, day);
        return true;
    }

    public T? Enum<T>(int column)
        where T : struct, Enum
    {
        var span = Span(column);
        if (span.IsEmpty)
        {
            return Missing<T>(column, optional: false);
        }
        // Names only: Enum.TryParse would also take "2" or "1,2".
        if (char.IsLetter(span[0]) && System.Enum.TryParse<T>(span, ignoreCase: true, out var value) && System.Enum.IsDefined(value))
        {
            return value;
        }
        var valid = string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
        Fail(column, $"'{TextLimit.Clip(new string(span), 60)}' is not valid; valid values: {valid}");
        return null;
    }

    /// <summary>Reports a bad value (<paramref name="column"/> -1: the row as a whole) and marks the row failed.</summary>
    public void Fail(int column, string message)
    {
        Failed = true;
        errors.Add(Error(file, Line, column, message));
    }

    /// <summary>The error a bad value of <paramref name="column"/> (-1: the row as a whole) on a line of the file is reported as.</summary>
    public static InputError Error(FirmCsvFile file, int line, int column, string message) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{file.Name} line {line}"), column >= 0 ? file.Columns[column] : "row", $"{message}; {file.LeftOut}");

    private T? Missing<T>(int column, bool optional)
        where T : struct
    {
        if (!optional)
        {
            Fail(column, "is required");
        }
        return null;
    }
}
