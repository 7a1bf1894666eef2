using System.Globalization;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Decisions;

/// <summary>
/// Whether the IPS says an account should rebalance now, and which rule says so. The reason is kept as the figures it
/// is made of and put into words only when <see cref="Reason"/> is read (a person, a report or the audit trail):
/// deciding an account formats nothing.
/// </summary>
public readonly struct TriggerOutcome
{
    private readonly DecisionRule fired;
    private readonly double maxAbsDrift;
    private readonly double maxRelativeDrift;
    private readonly BandType bandType;
    private readonly double bandWidth;
    private readonly CalendarSchedule calendar;
    private readonly AssetClassBreach? assetClass;
    private readonly int daysSinceLast;
    private readonly int minDays;

    internal TriggerOutcome(bool rebalance, DecisionRule rule, DecisionRule fired, InvestmentPolicy policy, double maxAbsDrift, double maxRelativeDrift,
        AssetClassBreach? assetClass = null, int daysSinceLast = 0)
    {
        (Rebalance, Rule, this.fired, this.maxAbsDrift, this.maxRelativeDrift, this.assetClass, this.daysSinceLast) =
            (rebalance, rule, fired, maxAbsDrift, maxRelativeDrift, assetClass, daysSinceLast);
        (bandType, bandWidth, calendar, minDays) = (policy.BandType, policy.BandWidth, policy.Calendar, policy.MinDaysBetweenRebalances);
    }

    /// <summary>An outcome as recorded: its parts one by one (the audit trail puts a recorded reason into words again).</summary>
    internal TriggerOutcome(DecisionRule rule, DecisionRule fired, double maxAbsDrift, double maxRelativeDrift, BandType bandType, double bandWidth,
        CalendarSchedule calendar, AssetClassBreach? assetClass, int daysSinceLast, int minDays)
    {
        (Rule, this.fired, this.maxAbsDrift, this.maxRelativeDrift, this.bandType, this.bandWidth) = (rule, fired, maxAbsDrift, maxRelativeDrift, bandType, bandWidth);
        (this.calendar, this.assetClass, this.daysSinceLast, this.minDays) = (calendar, assetClass, daysSinceLast, minDays);
    }

    public bool Rebalance { get; }

    internal DecisionRule Fired => fired;

    internal double MaxAbsDrift => maxAbsDrift;

    internal double MaxRelativeDrift => maxRelativeDrift;

    internal BandType BandType => bandType;

    internal double BandWidth => bandWidth;

    internal CalendarSchedule Calendar => calendar;

    internal AssetClassBreach? AssetClass => assetClass;

    internal int DaysSinceLast => daysSinceLast;

    internal int MinDays => minDays;

    public DecisionRule Rule { get; }

    /// <summary>The outcome in words, e.g. "band breach: max drift 6.01% (relative 10.6%) outside the ±20% relative band".</summary>
    public string Reason
    {
        get
        {
            var c = CultureInfo.InvariantCulture;
            var figures = string.Create(c, $"max drift {maxAbsDrift:0.00%} (relative {maxRelativeDrift:0.0%})");
            var schedule = calendar.ToString().ToLowerInvariant();
            var text = fired switch
            {
                DecisionRule.BandBreach => $"band breach: {figures} outside the {RebalanceRules.BandText(bandType, bandWidth)} band",
                DecisionRule.AssetClassBandBreach => $"band breach: {assetClass}",
                DecisionRule.CalendarDue => $"{schedule} calendar rebalance due ({figures})",
                DecisionRule.WithinBand => $"within band: {figures} inside the {RebalanceRules.BandText(bandType, bandWidth)} band",
                _ => $"calendar rebalance not due ({schedule}; {figures})",
            };
            return Rule == DecisionRule.MinDaysBetweenRebalances
                ? string.Create(c, $"{text}, but the last rebalance was {daysSinceLast} day(s) ago and the IPS requires {minDays}")
                : text;
        }
    }

    public override string ToString() => Reason;
}

