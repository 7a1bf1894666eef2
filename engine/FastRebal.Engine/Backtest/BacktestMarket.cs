using FastRebal.Engine.MarketData;

namespace FastRebal.Engine.Backtest;

/// <summary>
/// The prices a backtest trades at: one level per instrument per trading day, on the days any of the series has a
/// value inside the window, from the first day every series has started to the last day none has ended. A series
/// with no value on a day (a bond-market holiday, say) keeps its last level.
/// </summary>
public sealed class BacktestMarket
{
    private BacktestMarket(string[] symbols, DateOnly[] days, double[][] levels) => (Symbols, Days, this.levels) = (symbols, days, levels);

    private readonly double[][] levels;

    public IReadOnlyList<string> Symbols { get; }

    public DateOnly[] Days { get; }

    /// <summary>The level of instrument <paramref name="instrument"/> (in <see cref="Symbols"/> order) on each day.</summary>
    public ReadOnlySpan<double> Levels(int instrument) => levels[instrument];

    /// <summary>Aligns the named series of <paramref name="history"/> over [from, to].</summary>
    /// <exception cref="ArgumentException">A symbol has no history, or the window holds fewer than two common days.</exception>
    public static BacktestMarket Of(MarketHistory history, IReadOnlyList<string> symbols, DateOnly from, DateOnly to)
    {
        if (symbols.Count == 0)
        {
            throw new ArgumentException("a backtest needs at least one instrument");
        }
        if (to < from)
        {
            throw new ArgumentException($"the window ends ({to:yyyy-MM-dd}) before it starts ({from:yyyy-MM-dd})");
        }
        var missing = symbols.Where(s => !history.Contains(s)).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"no price history for {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")}; known symbols: {string.Join(", ", history.Symbols.Order(StringComparer.Ordinal))}");
        }
        var series = symbols.Select(s => history[s]).ToArray();
        var first = series.Max(s => s.Dates[0]);
        var last = series.Min(s => s.Dates[^1]);
        var (start, end) = (from > first ? from : first, to < last ? to : last);
        var days = new SortedSet<DateOnly>();
        foreach (var s in series)
        {
            var i = LowerBound(s.Dates, start);
            for (; i < s.Dates.Length && s.Dates[i] <= end; i++)
            {
                days.Add(s.Dates[i]);
            }
        }
        if (days.Count < 2)
        {
            var covered = string.Join("; ", series.Select(s => $"{s.Symbol} {s.Dates[0]:yyyy-MM-dd}..{s.Dates[^1]:yyyy-MM-dd}"));
            var window = $"{(from == DateOnly.MinValue ? "start of data" : $"{from:yyyy-MM-dd}")}..{(to == DateOnly.MaxValue ? "end of data" : $"{to:yyyy-MM-dd}")}";
            throw new ArgumentException($"the window {window} holds fewer than two trading days that every instrument covers ({covered})");
        }
        var dayArray = days.ToArray();
        var levels = new double[series.Length][];
        for (var k = 0; k < series.Length; k++)
        {
            var s = series[k];
            var column = levels[k] = new double[dayArray.Length];
            // Walks the series once: the last level on or before each day.
            var i = Math.Max(0, LowerBound(s.Dates, dayArray[0]) - 1);
            for (var d = 0; d < dayArray.Length; d++)
            {
                while (i + 1 < s.Dates.Length && s.Dates[i + 1] <= dayArray[d])
                {
                    i++;
                }
                column[d] = s.Closes[i];
            }
        }
        return new BacktestMarket([.. symbols], dayArray, levels);
    }

    private static int LowerBound(DateOnly[] dates, DateOnly day)
    {
        var i = Array.BinarySearch(dates, day);
        return i >= 0 ? i : ~i;
    }
}
