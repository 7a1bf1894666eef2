using System.Globalization;

namespace FastRebal.Engine.Kpi;

/// <summary>
/// One group's (the firm's or a model's) day between two snapshots: its value, its return with the weights it held
/// and with its target weights (the difference is what tracking error measures), what it bought and sold (from the
/// change of each position), the money its return made, and its realized gains so far. Returns and trading are NaN and
/// zero for the first snapshot a host takes (nothing to compare with).
/// </summary>
public sealed record KpiDay(
    DateOnly Day,
    string Group,
    double Value,
    double ActualReturn,
    double TargetReturn,
    double Bought,
    double Sold,
    double ReturnAmount,
    decimal RealizedShortTerm,
    decimal RealizedLongTerm)
{
    public bool HasReturns => double.IsFinite(ActualReturn) && double.IsFinite(TargetReturn);

    public const string CsvHeader = "day,group,value,actual_return,target_return,bought,sold,return_amount,realized_short_term,realized_long_term";

    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{Day:yyyy-MM-dd},{Group},{Value:R},{ActualReturn:R},{TargetReturn:R},{Bought:R},{Sold:R},{ReturnAmount:R},{RealizedShortTerm},{RealizedLongTerm}");

    /// <summary>A line <see cref="ToCsv"/> wrote; null for a line that is not one (a torn last line after a crash).</summary>
    public static KpiDay? FromCsv(string line)
    {
        var f = line.Split(',');
        var c = CultureInfo.InvariantCulture;
        if (f.Length != 10 || !DateOnly.TryParseExact(f[0], "yyyy-MM-dd", c, DateTimeStyles.None, out var day))
        {
            return null;
        }
        var numbers = new double[6];
        for (var i = 0; i < numbers.Length; i++)
        {
            if (!double.TryParse(f[2 + i], NumberStyles.Float, c, out numbers[i]))
            {
                return null;
            }
        }
        return decimal.TryParse(f[8], NumberStyles.Number, c, out var st) && decimal.TryParse(f[9], NumberStyles.Number, c, out var lt)
            ? new KpiDay(day, f[1], numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5], st, lt)
            : null;
    }
}

/// <summary>A group's figures over a quarter (or over every recorded day: <see cref="KpiTimeline.ToDate"/>).</summary>
/// <param name="TrackingError">Annualised, from the days with returns; null with fewer than two.</param>
/// <param name="Turnover">min(bought, sold) over the mean value, as <see cref="KpiCalculator.TurnoverByQuarter"/> counts it.</param>
/// <param name="TaxEfficiency">Realized gains over the money the return made (<see cref="KpiCalculator.TaxEfficiencyRatio"/>).</param>
public sealed record KpiPeriod(
    string Group,
    string Period,
    int Days,
    double? TrackingError,
    double? Turnover,
    decimal RealizedShortTerm,
    decimal RealizedLongTerm,
    double ReturnAmount,
    double? TaxEfficiency);

/// <summary>Turns snapshots into days, and days into the periods the KPI page shows.</summary>
public static class KpiTimeline
{
    public const string ToDatePeriod = "to date";

    /// <summary>
    /// The days from <paramref name="previous"/> to <paramref name="current"/>, one per group of the current snapshot.
    /// Without a previous snapshot of the same book (none, or another shape), returns are NaN and trading zero.
    /// </summary>
    public static IReadOnlyList<KpiDay> Between(KpiSnapshot? previous, KpiSnapshot current)
    {
        var groups = current.Groups.Length;
        var comparable = previous is not null && previous.Groups.AsSpan().SequenceEqual(current.Groups)
            && previous.Quantities.Length == current.Quantities.Length && previous.Prices.Length == current.Prices.Length;
        var actual = new double[groups];
        var target = new double[groups];
        var bought = new double[groups];
        var sold = new double[groups];
        if (comparable)
        {
            var returns = new double[current.Prices.Length];
            for (var i = 0; i < returns.Length; i++)
            {
                returns[i] = previous!.Prices[i] > 0 ? current.Prices[i] / previous.Prices[i] - 1 : 0;
            }
            for (var g = 0; g < groups; g++)
            {
                for (var i = 0; i < returns.Length; i++)
                {
                    actual[g] += previous!.Held[g][i] * returns[i];
                    target[g] += previous.Target[g][i] * returns[i];
                }
            }
            for (var s = 0; s < current.Quantities.Length; s++)
            {
                var change = (current.Quantities[s] - previous!.Quantities[s]) * current.Prices[current.InstrumentOfSlot[s]];
                var g = current.GroupOfSlot[s];
                if (change > 0)
                {
                    bought[g] += change;
                    bought[0] += change;
                }
                else
                {
                    sold[g] -= change;
                    sold[0] -= change;
                }
            }
        }
        var days = new KpiDay[groups];
        for (var g = 0; g < groups; g++)
        {
            days[g] = new KpiDay(current.Day, current.Groups[g], current.Values[g],
                comparable ? actual[g] : double.NaN, comparable ? target[g] : double.NaN, bought[g], sold[g],
                comparable ? previous!.Values[g] * actual[g] : 0, current.RealizedShortTerm[g], current.RealizedLongTerm[g]);
        }
        return days;
    }

    /// <summary>Each group's figures per calendar quarter, oldest first.</summary>
    public static IReadOnlyList<KpiPeriod> Quarters(IReadOnlyList<KpiDay> days) =>
        [.. days.GroupBy(d => d.Group, StringComparer.Ordinal).SelectMany(group =>
        {
            var ordered = group.OrderBy(d => d.Day).ToList();
            return ordered.GroupBy(d => KpiCalculator.Quarter(d.Day), StringComparer.Ordinal)
                .Select(quarter => Period(group.Key, quarter.Key, [.. quarter], Before(ordered, quarter.First())));
        })];

    /// <summary>Each group's figures over every day recorded.</summary>
    public static IReadOnlyList<KpiPeriod> ToDate(IReadOnlyList<KpiDay> days) =>
        [.. days.GroupBy(d => d.Group, StringComparer.Ordinal).Select(group => Period(group.Key, ToDatePeriod, [.. group.OrderBy(d => d.Day)], null))];

    private static KpiDay? Before(List<KpiDay> ordered, KpiDay first)
    {
        var index = ordered.IndexOf(first);
        return index > 0 ? ordered[index - 1] : null;
    }

    /// <param name="before">The group's last day before the period: realized gains are counted from its totals (from the period's first day's when none).</param>
    private static KpiPeriod Period(string group, string period, List<KpiDay> days, KpiDay? before)
    {
        var withReturns = days.Where(d => d.HasReturns).ToList();
        var trackingError = KpiCalculator.TrackingError([.. withReturns.Select(d => d.ActualReturn)], [.. withReturns.Select(d => d.TargetReturn)]);
        var meanValue = days.Average(d => d.Value);
        var turnover = meanValue > 0 ? Math.Min(days.Sum(d => d.Bought), days.Sum(d => d.Sold)) / meanValue : (double?)null;
        var baseline = before ?? days[0];
        var shortTerm = days[^1].RealizedShortTerm - baseline.RealizedShortTerm;
        var longTerm = days[^1].RealizedLongTerm - baseline.RealizedLongTerm;
        var made = withReturns.Sum(d => d.ReturnAmount);
        var efficiency = double.IsFinite(made) ? KpiCalculator.TaxEfficiencyRatio(shortTerm + longTerm, (decimal)made) : null;
        return new KpiPeriod(group, period, days.Count, trackingError, turnover, shortTerm, longTerm, made, efficiency);
    }
}
