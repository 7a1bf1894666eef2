namespace FastRebal.Engine.MarketData;

/// <summary>
/// Total-return index levels by symbol for backtests: a holding of "shares" of a level has its dividends and coupons
/// reinvested. The ETFs are Yahoo's dividend-adjusted closes; SP500/UST10 (daily from 1927) and SP500M/UST10M (monthly
/// from 1871) are built from the S&amp;P 500, Shiller's dividends and 10-year yields (docs/history.md).
/// </summary>
public static class TotalReturnHistory
{
    private const string Sp500DailyFile = "sp500_daily_1927_2026_merged.csv";
    private const string Dgs10File = "dgs10_daily_1962_2025.csv";

    /// <summary>Every symbol <see cref="Load"/> can return, ETFs first.</summary>
    public static IReadOnlyList<string> Symbols { get; } = [.. MarketHistory.EtfSymbols, "SP500", "UST10", "SP500M", "UST10M"];

    /// <summary>
    /// Total-return index levels by symbol, read from the data folder (<see cref="MarketHistory.FindDataDirectory"/> finds
    /// it). A missing file leaves out the symbols built from it; a bad one is refused naming its file and line.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder is missing or holds none of the files.</exception>
    /// <exception cref="InvalidDataException">A file is present but unreadable: the message names the file and line.</exception>
    public static MarketHistory Load(string dataDirectory)
    {
        if (!Directory.Exists(dataDirectory))
        {
            throw new FileNotFoundException($"data folder {dataDirectory} not found", dataDirectory);
        }
        var series = new List<PriceSeries>(Symbols.Count);
        foreach (var symbol in MarketHistory.EtfSymbols)
        {
            var path = Path.Combine(dataDirectory, $"etf_{symbol}_daily.csv");
            if (File.Exists(path))
            {
                series.Add(ReadEtf(path, symbol));
            }
        }

        // Each built series appears only when every file it needs is there, so a symbol's history never changes shape
        // with what happens to be installed (UST10 without Shiller would silently start in 1962, not 1927).
        var shillerPath = Path.Combine(dataDirectory, ShillerMonthly.FileName);
        var sp500Path = Path.Combine(dataDirectory, Sp500DailyFile);
        var dgs10Path = Path.Combine(dataDirectory, Dgs10File);
        var shiller = File.Exists(shillerPath) ? ShillerMonthly.Read(shillerPath) : null;
        var sp500 = File.Exists(sp500Path) ? DatedCsv.Read(sp500Path, ["close"], [false]) : null;
        var dgs10 = File.Exists(dgs10Path) ? DatedCsv.Read(dgs10Path, ["yield_pct"], [false]) : null;
        if (shiller is not null && sp500 is not null)
        {
            series.Add(TotalReturnSeries.Sp500Daily(sp500, shiller, "SP500"));
            if (dgs10 is not null)
            {
                series.Add(TotalReturnSeries.Ust10Daily(dgs10, shiller, sp500, "UST10"));
            }
        }
        if (shiller is not null)
        {
            series.Add(TotalReturnSeries.Sp500Monthly(shiller, "SP500M"));
            series.Add(TotalReturnSeries.Ust10Monthly(shiller, "UST10M"));
        }
        if (series.Count == 0)
        {
            throw new FileNotFoundException($"no etf_*_daily.csv, {Sp500DailyFile} or {ShillerMonthly.FileName} in {dataDirectory}");
        }
        var shown = Path.GetRelativePath(Directory.GetCurrentDirectory(), dataDirectory);
        return MarketHistory.FromSeries($"{(shown.StartsWith("..", StringComparison.Ordinal) ? dataDirectory : shown)} (total-return levels)", [.. series]);
    }

    /// <summary>One line on where a symbol's series comes from and how it is built (for reports), null for unknown symbols.</summary>
    public static string? Describe(string symbol) => symbol switch
    {
        "SP500" => "S&P 500 total return, daily from 1927-12-30: daily closes (data/sp500_daily_1927_2026_merged.csv) plus Shiller's monthly dividends accrued by calendar day; after Shiller's dividends end (2023-06) their last yield is carried forward (docs/history.md)",
        "UST10" => "10-year Treasury total return, daily: a 10-year par bond rolled each day at the FRED DGS10 yield from 1962-01-02 to 2025-12-30, before that at Shiller's monthly long rate interpolated linearly, on S&P 500 trading days from 1927-12-30 (docs/history.md)",
        "SP500M" => "S&P 500 total return, monthly from 1871-01 to 2023-06: Shiller's monthly average price plus a twelfth of his annualised dividend (docs/history.md)",
        "UST10M" => "10-year Treasury total return, monthly from 1871-01 to 2023-09: a 10-year par bond rolled each month at Shiller's long rate (docs/history.md)",
        _ when EtfNotes.TryGetValue(symbol, out var note) => $"{symbol}{note}: Yahoo's dividend-adjusted close (data/etf_{symbol}_daily.csv), a total-return proxy that depends on Yahoo's adjustment at download",
        _ => null,
    };

    /// <summary>What an ETF stands for where that is not obvious from its ticker (data/README.md).</summary>
    private static readonly Dictionary<string, string> EtfNotes = new(StringComparer.Ordinal)
    {
        ["SPY"] = " (S&P 500)",
        ["AGG"] = " (US aggregate bonds, stand-in for BND)",
        ["EFA"] = " (developed ex-US, stand-in for VEA)",
        ["IEF"] = " (7-10 year Treasuries)",
        ["VTI"] = " (US total market)",
        ["TLT"] = " (20+ year Treasuries)",
        ["EEM"] = " (emerging markets)",
        ["BIL"] = " (1-3 month T-bills, cash proxy)",
        ["VNQ"] = " (US REITs)",
        ["GLD"] = " (gold)",
        ["VEU"] = " (all-world ex-US, stand-in for VXUS)",
    };

    /// <summary>An ETF's dividend-adjusted <c>close</c>; the price (<c>split_adj_close</c>) is MarketHistory.LoadEtfs's business.</summary>
    private static PriceSeries ReadEtf(string path, string symbol)
    {
        var csv = DatedCsv.Read(path, ["close"], [false]);
        var closes = csv.Columns[0];
        for (var i = 0; i < closes.Length; i++)
        {
            if (!(closes[i] > 0))
            {
                throw DatedCsv.Bad(path, csv.Lines[i], $"close must be positive, got {closes[i]}");
            }
        }
        return new PriceSeries(symbol, csv.Dates, closes);
    }
}
