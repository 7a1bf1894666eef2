namespace FastRebal.Charts;

/// <summary>One line of a chart: a value on each day, the days in ascending order, one value per day.</summary>
public sealed record ChartSeries(string Label, DateOnly[] Days, double[] Values);

/// <summary>One policy of a band sweep: its turnover and tracking error as fractions (0.05 is 5%).</summary>
public sealed record SweepPoint(string Label, double Turnover, double TrackingError, bool Highlight = false);

/// <summary>What a chart is drawn as: PNG bytes, or SVG text in UTF-8.</summary>
public enum ChartFormat { Png, Svg }
