using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Simulation;
using MemoryPack;

namespace FastRebal.Bench.Persistence;

/// <summary>
/// A checkpoint of a firm of 100k accounts x 20 positions after five seconds of live trading (a seeded random walk
/// as fast as the engine takes it, after the day's opening): the engine's whole path (copy the state, serialize
/// with MemoryPack, upsert into FASTER, take a FASTER snapshot checkpoint, prune, truncate the journal). Policies
/// did not change since the previous checkpoint, so their records are kept, as in steady running. The baseline
/// writes the serialized holdings and per-account decision state to one file with one fsync: the floor for
/// putting that much on this disk.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("persistence")]
public class CheckpointBenchmarks
{
    private string folder = null!;
    private EngineHost engine = null!;
    private byte[][] bytes = null!;

    [Params(100_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        folder = Directory.CreateTempSubdirectory("fastrebal-bench-checkpoint-").FullName;
        var firm = FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42), FirmGenerator.LoadHistory(42));
        var feed = new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 42, meanReversion: 0.00125, marketStart: new DateTimeOffset(firm.AsOf.ToDateTime(new TimeOnly(14, 30)), TimeSpan.Zero));
        engine = new EngineHost(firm.Book, feed, new InMemoryOrderSink(), new EngineOptions
        {
            Durability = new DurabilityOptions { Directory = Path.Combine(folder, "state"), CheckpointInterval = Timeout.InfiniteTimeSpan },
        });
        // Open the day, trade for a while (the opening's orders fill and are applied), then stop.
        engine.Start();
        Thread.Sleep(TimeSpan.FromSeconds(5));
        engine.Stop();
        // A faulted engine stops where it failed (mid-pass, kill switch engaged): not the state this benchmark is about.
        if (engine.Status().Fault is { } fault)
        {
            throw new InvalidOperationException($"the engine faulted while trading: {fault}");
        }
        var image = new EngineImage();
        var chunks = BookState.Capture(firm.Book, image);
        engine.Evaluation.Capture(chunks);
        bytes = [MemoryPackSerializer.Serialize(image), .. chunks.Select(c => MemoryPackSerializer.Serialize(c))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "same bytes to one file + fsync")]
    public long OneFile()
    {
        var path = Path.Combine(folder, "plain.bin");
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        foreach (var chunk in bytes)
        {
            file.Write(chunk);
        }
        file.Flush(flushToDisk: true);
        return file.Length;
    }

    [Benchmark(Description = "engine checkpoint (copy, MemoryPack, FASTER)")]
    public long Checkpoint() => engine.Durability!.CheckpointStopped().Sequence;
}
