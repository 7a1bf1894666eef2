using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Simulation;

namespace FastRebal.Bench.Persistence;

/// <summary>
/// Recovery of a firm of 100k accounts x 20 positions: its checkpoint, then a journal of one million quotes after it,
/// as the ingestion thread journals them (a read of 1,000 quotes at a time, each journaled as the verifier state it
/// changed and the prices it verified, with an evaluation batch every 10,000 quotes: a second of a 1M quotes/s feed).
/// Recovery loads the checkpoint, puts the verifier's changes back and re-evaluates every batch.
/// The baseline reads the same files from disk start to end: the floor any recovery of this state has.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("persistence")]
[InvocationCount(1)]
public class RecoveryBenchmarks
{
    private const int Entries = 1_000_000;
    private const int QuotesPerRead = 1_000;
    private const int QuotesPerBatch = 10_000;

    private string folder = null!;
    private Engine.MarketData.MarketHistory history = null!;
    private EngineHost engine = null!;

    [Params(100_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        folder = Directory.CreateTempSubdirectory("fastrebal-bench-recovery-").FullName;
        history = FirmGenerator.LoadHistory(42);
        var firm = FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42), history);
        var quotes = new SourceTick[Entries];
        // One trading day of quotes (a batch never spans two), from the open of the day the book was priced.
        var feed = new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 42, ticksPerSecond: 0, meanReversion: 0.00125, marketStart: MarketOpen(firm));
        feed.Read(quotes);
        var writer = Engine(firm);
        try
        {
            // The writer opens the day and stops at once (a checkpoint); the quotes then follow in the journal.
            writer.Start();
            writer.Stop();
            var journal = writer.Durability!.Journal;
            var sequence = writer.Evaluation.Sequence;
            var position = writer.Status().TicksRead;
            var verified = new List<PriceEvent>();
            for (var read = 0; read < Entries; read += QuotesPerRead)
            {
                verified.Clear();
                for (var i = read; i < read + QuotesPerRead; i++)
                {
                    var verdict = writer.Verifier.Offer(quotes[i]);
                    if (verdict.Kind == VerdictKind.Verified && verdict.Changed)
                    {
                        verified.Add(new PriceEvent { Instrument = quotes[i].Instrument, Price = verdict.Price, MarketTime = quotes[i].Timestamp, FeedPosition = position + i + 1 });
                    }
                }
                journal.AppendVerified(position + read + 1, QuotesPerRead, quotes[read + QuotesPerRead - 1].Timestamp / TimeSpan.TicksPerDay, writer.Verifier.TakeDelta(), verified);
                if ((read + QuotesPerRead) % QuotesPerBatch == 0)
                {
                    journal.AppendBatch(++sequence, quotes[read + QuotesPerRead - 1].Timestamp, position + read + QuotesPerRead, [], []);
                }
            }
            journal.Commit();
        }
        finally
        {
            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static DateTimeOffset MarketOpen(GeneratedFirm firm) => new(firm.AsOf.ToDateTime(new TimeOnly(14, 30)), TimeSpan.Zero);

    private EngineHost Engine(GeneratedFirm firm) =>
        new(firm.Book, new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 7, ticksPerSecond: 1, marketStart: MarketOpen(firm)), new InMemoryOrderSink(), new EngineOptions
        {
            Durability = new DurabilityOptions { Directory = Path.Combine(folder, "state"), CheckpointInterval = Timeout.InfiniteTimeSpan, CheckpointOnStop = false },
        });

    [IterationSetup]
    public void FreshEngine() => engine = Engine(FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42), history));

    [IterationCleanup]
    public void Dispose() => engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(folder, recursive: true);

    [Benchmark(Baseline = true, Description = "read the same files")]
    public long ReadFiles()
    {
        var total = 0L;
        var buffer = new byte[1 << 20];
        foreach (var file in Directory.EnumerateFiles(Path.Combine(folder, "state"), "*", SearchOption.AllDirectories))
        {
            using var stream = File.OpenRead(file);
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                total += read;
            }
        }
        return total;
    }

    [Benchmark(Description = "checkpoint + 1M journaled quotes")]
    public long Recover()
    {
        var report = engine.RecoverStopped();
        if (report.TicksReplayed != Entries || report.Damage is not null)
        {
            throw new InvalidOperationException($"recovery replayed {report.TicksReplayed} quotes ({report.Damage})");
        }
        return report.LastSequence;
    }
}
