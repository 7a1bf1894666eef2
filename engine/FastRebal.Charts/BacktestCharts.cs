using System.Globalization;
using System.Text;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace FastRebal.Charts;

/// <summary>
/// The charts of a backtest, drawn from plain arrays as PNG or SVG bytes. Values that are fractions (drift, turnover,
/// tracking error) are labelled as percentages; days are on a date axis. Each call draws one chart and keeps nothing.
/// </summary>
public static class BacktestCharts
{
    /// <summary>The largest side, in pixels, a chart is drawn at (a 16k-pixel PNG is already 1 GB of pixels).</summary>
    public const int MaxSide = 8192;

    /// <summary>The smallest side: below it the axes and the legend leave no room for the data.</summary>
    public const int MinSide = 100;

    private static readonly Color BandColor = Color.FromHex("#d62728");
    private static readonly Color RebalanceColor = Color.FromHex("#2ca02c");
    private static readonly Color PointColor = Color.FromHex("#1f77b4");
    private static readonly Color HighlightColor = Color.FromHex("#d62728");

    /// <summary>Portfolio value over time, one line per series; <paramref name="logScale"/> for a century.</summary>
    public static byte[] Value(string title, IReadOnlyList<ChartSeries> series, bool logScale, ChartFormat format, int width = 900, int height = 450)
    {
        CheckFrame(title, format, width, height);
        ChartInput.CheckSeries(series, nameof(series));
        if (logScale)
        {
            for (var i = 0; i < series.Count; i++)
            {
                ChartInput.CheckPositive(series[i], i, nameof(series), series.Count);
            }
        }

        using var plot = NewPlot(title);
        var low = double.PositiveInfinity;
        var high = double.NegativeInfinity;
        foreach (var s in series)
        {
            var ys = logScale ? Log10(s.Values) : s.Values;
            AddLine(plot, s, ys);
            foreach (var v in s.Values)
            {
                low = Math.Min(low, v);
                high = Math.Max(high, v);
            }
        }

        if (logScale)
        {
            plot.Axes.Left.TickGenerator = new NumericManual(LogTicks(low, high));
            plot.YLabel("Value (log scale)");
        }
        else
        {
            plot.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = ChartText.Number };
            plot.YLabel("Value");
        }

