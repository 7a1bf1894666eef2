using System.Collections.Concurrent;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using FastRebal.Engine.Simulation;

namespace FastRebal.Bench.Pipeline;

/// <summary>
/// The whole live path on a firm of 100k accounts x 20 positions: one million source quotes (22 instruments, 3
/// sources, a seeded random walk) are verified on the calling thread, handed to the evaluation stage (conflation,
/// incremental or full drift, decisions, risk gate) and on to the order stage (blocks, slices, the sink). The stages
/// are the engine's own; the only difference between the rows is the hand-off between them: the engine's rings, or
/// bounded <see cref="Channel{T}"/>s of the same capacity (the baseline). A third row adds the durable engine's
/// input journal (FASTER's FasterLog): every read of quotes journaled before it is verified, every batch journaled
/// before it is evaluated, with a group commit started at once and awaited by the order stage before any child of
/// that batch leaves. Each figure is per source quote.
/// </summary>
/// <remarks>
/// Each iteration starts from a freshly generated book whose trading day is already open (the opening full sweep and
/// its calendar decisions run in the setup), so every iteration measures the same work.
/// </remarks>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("pipeline")]
[InvocationCount(1)]
public class PipelineBenchmarks
{
    private const int Ticks = 1_000_000;
    private const int Capacity = 1 << 16;
    private const int ReadChunk = 4096;

    private Engine.MarketData.MarketHistory history = null!;
    private SourceTick[] ticks = null!;
    private Stages stages = null!;

