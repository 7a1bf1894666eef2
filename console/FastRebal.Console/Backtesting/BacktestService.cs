using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FastRebal.Charts;
using FastRebal.Engine.Backtest;
using FastRebal.Engine.MarketData;

namespace FastRebal.Console.Backtesting;

/// <summary>Where a backtest is.</summary>
public enum BacktestStage
{
    /// <summary>Other backtests hold every slot.</summary>
    Waiting,

    /// <summary>Reading the market history (the first backtest after a start only).</summary>
    Loading,

    /// <summary>Replaying the days; the fraction says how far.</summary>
    Running,

    /// <summary>Drawing the charts.</summary>
    Drawing,
}

/// <summary>A field of <see cref="BacktestForm"/> the history refuses (a symbol it lacks, a window it does not cover).</summary>
public sealed class BacktestInputException(string field, string message) : Exception(message)
{
    /// <summary>The <see cref="BacktestForm"/> property the message is about.</summary>
    public string Field { get; } = field;
}

/// <summary>A finished backtest: its result, its charts as SVG, and who ran it (only they may download its files).</summary>
public sealed record BacktestRun(
    Guid Id,
    string User,
    BacktestRequest Request,
    BacktestResult Result,
    IReadOnlyList<(string Name, string Svg)> Charts,
    TimeSpan Elapsed)
{
    /// <summary>The policies' figures as CSV: the columns of the CLI's table, fractions rather than percents.</summary>
    public string Csv()
    {
        var c = CultureInfo.InvariantCulture;
        var csv = new StringBuilder();
        csv.Append("policy,annual_return,volatility,max_drawdown,max_drawdown_days,tracking_error,turnover_per_year,")
            .Append("worst_quarter_turnover,rebalances,trades,costs,largest_drift,days_outside_band\n");
        foreach (var f in Result.Accounts)
        {
            // A policy's name may hold a comma ("look every 10d, 20% rel"): quoted as RFC 4180 says.
            csv.Append('"').Append(f.Name.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            foreach (var number in (double[])[f.AnnualReturn, f.Volatility, f.MaxDrawdown, f.MaxDrawdownDays, f.TrackingError, f.TurnoverPerYear,
                f.WorstQuarterTurnover, f.Rebalances, f.Trades, Math.Round(f.Costs, 2), f.LargestDrift, f.DaysOutsideBand])
            {
                csv.Append(',').Append(number.ToString("0.##########", c));
            }
            csv.Append('\n');
        }
        return csv.ToString();
    }
}

/// <summary>
/// Runs backtests for the console's pages: off the circuit's thread, at most a few at once (the others wait for a
/// slot, so a sweep cannot take every core from the engine), over the total-return history read once and shared
/// (it is only read). A backtest has its own book: it touches neither the engine nor its locks. The last few runs
/// are kept for their downloads.
/// </summary>
public sealed class BacktestService : IDisposable
{
    /// <summary>Finished runs kept for their downloads, the newest; an older link answers 404.</summary>
    public const int KeptRuns = 8;

    private readonly Lazy<MarketHistory> history;
    private readonly SemaphoreSlim slots;
    private readonly ConcurrentDictionary<Guid, BacktestRun> runs = new();
    private readonly ConcurrentQueue<Guid> order = new();
    private int started;

    /// <summary>The history from <see cref="MarketHistory.FindDataDirectory"/>, and half the cores (at least one) for backtests.</summary>
    public BacktestService()
        : this(LoadHistory, Math.Max(1, Environment.ProcessorCount / 2))
    {
    }

    /// <param name="load">Reads the history, once, when the first backtest needs it.</param>
    /// <param name="concurrent">Backtests that may run at once.</param>
    /// <param name="replaying">Told each progress report on the backtest's own thread (a test holds a run there to see it running).</param>
    public BacktestService(Func<MarketHistory> load, int concurrent, Action<double>? replaying = null)
    {
        this.replaying = replaying;
        history = new Lazy<MarketHistory>(load, LazyThreadSafetyMode.ExecutionAndPublication);
        slots = new SemaphoreSlim(concurrent, concurrent);
    }

    private readonly Action<double>? replaying;

    /// <summary>Backtests that got a slot and started (for tests: a refused form starts none).</summary>
    public int Started => Volatile.Read(ref started);

    /// <summary>Backtests that may start now without waiting.</summary>
    public int FreeSlots => slots.CurrentCount;

    /// <summary>
    /// Runs <paramref name="request"/> on the thread pool and draws its charts. <paramref name="progress"/> is told
    /// the stage and the fraction of days done, from the worker's thread.
    /// </summary>
    /// <exception cref="BacktestInputException">The history lacks a symbol or the window holds too few days.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled, waiting or running.</exception>
    public async Task<BacktestRun> RunAsync(BacktestRequest request, string user, Action<BacktestStage, double> progress, CancellationToken cancel)
    {
        if (slots.CurrentCount == 0)
        {
            progress(BacktestStage.Waiting, 0);
        }
        await slots.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            Interlocked.Increment(ref started);
            var run = await Task.Run(() => Run(request, user, progress, cancel), cancel).ConfigureAwait(false);
            Keep(run);
            return run;
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>A kept run, only for the user who ran it.</summary>
    public BacktestRun? Find(Guid id, string? user) => runs.TryGetValue(id, out var run) && run.User == user ? run : null;

    private BacktestRun Run(BacktestRequest request, string user, Action<BacktestStage, double> progress, CancellationToken cancel)
    {
        if (!history.IsValueCreated)
        {
            progress(BacktestStage.Loading, 0);
        }
        var loaded = history.Value;
        cancel.ThrowIfCancellationRequested();
        progress(BacktestStage.Running, 0);
        var clock = Stopwatch.StartNew();
        string[] symbols = [.. request.Weights.Select(w => w.Symbol)];
        if (symbols.FirstOrDefault(s => !loaded.Contains(s)) is not null)
        {
            // The engine's message names the missing symbols and the known ones.
            Refuse(nameof(BacktestForm.Portfolio), () => BacktestMarket.Of(loaded, symbols, request.From, request.To));
        }
        var market = Refuse(nameof(BacktestForm.Window), () => BacktestMarket.Of(loaded, symbols, request.From, request.To));
        // PortfolioBacktest.Run in its parts, so each refusal stands at its field (the form checked the starting value).
        var (book, policies) = Refuse(nameof(BacktestForm.Policies), () => PortfolioBacktest.Build(market, request.Weights, request.Policies, request.StartValue));
        // Only the charts' lines keep their daily path: a century for 64 accounts would hold tens of megabytes per run.
        var options = request.Options with { SeriesAccounts = BacktestChartSet.MaxLines };
        var result = new Backtester(book, market, policies, options).Run(fraction =>
        {
            // The backtester has no token: stopping is an exception out of its progress callback, between two days.
            replaying?.Invoke(fraction);
            cancel.ThrowIfCancellationRequested();
            progress(BacktestStage.Running, fraction);
        });
        cancel.ThrowIfCancellationRequested();
        progress(BacktestStage.Drawing, 1);
        List<(string, string)> charts = [.. BacktestChartSet.Names.Select(name => (name, Inline(BacktestChartSet.Draw(name, result, ChartFormat.Svg))))];
        return new BacktestRun(Guid.NewGuid(), user, request, result, charts, clock.Elapsed);
    }

    /// <summary>The SVG element alone, without the XML declaration a file has (inside HTML it would be a stray comment).</summary>
    private static string Inline(byte[] svg)
    {
        var text = Encoding.UTF8.GetString(svg);
        var start = text.IndexOf("<svg", StringComparison.Ordinal);
        return start > 0 ? text[start..] : text;
    }

    private static T Refuse<T>(string field, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new BacktestInputException(field, e.Message);
        }
    }

    private void Keep(BacktestRun run)
    {
        runs[run.Id] = run;
        order.Enqueue(run.Id);
        while (order.Count > KeptRuns && order.TryDequeue(out var old))
        {
            runs.TryRemove(old, out _);
        }
    }

    private static MarketHistory LoadHistory() =>
        TotalReturnHistory.Load(MarketHistory.FindDataDirectory()
            ?? throw new InvalidOperationException("no data/ folder with the market history was found; set FASTREBAL_DATA to it"));

    public void Dispose() => slots.Dispose();
}
