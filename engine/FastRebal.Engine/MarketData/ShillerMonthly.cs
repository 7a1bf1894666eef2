namespace FastRebal.Engine.MarketData;

/// <summary>
/// Robert Shiller's monthly S&amp;P 500 file (<c>sp500_monthly_shiller_1871_2026.csv</c>): the monthly average price,
/// the annualised dividend and the 10-year rate, one row per first of the month. Dividends and rates stop in 2023 while
/// prices go on; the empty cells after that are allowed only as a block at the end, so a hole mid-file is refused.
/// </summary>
internal sealed class ShillerMonthly
{
    /// <summary>The file name in the data folder.</summary>
    public const string FileName = "sp500_monthly_shiller_1871_2026.csv";

    private ShillerMonthly(DatedCsv csv, int dividendRows, int rateRows)
    {
        Path = csv.Path;
        Months = csv.Dates;
        Prices = csv.Columns[0];
        Dividends = csv.Columns[1];
        Rates = csv.Columns[2];
        DividendRows = dividendRows;
        RateRows = rateRows;
    }

    public string Path { get; }

    /// <summary>The first of each month, ascending and one month apart.</summary>
    public DateOnly[] Months { get; }

    /// <summary>The S&amp;P 500 monthly average of daily closes, index points.</summary>
    public double[] Prices { get; }

    /// <summary>Dividends per index unit at an annual rate, index points (NaN from <see cref="DividendRows"/> on).</summary>
    public double[] Dividends { get; }

    /// <summary>The 10-year yield as a fraction (the file has percent; NaN from <see cref="RateRows"/> on).</summary>
    public double[] Rates { get; }

    /// <summary>How many leading months have a dividend.</summary>
    public int DividendRows { get; }

    /// <summary>How many leading months have a 10-year rate.</summary>
    public int RateRows { get; }

    /// <summary>The dividend yield (dividend over price) of the last month with a dividend, carried forward after it.</summary>
    public double LastDividendYield => Dividends[DividendRows - 1] / Prices[DividendRows - 1];

    /// <summary>The row of the month holding <paramref name="day"/>, or −1 outside the file.</summary>
    public int MonthOf(DateOnly day)
    {
        var first = Months[0];
        var index = ((day.Year - first.Year) * 12) + day.Month - first.Month;
        return index >= 0 && index < Months.Length ? index : -1;
    }

    /// <summary>Reads and checks the file: positive prices, non-negative dividends, rates between −5 % and 50 %, consecutive months.</summary>
    public static ShillerMonthly Read(string path)
    {
        var csv = DatedCsv.Read(path, ["sp500", "dividend", "long_interest_rate"], [false, true, true]);
        var prices = csv.Columns[0];
        var dividends = csv.Columns[1];
        var rates = csv.Columns[2];
        var dividendRows = -1;
        var rateRows = -1;
        for (var i = 0; i < csv.Dates.Length; i++)
        {
            var line = csv.Lines[i];
            var month = csv.Dates[i];
            if (month.Day != 1 || (i > 0 && month != csv.Dates[i - 1].AddMonths(1)))
            {
                throw DatedCsv.Bad(path, line, $"expected the first of the month after the previous row, got {month:yyyy-MM-dd}");
            }
            if (!(prices[i] > 0))
            {
                throw DatedCsv.Bad(path, line, $"sp500 must be positive, got {prices[i]}");
            }
            dividendRows = TrailingBlock(csv, i, dividends[i], dividendRows, "dividend");
            if (!double.IsNaN(dividends[i]) && dividends[i] < 0)
            {
                throw DatedCsv.Bad(path, line, $"dividend must not be negative, got {dividends[i]}");
            }
            rateRows = TrailingBlock(csv, i, rates[i], rateRows, "long_interest_rate");
            if (!double.IsNaN(rates[i]))
            {
                if (rates[i] is <= -5 or >= 50)
                {
                    throw DatedCsv.Bad(path, line, $"long_interest_rate {rates[i]} is not a yield in percent between -5 and 50");
                }
                rates[i] /= 100;
            }
        }
        dividendRows = dividendRows < 0 ? csv.Dates.Length : dividendRows;
        rateRows = rateRows < 0 ? csv.Dates.Length : rateRows;
        if (dividendRows < 2 || rateRows < 2)
        {
            throw new InvalidDataException($"{path}: needs at least two months with a dividend and a long_interest_rate, got {dividendRows} and {rateRows}");
        }
        return new ShillerMonthly(csv, dividendRows, rateRows);
    }

    /// <summary>Tracks where a column's values stop: the row of its first empty cell, refusing a value after one.</summary>
    private static int TrailingBlock(DatedCsv csv, int row, double value, int emptyFrom, string column)
    {
        if (double.IsNaN(value))
        {
            return emptyFrom < 0 ? row : emptyFrom;
        }
        if (emptyFrom >= 0)
        {
            throw DatedCsv.Bad(csv.Path, csv.Lines[row], $"{column} has a value after its empty cell on line {csv.Lines[emptyFrom]} (empty cells may only end the column)");
        }
        return emptyFrom;
    }
}
