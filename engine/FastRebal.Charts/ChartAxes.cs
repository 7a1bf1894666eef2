using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace FastRebal.Charts;

/// <summary>
/// ScottPlot's date axis with <see cref="ChartAxes"/>' ticks, made again for the range and size of each render.
/// (ScottPlot 5.1.59's own DateTimeManual is refused by its date axis: it lacks the date-generator interface.)
/// </summary>
internal sealed class RoundDateTicks : IDateTimeTickGenerator
{
    public Tick[] Ticks { get; set; } = [];

    public int MaxTickCount { get; set; } = 10_000;

    public void Regenerate(CoordinateRange range, Edge edge, PixelLength size, Paint paint, LabelStyle labelStyle) =>
        Ticks = ChartAxes.DateTicks(range.Min, range.Max, (int)size.Length);

    public IEnumerable<double> ConvertToCoordinateSpace(IEnumerable<DateTime> dates) => dates.Select(d => d.ToOADate());
}

/// <summary>
/// Date ticks on round days, months or years (1880, 1900, 1920 rather than 1877, 1887), as many as the labels leave
/// room for: a few days show each day, a few years each quarter or year, 150 years every 20 years.
/// </summary>
internal static class ChartAxes
{
    private enum Unit { Day, Month, Year }

    // Unit, step, the step of the minor ticks between two labels (0: none), the room a label takes in pixels.
    private static readonly (Unit Unit, int Step, int Minor, int Room)[] Steps =
    [
        (Unit.Day, 1, 0, 100), (Unit.Day, 2, 1, 100), (Unit.Day, 7, 1, 100), (Unit.Day, 14, 7, 100),
        (Unit.Month, 1, 0, 90), (Unit.Month, 2, 1, 90), (Unit.Month, 3, 1, 90), (Unit.Month, 6, 1, 90),
        (Unit.Year, 1, 0, 60), (Unit.Year, 2, 1, 60), (Unit.Year, 5, 1, 60), (Unit.Year, 10, 2, 60),
        (Unit.Year, 20, 5, 60), (Unit.Year, 25, 5, 60), (Unit.Year, 50, 10, 60), (Unit.Year, 100, 20, 60),
        (Unit.Year, 200, 50, 60), (Unit.Year, 500, 100, 60), (Unit.Year, 1000, 200, 60),
    ];

    /// <summary>Ticks for the dates from <paramref name="left"/> to <paramref name="right"/> (OLE dates) across about <paramref name="pixels"/>.</summary>
    internal static Tick[] DateTicks(double left, double right, int pixels)
    {
        // OLE dates run from year 100 (-657,434) to 9999 (2,958,465); ScottPlot's limits before any data can be wider.
        var from = DateTime.FromOADate(Math.Clamp(left, -657_000, 2_958_000));
        var to = DateTime.FromOADate(Math.Clamp(right, -657_000, 2_958_000));
        var days = Math.Max(right - left, 1);
        var choice = Steps[^1];
        foreach (var candidate in Steps)
        {
            var approxDays = candidate.Unit switch
            {
                Unit.Day => candidate.Step,
                Unit.Month => candidate.Step * 30.44,
                _ => candidate.Step * 365.25,
            };
            if (days / approxDays * candidate.Room <= pixels)
            {
                choice = candidate;
                break;
            }
        }

        var ticks = new List<Tick>();
        var minorStep = choice.Minor;
        foreach (var t in Walk(choice.Unit, minorStep > 0 ? minorStep : choice.Step, from, to))
        {
            if (IsMajor(choice.Unit, choice.Step, t))
            {
                ticks.Add(Tick.Major(t.ToOADate(), Label(choice.Unit, t)));
            }
            else
            {
                ticks.Add(Tick.Minor(t.ToOADate()));
            }
        }

        return [.. ticks];
    }

    /// <summary>Every day, month or year on a multiple of the step, from the first at or after from to the last at or before to.</summary>
    private static IEnumerable<DateTime> Walk(Unit unit, int step, DateTime from, DateTime to)
    {
        switch (unit)
        {
            case Unit.Day:
                var day = from.Date < from ? from.Date.AddDays(1) : from.Date;
                // Days aligned on a count from a fixed Monday (2001-01-01), so weekly ticks fall on Mondays.
                var offset = (int)((day - new DateTime(2001, 1, 1)).TotalDays % step);
                if (offset < 0)
                {
                    offset += step;
                }

                for (var t = offset == 0 ? day : day.AddDays(step - offset); t <= to; t = t.AddDays(step))
                {
                    yield return t;
                }

                break;
            case Unit.Month:
                var month = new DateTime(from.Year, from.Month, 1);
                if (month < from)
                {
                    month = month.AddMonths(1);
                }

                while ((month.Month - 1) % step != 0)
                {
                    month = month.AddMonths(1);
                }

                for (var t = month; t <= to; t = t.AddMonths(step))
                {
                    yield return t;
                }

                break;
            default:
                var year = from.Month == 1 && from.Day == 1 && from.TimeOfDay == TimeSpan.Zero ? from.Year : from.Year + 1;
                year = (int)Math.Ceiling(year / (double)step) * step;
                for (var y = year; y <= to.Year && y <= 9999; y += step)
                {
                    yield return new DateTime(y, 1, 1);
                }

                break;
        }
    }

    private static bool IsMajor(Unit unit, int step, DateTime t) => unit switch
    {
        Unit.Day => (int)((t - new DateTime(2001, 1, 1)).TotalDays % step) == 0,
        Unit.Month => (t.Month - 1) % step == 0,
        _ => t.Year % step == 0,
    };

    private static string Label(Unit unit, DateTime t) => unit switch
    {
        Unit.Day => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Unit.Month => t.ToString("MMM yyyy", CultureInfo.InvariantCulture),
        _ => t.ToString("yyyy", CultureInfo.InvariantCulture),
    };
}
