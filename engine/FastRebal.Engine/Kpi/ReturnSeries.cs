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

    // Each symbol's closes on the window's days, looked up once: an account is then a few multiply-adds per day.
    private readonly Dictionary<string, double[]> closes = new(StringComparer.Ordinal);

    public ReturnSeries(MarketHistory history, DateOnly asOf, int tradingDays = KpiCalculator.TradingDaysPerYear, string reference = "SPY")
    {
        this.history = history;
        var referenceSeries = history.Contains(reference) ? history[reference] : history[history.Symbols.First()];
        Days = [.. referenceSeries.Dates.Where(d => d <= asOf).TakeLast(tradingDays + 1)];
    }

    /// <summary>The window's days: returns are from each day to the next, one fewer than the days.</summary>
    public DateOnly[] Days { get; }

    public bool Has(string symbol) => history.Contains(symbol);

    private double[] Closes(string symbol)
    {
        if (!closes.TryGetValue(symbol, out var values))
        {
            var series = history[symbol];
            closes[symbol] = values = [.. Days.Select(series.On)];
        }
        return values;
    }

    /// <summary>Daily value of fixed holdings plus cash, and its total change over the window.</summary>
    public (double[] Returns, decimal Change) Holdings(IReadOnlyList<(string Symbol, double Quantity)> holdings, double cash)
    {
        var values = new double[Days.Length];
        Array.Fill(values, cash);
        foreach (var (symbol, quantity) in holdings)
        {
            var prices = Closes(symbol);
            for (var t = 0; t < values.Length; t++)
            {
                values[t] += quantity * prices[t];
            }
        }
        return (Returns(values), (decimal)(values[^1] - values[0]));
    }

    /// <summary>Daily return of constant weights (the weights sum to 1). Accounts of one model share it, so it is kept.</summary>
    public double[] Model(IReadOnlyList<(string Symbol, double Weight)> weights)
    {
        var key = string.Join('|', weights.Select(w => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{w.Symbol}:{w.Weight:R}")));
        if (models.TryGetValue(key, out var cached))
        {
            return cached;
        }
        var returns = new double[Math.Max(0, Days.Length - 1)];
        foreach (var (symbol, weight) in weights)
        {
            var prices = Closes(symbol);
            for (var t = 1; t < Days.Length; t++)
            {
                returns[t - 1] += weight * ((prices[t] / prices[t - 1]) - 1);
            }
        }
        return models[key] = returns;
    }

    private readonly Dictionary<string, double[]> models = new(StringComparer.Ordinal);

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
