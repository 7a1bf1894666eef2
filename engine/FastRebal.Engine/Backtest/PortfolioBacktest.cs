using System.Globalization;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Backtest;

/// <summary>
/// A backtest of one portfolio under several policies at once: one account per policy in one book, all starting at
/// the target weights with the same value, so one pass over the data measures every policy on the same days.
/// </summary>
public static class PortfolioBacktest
{
    /// <summary>The syntax of a portfolio, for help and errors.</summary>
    public const string Syntax = "SYMBOL:WEIGHT,... with weights summing to 1 or 100% (e.g. SPY:0.6,AGG:0.4 or SPY:60%,AGG:40%)";

    /// <summary>Reads <c>SPY:0.6,AGG:0.4</c> (or percentages), naming what is wrong.</summary>
    public static IReadOnlyList<(string Symbol, double Weight)> ParseWeights(string text)
    {
        var weights = new List<(string, double)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var pieces = part.Split(':', StringSplitOptions.TrimEntries);
            if (pieces.Length != 2 || pieces[0].Length == 0)
            {
                throw new FormatException($"portfolio entry '{Clip(part)}': expected {Syntax}");
            }
            var percent = pieces[1].EndsWith('%');
            if (!double.TryParse(percent ? pieces[1][..^1] : pieces[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight)
                || !double.IsFinite(weight) || weight <= 0)
            {
                throw new FormatException($"portfolio entry '{Clip(part)}': the weight must be a positive number");
            }
            var symbol = pieces[0].ToUpperInvariant();
            if (weights.Any(w => w.Item1 == symbol))
            {
                throw new FormatException($"portfolio names {Clip(symbol)} twice");
            }
            weights.Add((symbol, percent ? weight / 100 : weight));
        }
        if (weights.Count == 0)
        {
            throw new FormatException($"the portfolio is empty; expected {Syntax}");
        }
        var sum = weights.Sum(w => w.Item2);
        if (Math.Abs(sum - 1) > 1e-6)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"portfolio weights sum to {sum:0.######}, not 1 (100%)"));
        }
        return weights;
    }

    /// <summary>Runs every policy over [from, to] on <paramref name="history"/>; the never-rebalanced baseline is added when missing.</summary>
    public static BacktestResult Run(
        MarketHistory history,
        IReadOnlyList<(string Symbol, double Weight)> weights,
        IReadOnlyList<BacktestPolicy> policies,
        DateOnly from,
        DateOnly to,
        double startValue,
        BacktestOptions options,
        Action<double>? progress = null)
    {
        if (StartValueProblem(startValue) is { } problem)
        {
            throw new ArgumentException(problem);
        }
        var substitutes = Substitutes(weights, options.Tax);
        var market = BacktestMarket.Of(history, [.. weights.Select(w => w.Symbol), .. substitutes], from, to);
        var (book, all) = Build(market, weights, policies, startValue, taxable: options.Tax is not null, substitutes);
        return new Backtester(book, market, all, options).Run(progress);
    }

    /// <summary>What is wrong with a starting value, or null when it will do.</summary>
    public static string? StartValueProblem(double startValue) => startValue is > 0 and <= 1e12
        ? null
        : string.Create(CultureInfo.InvariantCulture, $"the starting value must be above 0 and at most 1e12, got {startValue}");

    /// <summary>The instruments a taxed backtest's harvests may buy that the portfolio does not hold (each needs its own history).</summary>
    public static IReadOnlyList<string> Substitutes(IReadOnlyList<(string Symbol, double Weight)> weights, BacktestTax? tax) =>
        tax?.Relations is { } relations
            ? [.. weights.SelectMany(w => relations.Substitutes(w.Symbol)).Distinct(StringComparer.Ordinal).Where(s => !weights.Any(w => w.Symbol == s))]
            : [];

    /// <summary>
    /// The book: one account per policy (the baseline first), each at the target weights on the first day, taxable
    /// when <paramref name="taxable"/>, with an empty place for each of <paramref name="substitutes"/> (the market's
    /// instruments after the portfolio's, in that order).
    /// </summary>
    public static (AccountBook Book, IReadOnlyList<BacktestPolicy> Policies) Build(
        BacktestMarket market, IReadOnlyList<(string Symbol, double Weight)> weights, IReadOnlyList<BacktestPolicy> policies, double startValue,
        bool taxable = false, IReadOnlyList<string>? substitutes = null)
    {
        substitutes ??= [];
        var all = policies.Any(p => p.Never) ? policies : [BacktestPolicy.NeverRebalance, .. policies];
        if (taxable)
        {
            all = [.. all.Select(p => p with { Policy = p.Policy with { TaxStatus = TaxStatus.Taxable } })];
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in all)
        {
            if (!names.Add(p.Name))
            {
                throw new ArgumentException($"policy '{p.Name}' is given twice");
            }
        }
        var instruments = new InstrumentTable(weights.Select(w => w.Symbol).Concat(substitutes).Select(s => new Instrument(s, s, s, FractionalAllowed: true)));
        var model = new TargetModel("PORTFOLIO", string.Join(", ", weights.Select(w => string.Create(CultureInfo.InvariantCulture, $"{w.Symbol} {w.Weight:0.##%}"))),
            [.. weights.Select(w => new ModelWeight(w.Symbol, w.Weight))]);
        var first = new double[instruments.Count];
        for (var i = 0; i < first.Length; i++)
        {
            first[i] = market.Levels(i)[0];
        }
        var builder = new BookBuilder(instruments, [model], first, all.Count);
        var held = Enumerable.Range(0, instruments.Count).ToArray();
        var quantities = Enumerable.Range(0, instruments.Count).Select(i => i < weights.Count ? startValue * weights[i].Weight / first[i] : 0).ToArray();
        foreach (var p in all)
        {
            if (builder.TryAddAccount(p.Name, p.Name, 0, 0, p.Policy, market.Days[0], held, quantities) is { } problem)
            {
                throw new ArgumentException($"policy '{p.Name}': {problem}");
            }
        }
        return (builder.Build(), all);
    }

    private static string Clip(string text) => Scenarios.TextLimit.Clip(text, 60);
}
