using System.Globalization;
using System.Text;
using FastRebal.Engine.Scenarios;
using nietras.SeparatedValues;

namespace FastRebal.Engine.Firms;

/// <summary>
/// Reads one CSV file of a firm (or of its book events) row by row: UTF-8, comma separated, RFC 4180 quoting, a header
/// naming the file's columns in any order. A header with an unknown, missing or repeated column, or text that is not
/// UTF-8, refuses the file; a row whose values do not line up with the header (more values, or too few for its
/// required columns) is an error of its own.
/// </summary>
internal static class FirmCsv
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="wrongWidth">Told of a row with more or fewer values than the header (already reported), instead of <paramref name="each"/>.</param>
    public static void Read(string path, FirmCsvFile file, List<InputError> errors, Action<Row> each, Action<Row>? wrongWidth = null)
    {
        if (!File.Exists(path))
        {
            return;
        }
        try
        {
            using var text = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: true);
            using var reader = Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = true }).From(text);
            var row = new Row(file, Columns(file, reader.Header), errors);
            foreach (var csv in reader)
            {
                if (csv.ColCount == 1 && csv[0].Span.IsWhiteSpace())
                {
                    continue;
                }
                row.Load(csv);
                Dispatch(row, each, wrongWidth);
            }
        }
        catch (ArgumentException e) when (RepeatedColumn(path) is { } repeated)
        {
            throw new ScenarioFormatException($"{file.Name}: column '{TextLimit.Clip(repeated, 80)}' is given twice", e);
        }
        catch (DecoderFallbackException e)
        {
            throw new ScenarioFormatException($"{file.Name}: not valid UTF-8; save the export as UTF-8", e);
        }
        catch (IOException e)
        {
            throw new ScenarioFormatException($"{file.Name}: cannot read it: {TextLimit.Clip(e.Message, 300)}", e);
        }
        catch (InvalidDataException e)
        {
            throw new ScenarioFormatException($"{file.Name}: malformed CSV: {TextLimit.Clip(e.Message, 300)}", e);
        }
    }

    /// <summary>Hands a loaded row to <paramref name="each"/>, or reports it and tells <paramref name="wrongWidth"/> when its values do not line up with the header.</summary>
    public static void Dispatch(Row row, Action<Row> each, Action<Row>? wrongWidth = null)
    {
        // A row may leave off optional columns at its end, as spreadsheets write them; anything else is suspect.
        if (row.Values > row.Width || row.LacksRequired(row.Values))
        {
            row.Fail(-1, string.Create(CultureInfo.InvariantCulture, $"{row.Values} value(s), but the header names {row.Width} column(s)"));
            wrongWidth?.Invoke(row);
            return;
        }
        each(row);
    }

    /// <summary>The first column name a header repeats (the CSV reader refuses such a header before it is seen here).</summary>
    private static string? RepeatedColumn(string path)
    {
        using var text = new StreamReader(path);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return (text.ReadLine() ?? "").Split(',').Select(n => n.Trim().Trim('"')).FirstOrDefault(n => !seen.Add(n));
    }

    /// <summary>Where each of the file's columns is in this export's header; an unknown, repeated or missing column refuses the file.</summary>
    private static int[] Columns(FirmCsvFile file, SepReaderHeader header)
    {
        var at = new int[file.Columns.Count];
        Array.Fill(at, -1);
        var names = header.ColNames;
        for (var c = 0; c < names.Count; c++)
        {
            var name = names[c].Trim();
            var known = file.Columns.ToList().FindIndex(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            if (known < 0)
            {
                throw new ScenarioFormatException($"{file.Name}: unknown column '{TextLimit.Clip(names[c], 80)}' (the columns are {string.Join(", ", file.Columns)})");
            }
            if (at[known] >= 0)
            {
                throw new ScenarioFormatException($"{file.Name}: column '{file.Columns[known]}' is given twice");
            }
            at[known] = c;
        }
        var missing = Enumerable.Range(0, file.Required).Where(k => at[k] < 0).Select(k => file.Columns[k]).ToList();
        if (missing.Count > 0)
        {
            throw new ScenarioFormatException($"{file.Name}: missing column(s) {string.Join(", ", missing)} (its header has {TextLimit.Clip(string.Join(", ", names), 300)})");
        }
        return at;
    }
}
