namespace FastRebal.Engine.Backtest;

/// <summary>How a backtest trades and what money comes and goes.</summary>
/// <param name="SeriesAccounts">Accounts whose daily path is kept for charts (the first ones of the book).</param>
public sealed record BacktestOptions(TradingCosts? Costs = null, IReadOnlyList<CashFlowSchedule>? Flows = null, int SeriesAccounts = 64)
{
    public TradingCosts TradingCosts => Costs ?? TradingCosts.None;

    public IReadOnlyList<CashFlowSchedule> CashFlows => Flows ?? [];
}
