using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Simulation;

namespace FastRebal.Bench.Decisions;

/// <summary>
/// Deciding and sizing every account of the generated firm (N accounts x 20 positions, the one-shot run that `demo`
/// times). The baseline also puts every decision's and trade's reason and every plan warning into words, which is
/// what deciding cost when they were formatted as they were made; against it, the run as it is now, where the words
/// wait until read; and the run in a batch region (<see cref="BatchRegion"/>, what the command line's one-shot runs
/// use), where room for all it keeps is set aside first (that collection counts) and nothing is collected while it decides.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("decisions")]
public class DecideBenchmarks
{
    private GeneratedFirm firm = null!;

    [Params(100_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup() => firm = FirmGenerator.Generate(new FirmSpec(Accounts), FirmGenerator.LoadHistory(42));

    [Benchmark(Baseline = true, Description = "decide and size, every reason and warning in words")]
    public int DecideAndWord()
    {
        var result = RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows);
        var characters = 0;
        foreach (var decision in result.Decisions)
        {
            characters += decision.Reason.Length;
            foreach (var warning in decision.Warnings)
            {
                characters += warning.ToString().Length;
            }
        }
        foreach (var trade in result.Trades)
        {
            characters += trade.Reason.Length;
        }
        foreach (var trade in result.HeldTrades)
        {
            characters += trade.Reason.Length;
        }
        return characters;
    }

    [Benchmark(Description = "decide and size (reasons and warnings kept as parts)")]
    public int Decide() => RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows).Trades.Count;

    [Benchmark(Description = "decide and size in a batch region (no collection while deciding)")]
    public int DecideInRegion()
    {
        using var region = BatchRegion.Enter(BatchRegion.RunBytes(firm.Book));
        return RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows).Trades.Count;
    }
}
