using System.Globalization;

namespace FastRebal.Engine.Backtest;

/// <summary>
/// The live engine's circuit breakers in a backtest: the market-wide breaker watches the reference instrument's
/// close against the previous close (a fall of 7%, 13% or 20% halts all trading), and each account's drift breaker
/// halts an account whose total drift moved more than <paramref name="AccountDriftThreshold"/> since the previous
/// close. A backtest has no operator, so its policy is stated: a halt lasts the day it tripped (no decisions, no
/// trades; deposits wait in cash and withdrawals wait until they can be raised) and is released at the next trading
/// day's close, when decisions resume.
/// </summary>
/// <param name="Reference">The instrument the market-wide breaker watches; null picks the portfolio's equity index (SP500, SPY or VTI) or its largest weight.</param>
public sealed record BacktestBreakers(string? Reference = null, IReadOnlyList<double>? Levels = null, double AccountDriftThreshold = 0.10)
{
    public const string ReleasePolicy = "each halt lasts the day it tripped and is released at the next trading day's close";

    /// <summary>The market-wide levels in use (the US exchanges' 7%, 13% and 20% unless given).</summary>
    public IReadOnlyList<double> MarketLevels => Levels ?? [0.07, 0.13, 0.20];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"market-wide at falls of {string.Join("/", MarketLevels.Select(l => $"{l * 100:0.##}%"))} from the previous close, accounts at a {AccountDriftThreshold * 100:0.##}-point move of total drift; {ReleasePolicy}");
}

/// <summary>What the breakers did in a backtest.</summary>
/// <param name="Reference">The instrument the market-wide breaker watched (null when it was off).</param>
/// <param name="MarketHalts">Each day the market-wide breaker halted trading, with the level it tripped.</param>
/// <param name="AccountHalts">Account-days halted by their drift breaker.</param>
/// <param name="Note">Why the breakers were off, when they were asked for and could not run.</param>
public sealed record BreakerReport(string? Reference, string Policy, IReadOnlyList<(DateOnly Day, int Level)> MarketHalts, long AccountHalts, string? Note = null);
