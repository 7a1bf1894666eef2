using System.Globalization;
using System.Text;

namespace FastRebal.Engine.Runs;

/// <summary>The CSV reports' shared writing rules: RFC 4180 quoting and numbers without trailing zeros or a culture.</summary>
internal static class CsvFields
{
    public static string Number(double value) => value.ToString("0.########", CultureInfo.InvariantCulture);

    public static string Number(decimal value) => value.ToString("0.########", CultureInfo.InvariantCulture);

    /// <summary>Writes one line, quoting a field that holds a comma, a quote or a line break.</summary>
    public static void Row(TextWriter output, params string[] fields)
    {
        var line = new StringBuilder();
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                line.Append(',');
            }
            line.Append(Quote(fields[i]));
        }
        output.WriteLine(line);
    }

    /// <summary>The field as CSV: quoted, with quotes doubled, when it holds a comma, a quote or a line break.</summary>
    public static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;
}
