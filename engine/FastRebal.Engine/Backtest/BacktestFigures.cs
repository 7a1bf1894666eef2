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
    int DaysOutsideBand);