/// <summary>The first asset class whose summed drift breaks its band: the class, its drift and the band.</summary>
public sealed record AssetClassBreach(string AssetClass, double Drift, double Band)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"asset class {AssetClass} drift {Drift:+0.00%;-0.00%} outside its ±{Band:0.00%} band");
}

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

    /// <summary>A number for the calendar period (month, quarter, half-year, year) holding <paramref name="day"/>: two days share a period when theirs are equal.</summary>
    internal static int PeriodKey(CalendarSchedule schedule, DateOnly day) => schedule switch
    {
        CalendarSchedule.Monthly => (day.Year * 12) + day.Month - 1,
        CalendarSchedule.Quarterly => (day.Year * 4) + ((day.Month - 1) / 3),
        CalendarSchedule.SemiAnnual => (day.Year * 2) + ((day.Month - 1) / 6),
        CalendarSchedule.Annual => day.Year,
        _ => 0,
    };

    /// <summary>
    /// The first asset class whose summed drift breaks the class band of the account's IPS, or null when every class
    /// is inside its band (or the IPS sets none).
    /// </summary>
    public static AssetClassBreach? FindAssetClassBreach(AccountBook book, DriftReport report, int account)
    {
        var bands = book.Policy(account).AssetClassBands;
        if (bands is null || bands.Count == 0 || !report.HasInvestableValue(account))
        {
            return null;
        }
        // The classes in ordinal order, each summed over the account's slots: an IPS names a few classes and an account
        // holds a few dozen slots, so this costs less than the dictionary and sort it replaces, and allocates nothing.
        string? previous = null;
        while (NextClass(bands, previous) is { } assetClass)
        {
            var drift = 0.0;
            for (var s = book.SlotStart[account]; s < book.SlotStart[account + 1]; s++)
            {
                if (string.Equals(book.Instruments[book.InstrumentIndices[s]].AssetClass, assetClass, StringComparison.Ordinal))
                {
                    drift += report.Drift[s];
                }
            }
            var band = bands[assetClass];
            if (Math.Abs(drift) > band)
            {
                return new AssetClassBreach(assetClass, drift, band);
            }
            previous = assetClass;
        }
        return null;
    }

    /// <summary>The band's class that comes next after <paramref name="previous"/> in ordinal order (the first when null), or null.</summary>
    private static string? NextClass(IReadOnlyDictionary<string, double> bands, string? previous)
    {
        string? next = null;
        void Consider(string assetClass)
        {
            if ((previous is null || string.CompareOrdinal(assetClass, previous) > 0) && (next is null || string.CompareOrdinal(assetClass, next) < 0))
            {
                next = assetClass;
            }
        }
        // A policy read from JSON or built in code holds a Dictionary, whose keys enumerate without an allocation.
        if (bands is Dictionary<string, double> dictionary)
        {
            foreach (var assetClass in dictionary.Keys)
            {
                Consider(assetClass);
            }
        }
        else
        {
            foreach (var assetClass in bands.Keys)
            {
                Consider(assetClass);
            }
        }
        return next;
    }

    /// <summary>Applies the IPS trigger to what the sweep found.</summary>
    public static TriggerOutcome Evaluate(
        InvestmentPolicy policy,
        double maxAbsDrift,
        double maxRelativeDrift,
        bool bandBreach,
        AssetClassBreach? assetClassBreach,
        DateOnly? lastRebalanced,
        DateOnly asOf)
    {
        var usesThreshold = policy.Trigger is RebalanceTrigger.Threshold or RebalanceTrigger.Hybrid;
        var usesCalendar = policy.Trigger is RebalanceTrigger.Calendar or RebalanceTrigger.Hybrid;

        DecisionRule fired;
        if (usesThreshold && bandBreach)
        {
            fired = DecisionRule.BandBreach;
        }
        else if (usesThreshold && assetClassBreach is not null)
        {
            fired = DecisionRule.AssetClassBandBreach;
        }
        else if (usesCalendar && IsCalendarDue(policy.Calendar, lastRebalanced, asOf))
        {
            fired = DecisionRule.CalendarDue;
        }
        else
        {
            var quiet = usesThreshold ? DecisionRule.WithinBand : DecisionRule.CalendarNotDue;
            return new(false, quiet, quiet, policy, maxAbsDrift, maxRelativeDrift);
        }

        if (lastRebalanced is { } last && asOf.DayNumber - last.DayNumber < policy.MinDaysBetweenRebalances)
        {
            return new(false, DecisionRule.MinDaysBetweenRebalances, fired, policy, maxAbsDrift, maxRelativeDrift, assetClassBreach, asOf.DayNumber - last.DayNumber);
        }
        return new(true, fired, fired, policy, maxAbsDrift, maxRelativeDrift, assetClassBreach);
    }

    /// <summary>The band in words, e.g. "±5.00% absolute" or "±25% relative".</summary>
    public static string BandText(InvestmentPolicy policy) => BandText(policy.BandType, policy.BandWidth);

    internal static string BandText(BandType type, double width) => type == BandType.Absolute
        ? string.Create(CultureInfo.InvariantCulture, $"±{width:0.00%} absolute")
        : string.Create(CultureInfo.InvariantCulture, $"±{width:0.##%} relative");
}
