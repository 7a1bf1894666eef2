using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Drift;
using FastRebal.Engine.State;

namespace FastRebal.Bench.Drift;

/// <summary>
/// The drift sweep over N accounts x 20 positions. The baseline is a loop that only streams the same bytes (what
/// memory allows); against it: the SIMD sweep on both cores and on one, the scalar reference, and two
/// object-per-position versions: a lean one (doubles, direct references) and a typical one (decimal money, prices
/// looked up by symbol, LINQ), the way business C# usually models a book.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("drift")]
public class DriftSweepBenchmarks
{
    private AccountBook book = null!;
    private DriftReport report = null!;
    private NaiveFirm naive = null!;
    private TypicalObjectFirm typical = null!;

    [Params(10_000, 100_000, 1_000_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        book = SweepBook.Generate(Accounts);
        report = new DriftReport(book);
        naive = NaiveFirm.From(book);
        typical = TypicalObjectFirm.From(book);
    }

    [Benchmark(Baseline = true, Description = "memory streaming (same bytes, 2 cores)")]
    public double MemoryStreaming() => MemoryStreamingBaseline.Run(book, report, parallel: true);

    [Benchmark(Description = "SIMD sweep, 2 cores")]
    public void SimdParallel() => DriftSweep.Run(book, report, SweepPath.Auto, parallel: true);

    [Benchmark(Description = "SIMD sweep, 1 core")]
    public void SimdSingle() => DriftSweep.Run(book, report, SweepPath.Auto, parallel: false);

    [Benchmark(Description = "scalar reference, 1 core")]
    public void ScalarSingle() => DriftSweep.Run(book, report, SweepPath.Scalar, parallel: false);

    [Benchmark(Description = "lean objects (double, direct refs), 1 core")]
    public int NaiveObjects() => naive.Sweep();

    [Benchmark(Description = "typical objects (decimal, symbol lookup, LINQ), 1 core")]
    public int TypicalObjects() => typical.Sweep();
}
