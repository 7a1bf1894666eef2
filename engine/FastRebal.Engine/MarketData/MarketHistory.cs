using System.Globalization;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.MarketData;

/// <summary>A daily close series for one symbol, dates ascending.</summary>
public sealed class PriceSeries(string symbol, DateOnly[] dates, double[] closes)
{
    public string Symbol { get; } = symbol;

    public DateOnly[] Dates { get; } = dates;

    public double[] Closes { get; } = closes;

    /// <summary>The last close on or before <paramref name="day"/> (the first close if the series starts later).</summary>
    public double On(DateOnly day)
    {
        var i = Array.BinarySearch(Dates, day);
        if (i < 0)
        {
            i = Math.Max(0, ~i - 1);
        }
        return Closes[i];
    }
}

/// <summary>
/// Daily price history by symbol: the real ETF closes shipped under <c>data/</c>, or a seeded synthetic set when
/// those files are absent, so every host runs the same way on any machine.
/// </summary>
public sealed class MarketHistory
{
    private readonly Dictionary<string, PriceSeries> series = new(StringComparer.Ordinal);

    private MarketHistory(string source) => Source = source;

    /// <summary>Where the prices came from, for reports ("data/ (real daily closes)" or "generated").</summary>
    public string Source { get; }

    public IEnumerable<string> Symbols => series.Keys;

    public DateOnly LastDate => series.Values.Max(s => s.Dates[^1]);

    public bool Contains(string symbol) => series.ContainsKey(symbol);

    /// <summary>A copy that can gain series without changing this one.</summary>
    public MarketHistory Copy()
    {
        var copy = new MarketHistory(Source);
        foreach (var (symbol, prices) in series)
        {
            copy.series[symbol] = prices;
        }
        return copy;
    }

    public PriceSeries this[string symbol] => series[symbol];

    /// <summary>A history of one series, e.g. a single CSV given on the command line.</summary>
    public static MarketHistory FromSeries(PriceSeries prices, string source) => FromSeries(source, prices);

    /// <summary>A history of the given series (a host's own data, or a test's).</summary>
    public static MarketHistory FromSeries(string source, params PriceSeries[] prices)
    {
        var history = new MarketHistory(source);
        foreach (var series in prices)
        {
            history.series[series.Symbol] = series;
        }
        return history;
    }

    /// <summary>The symbols the ETF files cover; the data/README.md gives their provenance.</summary>
    public static IReadOnlyList<string> EtfSymbols { get; } = ["SPY", "AGG", "EFA", "IEF", "VTI", "TLT", "EEM", "BIL", "VNQ", "GLD", "VEU"];

    /// <summary>
    /// Finds the data folder: $FASTREBAL_DATA, else the first <c>data/</c> holding <c>etf_SPY_daily.csv</c> in the
    /// working directory, the program's directory, or any of their parents.
    /// </summary>
    public static string? FindDataDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("FASTREBAL_DATA");
        if (!string.IsNullOrEmpty(configured) && File.Exists(Path.Combine(configured, "etf_SPY_daily.csv")))
        {
            return configured;
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "data");
                if (File.Exists(Path.Combine(candidate, "etf_SPY_daily.csv")))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Loads the ETF files (<c>etf_SYMBOL_daily.csv</c>: date,close,split_adj_close). Share prices use the split-adjusted
    /// close, which matches what traded on the day; the dividend-adjusted one would understate old prices.
    /// </summary>
    public static MarketHistory LoadEtfs(string dataDirectory)
    {
        var shown = Path.GetRelativePath(Directory.GetCurrentDirectory(), dataDirectory);
        var history = new MarketHistory($"{(shown.StartsWith("..", StringComparison.Ordinal) ? dataDirectory : shown)} (real daily closes)");
        foreach (var symbol in EtfSymbols)
        {
            var path = Path.Combine(dataDirectory, $"etf_{symbol}_daily.csv");
            if (File.Exists(path))
            {
                history.series[symbol] = ReadCsv(path, symbol, "split_adj_close", "close");
            }
        }
        if (history.series.Count == 0)
        {
            throw new FileNotFoundException($"no etf_*_daily.csv files in {dataDirectory}");
        }
        return history;
    }

