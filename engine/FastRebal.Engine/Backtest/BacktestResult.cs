namespace FastRebal.Engine.Backtest;

/// <summary>One account's day-by-day path, kept for charts (only for the first few accounts of a run).</summary>
/// <param name="Value">Value at each close, after the day's flow and trades.</param>
/// <param name="Target">The same money held at the model's weights, rebalanced daily at no cost, with the same flows.</param>
/// <param name="Drift">The first instrument's drift from its target at each close, before trading.</param>
/// <param name="Band">The first instrument's band half-width in weight points (0 for a policy without a band).</param>
/// <param name="CumulativeTurnover">One-way turnover summed from the start.</param>
/// <param name="Rebalances">The days the policy rebalanced.</param>
public sealed record BacktestSeries(
    string Name,
    string FirstInstrument,
    DateOnly[] Days,
    double[] Value,
    double[] Target,
    double[] Drift,
    double Band,
    double[] CumulativeTurnover,
    IReadOnlyList<DateOnly> Rebalances);

/// <summary>What a backtest found: figures per account (one per policy in a portfolio backtest), per model and for the firm.</summary>
/// <param name="Held">Decisions the decision core blocked or sent for approval (a backtest has no operator, so they stay untraded).</param>
/// <param name="WithdrawalShortfall">Money a scheduled withdrawal asked for that the account could not pay out.</param>
/// <param name="Taxed">The taxable accounts kept lots and paid tax (the tax figures mean something).</param>
/// <param name="Breakers">What the circuit breakers did; null when they were off.</param>
public sealed record BacktestResult(
    DateOnly From,
    DateOnly To,
    int TradingDays,
    string Costs,
    IReadOnlyList<string> Flows,
    IReadOnlyList<BacktestFigures> Accounts,
    IReadOnlyList<BacktestFigures> Models,
    BacktestFigures Firm,
    IReadOnlyList<BacktestSeries> Series,
    int Held,
    double WithdrawalShortfall,
    bool Taxed = false,
    BreakerReport? Breakers = null)
{
    /// <summary>Account-days simulated (accounts times trading days after the first).</summary>
    public long AccountDays => (long)Accounts.Count * Math.Max(0, TradingDays - 1);
}
