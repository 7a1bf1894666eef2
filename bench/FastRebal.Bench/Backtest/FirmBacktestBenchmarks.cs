using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using FastRebal.Engine.Backtest;
using FastRebal.Engine.Simulation;

namespace FastRebal.Bench.Backtest;

/// <summary>
/// A firm backtest: the generated firm (100k accounts x 20 positions) over 2020 (the COVID crash inside), every
/// account under its own IPS, against the same run with every account never rebalancing (the replay, the sweep and
/// the bookkeeping without decisions). Account-days per second = accounts x (trading days - 1) / the mean.
/// </summary>
[Config(typeof(FirmBacktestConfig))]
[BenchmarkCategory("backtest")]
[InvocationCount(1)]
public class FirmBacktestBenchmarks
{
    private static readonly DateOnly From = new(2020, 1, 1);
    private static readonly DateOnly To = new(2020, 12, 31);
    private GeneratedFirm firm = null!;

    [Params(100_000)]
    public int Accounts { get; set; }

    [Params(FirmShape.Uniform, FirmShape.Realistic)]
    public FirmShape Shape { get; set; }

    [GlobalSetup]
    public void Setup() => firm = FirmGenerator.Generate(new FirmSpec(Accounts, 20, 42, Shape: Shape), FirmGenerator.LoadHistory(42));

    [Benchmark(Baseline = true, Description = "every account never rebalancing")]
    public long Never() => Run(BacktestPolicy.NeverRebalance);

    [Benchmark(Description = "every account under its own IPS")]
    public long OwnPolicies() => Run(null);

    private long Run(BacktestPolicy? policy)
    {
        var result = FirmBacktest.Run(firm.Book, firm.History, From, To, policy, new());
        return result.AccountDays == (long)Accounts * (result.TradingDays - 1) ? result.AccountDays : throw new InvalidOperationException("accounts went missing");
    }
}

/// <summary>The pinned settings with fewer rounds: one run is seconds long, and its spread is small against that.</summary>
public sealed class FirmBacktestConfig : ManualConfig
{
    public FirmBacktestConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(4).WithId("pinned-long"));
        AddDiagnoser(MemoryDiagnoser.Default);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByParams);
    }
}
