using System.Diagnostics;
using HdrHistogram;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// Latencies of one kind (say, price change to decision) as an HDR histogram: recording is O(1) and allocates
/// nothing, and percentiles stay exact to three significant figures from a microsecond to a minute.
/// Timestamps are <see cref="Stopwatch.GetTimestamp"/> values.
/// </summary>
public sealed class LatencyRecorder(string name)
{
    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;
    private readonly LongConcurrentHistogram histogram = new(1, TimeSpan.FromMinutes(1).Ticks * 100, 3);

    public string Name { get; } = name;

    public long Count => histogram.TotalCount;

    /// <summary>Records the time from <paramref name="startTimestamp"/> to <paramref name="endTimestamp"/>.</summary>
    public void Record(long startTimestamp, long endTimestamp)
    {
        var nanoseconds = (long)((endTimestamp - startTimestamp) * NanosecondsPerTick);
        histogram.RecordValue(Math.Clamp(nanoseconds, 1, histogram.HighestTrackableValue));
    }

    /// <summary>The latency below which <paramref name="percentile"/>% of samples fall (0 when empty).</summary>
    public TimeSpan Percentile(double percentile) =>
        histogram.TotalCount == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(histogram.GetValueAtPercentile(percentile) / 100);

    public LatencySummary Summary() => new(Name, Count, Percentile(50), Percentile(99), Percentile(99.9), histogram.TotalCount == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(histogram.GetMaxValue() / 100));

    public void Reset() => histogram.Reset();
}

/// <summary>A latency distribution as the CLI and console print it.</summary>
public readonly record struct LatencySummary(string Name, long Count, TimeSpan P50, TimeSpan P99, TimeSpan P999, TimeSpan Max);
