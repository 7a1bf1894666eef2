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
    // Replaced whole by Reset: HdrHistogram's own reset is not safe while another thread records, and a torn one
    // later failed to report its maximum. A sample recorded into the old one during the swap is simply dropped.
    private LongConcurrentHistogram histogram = NewHistogram();
    private long max;

    private static LongConcurrentHistogram NewHistogram() => new(1, TimeSpan.FromMinutes(1).Ticks * 100, 3);

    public string Name { get; } = name;

    public long Count => Volatile.Read(ref histogram).TotalCount;

    /// <summary>Records the time from <paramref name="startTimestamp"/> to <paramref name="endTimestamp"/>.</summary>
    public void Record(long startTimestamp, long endTimestamp)
    {
        var h = Volatile.Read(ref histogram);
        var nanoseconds = Math.Clamp((long)((endTimestamp - startTimestamp) * NanosecondsPerTick), 1, h.HighestTrackableValue);
        h.RecordValue(nanoseconds);
        long seen;
        while (nanoseconds > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, nanoseconds, seen) != seen)
        {
        }
    }

    /// <summary>The latency below which <paramref name="percentile"/>% of samples fall (0 when empty).</summary>
    /// <remarks>
    /// The histogram answers with the top of the bucket the percentile falls in, which can lie above every sample (a
    /// p99 of 227.148 ms beside a largest sample of 227.082 ms): no percentile is more than the largest sample.
    /// </remarks>
    public TimeSpan Percentile(double percentile)
    {
        var h = Volatile.Read(ref histogram);
        return h.TotalCount == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(h.GetValueAtPercentile(percentile), Volatile.Read(ref max)) / 100);
    }

    public LatencySummary Summary() => new(Name, Count, Percentile(50), Percentile(99), Percentile(99.9), Count == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Volatile.Read(ref max) / 100));

    /// <summary>Starts the figures afresh (after a warm-up, say). Safe while other threads record.</summary>
    public void Reset()
    {
        Volatile.Write(ref histogram, NewHistogram());
        Volatile.Write(ref max, 0);
    }
}

/// <summary>A latency distribution as the CLI and console print it.</summary>
public readonly record struct LatencySummary(string Name, long Count, TimeSpan P50, TimeSpan P99, TimeSpan P999, TimeSpan Max);
