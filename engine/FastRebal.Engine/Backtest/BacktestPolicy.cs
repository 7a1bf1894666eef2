using System.Globalization;
using FastRebal.Engine.Model;

namespace FastRebal.Engine.Backtest;

/// <summary>
/// A rebalancing policy a backtest tries: an IPS the decision core applies (trigger, band, calendar, where a breach
/// trades to) and how often the account is looked at. <see cref="Never"/> is the buy-and-hold baseline.
/// </summary>
/// <param name="Name">How tables and charts name it, e.g. "threshold 5%" or "look every 10d, 20% rel, halfway".</param>
/// <param name="Policy">The IPS the decision core applies on the days the account is looked at.</param>
/// <param name="CheckEveryDays">The account is decided every this many trading days (1 = daily).</param>
/// <param name="Never">Never rebalance: only cash flows are invested or raised.</param>
public sealed record BacktestPolicy(string Name, InvestmentPolicy Policy, int CheckEveryDays = 1, bool Never = false)
{
    /// <summary>The buy-and-hold baseline every backtest also runs.</summary>
    public static BacktestPolicy NeverRebalance { get; } = new("never", Ips("never", RebalanceTrigger.Calendar, BandType.Absolute, 0.999, CalendarSchedule.None), Never: true);

    /// <summary>The syntax <see cref="Parse"/> and <see cref="ParseSweep"/> take, for help and error messages.</summary>
    public const string Syntax =
        "never | calendar:monthly|quarterly|semiannual|annual | threshold:5%[:relative][:edge|:half] | " +
        "hybrid:5%:quarterly[:relative][:edge|:half] | lookoften:10:20%[:relative][:edge|:half|:target] (look every 10 trading days)";

    /// <summary>Reads one policy, e.g. <c>threshold:5%</c>, <c>calendar:quarterly</c>, <c>lookoften:10:20%:relative:half</c>.</summary>
    /// <exception cref="FormatException">What is wrong with the text, and the syntax.</exception>
    public static BacktestPolicy Parse(string text)
    {
        var expanded = ParseSweep(text);
        if (expanded.Count != 1)
        {
            throw new FormatException($"policy '{Clip(text)}' names {expanded.Count} policies; one was expected (ranges belong to --sweep)");
        }
        return expanded[0];
    }

