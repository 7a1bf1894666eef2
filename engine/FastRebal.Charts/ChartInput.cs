using System.Globalization;

namespace FastRebal.Charts;

/// <summary>The checks on a chart's input, each failure an ArgumentException that names the series and what is wrong.</summary>
internal static class ChartInput
{
    /// <summary>A day as ScottPlot's date axis holds it (an OLE Automation date: days since 1899-12-30).</summary>
    internal static double X(DateOnly day) => day.ToDateTime(TimeOnly.MinValue).ToOADate();

    internal static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static void CheckSeries(IReadOnlyList<ChartSeries>? series, string paramName)
    {
        if (series is null)
        {
            throw new ArgumentNullException(paramName);
        }

        if (series.Count == 0)
        {
            throw new ArgumentException("A chart needs at least one series; the list is empty.", paramName);
        }

        for (var i = 0; i < series.Count; i++)
        {
            Check(series[i], i, series.Count, paramName);
        }
    }

    /// <summary>How an error names a series: by its label, and by its place in the list when there are several.</summary>
    internal static string Name(ChartSeries s, int index, int count) =>
        count == 1 ? $"series '{s.Label}'" : $"series {index} ('{s.Label}')";

    private static void Check(ChartSeries? s, int index, int count, string paramName)
    {
        if (s is null)
        {
            throw new ArgumentException($"series {index} is null.", paramName);
        }

        if (string.IsNullOrWhiteSpace(s.Label))
        {
            throw new ArgumentException($"series {index} has no label (the legend names each line).", paramName);
        }

        var name = Name(s, index, count);
        if (s.Days is null)
        {
            throw new ArgumentException($"{name} has no days (Days is null).", paramName);
        }

        if (s.Values is null)
        {
            throw new ArgumentException($"{name} has no values (Values is null).", paramName);
        }

        if (s.Days.Length == 0)
        {
            throw new ArgumentException($"{name} is empty: it has no days.", paramName);
        }

        if (s.Days.Length != s.Values.Length)
        {
            throw new ArgumentException($"{name} has {s.Days.Length} days but {s.Values.Length} values: each day needs one value.", paramName);
        }

        for (var j = 0; j < s.Days.Length; j++)
        {
            if (j > 0 && s.Days[j] < s.Days[j - 1])
            {
                throw new ArgumentException($"{name} is not in date order: day {j} ({Day(s.Days[j])}) comes after day {j - 1} ({Day(s.Days[j - 1])}).", paramName);
            }

            if (!double.IsFinite(s.Values[j]))
            {
                throw new ArgumentException($"{name} has {Num(s.Values[j])} on {Day(s.Days[j])} (day {j}): only finite values can be drawn.", paramName);
            }
        }
    }

    /// <summary>A log scale draws positive values only: the first other one is named, with its day.</summary>
    internal static void CheckPositive(ChartSeries s, int index, string paramName, int count)
    {
        for (var j = 0; j < s.Values.Length; j++)
        {
            if (s.Values[j] <= 0)
            {
                throw new ArgumentException(
                    $"{Name(s, index, count)} has {Num(s.Values[j])} on {Day(s.Days[j])} (day {j}): a log scale draws only positive values. Draw it with logScale: false, or chart a positive measure (a value, or the growth of 1).",
                    paramName);
            }
        }
    }

    /// <summary>
    /// Where a rebalance day falls in a series: that day (its first entry, when the series has the day twice, as
    /// before and after a trade), or the last day before it. A day outside the series is an error.
    /// </summary>
    internal static int DayIndex(ChartSeries s, DateOnly day, int rebalance)
    {
        var at = Array.BinarySearch(s.Days, day);
        if (at >= 0)
        {
            while (at > 0 && s.Days[at - 1] == day)
            {
                at--;
            }

            return at;
        }

        var insert = ~at;
        if (insert == 0 || insert == s.Days.Length)
        {
            throw new ArgumentException(
                $"rebalances[{rebalance}] is {Day(day)}, outside series '{s.Label}', which runs from {Day(s.Days[0])} to {Day(s.Days[^1])}.",
                "rebalances");
        }

        return insert - 1;
    }

    internal static (double Low, double High) Range(double[] values)
    {
        var low = double.PositiveInfinity;
        var high = double.NegativeInfinity;
        foreach (var v in values)
        {
            low = Math.Min(low, v);
            high = Math.Max(high, v);
        }

        return (low, high);
    }

    internal static void CheckPoints(IReadOnlyList<SweepPoint>? points, string paramName)
    {
        if (points is null)
        {
            throw new ArgumentNullException(paramName);
        }

        if (points.Count == 0)
        {
            throw new ArgumentException("A sweep chart needs at least one point; the list is empty.", paramName);
        }

        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i] ?? throw new ArgumentException($"point {i} is null.", paramName);
            if (string.IsNullOrWhiteSpace(p.Label))
            {
                throw new ArgumentException($"point {i} has no label (each point is labelled with its policy).", paramName);
            }

            var name = $"point {i} ('{p.Label}')";
            if (!double.IsFinite(p.Turnover) || p.Turnover < 0)
            {
                throw new ArgumentException($"{name} has a turnover of {Num(p.Turnover)}: a turnover is a finite fraction, 0 or more.", paramName);
            }

            if (!double.IsFinite(p.TrackingError) || p.TrackingError < 0)
            {
                throw new ArgumentException($"{name} has a tracking error of {Num(p.TrackingError)}: a tracking error is a finite fraction, 0 or more.", paramName);
            }
        }
    }
}