    [Params(100_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        history = FirmGenerator.LoadHistory(42);
        var firm = FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42), history);
        ticks = new SourceTick[Ticks];
        new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 42, meanReversion: 0.00125, marketStart: MarketOpen(firm.AsOf)).Read(ticks);
    }

    private string? journalFolder;

    [IterationSetup(Targets = [nameof(Channels), nameof(Rings)])]
    public void FreshBook() => stages = new Stages(FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42), history));

    [IterationSetup(Target = nameof(JournaledRings))]
    public void FreshBookAndJournal()
    {
        journalFolder = Directory.CreateTempSubdirectory("fastrebal-bench-journal-").FullName;
        stages = new Stages(FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42), history), new EngineJournal(journalFolder));
    }

    [IterationCleanup]
    public void DropJournal()
    {
        stages.Journal?.Dispose();
        if (journalFolder is not null)
        {
            Directory.Delete(journalFolder, recursive: true);
            journalFolder = null;
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ticks, Description = "stages joined by Channel<T>")]
    public long Channels()
    {
        var options = new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait };
        var prices = Channel.CreateBounded<PriceEvent>(options);
        var orders = Channel.CreateBounded<OrderEvent>(options);
        var evaluation = stages.Evaluation;
        stages.Publisher.Target = new ChannelPublisher(orders.Writer);
        var evaluating = Task.Run(async () =>
        {
            while (await prices.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (prices.Reader.TryRead(out var price))
                {
                    evaluation.Add(price);
                }
                evaluation.EndBatch();
            }
            orders.Writer.Complete();
        });
        var ordering = Task.Run(async () =>
        {
            while (await orders.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (orders.Reader.TryRead(out var order))
                {
                    stages.Orders.Add(order);
                }
                stages.Orders.EndBatch();
            }
        });
        var published = stages.Ingest(ticks, (in PriceEvent price) =>
        {
            while (!prices.Writer.TryWrite(price))
            {
                prices.Writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult();
            }
        });
        prices.Writer.Complete();
        Task.WaitAll(evaluating, ordering);
        return published + stages.Orders.Counters.ChildrenSent;
    }

    [Benchmark(OperationsPerInvoke = Ticks, Description = "stages joined by the engine's rings")]
    public long Rings() => RunRings();

    [Benchmark(OperationsPerInvoke = Ticks, Description = "rings + input journal (FasterLog)")]
    public long JournaledRings() => RunRings();

    private long RunRings()
    {
        var prices = new RingBuffer<PriceEvent>(Capacity, new BlockingWaitStrategy());
        var orders = new RingBuffer<OrderEvent>(Capacity, new BlockingWaitStrategy());
        var evaluation = stages.Evaluation;
        stages.Publisher.Target = new RingOrderPublisher(orders);
        using var metrics = new EngineMetrics();
        var evaluating = new BatchProcessor<PriceEvent, EvaluationHandler>(prices, new EvaluationHandler(evaluation, metrics, new LatencyRecorder("batch")), "bench-evaluate");
        var ordering = new BatchProcessor<OrderEvent, OrderHandler>(orders, new OrderHandler(stages.Orders), "bench-orders");
        ordering.Start();
        evaluating.Start();
        var published = stages.Ingest(ticks, (in PriceEvent price) =>
        {
            var sequence = prices.Next();
            prices[sequence] = price;
            prices.Publish(sequence);
        });
        // Each stop drains what was published before it, in pipeline order.
        evaluating.Stop();
        ordering.Stop();
        return published + stages.Orders.Counters.ChildrenSent;
    }

    private static DateTimeOffset MarketOpen(DateOnly day) => new(day.ToDateTime(new TimeOnly(14, 30)), TimeSpan.Zero);

    private delegate void PublishPrice(in PriceEvent price);

    /// <summary>The engine's stages on one book, wired as <see cref="EngineHost"/> wires them, minus its threads and rings.</summary>
    private sealed class Stages
    {
        private readonly GeneratedFirm firm;
        private readonly PriceVerifier verifier;
        private readonly RiskPlanGate gate;
        private readonly ConcurrentQueue<AccountFill> fills = new();
        private readonly KillSwitch killSwitch = new(new InMemoryKillSwitchStore());

        public Stages(GeneratedFirm firm, EngineJournal? journal = null)
        {
            this.firm = firm;
            Journal = journal;
            var book = firm.Book;
            var open = MarketOpen(firm.AsOf).UtcTicks;
            verifier = new PriceVerifier(book.Instruments, 3, new VerificationPolicy { MinSources = 2 });
            for (var i = 0; i < book.Instruments.Count; i++)
            {
                verifier.Seed(i, book.Prices[i], open);
            }
            var reference = new JournaledReferencePrices(verifier);
            var risk = new RiskGate(book.AccountCount, book.Models.Count, book.Instruments,
                new PreTradeLimits { MaxOrdersPerInterval = book.SlotCount }, killSwitch, reference);
            gate = new RiskPlanGate(risk, book.Instruments.IndexOf("SPY"));
            Orders = new OrderStage(book, new SlicingPolicy { Interval = TimeSpan.FromSeconds(5) }, _ => 1_000_000m, new InMemoryOrderSink(),
                new FastRebal.Engine.Orders.Execution.SimulatedVenue(), killSwitch, fills, new LatencyRecorder("tick to order"));
            // The day's opening (a full sweep and its calendar decisions) is setup, not measurement: its trades are
            // dropped, and those accounts stay busy with them, the same way in every row.
            Evaluation = new EvaluationStage(book, new ControlPlane(), fills, gate, Publisher, new LatencyRecorder("price to decision"));
            Evaluation.ReferencePrices = reference;
            Evaluation.Open(open);
            Evaluation.Journal = journal;
            Orders.Journal = journal;
        }

        public EngineJournal? Journal { get; }

        private readonly SourceTick[] readBuffer = new SourceTick[ReadChunk];

        public OrderStage Orders { get; }

        public EvaluationStage Evaluation { get; }

        /// <summary>Where the evaluation stage's trades go: nowhere during setup, then the row's hand-off.</summary>
        public RedirectablePublisher Publisher { get; } = new();

        /// <summary>Verifies every quote and publishes each verified price change; returns how many were published.</summary>
        public long Ingest(SourceTick[] quotes, PublishPrice publish)
        {
            var published = 0L;
            // Read by chunks as the ingestion thread does; a durable engine journals what each chunk's verification
            // changed before it publishes any of it.
            for (var from = 0; from < quotes.Length; from += ReadChunk)
            {
                var to = Math.Min(quotes.Length, from + ReadChunk);
                quotes.AsSpan(from, to - from).CopyTo(readBuffer);
                verifiedNow.Clear();
                foreach (var quote in readBuffer.AsSpan(0, to - from))
                {
                    var verdict = verifier.Offer(quote);
                    if (verdict.Kind == VerdictKind.Verified && verdict.Changed)
                    {
                        verifiedNow.Add(new PriceEvent { Instrument = quote.Instrument, Price = verdict.Price, MarketTime = quote.Timestamp, ReceivedAt = System.Diagnostics.Stopwatch.GetTimestamp() });
                    }
                }
                Journal?.AppendVerified(from + 1, to - from, readBuffer[to - from - 1].Timestamp / TimeSpan.TicksPerDay, verifier.TakeDelta(), verifiedNow);
                foreach (var e in verifiedNow)
                {
                    publish(e);
                }
                published += verifiedNow.Count;
            }
            return published;
        }

        private readonly List<PriceEvent> verifiedNow = [];
    }

    private sealed class RedirectablePublisher : IOrderPublisher
    {
        public IOrderPublisher? Target { get; set; }

        public void Publish(in OrderEvent order) => Target?.Publish(order);
    }

    private sealed class ChannelPublisher(ChannelWriter<OrderEvent> writer) : IOrderPublisher
    {
        public void Publish(in OrderEvent order)
        {
            while (!writer.TryWrite(order))
            {
                writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }
}