    /// <summary>
    /// Reads a dated price CSV, taking the first of <paramref name="columns"/> the header has (some files carry only
    /// <c>close</c>), and naming the file and line of anything it cannot use.
    /// </summary>
    public static PriceSeries ReadCsv(string path, string symbol, params string[] columns)
    {
        using var reader = new StringReader(TextLimit.ReadUtf8File(path));
        var header = reader.ReadLine()?.Split(',') ?? throw new InvalidDataException($"{path}: empty file");
        var valueColumn = columns.Select(c => Array.IndexOf(header, c)).FirstOrDefault(i => i > 0, -1);
        if (header[0] != "date" || valueColumn < 0)
        {
            throw new InvalidDataException($"{path}: expected a header 'date,...,{string.Join('|', columns)}', got '{TextLimit.Clip(string.Join(',', header), 200)}'");
        }
        var column = header[valueColumn];
        var dates = new List<DateOnly>();
        var closes = new List<double>();
        var lineNumber = 1;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            var fields = line.Split(',');
            if (fields.Length <= valueColumn
                || !DateOnly.TryParseExact(fields[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                || !double.TryParse(fields[valueColumn], NumberStyles.Float, CultureInfo.InvariantCulture, out var close)
                || !(close > 0 && close <= ScenarioLoader.MaxPrice))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{path}, line {lineNumber}: expected a date and a positive, finite {column} up to {ScenarioLoader.MaxPrice:0e0}, got '{TextLimit.Clip(line, 200)}'"));
            }
            if (dates.Count > 0 && date <= dates[^1])
            {
                throw new InvalidDataException($"{path}, line {lineNumber}: date {date:yyyy-MM-dd} is not after the previous row");
            }
            dates.Add(date);
            closes.Add(close);
        }
        if (dates.Count == 0)
        {
            throw new InvalidDataException($"{path}: no prices after the header");
        }
        return new PriceSeries(symbol, [.. dates], [.. closes]);
    }

    /// <summary>
    /// A seeded geometric random walk per symbol over business days ending at <paramref name="end"/>; used where the
    /// real files are absent. Annual drift and volatility come from <paramref name="symbols"/>.
    /// </summary>
    public static MarketHistory Synthetic(IEnumerable<(string Symbol, double StartPrice, double AnnualDrift, double AnnualVolatility)> symbols, DateOnly end, int businessDays, int seed)
    {
        var history = new MarketHistory("generated (seeded random walk)");
        var dates = BusinessDays(end, businessDays);
        var random = new Random(seed);
        foreach (var (symbol, start, drift, volatility) in symbols)
        {
            var closes = new double[dates.Length];
            var price = start;
            var dailyDrift = drift / 252;
            var dailyVol = volatility / Math.Sqrt(252);
            for (var i = 0; i < closes.Length; i++)
            {
                closes[i] = Math.Round(price, 4);
                price *= Math.Exp(dailyDrift - (dailyVol * dailyVol / 2) + (dailyVol * Gaussian(random)));
            }
            history.series[symbol] = new PriceSeries(symbol, dates, closes);
        }
        return history;
    }

    /// <summary>
    /// Adds a series that follows <paramref name="parent"/> day by day with its own seeded noise: a fund in the same
    /// asset class moves with its market but not in lockstep. The series is scaled so its last close is
    /// <paramref name="lastPrice"/>, the way a real fund's price today sits in an ordinary range whatever its history.
    /// </summary>
    /// <remarks>When <paramref name="parent"/> is not in the history, the first symbol stands in for it.</remarks>
    public void AddTracking(string symbol, string parent, double lastPrice, double dailyNoise, Random random)
    {
        var source = series.TryGetValue(parent, out var found) ? found : series.Values.First();
        var levels = new double[source.Closes.Length];
        levels[0] = 1;
        for (var i = 1; i < levels.Length; i++)
        {
            levels[i] = levels[i - 1] * source.Closes[i] / source.Closes[i - 1] * Math.Exp(dailyNoise * Gaussian(random));
        }
        var scale = lastPrice / levels[^1];
        series[symbol] = new PriceSeries(symbol, source.Dates, [.. levels.Select(level => Math.Round(level * scale, 4))]);
    }

    private static DateOnly[] BusinessDays(DateOnly end, int count)
    {
        var days = new DateOnly[count];
        var day = end;
        for (var i = count - 1; i >= 0; i--)
        {
            while (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
            {
                day = day.AddDays(-1);
            }
            days[i] = day;
            day = day.AddDays(-1);
        }
        return days;
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    internal static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
