using System.Globalization;
using FastRebal.Engine.Backtest;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Console.Backtesting;

/// <summary>What a backtest was asked for, read and checked: the arguments of <see cref="PortfolioBacktest"/>.</summary>
public sealed record BacktestRequest(
    IReadOnlyList<(string Symbol, double Weight)> Weights,
    IReadOnlyList<BacktestPolicy> Policies,
    DateOnly From,
    DateOnly To,
    double StartValue,
    BacktestOptions Options);

/// <summary>
/// The backtest page's fields as people type them, read with the engine's own parsers (the CLI's <c>backtest</c>
/// options, field for field), so each error is the engine's message and is shown at the field it is about.
/// </summary>
public sealed class BacktestForm
{
    /// <summary>The policies the CLI tests when none are given.</summary>
    public const string DefaultPolicies = "calendar:quarterly,calendar:annual,threshold:5%,threshold:20%:relative";

    /// <summary>The window choice for all the history every instrument has.</summary>
    public const string WholeHistory = "";

    /// <summary>The window choice for dates typed in <see cref="From"/> and <see cref="To"/>.</summary>
    public const string CustomDates = "custom";

    /// <summary>Portfolios to start from.</summary>
    public static IReadOnlyList<(string Name, string Portfolio)> Presets { get; } =
    [
        ("60/40 SPY/AGG (ETFs)", "SPY:0.6,AGG:0.4"),
        ("60/40 SP500/UST10 (daily since 1927)", "SP500:0.6,UST10:0.4"),
        ("40/20/40 VTI/EFA/AGG (ETFs)", "VTI:0.4,EFA:0.2,AGG:0.4"),
    ];

    /// <summary>Target weights, <see cref="PortfolioBacktest.Syntax"/>.</summary>
    public string Portfolio { get; set; } = Presets[0].Portfolio;

    /// <summary>One policy or a sweep, <see cref="BacktestPolicy.Syntax"/>, ranges and <c>*</c> allowed.</summary>
    public string Policies { get; set; } = DefaultPolicies;

    /// <summary><see cref="WholeHistory"/>, a name of <see cref="HistoryWindows.All"/>, or <see cref="CustomDates"/>.</summary>
    public string Window { get; set; } = WholeHistory;

    /// <summary>First day (yyyy-MM-dd) with <see cref="CustomDates"/>; empty for the first day every instrument has.</summary>
    public string From { get; set; } = "";

    /// <summary>Last day (yyyy-MM-dd) with <see cref="CustomDates"/>; empty for the last day every instrument has.</summary>
    public string To { get; set; } = "";

    public double StartValue { get; set; } = 1_000_000;

    public double CommissionPerTrade { get; set; }

    public double CommissionBps { get; set; }

    public double SpreadBps { get; set; }

    /// <summary>Scheduled cash flows separated by commas, each <see cref="CashFlowSchedule.Syntax"/>; empty for none.</summary>
    public string Flows { get; set; } = "";

    /// <summary>The live engine's circuit breakers, each halt released at the next close (as the CLI runs by default).</summary>
    public bool Breakers { get; set; } = true;

    /// <summary>The request, or the problems by field name (a property of this form) and none of the request.</summary>
    public (BacktestRequest? Request, IReadOnlyDictionary<string, string> Errors) Read()
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var weights = Field(errors, nameof(Portfolio), () => PortfolioBacktest.ParseWeights(Portfolio));
        // As the CLI: a sweep that names a policy twice (calendar:*,calendar:quarterly) tests it once.
        var policies = Field(errors, nameof(Policies), () => (IReadOnlyList<BacktestPolicy>)[.. BacktestPolicy.ParseSweep(Policies).DistinctBy(p => p.Name)]);
        var (first, last) = (DateOnly.MinValue, DateOnly.MaxValue);
        if (Window == CustomDates)
        {
            first = From.Trim().Length == 0 ? first : Field(errors, nameof(From), () => Day("from", From));
            last = To.Trim().Length == 0 ? last : Field(errors, nameof(To), () => Day("to", To));
            if (!errors.ContainsKey(nameof(From)) && !errors.ContainsKey(nameof(To)) && last < first)
            {
                errors[nameof(To)] = $"the window ends ({last:yyyy-MM-dd}) before it starts ({first:yyyy-MM-dd})";
            }
        }
        else if (Window != WholeHistory)
        {
            (first, last) = Field(errors, nameof(Window), () => HistoryWindows.Find(Window));
        }
        if (PortfolioBacktest.StartValueProblem(StartValue) is { } problem)
        {
            errors[nameof(StartValue)] = problem;
        }
        // Each figure checked alone, so the error stands at its own field.
        Field(errors, nameof(CommissionPerTrade), () => new TradingCosts(PerTrade: CommissionPerTrade).Validated());
        Field(errors, nameof(CommissionBps), () => new TradingCosts(CommissionBps: CommissionBps).Validated());
        Field(errors, nameof(SpreadBps), () => new TradingCosts(SpreadBps: SpreadBps).Validated());
        var flows = Field(errors, nameof(Flows), () => (IReadOnlyList<CashFlowSchedule>)[.. Flows.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(CashFlowSchedule.Parse)]);
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        var options = new BacktestOptions(new TradingCosts(CommissionPerTrade, CommissionBps, SpreadBps), flows, Breakers: Breakers ? new BacktestBreakers() : null);
        return (new BacktestRequest(weights!, policies!, first, last, StartValue, options), errors);
    }

    private static T? Field<T>(Dictionary<string, string> errors, string field, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            errors[field] = e.Message;
            return default;
        }
    }

    private static DateOnly Day(string what, string text) =>
        DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new FormatException($"{what} '{TextLimit.Clip(text, 40)}' is not a date yyyy-MM-dd");
}
