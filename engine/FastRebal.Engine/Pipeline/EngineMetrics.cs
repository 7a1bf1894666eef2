using System.Diagnostics.Metrics;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// The engine's <see cref="System.Diagnostics.Metrics"/> instruments, under the meter "FastRebal.Engine", so any
/// OpenTelemetry or dotnet-counters listener sees them: ticks, orders and rejects as counters read from the stages'
/// own fields (no extra work on the hot path), queue depths as gauges, and batch durations as a histogram and latency percentiles as gauges.
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "FastRebal.Engine";

    private readonly Meter meter;

    public EngineMetrics(IMeterFactory? factory = null)
    {
        meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        BatchDuration = meter.CreateHistogram<double>("fastrebal.evaluation.batch.duration", "ms", "Time to evaluate one batch of price changes");
    }

    public Histogram<double> BatchDuration { get; }

    /// <summary>Publishes a latency recorder's p99 in microseconds (the full distribution stays in the recorder).</summary>
    public void Latency(string name, LatencyRecorder recorder) =>
        meter.CreateObservableGauge(name, () => recorder.Percentile(99).TotalMicroseconds, "us", $"p99 of {recorder.Name}");

    /// <summary>Publishes a running total the engine keeps in a field (ticks, orders, rejects).</summary>
    public void Counter(string name, string unit, string description, Func<long> read) =>
        meter.CreateObservableCounter(name, read, unit, description);

    /// <summary>Publishes a level (a queue depth, accounts in breach).</summary>
    public void Gauge(string name, string unit, string description, Func<long> read) =>
        meter.CreateObservableGauge(name, read, unit, description);

    public void Dispose() => meter.Dispose();
}
