namespace FastRebal.Engine.MarketData;

/// <summary>
/// Builds the long total-return series from price indexes and yields (docs/history.md gives the formulas and their
/// checks against published figures). Each series is a level per date: the stock ones start at the first price, the bond
/// ones at 100.
/// </summary>
internal static class TotalReturnSeries
{
    /// <summary>The level a bond series starts at.</summary>
    public const double BondStart = 100;

    /// <summary>
    /// The S&amp;P 500 with dividends, daily: L[i] = L[i−1] · (P[i] + Σ D(k)/365.25) / P[i−1], the sum over each calendar
    /// day k after the previous close up to this one, D(k) Shiller's annualised dividend for k's month, or after the last
    /// month with one (and after the file's last month) the last dividend yield times P[i−1].
    /// </summary>
    public static PriceSeries Sp500Daily(DatedCsv daily, ShillerMonthly shiller, string symbol)
    {
        var dates = daily.Dates;
        var closes = daily.Columns[0];
        var levels = new double[dates.Length];
        for (var i = 0; i < dates.Length; i++)
        {
            if (!(closes[i] > 0))
            {
                throw DatedCsv.Bad(daily.Path, daily.Lines[i], $"close must be positive, got {closes[i]}");
            }
            // Days after Shiller's last month take the carried yield like those after his last dividend; days before
            // his first month have no dividend to take.
            if (dates[i] < shiller.Months[0])
            {
                throw DatedCsv.Bad(daily.Path, daily.Lines[i], $"{dates[i]:yyyy-MM-dd} is before the first month of {shiller.Path}, which has the dividends");
            }
        }
        var carriedYield = shiller.LastDividendYield;
        levels[0] = closes[0];
        for (var i = 1; i < dates.Length; i++)
        {
            var previous = closes[i - 1];
            // Walk the calendar days since the previous close month by month, so a weekend across a month end takes
            // each day's dividend from its own month.
            var dividendDays = 0.0;
            var day = dates[i - 1];
            while (day < dates[i])
            {
                var next = day.AddDays(1);
                var monthEnd = new DateOnly(next.Year, next.Month, 1).AddMonths(1).AddDays(-1);
                var until = monthEnd < dates[i] ? monthEnd : dates[i];
                var row = shiller.MonthOf(next);
                var dividend = row >= 0 && row < shiller.DividendRows ? shiller.Dividends[row] : carriedYield * previous;
                dividendDays += dividend * (until.DayNumber - day.DayNumber);
                day = until;
            }
            levels[i] = levels[i - 1] * (closes[i] + (dividendDays / BondReturns.DaysPerYear)) / previous;
        }
        return new PriceSeries(symbol, dates, levels);
    }

    /// <summary>
    /// The S&amp;P 500 with dividends, monthly from Shiller alone: L[m] = L[m−1] · (P[m] + D[m]/12) / P[m−1], ending at the
    /// last month with a dividend.
    /// </summary>
    public static PriceSeries Sp500Monthly(ShillerMonthly shiller, string symbol)
    {
        var count = shiller.DividendRows;
        var levels = new double[count];
        levels[0] = shiller.Prices[0];
        for (var m = 1; m < count; m++)
        {
            levels[m] = levels[m - 1] * (shiller.Prices[m] + (shiller.Dividends[m] / 12)) / shiller.Prices[m - 1];
        }
        return new PriceSeries(symbol, shiller.Months[..count], levels);
    }

    /// <summary>A constant-maturity 10-year bond held month to month at Shiller's long rate, ending at the last month with a rate.</summary>
    public static PriceSeries Ust10Monthly(ShillerMonthly shiller, string symbol)
    {
        var count = shiller.RateRows;
        var levels = new double[count];
        levels[0] = BondStart;
        for (var m = 1; m < count; m++)
        {
            levels[m] = levels[m - 1] * BondReturns.Growth(shiller.Rates[m - 1], shiller.Rates[m], shiller.Months[m - 1], shiller.Months[m]);
        }
        return new PriceSeries(symbol, shiller.Months[..count], levels);
    }

    /// <summary>
    /// A constant-maturity 10-year bond held day to day: on FRED DGS10's own dates from its first row, and before that on
    /// the S&amp;P 500's trading days (from its first) at Shiller's monthly rate interpolated linearly between the firsts
    /// of the months.
    /// </summary>
    public static PriceSeries Ust10Daily(DatedCsv dgs10, ShillerMonthly shiller, DatedCsv sp500Daily, string symbol)
    {
        var first = dgs10.Dates[0];
        var before = Array.BinarySearch(sp500Daily.Dates, first);
        before = before < 0 ? ~before : before;
        var count = before + dgs10.Dates.Length;
        var dates = new DateOnly[count];
        var yields = new double[count];
        for (var i = 0; i < before; i++)
        {
            var day = sp500Daily.Dates[i];
            var row = shiller.MonthOf(day);
            if (row < 0 || row + 1 >= shiller.RateRows)
            {
                throw DatedCsv.Bad(sp500Daily.Path, sp500Daily.Lines[i], $"no long_interest_rate in {shiller.Path} on both sides of {day:yyyy-MM-dd} to interpolate the 10-year yield before {first:yyyy-MM-dd}");
            }
            var from = shiller.Months[row];
            var to = shiller.Months[row + 1];
            var weight = (double)(day.DayNumber - from.DayNumber) / (to.DayNumber - from.DayNumber);
            dates[i] = day;
            yields[i] = shiller.Rates[row] + ((shiller.Rates[row + 1] - shiller.Rates[row]) * weight);
        }
        var percents = dgs10.Columns[0];
        for (var i = 0; i < dgs10.Dates.Length; i++)
        {
            if (percents[i] is <= -5 or >= 50)
            {
                throw DatedCsv.Bad(dgs10.Path, dgs10.Lines[i], $"yield_pct {percents[i]} is not a yield in percent between -5 and 50");
            }
            dates[before + i] = dgs10.Dates[i];
            yields[before + i] = percents[i] / 100;
        }
        var levels = new double[count];
        levels[0] = BondStart;
        for (var i = 1; i < count; i++)
        {
            levels[i] = levels[i - 1] * BondReturns.Growth(yields[i - 1], yields[i], dates[i - 1], dates[i]);
        }
        return new PriceSeries(symbol, dates, levels);
    }
}
