using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.Tax;

namespace FastRebal.Bench.Decisions;

/// <summary>
/// The live evaluation stage opening a trading day on the realistic firm (N accounts x 20 positions): one batch that
/// sweeps every account and decides those with something to act on (band breaches, the quarter's calendar
/// rebalances), releasing their plans through an open gate. The baseline keeps no lots; against it, the same day with
/// every taxable account's 3 to 5 lots per position (plans made tax-aware, buys checked against the wash-sale ledger),
/// and with the day's harvest scan on top.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("decisions")]
[InvocationCount(1)]
public class LiveTaxBenchmarks
{
    private GeneratedFirm firm = null!;
    private TaxBook lots = null!;
    private TaxBook harvesting = null!;
    private EvaluationStage stage = null!;
    private readonly Published published = new();

    [Params(100_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        firm = FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42, Shape: FirmShape.Realistic), FirmGenerator.LoadHistory(42));
        lots = FirmLots.LiveTax(firm, 42, harvest: false);
        harvesting = FirmLots.LiveTax(firm, 42, harvest: true);
    }

    [IterationSetup(Target = nameof(NoLots))]
    public void StageWithoutLots() => stage = NewStage(null);

    [IterationSetup(Target = nameof(Lots))]
    public void StageWithLots() => stage = NewStage(lots);

    [IterationSetup(Target = nameof(LotsAndHarvest))]
    public void StageWithHarvest() => stage = NewStage(harvesting);

    private EvaluationStage NewStage(TaxBook? tax)
    {
        published.Count = 0;
        return new EvaluationStage(firm.Book, new ControlPlane(), new ConcurrentQueue<AccountFill>(), new OpenGate(), published, new LatencyRecorder("bench"), tax: tax);
    }

    [Benchmark(Baseline = true, Description = "open the day, no lots")]
    public long NoLots() => OpenDay();

    [Benchmark(Description = "open the day, lots and wash-sale ledger")]
    public long Lots() => OpenDay();

    [Benchmark(Description = "open the day, lots, ledger and harvest scan")]
    public long LotsAndHarvest() => OpenDay();

    private long OpenDay()
    {
        stage.Add(new PriceEvent { Instrument = -1, MarketTime = firm.AsOf.ToDateTime(new TimeOnly(14, 30)).Ticks });
        stage.EndBatch();
        return published.Count;
    }

    private sealed class Published : IOrderPublisher
    {
        public long Count;

        public void Publish(in OrderEvent order) => Count++;
    }

    /// <summary>Accepts every plan: the benchmark measures deciding, not the risk gate.</summary>
    private sealed class OpenGate : IPlanGate
    {
        public void FillsApplied(int account, int model)
        {
        }

        public void ObserveDrift(int account, int model, double totalDrift, DateOnly day)
        {
        }

        public void ObserveDrifts(int firstAccount, ReadOnlySpan<double> totalDrift, DateOnly day)
        {
        }

        public void ObserveModelDrift(int model, double meanTotalDrift, DateOnly day)
        {
        }

        public void ObservePrice(int instrument, double price, DateOnly day)
        {
        }

        public bool IsHalted(int account, int model) => false;

        public bool Release(BreakerKind kind, int index, string who, string why) => false;

        public string? Check(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime) => null;
    }
}
