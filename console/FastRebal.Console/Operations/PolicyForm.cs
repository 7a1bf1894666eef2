using System.Globalization;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

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
/// names the field and the value. The same form serves a model and a single client. A form loaded from a policy
/// (<see cref="From"/>) changes only the fields the user changed: every other field, shown or not, stays as each
/// account has it, so an edit of a model whose accounts differ does not make them all alike.
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

    /// <summary>Back to target, or (for a band breach) only back to the band's edge.</summary>
    public RebalanceMode Mode { get; set; } = RebalanceMode.ToTarget;

    /// <summary>Whether the client allows fractional shares (the instrument must allow them too).</summary>
    public bool FractionalShares { get; set; }

    /// <summary>Instruments never bought for the account (held ones are sold down): ids separated by commas.</summary>
    public string Restrictions { get; set; } = "";

    /// <summary>Bands on whole asset classes in weight points, as "US Equity: 5; Bonds: 3"; empty for none.</summary>
    public string AssetClassBands { get; set; } = "";

    /// <summary>Whether the form edits tax elections too: the engine keeps lots and the loaded account is taxable.</summary>
    public bool HasTax { get; set; }

    public LotMethod LotMethod { get; set; } = LotMethod.Fifo;

    /// <summary>Net realized gain a rebalance may realize at most, as typed; empty for no cap.</summary>
    public string GainsBudget { get; set; } = "";

    public int DeferLongTermWithinDays { get; set; }

    public bool CashOnly { get; set; }

    public bool HarvestEnabled { get; set; }

    public HarvestSchedule HarvestSchedule { get; set; } = HarvestSchedule.Daily;

    /// <summary>A harvest's least loss, in percent of the lot's cost.</summary>
    public double HarvestMinLossPercent { get; set; } = 5;

    /// <summary>A harvest larger than this waits for an operator, as typed; empty for never.</summary>
    public string HarvestApprovalAbove { get; set; } = "";

    /// <summary>The values as loaded (<see cref="From"/>): a field equal to its loaded value is left alone. Null for a form made in code, which sets every field.</summary>
    public PolicyForm? Loaded { get; private set; }

    /// <summary>A copy the engine can apply later, whatever the page does with the form meanwhile.</summary>
    public PolicyForm Copy() => (PolicyForm)MemberwiseClone();

    /// <param name="tax">The account's tax elections when the engine keeps its lots; the form's tax fields are not edited without them.</param>
    public static PolicyForm From(InvestmentPolicy policy, PolicyScope scope, string target, AccountTaxSettings? tax = null)
    {
        var form = Fields(policy, scope, target).WithTax(tax);
        form.Loaded = Fields(policy, scope, target).WithTax(tax);
        return form;
    }

    private PolicyForm WithTax(AccountTaxSettings? tax)
    {
        if (tax is null)
        {
            return this;
        }
        var c = CultureInfo.InvariantCulture;
        HasTax = true;
        LotMethod = tax.LotMethod;
        GainsBudget = tax.GainsBudget?.ToString(c) ?? "";
        DeferLongTermWithinDays = tax.DeferLongTermWithinDays;
        CashOnly = tax.CashOnly;
        HarvestEnabled = tax.Harvest.Enabled;
        HarvestSchedule = tax.Harvest.Schedule;
        HarvestMinLossPercent = Math.Round(tax.Harvest.MinLossPercent * 100, 6);
        HarvestApprovalAbove = tax.Harvest.ApprovalAbove?.ToString(c) ?? "";
        return this;
    }

    /// <summary>An amount as typed: null for empty, NaN-free; false when it is not a number.</summary>
    private static bool TryAmount(string text, out decimal? amount)
    {
        amount = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        if (decimal.TryParse(text.Trim().Replace(",", "", StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture, out var value))
        {
            amount = value;
            return true;
        }
        return false;
    }

    private decimal? Amount(string text) => TryAmount(text, out var amount) ? amount : null;

    /// <summary>Whether any tax election differs from its loaded value (every one, for a form not loaded).</summary>
    public bool ChangesTax => HasTax && Changes().Any(change => TaxFields.Contains(change.Field));

    private static readonly HashSet<string> TaxFields = new(StringComparer.Ordinal)
    {
        "lot method", "gains budget", "defer long-term within days", "cash only", "harvesting", "harvest schedule", "harvest minimum loss", "harvest approval above",
    };

    /// <summary>
    /// The tax elections an account would have after the change: the changed fields set, every other as the account
    /// has it (the engine applies them with the policy, and only to accounts that keep lots).
    /// </summary>
    public AccountTaxSettings ApplyTax(AccountTaxSettings current)
    {
        var was = Loaded;
        var harvest = current.Harvest with
        {
            Enabled = was is null || HarvestEnabled != was.HarvestEnabled ? HarvestEnabled : current.Harvest.Enabled,
            Schedule = was is null || HarvestSchedule != was.HarvestSchedule ? HarvestSchedule : current.Harvest.Schedule,
            MinLossPercent = was is null || HarvestMinLossPercent != was.HarvestMinLossPercent ? HarvestMinLossPercent / 100 : current.Harvest.MinLossPercent,
            ApprovalAbove = was is null || Amount(HarvestApprovalAbove) != was.Amount(was.HarvestApprovalAbove) ? Amount(HarvestApprovalAbove) : current.Harvest.ApprovalAbove,
        };
        return current with
        {
            LotMethod = was is null || LotMethod != was.LotMethod ? LotMethod : current.LotMethod,
            GainsBudget = was is null || Amount(GainsBudget) != was.Amount(was.GainsBudget) ? Amount(GainsBudget) : current.GainsBudget,
            DeferLongTermWithinDays = was is null || DeferLongTermWithinDays != was.DeferLongTermWithinDays ? DeferLongTermWithinDays : current.DeferLongTermWithinDays,
            CashOnly = was is null || CashOnly != was.CashOnly ? CashOnly : current.CashOnly,
            Harvest = harvest,
        };
    }

    private static PolicyForm Fields(InvestmentPolicy policy, PolicyScope scope, string target) => new()
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
        Mode = policy.Mode,
        FractionalShares = policy.FractionalShares,
        Restrictions = string.Join(", ", (policy.RestrictedInstruments ?? []).Order(StringComparer.Ordinal)),
        AssetClassBands = string.Join("; ", (policy.AssetClassBands ?? new Dictionary<string, double>()).OrderBy(b => b.Key, StringComparer.Ordinal)
            .Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Key}: {Math.Round(b.Value * 100, 6):0.######}"))),
    };

    /// <summary>The restricted instrument ids as typed: separated by commas, semicolons or spaces, each once, in order.</summary>
    private IReadOnlyList<string> RestrictionList() =>
        [.. Restrictions.Split([',', ';', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The asset-class bands as typed, in engine units (fractions), and any entry that is not "class: points".</summary>
    private (Dictionary<string, double> Bands, List<string> Malformed) ClassBandList()
    {
        var bands = new Dictionary<string, double>(StringComparer.Ordinal);
        var malformed = new List<string>();
        foreach (var entry in AssetClassBands.Split([';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = entry.LastIndexOf(':');
            if (colon <= 0 || !double.TryParse(entry[(colon + 1)..].Trim().TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var points))
            {
                malformed.Add(entry);
                continue;
            }
            bands[entry[..colon].Trim()] = points / 100;
        }
        return (bands, malformed);
    }

    /// <summary>
    /// The policy an account would have after the change: the changed fields set, every other field as the account
    /// has it (the engine raises the version when it applies it).
    /// </summary>
    public InvestmentPolicy ApplyTo(InvestmentPolicy current)
    {
        var was = Loaded;
        return current with
        {
            Trigger = was is null || Trigger != was.Trigger ? Trigger : current.Trigger,
            BandType = was is null || BandType != was.BandType ? BandType : current.BandType,
            BandWidth = was is null || BandWidthPercent != was.BandWidthPercent ? BandWidthPercent / 100 : current.BandWidth,
            Calendar = was is null || Calendar != was.Calendar ? Calendar : current.Calendar,
            MinDaysBetweenRebalances = was is null || MinDaysBetweenRebalances != was.MinDaysBetweenRebalances ? MinDaysBetweenRebalances : current.MinDaysBetweenRebalances,
            CashReserveAmount = was is null || CashReserveAmount != was.CashReserveAmount ? CashReserveAmount : current.CashReserveAmount,
            CashReservePercent = was is null || CashReservePercent != was.CashReservePercent ? CashReservePercent / 100 : current.CashReservePercent,
            MinTradeValue = was is null || MinTradeValue != was.MinTradeValue ? MinTradeValue : current.MinTradeValue,
            Mode = was is null || Mode != was.Mode ? Mode : current.Mode,
            FractionalShares = was is null || FractionalShares != was.FractionalShares ? FractionalShares : current.FractionalShares,
            RestrictedInstruments = was is null || !RestrictionList().SequenceEqual(was.RestrictionList()) ? RestrictionList() : current.RestrictedInstruments,
            AssetClassBands = was is null || Words(ClassBandList().Bands) != Words(was.ClassBandList().Bands)
                ? (ClassBandList().Bands is { Count: > 0 } bands ? bands : null)
                : current.AssetClassBands,
        };
    }

    private static string ModeWords(RebalanceMode mode) => mode switch
    {
        RebalanceMode.ToBandEdge => "back to the band's edge",
        RebalanceMode.Halfway => "halfway from the band's edge to target",
        _ => "to target",
    };

    private static string Words(IReadOnlyList<string> restrictions) => restrictions.Count == 0 ? "none" : string.Join(", ", restrictions);

    private static string Words(IReadOnlyDictionary<string, double> bands) => bands.Count == 0
        ? "none"
        : string.Join("; ", bands.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Key} ±{b.Value * 100:0.####} points")));

    /// <summary>Every field as the form shows it, on a policy of the engine's defaults otherwise (what validation checks).</summary>
    private InvestmentPolicy AllFields() => new InvestmentPolicy { Id = "form" } with
    {
        Trigger = Trigger,
        BandType = BandType,
        BandWidth = BandWidthPercent / 100,
        Calendar = Calendar,
        MinDaysBetweenRebalances = MinDaysBetweenRebalances,
        CashReserveAmount = CashReserveAmount,
        CashReservePercent = CashReservePercent / 100,
        MinTradeValue = MinTradeValue,
        Mode = Mode,
        FractionalShares = FractionalShares,
        RestrictedInstruments = RestrictionList(),
        AssetClassBands = ClassBandList().Bands,
    };

    /// <summary>The fields changed from their loaded values, each as (name, before, after) in words; every field for a form not loaded.</summary>
    public IReadOnlyList<(string Field, string Before, string After)> Changes()
    {
        var c = CultureInfo.InvariantCulture;
        var was = Loaded;
        var changes = new List<(string, string, string)>();
        void Add<T>(string field, T now, T? before, Func<T, string> words)
        {
            if (was is null || !EqualityComparer<T>.Default.Equals(now, before!))
            {
                changes.Add((field, was is null ? "" : words(before!), words(now)));
            }
        }
        Add("trigger", Trigger, was is null ? default : was.Trigger, t => t.ToString().ToLowerInvariant());
        Add("band type", BandType, was is null ? default : was.BandType, t => t.ToString().ToLowerInvariant());
        Add("band width", BandWidthPercent, was is null ? default : was.BandWidthPercent, w => string.Create(c, $"±{w:0.####}%"));
        Add("calendar", Calendar, was is null ? default : was.Calendar, t => t.ToString().ToLowerInvariant());
        Add("minimum days between rebalances", MinDaysBetweenRebalances, was is null ? default : was.MinDaysBetweenRebalances, d => d.ToString(c));
        Add("cash reserve amount", CashReserveAmount, was is null ? default : was.CashReserveAmount, a => a.ToString("#,0.##", c));
        Add("cash reserve", CashReservePercent, was is null ? default : was.CashReservePercent, p => string.Create(c, $"{p:0.####}%"));
        Add("minimum trade", MinTradeValue, was is null ? default : was.MinTradeValue, a => a.ToString("#,0.##", c));
        Add("rebalance mode", Mode, was is null ? default : was.Mode, ModeWords);
        Add("fractional shares", FractionalShares, was is null ? default : was.FractionalShares, f => f ? "allowed" : "not allowed");
        Add("restricted instruments", Words(RestrictionList()), was is null ? null : Words(was.RestrictionList()), w => w);
        Add("asset-class bands", Words(ClassBandList().Bands), was is null ? null : Words(was.ClassBandList().Bands), w => w);
        if (HasTax)
        {
            string Money(decimal? amount, string none) => amount?.ToString("#,0.##", c) ?? none;
            Add("lot method", LotMethod, was is null ? default : was.LotMethod, m => m.ToString());
            Add("gains budget", Money(Amount(GainsBudget), "none"), was is null ? null : Money(was.Amount(was.GainsBudget), "none"), w => w);
            Add("defer long-term within days", DeferLongTermWithinDays, was is null ? default : was.DeferLongTermWithinDays, d => d.ToString(c));
            Add("cash only", CashOnly, was is null ? default : was.CashOnly, b => b ? "on" : "off");
            Add("harvesting", HarvestEnabled, was is null ? default : was.HarvestEnabled, b => b ? "on" : "off");
            Add("harvest schedule", HarvestSchedule, was is null ? default : was.HarvestSchedule, h => h.ToString().ToLowerInvariant());
            Add("harvest minimum loss", HarvestMinLossPercent, was is null ? default : was.HarvestMinLossPercent, p => string.Create(c, $"{p:0.####}%"));
            Add("harvest approval above", Money(Amount(HarvestApprovalAbove), "never"), was is null ? null : Money(was.Amount(was.HarvestApprovalAbove), "never"), w => w);
        }
        return changes;
    }

    /// <summary>Values that are allowed but unusual, worth a second look before confirming (only among the fields changed).</summary>
    public IReadOnlyList<string> Warnings()
    {
        var c = CultureInfo.InvariantCulture;
        var changed = Changes().Select(change => change.Field).ToHashSet(StringComparer.Ordinal);
        var warnings = new List<string>();
        if ((changed.Contains("band width") || changed.Contains("band type")) && BandType == BandType.Absolute && BandWidthPercent > 10)
        {
            warnings.Add(string.Create(c, $"A band of ±{BandWidthPercent:0.####} points is unusually wide: accounts may drift far from their model before trading."));
        }
        if ((changed.Contains("band width") || changed.Contains("band type")) && BandType == BandType.Relative && BandWidthPercent > 50)
        {
            warnings.Add(string.Create(c, $"A relative band of ±{BandWidthPercent:0.####}% of each target is unusually wide."));
        }
        if (changed.Contains("minimum trade") && MinTradeValue == 0)
        {
            warnings.Add("A minimum trade of zero lets the engine send trades worth a few cents.");
        }
        if (changed.Contains("cash reserve") && CashReservePercent > 20)
        {
            warnings.Add(string.Create(c, $"A cash reserve of {CashReservePercent:0.####}% keeps much of the account out of its model."));
        }
        return warnings;
    }

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
        var (classBands, malformed) = ClassBandList();
        foreach (var entry in malformed)
        {
            problems.Add((nameof(AssetClassBands), $"Asset-class band '{FastRebal.Engine.Scenarios.TextLimit.Clip(entry, 80)}' is not written as 'class: points' (e.g. 'US Equity: 5')."));
        }
        var classes = instruments.All.Select(i => i.AssetClass).ToHashSet(StringComparer.Ordinal);
        foreach (var (assetClass, band) in classBands)
        {
            if (!classes.Contains(assetClass))
            {
                problems.Add((nameof(AssetClassBands), $"No instrument has the asset class '{FastRebal.Engine.Scenarios.TextLimit.Clip(assetClass, 80)}'."));
            }
            else if (!double.IsFinite(band) || band <= 0 || band > 0.5)
            {
                problems.Add((nameof(AssetClassBands), string.Create(c, $"The band of {assetClass} must be more than 0 and at most 50 points (got {band * 100}).")));
            }
        }
        foreach (var id in RestrictionList())
        {
            if (!instruments.TryGetIndex(id, out _))
            {
                problems.Add((nameof(Restrictions), $"Restricted instrument '{FastRebal.Engine.Scenarios.TextLimit.Clip(id, 80)}' is not an instrument of the book."));
            }
        }
        if (HasTax)
        {
            if (!TryAmount(GainsBudget, out var budget) || budget < 0)
            {
                problems.Add((nameof(GainsBudget), $"Gains budget must be an amount of 0 or more, or empty for no cap (got '{FastRebal.Engine.Scenarios.TextLimit.Clip(GainsBudget, 40)}')."));
            }
            if (DeferLongTermWithinDays is < 0 or > 366)
            {
                problems.Add((nameof(DeferLongTermWithinDays), $"Defer long-term within days must be 0 to 366 (got {DeferLongTermWithinDays})."));
            }
            if (!double.IsFinite(HarvestMinLossPercent) || HarvestMinLossPercent < 0 || HarvestMinLossPercent >= 100)
            {
                problems.Add((nameof(HarvestMinLossPercent), string.Create(c, $"Harvest minimum loss must be from 0% up to (not including) 100% (got {HarvestMinLossPercent}).")));
            }
            if (!TryAmount(HarvestApprovalAbove, out var above) || above < 0)
            {
                problems.Add((nameof(HarvestApprovalAbove), $"Harvest approval above must be an amount of 0 or more, or empty for never (got '{FastRebal.Engine.Scenarios.TextLimit.Clip(HarvestApprovalAbove, 40)}')."));
            }
            if (LotMethod == LotMethod.SpecificLots && (Loaded is null || Loaded.LotMethod != LotMethod.SpecificLots))
            {
                problems.Add((nameof(LotMethod), "Specific lots names the lots to sell for each account and instrument: set it in the firm's files, not for a model here."));
            }
        }
        if (problems.Count == 0 && Loaded is not null && Changes().Count == 0)
        {
            problems.Add(("", "Nothing to apply: every field is as loaded."));
        }
        if (problems.Count == 0)
        {
            // The engine's own checks, so the form never promises what the engine would refuse.
            foreach (var (field, problem) in PolicyValidation.Problems(AllFields(), instruments))
            {
                problems.Add((field, $"{field} {problem}"));
            }
        }
        return problems;
    }

    /// <summary>
    /// The change in words, for the confirmation and the audit trail: each changed field from its loaded value to its
    /// new one ("band width ±5% → ±2%"); every field for a form not loaded.
    /// </summary>
    public string Describe() => Loaded is null
        ? AllTerms()
        : Changes() is { Count: > 0 } changes
            ? string.Join(", ", changes.Select(change => $"{change.Field} {change.Before} → {change.After}")) + "; every other field as each account has it"
            : "no change";

    /// <summary>Every field as the form shows it, in words: two accounts whose terms read the same have the same settings of these fields.</summary>
    public string AllTerms() => string.Create(CultureInfo.InvariantCulture,
        $"{Trigger.ToString().ToLowerInvariant()} trigger, ±{BandWidthPercent:0.####}% {BandType.ToString().ToLowerInvariant()} band, {Calendar.ToString().ToLowerInvariant()} calendar, " +
        $"min {MinDaysBetweenRebalances} day(s) between rebalances, cash reserve {CashReserveAmount:#,0.##} + {CashReservePercent:0.####}%, min trade {MinTradeValue:#,0.##}, " +
        $"{ModeWords(Mode)}, fractional shares {(FractionalShares ? "allowed" : "not allowed")}, " +
        $"restricted instruments {Words(RestrictionList())}, asset-class bands {Words(ClassBandList().Bands)}") +
        (HasTax ? string.Create(CultureInfo.InvariantCulture, $", lot method {LotMethod}, gains budget {GainsBudget}, defer {DeferLongTermWithinDays}, cash only {CashOnly}, harvesting {HarvestEnabled} {HarvestSchedule} {HarvestMinLossPercent}% above {HarvestApprovalAbove}") : "");
}
