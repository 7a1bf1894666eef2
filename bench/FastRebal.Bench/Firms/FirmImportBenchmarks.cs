using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Firms;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;

namespace FastRebal.Bench.Firms;

/// <summary>
/// Loading a firm's own book (N accounts x 20 positions, the uniform generated firm): the same firm as one scenario
/// JSON file (the baseline, what <c>rebalance</c> reads) and as a firm folder (firm.json with the named policies,
/// accounts.csv, positions.csv, prices.csv), each read, validated and laid out into a book by the same loader.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("firms")]
[InvocationCount(1)]
public class FirmImportBenchmarks
{
    private string directory = null!;
    private string scenario = null!;
    private string folder = null!;

    [Params(100_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        directory = Directory.CreateTempSubdirectory("fastrebal-bench-firm-").FullName;
        var firm = FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42), FirmGenerator.LoadHistory(42));
        scenario = Path.Combine(directory, "firm.json");
        using (var file = File.Create(scenario))
        {
            ScenarioWriter.Write(file, firm.Book, firm.AsOf, []);
        }
        folder = Path.Combine(directory, "firm");
        FirmFolderWriter.Write(folder, firm.Book, firm.AsOf);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(directory, recursive: true);

    [Benchmark(Baseline = true, Description = "load a scenario JSON file")]
    public int ScenarioFile() => Loaded(ImportedFirm.Load(scenario));

    [Benchmark(Description = "load a firm folder (firm.json + CSV files)")]
    public int FirmFolder() => Loaded(ImportedFirm.Load(folder));

    private int Loaded(ImportedFirm firm) =>
        firm.Errors.Count == 0 && firm.Book.AccountCount == Accounts ? firm.Book.SlotCount : throw new InvalidOperationException($"{firm.Errors.Count} errors, {firm.Book.AccountCount} accounts");
}
