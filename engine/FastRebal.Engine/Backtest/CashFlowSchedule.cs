using System.Globalization;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;

namespace FastRebal.Engine.Backtest;

/// <summary>How often a scheduled cash flow recurs: on the first trading day of each period after the start.</summary>
public enum FlowFrequency
{
    Monthly,
    Quarterly,
    Annual,
}

/// <summary>
/// A recurring deposit (positive) or withdrawal (negative): a fixed amount, or a fraction of the account's value on
/// the day, e.g. <c>+1000:monthly</c> or <c>-4%:annual</c>.
/// </summary>
public sealed record CashFlowSchedule(double Amount, bool OfValue, FlowFrequency Frequency)
{
    /// <summary>The syntax <see cref="Parse"/> takes.</summary>
    public const string Syntax = "+AMOUNT:monthly|quarterly|annual or -PERCENT%:monthly|quarterly|annual (e.g. +1000:monthly, -4%:annual)";

    /// <summary>Reads <c>+1000:monthly</c>, <c>-4%:annual</c> and the like.</summary>
    public static CashFlowSchedule Parse(string text)
    {
        var parts = text.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            throw new FormatException($"cash flow '{Clip(text)}': expected {Syntax}");
        }
        var ofValue = parts[0].EndsWith('%');
        var number = ofValue ? parts[0][..^1] : parts[0];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || !double.IsFinite(amount) || amount == 0)
        {
            throw new FormatException($"cash flow '{Clip(text)}': '{Clip(parts[0])}' is not a non-zero amount or percentage; expected {Syntax}");
        }
        amount = ofValue ? amount / 100 : amount;
        if (ofValue && Math.Abs(amount) > 1)
        {
            throw new FormatException($"cash flow '{Clip(text)}': a percentage of value must be within -100% to +100%");
        }
        if (!ofValue && Math.Abs(amount) > 1e12)
        {
            throw new FormatException($"cash flow '{Clip(text)}': the amount is larger than any account");
        }
        var frequency = parts[1].ToLowerInvariant() switch
        {
            "monthly" => FlowFrequency.Monthly,
            "quarterly" => FlowFrequency.Quarterly,
            "annual" or "yearly" => FlowFrequency.Annual,
            _ => throw new FormatException($"cash flow '{Clip(text)}': unknown frequency '{Clip(parts[1])}'; expected monthly, quarterly or annual"),
        };
        return new CashFlowSchedule(amount, ofValue, frequency);
    }

    /// <summary>Whether a flow falls on <paramref name="day"/>, the first trading day of a new period after <paramref name="previous"/>.</summary>
    public bool IsDue(DateOnly previous, DateOnly day)
    {
        var period = Frequency switch
        {
            FlowFrequency.Monthly => CalendarSchedule.Monthly,
            FlowFrequency.Quarterly => CalendarSchedule.Quarterly,
            _ => CalendarSchedule.Annual,
        };
        return RebalanceRules.PeriodKey(period, previous) != RebalanceRules.PeriodKey(period, day);
    }

    /// <summary>The flow for an account worth <paramref name="value"/> (a withdrawal never takes more than the value).</summary>
    public double For(double value) => Math.Max(OfValue ? Amount * value : Amount, -value);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{(OfValue ? $"{Amount * 100:+0.##;-0.##}% of value" : $"{Amount:+#,0.##;-#,0.##}")} {Frequency.ToString().ToLowerInvariant()}");

    private static string Clip(string text) => Scenarios.TextLimit.Clip(text, 60);
}
