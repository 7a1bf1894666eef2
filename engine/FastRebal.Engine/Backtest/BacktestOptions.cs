namespace FastRebal.Engine.Backtest;

/// <summary>How a backtest trades, what money comes and goes, and whether it is taxed.</summary>
/// <param name="SeriesAccounts">Accounts whose daily path is kept for charts (the first ones of the book).</param>
/// <param name="Tax">Lots, wash sales, harvesting and yearly taxes for the taxable accounts; none when null.</param>
/// <param name="Breakers">The market-wide and account breakers and their release; none when null.</param>
public sealed record BacktestOptions(TradingCosts? Costs = null, IReadOnlyList<CashFlowSchedule>? Flows = null, int SeriesAccounts = 64, BacktestTax? Tax = null,
    BacktestBreakers? Breakers = null)
{
    public TradingCosts TradingCosts => Costs ?? TradingCosts.None;

    public IReadOnlyList<CashFlowSchedule> CashFlows => Flows ?? [];
}