    /// <summary>
    /// Reads a comma-separated list of policies where a width may be a range <c>1%..10%:1%</c> (from, to, step) and a
    /// calendar may be <c>*</c> (all four), e.g. <c>threshold:1%..10%:1%,calendar:*,never</c>.
    /// </summary>
    public static IReadOnlyList<BacktestPolicy> ParseSweep(string text)
    {
        var policies = new List<BacktestPolicy>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            policies.AddRange(ParseOne(part));
            if (policies.Count > 1000)
            {
                throw new FormatException("a sweep may hold at most 1,000 policies");
            }
        }
        if (policies.Count == 0)
        {
            throw new FormatException($"no policy given; expected {Syntax}");
        }
        return policies;
    }

    private static IEnumerable<BacktestPolicy> ParseOne(string text)
    {
        var tokens = new Queue<string>(text.ToLowerInvariant().Split(':', StringSplitOptions.TrimEntries));
        var kind = tokens.Dequeue();
        switch (kind)
        {
            case "never":
                Done(tokens, text);
                return [NeverRebalance];
            case "calendar":
            {
                var schedules = Schedules(Next(tokens, text, "a schedule"), text);
                Done(tokens, text);
                return schedules.Select(s => new BacktestPolicy($"calendar {Words(s)}", Ips($"calendar-{s}", RebalanceTrigger.Calendar, BandType.Absolute, 1, s)));
            }
            case "threshold":
            {
                var widths = Widths(tokens, text);
                var (type, mode) = Options(tokens, text, RebalanceMode.ToTarget, allowTarget: false);
                return widths.Select(w => new BacktestPolicy($"threshold {Percent(w)}{TypeWords(type)}{ModeWords(mode)}",
                    Ips($"threshold-{Percent(w)}", RebalanceTrigger.Threshold, type, w, CalendarSchedule.None, mode)));
            }
            case "hybrid":
            {
                var widths = Widths(tokens, text);
                var schedules = Schedules(Next(tokens, text, "a schedule"), text);
                var (type, mode) = Options(tokens, text, RebalanceMode.ToTarget, allowTarget: false);
                return widths.SelectMany(w => schedules.Select(s => new BacktestPolicy($"hybrid {Percent(w)}{TypeWords(type)} + {Words(s)}{ModeWords(mode)}",
                    Ips($"hybrid-{Percent(w)}-{s}", RebalanceTrigger.Hybrid, type, w, s, mode))));
            }
            case "lookoften":
            {
                var days = Next(tokens, text, "the number of trading days between looks");
                if (!int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out var every) || every is < 1 or > 1000)
                {
                    throw new FormatException($"policy '{Clip(text)}': the days between looks must be a whole number 1 to 1,000, got '{Clip(days)}'");
                }
                var widths = Widths(tokens, text);
                var (type, mode) = Options(tokens, text, RebalanceMode.ToBandEdge, allowTarget: true);
                return widths.Select(w => new BacktestPolicy($"look every {every}d, {Percent(w)}{TypeWords(type)}{ModeWords(mode)}",
                    Ips($"lookoften-{every}-{Percent(w)}", RebalanceTrigger.Threshold, type, w, CalendarSchedule.None, mode), CheckEveryDays: every));
            }
            default:
                throw new FormatException($"unknown policy '{Clip(kind)}' in '{Clip(text)}'; expected {Syntax}");
        }
    }

    private static InvestmentPolicy Ips(string id, RebalanceTrigger trigger, BandType type, double width, CalendarSchedule calendar, RebalanceMode mode = RebalanceMode.ToTarget) => new()
    {
        Id = id,
        Trigger = trigger,
        BandType = type,
        BandWidth = width,
        Calendar = calendar,
        Mode = mode,
        FractionalShares = true,
        TaxStatus = TaxStatus.TaxDeferred,
    };

    private static string Next(Queue<string> tokens, string text, string what) =>
        tokens.Count > 0 ? tokens.Dequeue() : throw new FormatException($"policy '{Clip(text)}' is missing {what}; expected {Syntax}");

    private static void Done(Queue<string> tokens, string text)
    {
        if (tokens.Count > 0)
        {
            throw new FormatException($"policy '{Clip(text)}': unexpected '{Clip(tokens.Peek())}'; expected {Syntax}");
        }
    }

    private static (BandType Type, RebalanceMode Mode) Options(Queue<string> tokens, string text, RebalanceMode mode, bool allowTarget)
    {
        var type = BandType.Absolute;
        while (tokens.Count > 0)
        {
            switch (tokens.Dequeue())
            {
                case "relative" or "rel":
                    type = BandType.Relative;
                    break;
                case "absolute" or "abs":
                    type = BandType.Absolute;
                    break;
                case "edge":
                    mode = RebalanceMode.ToBandEdge;
                    break;
                case "half" or "halfway":
                    mode = RebalanceMode.Halfway;
                    break;
                case "target" when allowTarget:
                    mode = RebalanceMode.ToTarget;
                    break;
                case var other:
                    throw new FormatException($"policy '{Clip(text)}': unknown option '{Clip(other)}'; expected relative, absolute, edge, half{(allowTarget ? " or target" : "")}");
            }
        }
        return (type, mode);
    }

    /// <summary>A width (<c>5%</c> or <c>0.05</c>) or a range <c>1%..10%</c> followed by its step.</summary>
    private static List<double> Widths(Queue<string> tokens, string text)
    {
        var first = Next(tokens, text, "a band width such as 5%");
        var range = first.Split("..");
        if (range.Length == 1)
        {
            return [Width(first, text)];
        }
        if (range.Length != 2)
        {
            throw new FormatException($"policy '{Clip(text)}': a range is from..to:step, got '{Clip(first)}'");
        }
        var (from, to) = (Width(range[0], text), Width(range[1], text));
        var step = Width(Next(tokens, text, "the step of the range (from..to:step)"), text);
        if (to < from)
        {
            throw new FormatException($"policy '{Clip(text)}': the range {Clip(first)} ends before it starts");
        }
        var widths = new List<double>();
        for (var i = 0; ; i++)
        {
            // Counted in steps from the start, so 0.1 + 0.1 + 0.1 rounding cannot drop or add the last width.
            var w = Math.Round(from + (i * step), 10);
            if (w > to + 1e-12)
            {
                break;
            }
            widths.Add(w);
            if (widths.Count > 1000)
            {
                throw new FormatException($"policy '{Clip(text)}': the range gives more than 1,000 widths");
            }
        }
        return widths;
    }

    private static double Width(string token, string text)
    {
        var percent = token.EndsWith('%');
        var number = percent ? token[..^1] : token;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new FormatException($"policy '{Clip(text)}': '{Clip(token)}' is not a band width such as 5% or 0.05");
        }
        value = percent ? value / 100 : value;
        if (value is <= 0 or >= 1)
        {
            throw new FormatException($"policy '{Clip(text)}': band width {Clip(token)} must be above 0% and below 100%");
        }
        return value;
    }

    private static IReadOnlyList<CalendarSchedule> Schedules(string token, string text) => token switch
    {
        "*" => [CalendarSchedule.Monthly, CalendarSchedule.Quarterly, CalendarSchedule.SemiAnnual, CalendarSchedule.Annual],
        "monthly" => [CalendarSchedule.Monthly],
        "quarterly" => [CalendarSchedule.Quarterly],
        "semiannual" or "semi-annual" => [CalendarSchedule.SemiAnnual],
        "annual" or "yearly" => [CalendarSchedule.Annual],
        _ => throw new FormatException($"policy '{Clip(text)}': unknown schedule '{Clip(token)}'; expected monthly, quarterly, semiannual, annual or *"),
    };

    private static string Words(CalendarSchedule schedule) => schedule == CalendarSchedule.SemiAnnual ? "semiannual" : schedule.ToString().ToLowerInvariant();

    private static string Percent(double width) => string.Create(CultureInfo.InvariantCulture, $"{width * 100:0.######}%");

    private static string TypeWords(BandType type) => type == BandType.Relative ? " rel" : "";

    private static string ModeWords(RebalanceMode mode) => mode switch
    {
        RebalanceMode.ToBandEdge => ", to edge",
        RebalanceMode.Halfway => ", halfway",
        _ => "",
    };

    private static string Clip(string text) => Scenarios.TextLimit.Clip(text, 60);
}
