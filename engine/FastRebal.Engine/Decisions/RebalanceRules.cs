using System.Globalization;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Decisions;

/// <summary>Whether the IPS says an account should rebalance now, and which rule says so.</summary>
public readonly record struct TriggerOutcome(bool Rebalance, DecisionRule Rule, string Reason);

/// <summary>
/// The decision rules of an IPS: threshold (absolute or relative band, optionally per asset class), calendar, and
/// hybrid (threshold first, calendar as the backstop), all subject to the minimum days between rebalances.
/// Pure functions: the same inputs always give the same outcome.
/// </summary>
public static class RebalanceRules
{
    /// <summary>
    /// A calendar rebalance is due once per period: when no rebalance happened yet in the period (month, quarter,
    /// half-year or year) that contains <paramref name="asOf"/>.
    /// </summary>
    public static bool IsCalendarDue(CalendarSchedule schedule, DateOnly? lastRebalanced, DateOnly asOf)
    {
        if (schedule == CalendarSchedule.None)
        {
            return false;
        }
        if (lastRebalanced is not { } last)
        {
            return true;
        }
        return last < asOf && PeriodKey(schedule, last) != PeriodKey(schedule, asOf);
    }

    private static int PeriodKey(CalendarSchedule schedule, DateOnly day) => schedule switch
    {
        CalendarSchedule.Monthly => (day.Year * 12) + day.Month - 1,
        CalendarSchedule.Quarterly => (day.Year * 4) + ((day.Month - 1) / 3),
        CalendarSchedule.SemiAnnual => (day.Year * 2) + ((day.Month - 1) / 6),
        CalendarSchedule.Annual => day.Year,
        _ => 0,
    };

    /// <summary>
    /// The first asset class whose summed drift breaks the class band of the account's IPS, described in words,
    /// or null when every class is inside its band (or the IPS sets none).
    /// </summary>
    public static string? AssetClassBreach(AccountBook book, DriftReport report, int account)
    {
        var bands = book.Policy(account).AssetClassBands;
        if (bands is null || bands.Count == 0 || !report.HasInvestableValue(account))
        {
            return null;
        }
        var classDrift = new Dictionary<string, double>(StringComparer.Ordinal);
        var start = book.SlotStart[account];
        var end = book.SlotStart[account + 1];
        for (var s = start; s < end; s++)
        {
            var assetClass = book.Instruments[book.InstrumentIndices[s]].AssetClass;
            classDrift[assetClass] = classDrift.GetValueOrDefault(assetClass) + report.Drift[s];
        }
        foreach (var (assetClass, band) in bands.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            var drift = classDrift.GetValueOrDefault(assetClass);
            if (Math.Abs(drift) > band)
            {
                return string.Create(CultureInfo.InvariantCulture, $"asset class {assetClass} drift {drift:+0.00%;-0.00%} outside its ±{band:0.00%} band");
            }
        }
        return null;
    }

    /// <summary>Applies the IPS trigger to what the sweep found.</summary>
    public static TriggerOutcome Evaluate(
        InvestmentPolicy policy,
        double maxAbsDrift,
        double maxRelativeDrift,
        bool bandBreach,
        string? assetClassBreach,
        DateOnly? lastRebalanced,
        DateOnly asOf)
    {
        var usesThreshold = policy.Trigger is RebalanceTrigger.Threshold or RebalanceTrigger.Hybrid;
        var usesCalendar = policy.Trigger is RebalanceTrigger.Calendar or RebalanceTrigger.Hybrid;
        var band = BandText(policy);
        var figures = string.Create(CultureInfo.InvariantCulture, $"max drift {maxAbsDrift:0.00%} (relative {maxRelativeDrift:0.0%})");

        TriggerOutcome fired;
        if (usesThreshold && bandBreach)
        {
            fired = new(true, DecisionRule.BandBreach, $"band breach: {figures} outside the {band} band");
        }
        else if (usesThreshold && assetClassBreach is not null)
        {
            fired = new(true, DecisionRule.AssetClassBandBreach, $"band breach: {assetClassBreach}");
        }
        else if (usesCalendar && IsCalendarDue(policy.Calendar, lastRebalanced, asOf))
        {
            fired = new(true, DecisionRule.CalendarDue, $"{policy.Calendar.ToString().ToLowerInvariant()} calendar rebalance due ({figures})");
        }
        else if (usesThreshold)
        {
            return new(false, DecisionRule.WithinBand, $"within band: {figures} inside the {band} band");
        }
        else
        {
            return new(false, DecisionRule.CalendarNotDue, $"calendar rebalance not due ({policy.Calendar.ToString().ToLowerInvariant()}; {figures})");
        }

        if (lastRebalanced is { } last && asOf.DayNumber - last.DayNumber < policy.MinDaysBetweenRebalances)
        {
            var days = asOf.DayNumber - last.DayNumber;
            return new(false, DecisionRule.MinDaysBetweenRebalances,
                $"{fired.Reason}, but the last rebalance was {days} day(s) ago and the IPS requires {policy.MinDaysBetweenRebalances}");
        }
        return fired;
    }

    /// <summary>The band in words, e.g. "±5.00% absolute" or "±25% relative".</summary>
    public static string BandText(InvestmentPolicy policy) => policy.BandType == BandType.Absolute
        ? string.Create(CultureInfo.InvariantCulture, $"±{policy.BandWidth:0.00%} absolute")
        : string.Create(CultureInfo.InvariantCulture, $"±{policy.BandWidth:0.##%} relative");
}
