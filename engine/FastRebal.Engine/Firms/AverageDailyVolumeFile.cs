using System.Globalization;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Firms;

/// <summary>What an ADV file gave: the volumes of the book's instruments, its bad rows, and its rows for instruments the book does not hold.</summary>
/// <param name="Volumes">Shares per day by instrument id, every id one of the book's.</param>
/// <param name="Errors">Rows that could not be read (a bad number, an id given twice); each is left out.</param>
/// <param name="Warnings">Rows naming an instrument the book does not hold; ignored, the rest used.</param>
public sealed record AverageDailyVolumeRead(Dictionary<string, decimal> Volumes, List<InputError> Errors, List<InputError> Warnings);

/// <summary>
/// A market-data file of average daily volumes (<c>instrument_id,average_daily_volume</c>, shares per day), read as
/// the firm's CSV files are (UTF-8, RFC 4180 quoting, a header naming the columns). Its figures go ahead of the ones
/// the firm's instruments carry.
/// </summary>
public static class AverageDailyVolumeFile
{
    public static FirmCsvFile Columns { get; } = new("adv.csv", ["instrument_id", "average_daily_volume"], Required: 2, "the row is not used");

    private enum Column { InstrumentId, AverageDailyVolume }

    /// <summary>
    /// Reads the volumes of the instruments <paramref name="instruments"/> holds. An unreadable file or a bad header is a
    /// <see cref="ScenarioFormatException"/>; a bad row is an error naming its line and column; a row for an instrument
    /// the book does not hold is a warning naming its line and id.
    /// </summary>
    public static AverageDailyVolumeRead Read(string path, InstrumentTable instruments)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{TextLimit.Clip(path, 200)}: no such average daily volume file");
        }
        var file = Columns with { Name = Path.GetFileName(path) };
        var read = new AverageDailyVolumeRead(new Dictionary<string, decimal>(StringComparer.Ordinal), [], []);
        var lineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        FirmCsv.Read(path, file, read.Errors, row =>
        {
            var id = row.Text((int)Column.InstrumentId);
            var volume = row.Number((int)Column.AverageDailyVolume);
            if (volume is { } value && AverageDailyVolumes.Problem(value) is { } problem)
            {
                row.Fail((int)Column.AverageDailyVolume, problem);
            }
            if (id is not null && lineOf.TryGetValue(id, out var first))
            {
                row.Fail((int)Column.InstrumentId, string.Create(CultureInfo.InvariantCulture, $"'{TextLimit.Clip(id, 80)}' is given twice (first on line {first})"));
            }
            if (row.Failed)
            {
                return;
            }
            lineOf[id!] = row.Line;
            if (!instruments.TryGetIndex(id!, out _))
            {
                read.Warnings.Add(new InputError(string.Create(CultureInfo.InvariantCulture, $"{file.Name} line {row.Line}"), Columns.Columns[(int)Column.InstrumentId],
                    $"no instrument '{TextLimit.Clip(id, 80)}' in the book (unknown, or left out for its own errors); the row is ignored"));
                return;
            }
            read.Volumes[id!] = volume!.Value;
        });
        return read;
    }
}
