using FastRebal.Engine.MarketData;

namespace FastRebal.Engine.Kpi;

/// <summary>
/// Daily return series from real closes: an account's current holdings held through the window (its cash earning
/// nothing), and its target model held at constant weights (rebalanced daily, the benchmark a model portfolio is
/// measured against). The window is the trading days of a reference series ending on the as-of date.
/// </summary>
public sealed class ReturnSeries
{
    private readonly MarketHistory history;

    public ReturnSeries(MarketHistory history, DateOnly asOf, int tradingDays = KpiCalculator.TradingDaysPerYear, string reference = "SPY")
    {
        this.history = history;
        var referenceSeries = history.Contains(reference) ? history[reference] : history[history.Symbols.First()];
        Days = [.. referenceSeries.Dates.Where(d => d <= asOf).TakeLast(tradingDays + 1)];
    }

    /// <summary>The window's days: returns are from each day to the next, one fewer than the days.</summary>
    public DateOnly[] Days { get; }

    public bool Has(string symbol) => history.Contains(symbol);

    /// <summary>Daily value of fixed holdings plus cash, and its total change over the window.</summary>
    public (double[] Returns, decimal Change) Holdings(IReadOnlyList<(string Symbol, double Quantity)> holdings, double cash)
    {
        var values = Days.Select(d => cash + holdings.Sum(h => h.Quantity * history[h.Symbol].On(d))).ToArray();
        return (Returns(values), (decimal)(values[^1] - values[0]));
    }

    /// <summary>Daily return of constant weights (the weights sum to 1).</summary>
    public double[] Model(IReadOnlyList<(string Symbol, double Weight)> weights)
    {
        var returns = new double[Math.Max(0, Days.Length - 1)];
        for (var t = 1; t < Days.Length; t++)
        {
            foreach (var (symbol, weight) in weights)
            {
                var series = history[symbol];
                returns[t - 1] += weight * ((series.On(Days[t]) / series.On(Days[t - 1])) - 1);
            }
        }
        return returns;
    }

    private static double[] Returns(double[] values)
    {
        var returns = new double[Math.Max(0, values.Length - 1)];
        for (var t = 1; t < values.Length; t++)
        {
            returns[t - 1] = values[t - 1] > 0 ? (values[t] / values[t - 1]) - 1 : 0;
        }
        return returns;
    }
}
