using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Backtest;
using FastRebal.Engine.MarketData;

namespace FastRebal.Bench.Backtest;

/// <summary>
/// One portfolio (SP500/UST10 60/40, daily, 1990-2025) backtested under 20 policies in one pass, against the same
/// pass with the never-rebalanced baseline alone (the market replay and the bookkeeping without decisions). The
/// history is loaded once; its own load time is a third row.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("backtest")]
public class PortfolioBacktestBenchmarks
{
    private const string Sweep = "threshold:1%..10%:1%,calendar:*,hybrid:5%:quarterly,threshold:20%:relative,threshold:25%:relative:edge,lookoften:10:20%:relative:half,lookoften:21:5%";
    private static readonly (string, double)[] Portfolio = [("SP500", 0.6), ("UST10", 0.4)];
    private static readonly DateOnly From = new(1990, 1, 1);
    private static readonly DateOnly To = new(2025, 12, 31);
    private string data = null!;
    private MarketHistory history = null!;
    private IReadOnlyList<BacktestPolicy> policies = null!;

    [GlobalSetup]
    public void Setup()
    {
        data = MarketHistory.FindDataDirectory() ?? throw new InvalidOperationException("no data/ folder");
        history = TotalReturnHistory.Load(data);
        policies = BacktestPolicy.ParseSweep(Sweep);
        if (policies.Count != 19)
        {
            throw new InvalidOperationException($"expected 19 policies and the baseline, got {policies.Count}");
        }
    }

    [Benchmark(Baseline = true, Description = "never rebalance only (1 account)")]
    public double NeverOnly() => PortfolioBacktest.Run(history, Portfolio, [BacktestPolicy.NeverRebalance], From, To, 1_000_000, new()).Firm.EndValue;

    [Benchmark(Description = "20 policies in one pass")]
    public double TwentyPolicies()
    {
        var result = PortfolioBacktest.Run(history, Portfolio, policies, From, To, 1_000_000, new());
        return result.Accounts.Count == 20 ? result.Firm.EndValue : throw new InvalidOperationException($"{result.Accounts.Count} policies ran");
    }

    [Benchmark(Description = "load the total-return history")]
    public int LoadHistory() => TotalReturnHistory.Load(data).Symbols.Count();
}
