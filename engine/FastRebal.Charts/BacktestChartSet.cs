using FastRebal.Engine.Backtest;

namespace FastRebal.Charts;

/// <summary>
/// The four charts of a backtest, drawn from its result the same way for the CLI's files and the console's page:
/// value against never rebalancing and the target, the first instrument's drift with the band, cumulative turnover,
/// and tracking error against turnover per policy.
/// </summary>
public static class BacktestChartSet
{
    /// <summary>Policies drawn as lines in the value and turnover charts (a sweep's others appear in the sweep chart).</summary>
    public const int MaxLines = 6;

    /// <summary>The chart names, in the order <see cref="Draw"/> takes them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["value", "drift", "turnover", "sweep"];

    /// <summary>Draws one of <see cref="Names"/>.</summary>
    public static byte[] Draw(string name, BacktestResult result, ChartFormat format, int width = 900, int height = 450)
    {
        var lines = Lines(result);
        var window = $"{result.From:yyyy-MM-dd} to {result.To:yyyy-MM-dd}";
        switch (name)
        {
            case "value":
            {
                var series = lines.Select(s => new ChartSeries(s.Name, s.Days, s.Value)).ToList();
                series.Add(new ChartSeries("target (rebalanced daily, no costs)", lines[0].Days, lines[0].Target));
                var logScale = result.To.DayNumber - result.From.DayNumber > 15 * 365;
                return BacktestCharts.Value($"Value, {window}", series, logScale, format, width, height);
            }
            case "drift":
            {
                var shown = lines.FirstOrDefault(s => s.Band > 0) ?? lines.FirstOrDefault(s => s.Name != BacktestPolicy.NeverRebalance.Name) ?? lines[0];
                var band = shown.Band > 0 ? shown.Band : 1e-9;
                return BacktestCharts.Drift($"{shown.FirstInstrument} drift from target, {shown.Name}, {window}",
                    new ChartSeries(shown.Name, shown.Days, shown.Drift), band, shown.Rebalances, format, width, height);
            }
            case "turnover":
                return BacktestCharts.Turnover($"Cumulative one-way turnover, {window}",
                    [.. lines.Select(s => new ChartSeries(s.Name, s.Days, s.CumulativeTurnover))], format, width, height);
            case "sweep":
            {
                var best = result.Accounts.Where(f => f.Name != BacktestPolicy.NeverRebalance.Name).MinBy(f => f.TrackingError + f.TurnoverPerYear);
                return BacktestCharts.Sweep($"Tracking error against turnover a year, {window}",
                    [.. result.Accounts.Select(f => new SweepPoint(f.Name, f.TurnoverPerYear, f.TrackingError, f == best))], format, width, height);
            }
            default:
                throw new ArgumentException($"unknown chart '{name}'; known: {string.Join(", ", Names)}", nameof(name));
        }
    }

    /// <summary>Writes every chart into <paramref name="folder"/> as NAME.png or NAME.svg; returns the paths.</summary>
    public static IReadOnlyList<string> Save(string folder, BacktestResult result, ChartFormat format) =>
        [.. Names.Select(name => BacktestCharts.Save(Path.Combine(folder, $"{name}.{(format == ChartFormat.Png ? "png" : "svg")}"), f => Draw(name, result, f)))];

    /// <summary>The baseline first, then the first policies up to <see cref="MaxLines"/>.</summary>
    private static List<BacktestSeries> Lines(BacktestResult result)
    {
        if (result.Series.Count == 0)
        {
            throw new ArgumentException("the backtest kept no daily series to draw");
        }
        return [.. result.Series.Take(MaxLines)];
    }
}
