using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using FastRebal.Engine.Simulation;

namespace FastRebal.Bench.Audit;

/// <summary>
/// The cost of the audit trail to the live engine's evaluation: the day's opening (a full sweep and the quarter's
/// calendar decisions, about 5,300 decisions and 74,000 released trades on a firm of 20k accounts x 20 positions
/// priced on 2025-03-31) by the engine's evaluation stage, without an audit trail (the baseline) and with one
/// written to a file through the engine's <see cref="AuditWriter"/>. The audited row ends when every record is in the
/// file and made durable, so it measures the trail's whole cost, not only the part the stage waits for.
/// </summary>
/// <remarks>Each iteration opens a freshly generated book (and a fresh audit file), so every iteration does the same work.</remarks>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("audit")]
[InvocationCount(1)]
public class AuditOpeningBenchmarks
{
    private Engine.MarketData.MarketHistory history = null!;
    private GeneratedFirm firm = null!;
    private string folder = null!;

    [Params(20_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        history = FirmGenerator.LoadHistory(42);
        folder = Directory.CreateTempSubdirectory("fastrebal-bench-audit-").FullName;
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(folder, recursive: true);

    [IterationSetup]
    public void FreshBook()
    {
        firm = FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42, new DateOnly(2025, 3, 31)), history);
        foreach (var file in Directory.GetFiles(folder))
        {
            File.Delete(file);
        }
    }

    [Benchmark(Baseline = true, Description = "opening, no audit trail")]
    public long Unaudited() => Open(null).Counters.Decisions;

    [Benchmark(Description = "opening + audit trail to a file")]
    public long Audited()
    {
        var opened = FileAuditStore.Open(Path.Combine(folder, "audit.jsonl"));
        using var chain = new AuditChain(opened.Store!);
        var writer = new AuditWriter(chain);
        var stage = Open(writer);
        writer.Complete();
        return stage.Counters.Decisions + writer.Written;
    }

    private EvaluationStage Open(AuditWriter? writer)
    {
        var book = firm.Book;
        var open = new DateTimeOffset(firm.AsOf.ToDateTime(new TimeOnly(14, 30)), TimeSpan.Zero).UtcTicks;
        var verifier = new PriceVerifier(book.Instruments, 3, new VerificationPolicy { MinSources = 2 });
        for (var i = 0; i < book.Instruments.Count; i++)
        {
            verifier.Seed(i, book.Prices[i], open);
        }
        var reference = new JournaledReferencePrices(verifier);
        var risk = new RiskGate(book.AccountCount, book.Models.Count, book.Instruments,
            new PreTradeLimits { MaxOrdersPerInterval = book.SlotCount }, new KillSwitch(new InMemoryKillSwitchStore()), reference);
        var stage = new EvaluationStage(book, new ControlPlane(), new ConcurrentQueue<AccountFill>(), new RiskPlanGate(risk, book.Instruments.IndexOf("SPY")),
            new DroppedOrders(), new LatencyRecorder("price to decision"), audit: writer) { ReferencePrices = reference };
        stage.Open(open);
        return stage;
    }

    /// <summary>The opening's orders go nowhere: the order stage is not what this benchmark is about.</summary>
    private sealed class DroppedOrders : IOrderPublisher
    {
        public void Publish(in OrderEvent order)
        {
        }
    }
}
