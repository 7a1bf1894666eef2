using System.Globalization;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Console.Operations;

/// <summary>Whom a policy change applies to.</summary>
public enum PolicyScope
{
    /// <summary>Every account on a model.</summary>
    Model,

    /// <summary>One client account.</summary>
    Account,
}

/// <summary>
/// The policy fields the console edits, in the units people use (percent rather than fractions), with validation that
/// names the field and the value. The same form serves a model (every account on it gets these values) and a single
/// client; fields it does not show (restrictions, tax status, lots) are left as each account has them.
/// </summary>
public sealed class PolicyForm
{
    public PolicyScope Scope { get; set; } = PolicyScope.Model;

    /// <summary>The model id or the account id.</summary>
    public string Target { get; set; } = "";

    public RebalanceTrigger Trigger { get; set; } = RebalanceTrigger.Hybrid;

    public BandType BandType { get; set; } = BandType.Absolute;

    /// <summary>Band width in percent: 5 means ±5 weight points (absolute) or ±5% of the target (relative).</summary>
    public double BandWidthPercent { get; set; } = 5;

    public CalendarSchedule Calendar { get; set; } = CalendarSchedule.Quarterly;

    public int MinDaysBetweenRebalances { get; set; }

    public decimal CashReserveAmount { get; set; }

    /// <summary>Cash reserve as a percent of account value.</summary>
    public double CashReservePercent { get; set; }

    public decimal MinTradeValue { get; set; }

    /// <summary>A copy the engine can apply later, whatever the page does with the form meanwhile.</summary>
    public PolicyForm Copy() => (PolicyForm)MemberwiseClone();

    public static PolicyForm From(InvestmentPolicy policy, PolicyScope scope, string target) => new()
    {
        Scope = scope,
        Target = target,
        Trigger = policy.Trigger,
        BandType = policy.BandType,
        BandWidthPercent = Math.Round(policy.BandWidth * 100, 6),
        Calendar = policy.Calendar,
        MinDaysBetweenRebalances = policy.MinDaysBetweenRebalances,
        CashReserveAmount = policy.CashReserveAmount,
        CashReservePercent = Math.Round(policy.CashReservePercent * 100, 6),
        MinTradeValue = policy.MinTradeValue,
    };

    /// <summary>The policy an account would have after the change (the engine raises the version when it applies it).</summary>
    public InvestmentPolicy ApplyTo(InvestmentPolicy current) => current with
    {
        Trigger = Trigger,
        BandType = BandType,
        BandWidth = BandWidthPercent / 100,
        Calendar = Calendar,
        MinDaysBetweenRebalances = MinDaysBetweenRebalances,
        CashReserveAmount = CashReserveAmount,
        CashReservePercent = CashReservePercent / 100,
        MinTradeValue = MinTradeValue,
    };

    /// <summary>Every problem, as (field, message); empty when the form can be applied.</summary>
    public IReadOnlyList<(string Field, string Message)> Validate(InstrumentTable instruments)
    {
        var c = CultureInfo.InvariantCulture;
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(Target))
        {
            problems.Add((nameof(Target), Scope == PolicyScope.Model ? "Choose a model." : "Enter an account id."));
        }
        if (!double.IsFinite(BandWidthPercent) || BandWidthPercent <= 0 || BandWidthPercent >= 100)
        {
            problems.Add((nameof(BandWidthPercent), string.Create(c, $"Band width must be more than 0% and less than 100% (got {BandWidthPercent}).")));
        }
        else if (BandType == BandType.Absolute && BandWidthPercent > 50)
        {
            problems.Add((nameof(BandWidthPercent), string.Create(c, $"An absolute band of ±{BandWidthPercent}% points would never trigger; use 50% or less.")));
        }
        if (Trigger != RebalanceTrigger.Threshold && Calendar == CalendarSchedule.None)
        {
            problems.Add((nameof(Calendar), $"A {Trigger.ToString().ToLowerInvariant()} trigger needs a calendar schedule; choose one or use the threshold trigger."));
        }
        if (MinDaysBetweenRebalances is < 0 or > 3660)
        {
            problems.Add((nameof(MinDaysBetweenRebalances), $"Minimum days between rebalances must be 0 to 3660 (got {MinDaysBetweenRebalances})."));
        }
        if (CashReserveAmount < 0)
        {
            problems.Add((nameof(CashReserveAmount), string.Create(c, $"Cash reserve amount must not be negative (got {CashReserveAmount}).")));
        }
        if (!double.IsFinite(CashReservePercent) || CashReservePercent < 0 || CashReservePercent >= 100)
        {
            problems.Add((nameof(CashReservePercent), string.Create(c, $"Cash reserve percent must be from 0% up to (not including) 100% (got {CashReservePercent}).")));
        }
        if (MinTradeValue < 0)
        {
            problems.Add((nameof(MinTradeValue), string.Create(c, $"Minimum trade must not be negative (got {MinTradeValue}).")));
        }
        if (problems.Count == 0)
        {
            // The engine's own checks, so the form never promises what the engine would refuse.
            foreach (var (field, problem) in PolicyValidation.Problems(ApplyTo(new InvestmentPolicy { Id = "form" }), instruments))
            {
                problems.Add((field, $"{field} {problem}"));
            }
        }
        return problems;
    }

    /// <summary>The change in words, for the confirmation and the audit trail.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Trigger.ToString().ToLowerInvariant()} trigger, ±{BandWidthPercent:0.####}% {BandType.ToString().ToLowerInvariant()} band, {Calendar.ToString().ToLowerInvariant()} calendar, " +
        $"min {MinDaysBetweenRebalances} day(s) between rebalances, cash reserve {CashReserveAmount:#,0.##} + {CashReservePercent:0.####}%, min trade {MinTradeValue:#,0.##}");
}
