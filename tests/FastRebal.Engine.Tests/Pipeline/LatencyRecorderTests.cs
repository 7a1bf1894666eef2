using System.Diagnostics;
using FastRebal.Engine.Pipeline;

namespace FastRebal.Engine.Tests.Pipeline;

public class LatencyRecorderTests
{
    private static long Ms(double ms) => (long)(ms * Stopwatch.Frequency / 1000);

    [Fact]
    public void The_summary_gives_percentiles_and_the_largest_latency_recorded()
    {
        var recorder = new LatencyRecorder("test");
        for (var i = 1; i <= 100; i++)
        {
            recorder.Record(0, Ms(i));
        }

        var summary = recorder.Summary();

        Assert.Equal(100, summary.Count);
        Assert.Equal(50, summary.P50.TotalMilliseconds, 0.1);
        Assert.Equal(99, summary.P99.TotalMilliseconds, 0.1);
        Assert.Equal(100, summary.Max.TotalMilliseconds, 0.1);
    }

    [Fact]
    public void No_percentile_is_above_the_largest_latency_recorded()
    {
        // One sample: every percentile is that sample, where the histogram's bucket reaches a little above it.
        var recorder = new LatencyRecorder("test");
        recorder.Record(0, Ms(227.082));

        var summary = recorder.Summary();

        Assert.Equal(summary.Max, summary.P50);
        Assert.Equal(summary.Max, summary.P99);
        Assert.Equal(summary.Max, summary.P999);
        Assert.Equal(227.082, summary.Max.TotalMilliseconds, 0.001);
    }

    [Fact]
    public async Task Resetting_while_another_thread_records_starts_afresh_and_never_breaks_the_summary()
    {
        var recorder = new LatencyRecorder("test");
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var i = 0L;
            while (!stop.IsCancellationRequested)
            {
                recorder.Record(0, Ms(1 + (i++ % 50)));
            }
        });
        for (var i = 0; i < 200; i++)
        {
            recorder.Reset();
            _ = recorder.Summary();
        }
        stop.Cancel();
        await writer;
        recorder.Reset();
        recorder.Record(0, Ms(3));

        var summary = recorder.Summary();

        Assert.Equal(1, summary.Count);
        Assert.Equal(3, summary.Max.TotalMilliseconds, 0.1);
    }
}
