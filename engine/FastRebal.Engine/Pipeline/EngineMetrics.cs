using System.Diagnostics.Metrics;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// The engine's <see cref="System.Diagnostics.Metrics"/> instruments, under the meter "FastRebal.Engine", so any
/// OpenTelemetry or dotnet-counters listener sees them: ticks, orders and rejects as counters read from the stages'
/// own fields (no extra work on the hot path), queue depths as gauges, and stage latencies as histograms.
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "FastRebal.Engine";

    private readonly Meter meter;

    public EngineMetrics(IMeterFactory? factory = null)
    {
        meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        BatchDuration = meter.CreateHistogram<double>("fastrebal.evaluation.batch.duration", "ms", "Time to evaluate one batch of price changes");
        PriceToDecision = meter.CreateHistogram<double>("fastrebal.price_to_decision", "ms", "From a verified price entering the engine to the decisions it causes");
        TickToOrder = meter.CreateHistogram<double>("fastrebal.tick_to_order", "ms", "From a verified price entering the engine to the first order it causes leaving the risk gate");
    }

    public Histogram<double> BatchDuration { get; }

    public Histogram<double> PriceToDecision { get; }

    public Histogram<double> TickToOrder { get; }

    /// <summary>Publishes a running total the engine keeps in a field (ticks, orders, rejects).</summary>
    public void Counter(string name, string unit, string description, Func<long> read) =>
        meter.CreateObservableCounter(name, read, unit, description);

    /// <summary>Publishes a level (a queue depth, accounts in breach).</summary>
    public void Gauge(string name, string unit, string description, Func<long> read) =>
        meter.CreateObservableGauge(name, read, unit, description);

    public void Dispose() => meter.Dispose();
}
