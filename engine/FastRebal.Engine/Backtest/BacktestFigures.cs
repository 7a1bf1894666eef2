namespace FastRebal.Engine.Backtest;

/// <summary>What a backtest measured for one account (one policy), one model's accounts or the whole firm.</summary>
/// <param name="Flows">Net deposits less withdrawals over the run.</param>
/// <param name="TotalReturn">Time-weighted return over the run (flows do not count as gains).</param>
/// <param name="AnnualReturn">The time-weighted return a year, compounded.</param>
/// <param name="Volatility">Standard deviation of the period returns, annualised.</param>
/// <param name="MaxDrawdown">The deepest fall from a peak of the time-weighted value (negative, or 0).</param>
/// <param name="MaxDrawdownDays">Calendar days from that peak until the value was back at it (or the run ended).</param>
/// <param name="TrackingError">Standard deviation of the return less the target's, annualised; the target holds the model's weights every day at no cost.</param>
/// <param name="TurnoverPerYear">One-way turnover a year: each day's smaller side (buys or sells) over the value, summed, per year.</param>
/// <param name="WorstQuarterTurnover">The largest one-way turnover of a calendar quarter.</param>
/// <param name="Rebalances">Days the policy rebalanced (cash-flow trades do not count).</param>
/// <param name="LargestDrift">The largest drift of a position from its target seen at a close.</param>
/// <param name="DaysOutsideBand">Closes at which the account was outside its band (before that day's trades); for a group, account-days.</param>
/// <param name="RealizedShortTerm">Short-term gains realized (losses negative), taxable accounts only.</param>
/// <param name="HarvestedLosses">Losses realized by tax-loss harvests (positive).</param>
/// <param name="TaxesPaid">Tax on each year's net realized gains, paid out of the account the next January (the last year's is not paid).</param>
/// <param name="AfterTaxAnnualReturn">The annual return counting the taxes paid as losses.</param>
public sealed record BacktestFigures(
    string Name,
    int Accounts,
    double StartValue,
    double EndValue,
    double Flows,
    double TotalReturn,
    double AnnualReturn,
    double Volatility,
    double MaxDrawdown,
    int MaxDrawdownDays,
    bool MaxDrawdownRecovered,
    double TrackingError,
    double TurnoverPerYear,
    double TurnoverPerQuarter,
    double WorstQuarterTurnover,
    int Rebalances,
    int Trades,
    double Costs,
    double LargestDrift,
    int DaysOutsideBand,
    double RealizedShortTerm = 0,
    double RealizedLongTerm = 0,
    double HarvestedLosses = 0,
    double TaxesPaid = 0,
    double AfterTaxAnnualReturn = 0)
{
    /// <summary>What taxes took off the annual return.</summary>
    public double TaxDrag => AnnualReturn - AfterTaxAnnualReturn;
}
