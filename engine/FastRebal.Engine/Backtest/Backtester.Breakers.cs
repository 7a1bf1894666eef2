
namespace FastRebal.Engine.Backtest;

// The circuit breakers in a backtest: the market-wide breaker's reference, its halts and the accounts' drift breakers.
public sealed partial class Backtester
{
    /// <summary>
    /// The instrument the market-wide breaker watches, or why the breakers cannot run: they are rules for daily closes,
    /// and on monthly data a month's fall would halt a whole month.
    /// </summary>
    private (int Reference, string? Note) Reference(BacktestBreakers breakers)
    {
        var days = market.Days;
        var gaps = Enumerable.Range(1, days.Length - 1).Select(d => days[d].DayNumber - days[d - 1].DayNumber).Order().ToList();
        if (gaps[gaps.Count / 2] > 5)
        {
            return (-1, "the breakers watch daily closes; this data is not daily, so they were off");
        }
        if (breakers.Reference is { } named)
        {
            var index = market.Symbols.ToList().IndexOf(named);
            return index >= 0 ? (index, null) : throw new ArgumentException($"the breaker's reference '{named}' is not one of the backtest's instruments ({string.Join(", ", market.Symbols)})");
        }
        foreach (var index in new[] { "SP500", "SPY", "VTI" })
        {
            if (market.Symbols.ToList().IndexOf(index) is var i and >= 0)
            {
                return (i, null);
            }
        }
        // Otherwise the instrument the models weigh most.
        var weight = new double[market.Symbols.Count];
        foreach (var w in modelWeights)
        {
            for (var i = 0; i < w.Length; i++)
            {
                weight[i] += w[i];
            }
        }
        return (Array.IndexOf(weight, weight.Max()), null);
    }

    /// <summary>Yesterday's halt is released at today's close (the backtest's stated policy); today's close may trip it again.</summary>
    private void ObserveMarket(int d)
    {
        if (marketBreaker is null)
        {
            return;
        }
        if (marketBreaker.IsHalted)
        {
            marketBreaker.Release("backtest", BacktestBreakers.ReleasePolicy);
        }
        var levels = market.Levels(reference);
        marketBreaker.StartDay(market.Days[d], levels[d - 1]);
        if (marketBreaker.Observe(levels[d], market.Days[d]))
        {
            marketHalts.Add((market.Days[d], marketBreaker.TrippedLevel));
        }
        marketHalted = marketBreaker.IsHalted;
    }

    /// <summary>
    /// Whether the account's drift breaker holds it today: a halt from yesterday is released at this close, and the
    /// move of its total drift since the previous close (unknown after it traded, as the live engine rebases) may trip it.
    /// </summary>
    private bool AccountHalted(int a, DateOnly day, out bool tripped)
    {
        tripped = false;
        if (accountBreaker is null)
        {
            return false;
        }
        if (accountBreaker.IsHalted(a))
        {
            accountBreaker.Release(a, "backtest", BacktestBreakers.ReleasePolicy);
        }
        if (!double.IsNaN(closeDrift[a]))
        {
            accountBreaker.Observe(a, closeDrift[a], day);
            tripped = accountBreaker.Observe(a, report.TotalDrift[a], day);
        }
        return accountBreaker.IsHalted(a);
    }
}
