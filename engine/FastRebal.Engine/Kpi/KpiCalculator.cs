using System.Globalization;

namespace FastRebal.Engine.Kpi;

/// <summary>A dated trade as turnover sees it.</summary>
public readonly record struct TurnoverTrade(DateOnly Date, bool Buy, decimal Notional);

/// <summary>What the KPIs are computed from, for one account.</summary>
public sealed record AccountKpiInput
{
    public required string AccountId { get; init; }

    public required string ModelId { get; init; }

    public required decimal Value { get; init; }

    /// <summary>The account's daily returns over the window (null when some holding has no history).</summary>
    public double[]? AccountReturns { get; init; }

    /// <summary>The target model's daily returns over the same days.</summary>
    public double[]? ModelReturns { get; init; }

    /// <summary>The account's gain or loss in money over the window (the total return the tax efficiency ratio divides by).</summary>
    public decimal? TotalReturn { get; init; }

    public IReadOnlyList<TurnoverTrade> Trades { get; init; } = [];

    public decimal RealizedShortTerm { get; init; }

    public decimal RealizedLongTerm { get; init; }

    public decimal HarvestedLosses { get; init; }

    public int Rebalances { get; init; }

    /// <summary>Why a figure is missing, if one is.</summary>
    public string? Note { get; init; }
}

/// <summary>KPIs of one account, or of a model's or the firm's accounts together.</summary>
/// <param name="TrackingError">Annualized standard deviation of (account return - model return), from daily returns; value-weighted for a group.</param>
/// <param name="TurnoverByQuarter">Per quarter ("2025Q3"): the smaller of buys and sells over value.</param>
/// <param name="TaxEfficiencyRatio">Realized gains over total return (lower keeps more of the return untaxed); null when the return is not positive.</param>
public sealed record KpiFigures(
    string Name,
    int Accounts,
    decimal Value,
    double? TrackingError,
    IReadOnlyDictionary<string, double> TurnoverByQuarter,
    decimal RealizedShortTerm,
    decimal RealizedLongTerm,
    decimal? TotalReturn,
    double? TaxEfficiencyRatio,
    decimal HarvestedLosses,
    int Rebalances,
    string? Note = null);

/// <summary>Every account's KPIs, each model's and the firm's.</summary>
public sealed record KpiReport(IReadOnlyList<KpiFigures> Accounts, IReadOnlyList<KpiFigures> Models, KpiFigures Firm);

/// <summary>The KPI formulas. Pure functions, tested on worked examples.</summary>
public static class KpiCalculator
{
    public const int TradingDaysPerYear = 252;

    /// <summary>Sample standard deviation of the daily return differences, times √252; null with fewer than two days.</summary>
    public static double? TrackingError(ReadOnlySpan<double> accountReturns, ReadOnlySpan<double> modelReturns)
    {
        if (accountReturns.Length != modelReturns.Length)
        {
            throw new ArgumentException("account and model returns must cover the same days");
        }
        var n = accountReturns.Length;
        if (n < 2)
        {
            return null;
        }
        var mean = 0.0;
        for (var i = 0; i < n; i++)
        {
            mean += accountReturns[i] - modelReturns[i];
        }
        mean /= n;
        var squares = 0.0;
        for (var i = 0; i < n; i++)
        {
            var d = accountReturns[i] - modelReturns[i] - mean;
            squares += d * d;
        }
        return Math.Sqrt(squares / (n - 1)) * Math.Sqrt(TradingDaysPerYear);
    }

    public static string Quarter(DateOnly day) => string.Create(CultureInfo.InvariantCulture, $"{day.Year}Q{((day.Month - 1) / 3) + 1}");

    /// <summary>Turnover per calendar quarter: min(buys, sells) / value, so cash flows invested or raised do not count as turnover.</summary>
    public static Dictionary<string, double> TurnoverByQuarter(IEnumerable<TurnoverTrade> trades, decimal value)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (value <= 0)
        {
            return result;
        }
        foreach (var quarter in trades.GroupBy(t => Quarter(t.Date)).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var buys = quarter.Where(t => t.Buy).Sum(t => t.Notional);
            var sells = quarter.Where(t => !t.Buy).Sum(t => t.Notional);
            result[quarter.Key] = (double)(Math.Min(buys, sells) / value);
        }
        return result;
    }

    /// <summary>Realized gains over total return; null when the total return is not positive (the ratio would mislead).</summary>
    public static double? TaxEfficiencyRatio(decimal realizedGains, decimal? totalReturn) =>
        totalReturn is { } r && r > 0 ? (double)(realizedGains / r) : null;

    public static KpiFigures ForAccount(AccountKpiInput input)
    {
        var te = input.AccountReturns is { } a && input.ModelReturns is { } m ? TrackingError(a, m) : null;
        return new KpiFigures(input.AccountId, 1, input.Value, te, TurnoverByQuarter(input.Trades, input.Value), input.RealizedShortTerm, input.RealizedLongTerm,
            input.TotalReturn, TaxEfficiencyRatio(input.RealizedShortTerm + input.RealizedLongTerm, input.TotalReturn), input.HarvestedLosses, input.Rebalances, input.Note);
    }

    /// <summary>A group's KPIs: sums of money and counts, value-weighted tracking error, turnover of the group's trades over its value.</summary>
    public static KpiFigures ForGroup(string name, IReadOnlyList<AccountKpiInput> inputs, IReadOnlyList<KpiFigures> accounts)
    {
        var value = inputs.Sum(i => i.Value);
        var withTe = accounts.Where(a => a.TrackingError is not null).ToList();
        var teWeight = withTe.Sum(a => (double)a.Value);
        double? te = teWeight > 0 ? withTe.Sum(a => a.TrackingError!.Value * (double)a.Value) / teWeight : null;
        var realizedShort = inputs.Sum(i => i.RealizedShortTerm);
        var realizedLong = inputs.Sum(i => i.RealizedLongTerm);
        var returns = inputs.Where(i => i.TotalReturn is not null).ToList();
        decimal? totalReturn = returns.Count == 0 ? null : returns.Sum(i => i.TotalReturn!.Value);
        var missing = inputs.Count - withTe.Count;
        return new KpiFigures(name, inputs.Count, value, te, TurnoverByQuarter(inputs.SelectMany(i => i.Trades), value), realizedShort, realizedLong, totalReturn,
            TaxEfficiencyRatio(realizedShort + realizedLong, totalReturn), inputs.Sum(i => i.HarvestedLosses), inputs.Sum(i => i.Rebalances),
            missing > 0 ? $"{missing} account(s) without a tracking error (no price history for a holding)" : null);
    }

    public static KpiReport Compute(IReadOnlyList<AccountKpiInput> inputs)
    {
        var accounts = inputs.Select(ForAccount).ToList();
        var models = inputs.Select((input, i) => (input, figures: accounts[i]))
            .GroupBy(x => x.input.ModelId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => ForGroup(g.Key, [.. g.Select(x => x.input)], [.. g.Select(x => x.figures)]))
            .ToList();
        return new KpiReport(accounts, models, ForGroup("firm", inputs, accounts));
    }
}
