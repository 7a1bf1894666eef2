using System.Globalization;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.MarketData;

/// <summary>
/// A dated numeric CSV (<c>date,col,col,...</c>, ISO dates ascending) read into columns in one pass over spans, so
/// the data folder's ~70k rows load without a string per field; any bad cell is refused with its file and line.
/// </summary>
internal sealed class DatedCsv
{
    private DatedCsv(string path, DateOnly[] dates, double[][] columns, int[] lines)
    {
        Path = path;
        Dates = dates;
        Columns = columns;
        Lines = lines;
    }

    /// <summary>The file read, for messages.</summary>
    public string Path { get; }

    /// <summary>The row dates, strictly ascending.</summary>
    public DateOnly[] Dates { get; }

    /// <summary>One array per requested column, in request order; an empty cell is NaN (only where allowed).</summary>
    public double[][] Columns { get; }

    /// <summary>The file line (1-based, header = 1) of each row, so later checks can name the line too.</summary>
    public int[] Lines { get; }

    /// <summary>
    /// Reads <paramref name="columns"/> by header name. Cells must be finite numbers; an empty cell is allowed (read as
    /// NaN) only in a column whose <paramref name="mayBeEmpty"/> flag is set.
    /// </summary>
    public static DatedCsv Read(string path, string[] columns, bool[] mayBeEmpty)
    {
        var text = TextLimit.ReadUtf8File(path).AsSpan();
        var headerEnd = text.IndexOf('\n');
        var header = (headerEnd < 0 ? text : text[..headerEnd]).TrimEnd('\r');
        if (header.IsEmpty)
        {
            throw new InvalidDataException($"{path}: empty file");
        }
        // Map each header position to the requested column it feeds (-1: not wanted).
        var wanted = new List<int>();
        var found = new bool[columns.Length];
        var position = 0;
        foreach (var range in header.Split(','))
        {
            var name = header[range];
            var index = -1;
            for (var c = 0; c < columns.Length; c++)
            {
                if (name.SequenceEqual(columns[c].AsSpan()))
                {
                    index = c;
                    found[c] = true;
                }
            }
            if (position == 0 && !name.SequenceEqual("date".AsSpan()))
            {
                index = -2;
            }
            wanted.Add(index);
            position++;
        }
        if (wanted[0] == -2 || Array.IndexOf(found, false) >= 0)
        {
            throw new InvalidDataException($"{path}, line 1: expected a header 'date,...' with the columns {string.Join(", ", columns)}, got '{TextLimit.Clip(header.ToString(), 200)}'");
        }

        // The row count bounds the array sizes, so each column is one allocation.
        var capacity = text.Count('\n') + 1;
        var dates = new DateOnly[capacity];
        var lines = new int[capacity];
        var values = new double[columns.Length][];
        for (var c = 0; c < columns.Length; c++)
        {
            values[c] = new double[capacity];
        }
        var rows = 0;
        var lineNumber = 1;
        ReadOnlySpan<char> rest = headerEnd < 0 ? [] : text[(headerEnd + 1)..];
        while (!rest.IsEmpty)
        {
            lineNumber++;
            var end = rest.IndexOf('\n');
            var line = (end < 0 ? rest : rest[..end]).TrimEnd('\r');
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (line.IsEmpty)
            {
                continue;
            }
            var field = 0;
            var seen = 0;
            foreach (var range in line.Split(','))
            {
                var cell = line[range];
                if (field == 0)
                {
                    if (!Firms.Row.TryParseIsoDate(cell, out dates[rows]))
                    {
                        throw Bad(path, lineNumber, $"'{TextLimit.Clip(cell.ToString(), 40)}' is not a date YYYY-MM-DD", line);
                    }
                }
                else if (field < wanted.Count && wanted[field] >= 0)
                {
                    var c = wanted[field];
                    seen++;
                    if (cell.IsEmpty)
                    {
                        if (!mayBeEmpty[c])
                        {
                            throw Bad(path, lineNumber, $"{columns[c]} is empty", line);
                        }
                        values[c][rows] = double.NaN;
                    }
                    else if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out values[c][rows]) || !double.IsFinite(values[c][rows]))
                    {
                        throw Bad(path, lineNumber, $"{columns[c]} '{TextLimit.Clip(cell.ToString(), 40)}' is not a finite number", line);
                    }
                }
                field++;
            }
            if (field != wanted.Count || seen != columns.Length)
            {
                throw Bad(path, lineNumber, $"expected {wanted.Count} fields as in the header, got {field}", line);
            }
            if (rows > 0 && dates[rows] <= dates[rows - 1])
            {
                throw Bad(path, lineNumber, $"date {dates[rows]:yyyy-MM-dd} is not after the previous row's {dates[rows - 1]:yyyy-MM-dd}", line);
            }
            lines[rows] = lineNumber;
            rows++;
        }
        if (rows == 0)
        {
            throw new InvalidDataException($"{path}: no rows after the header");
        }
        for (var c = 0; c < columns.Length; c++)
        {
            Array.Resize(ref values[c], rows);
        }
        Array.Resize(ref dates, rows);
        Array.Resize(ref lines, rows);
        return new DatedCsv(path, dates, values, lines);
    }

    /// <summary>An error naming the file, the line, what is wrong and (clipped) what the line holds.</summary>
    public static InvalidDataException Bad(string path, int line, string what, ReadOnlySpan<char> content = default) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{path}, line {line}: {what}{(content.IsEmpty ? "" : $" (got '{TextLimit.Clip(content.ToString(), 200)}')")}"));
}