        return Render(plot, format, width, height, legend: true);
    }

    /// <summary>
    /// Drift of one asset (or the largest drift) over time, with the band drawn at +band and -band and a marker on
    /// each rebalance day (at the drift the series has on that day, or on the last day before it).
    /// </summary>
    public static byte[] Drift(string title, ChartSeries drift, double band, IReadOnlyList<DateOnly> rebalances, ChartFormat format, int width = 900, int height = 450)
    {
        CheckFrame(title, format, width, height);
        ArgumentNullException.ThrowIfNull(drift);
        ChartInput.CheckSeries([drift], nameof(drift));
        if (!double.IsFinite(band) || band <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(band), band, $"The band of '{drift.Label}' is a positive fraction (0.05 for 5%), not {band.ToString(CultureInfo.InvariantCulture)}.");
        }

        ArgumentNullException.ThrowIfNull(rebalances);

        using var plot = NewPlot(title);
        AddLine(plot, drift, drift.Values);

        // The band shaded, between solid lines (a dashed line would be drawn solid in SVG, and Skia's SVG writer
        // prints a warning on the console for each dash pattern).
        var inside = plot.Add.VerticalSpan(-band, band, BandColor.WithAlpha(0.06));
        inside.LineWidth = 0;
        var upper = plot.Add.HorizontalLine(band, 1.5f, BandColor);
        upper.LegendText = $"band ±{ChartText.Percent(band)}";
        plot.Add.HorizontalLine(-band, 1.5f, BandColor);

        if (rebalances.Count > 0)
        {
            var xs = new double[rebalances.Count];
            var ys = new double[rebalances.Count];
            for (var i = 0; i < rebalances.Count; i++)
            {
                var at = ChartInput.DayIndex(drift, rebalances[i], i);
                xs[i] = ChartInput.X(rebalances[i]);
                ys[i] = drift.Values[at];
            }

            var markers = plot.Add.Markers(xs, ys, MarkerShape.FilledCircle, 6, RebalanceColor);
            markers.LegendText = rebalances.Count == 1 ? "rebalance (1)" : $"rebalances ({rebalances.Count.ToString(CultureInfo.InvariantCulture)})";
        }

        // The band is always in view, with a little room above and below it.
        var (low, high) = ChartInput.Range(drift.Values);
        var top = Math.Max(high, band);
        var bottom = Math.Min(low, -band);
        var room = (top - bottom) * 0.08;
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(bottom - room, top + room);

        plot.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = ChartText.Percent };
        plot.YLabel("Drift");
        return Render(plot, format, width, height, legend: true, autoScale: false);
    }

    /// <summary>Cumulative turnover over time, one line per policy (fractions of the portfolio: 1.0 is 100%).</summary>
    public static byte[] Turnover(string title, IReadOnlyList<ChartSeries> series, ChartFormat format, int width = 900, int height = 450)
    {
        CheckFrame(title, format, width, height);
        ChartInput.CheckSeries(series, nameof(series));

        using var plot = NewPlot(title);
        foreach (var s in series)
        {
            AddLine(plot, s, s.Values);
        }

        plot.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = ChartText.Percent };
        plot.YLabel("Cumulative turnover");
        return Render(plot, format, width, height, legend: true);
    }

    /// <summary>A band sweep: tracking error (y) against turnover (x), one labelled point per policy.</summary>
    public static byte[] Sweep(string title, IReadOnlyList<SweepPoint> points, ChartFormat format, int width = 900, int height = 450)
    {
        CheckFrame(title, format, width, height);
        ChartInput.CheckPoints(points, nameof(points));

        using var plot = NewPlot(title, dates: false);
        foreach (var p in points)
        {
            var color = p.Highlight ? HighlightColor : PointColor;
            plot.Add.Marker(p.Turnover, p.TrackingError, p.Highlight ? MarkerShape.FilledDiamond : MarkerShape.FilledCircle, p.Highlight ? 12 : 8, color);
            var label = plot.Add.Text(p.Label, p.Turnover, p.TrackingError);
            label.LabelStyle.Alignment = Alignment.LowerLeft;
            label.LabelStyle.FontSize = 12;
            label.LabelStyle.Bold = p.Highlight;
            label.LabelStyle.ForeColor = p.Highlight ? HighlightColor : Colors.Black;
            label.OffsetX = 6;
            label.OffsetY = -4;
        }

        // Room on the right and at the top for the labels, which are drawn beside their points.
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        var xSpan = Math.Max(limits.Right - limits.Left, Math.Max(Math.Abs(limits.Right), 1e-4));
        var ySpan = Math.Max(limits.Top - limits.Bottom, Math.Max(Math.Abs(limits.Top), 1e-4));
        plot.Axes.SetLimits(limits.Left - xSpan * 0.05, limits.Right + xSpan * 0.25, limits.Bottom - ySpan * 0.08, limits.Top + ySpan * 0.15);

        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { LabelFormatter = ChartText.Percent };
        plot.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = ChartText.Percent };
        plot.XLabel("Turnover");
        plot.YLabel("Tracking error");
        return Render(plot, format, width, height, legend: false, autoScale: false);
    }

    /// <summary>
    /// Draws a chart into a file, in the format its extension (.png or .svg) names, creating the folder.
    /// Returns the file's full path.
    /// </summary>
    public static string Save(string path, Func<ChartFormat, byte[]> draw)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(draw);
        var extension = Path.GetExtension(path);
        ChartFormat format;
        if (extension.Equals(".png", StringComparison.OrdinalIgnoreCase))
        {
            format = ChartFormat.Png;
        }
        else if (extension.Equals(".svg", StringComparison.OrdinalIgnoreCase))
        {
            format = ChartFormat.Svg;
        }
        else
        {
            throw new ArgumentException($"A chart file ends in .png or .svg; '{path}' does not.", nameof(path));
        }

        // Drawn first, so a chart that fails leaves no folder or file behind.
        var bytes = draw(format);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllBytes(full, bytes);
        return full;
    }

    private static void CheckFrame(string title, ChartFormat format, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(title);
        if (format is not (ChartFormat.Png or ChartFormat.Svg))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "A chart is drawn as Png or Svg.");
        }

        if (width is < MinSide or > MaxSide)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, $"A chart is {MinSide} to {MaxSide} pixels wide.");
        }

        if (height is < MinSide or > MaxSide)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, $"A chart is {MinSide} to {MaxSide} pixels high.");
        }
    }

    private static Plot NewPlot(string title, bool dates = true)
    {
        var plot = new Plot();
        plot.Title(title);
        if (dates)
        {
            // Days as OLE dates on ScottPlot's date axis; round days, months or years.
            plot.Axes.DateTimeTicksBottom().TickGenerator = new RoundDateTicks();
        }

        return plot;
    }

    /// <summary>A series as a signal plot: made for sorted x, it draws a century of daily points in a few milliseconds.</summary>
    private static void AddLine(Plot plot, ChartSeries series, double[] ys)
    {
        var xs = new double[series.Days.Length];
        for (var i = 0; i < xs.Length; i++)
        {
            xs[i] = ChartInput.X(series.Days[i]);
        }

        var line = plot.Add.SignalXY(xs, ys);
        line.LegendText = series.Label;
        line.LineWidth = 1.5f;
        if (xs.Length == 1)
        {
            // One point draws no line: a marker shows it.
            line.MarkerSize = 6;
        }
    }

    private static byte[] Render(Plot plot, ChartFormat format, int width, int height, bool legend, bool autoScale = true)
    {
        if (legend)
        {
            // Below the data, outside it, so it never hides a line.
            plot.ShowLegend(Edge.Bottom);
        }

        if (autoScale)
        {
            plot.Axes.AutoScale();
        }

        // Every label in one font found on this machine (ScottPlot's own choice can be a serif face, or none at all).
        plot.Font.Set(ChartFont.Family);
        plot.Legend.FontName = ChartFont.Family;
        plot.Legend.FontSize = 13;

        return format == ChartFormat.Png
            ? plot.GetImageBytes(width, height, ImageFormat.Png)
            : Encoding.UTF8.GetBytes(ChartSvg.Tidy(plot.GetSvgXml(width, height)));
    }

    private static double[] Log10(double[] values)
    {
        var logs = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            logs[i] = Math.Log10(values[i]);
        }

        return logs;
    }

    /// <summary>
    /// Ticks for a log axis drawn as log10 of the values: powers of ten over many decades (every second or third one
    /// past eight), 1-2-5 steps over a few, and plain steps of the values themselves within one decade.
    /// </summary>
    internal static Tick[] LogTicks(double low, double high)
    {
        var ticks = new List<Tick>();
        var decades = Math.Log10(high / low);
        var first = (int)Math.Floor(Math.Log10(low)) - 1;
        var last = (int)Math.Ceiling(Math.Log10(high)) + 1;
        if (decades >= 3)
        {
            var step = Math.Max(1, (int)Math.Ceiling((last - first) / 8.0));
            for (var k = first; k <= last; k++)
            {
                if ((k - first) % step == 0)
                {
                    ticks.Add(Tick.Major(k, ChartText.Number(Math.Pow(10, k))));
                }
                else
                {
                    ticks.Add(Tick.Minor(k));
                }

                if (step == 1)
                {
                    for (var m = 2; m <= 9; m++)
                    {
                        ticks.Add(Tick.Minor(k + Math.Log10(m)));
                    }
                }
            }
        }
        else if (decades >= 0.7)
        {
            for (var k = first; k <= last; k++)
            {
                for (var m = 1; m <= 9; m++)
                {
                    var position = k + Math.Log10(m);
                    if (m is 1 or 2 or 5)
                    {
                        ticks.Add(Tick.Major(position, ChartText.Number(m * Math.Pow(10, k))));
                    }
                    else
                    {
                        ticks.Add(Tick.Minor(position));
                    }
                }
            }
        }
        else
        {
            var span = high - low;
            if (span <= 0)
            {
                span = Math.Abs(high) * 0.1;
            }

            var step = ChartText.NiceStep(span / 5);
            var start = Math.Floor((low - span) / step);
            for (var i = 0; (start + i) * step <= high + span; i++)
            {
                var v = (start + i) * step;
                if (v > 0)
                {
                    ticks.Add(Tick.Major(Math.Log10(v), ChartText.Number(v)));
                }
            }
        }

        return [.. ticks];
    }
}
