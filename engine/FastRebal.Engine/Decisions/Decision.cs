using System.Globalization;
using System.Text.Json.Serialization;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Decisions;

/// <summary>What the engine does with an account this run.</summary>
public enum DecisionAction
{
    /// <summary>Nothing to do (the reason says why).</summary>
    NoTrade,

    /// <summary>A full rebalance: trades released.</summary>
    Rebalance,

    /// <summary>Only a cash flow is invested or raised; nothing else is sold or bought.</summary>
    CashFlow,

    /// <summary>Trades were computed but wait for an operator (illiquid holdings out of band).</summary>
    NeedsApproval,

    /// <summary>The account cannot trade safely; nothing is released and its state is unchanged.</summary>
    Blocked,
}

/// <summary>The rule behind a decision, so reports can be filtered and counted by cause.</summary>
public enum DecisionRule
{
    WithinBand,
    BandBreach,
    AssetClassBandBreach,
    CalendarDue,
    CalendarNotDue,
    MinDaysBetweenRebalances,
    CashFlow,
    NoInvestableValue,
    IlliquidOutOfBand,
    CashReserve,
    WithdrawalNotCovered,

    /// <summary>A tax-loss harvest or swap back the live engine's scheduled scan placed.</summary>
    TaxLossHarvest,
}

/// <summary>
/// One account's decision with everything needed to explain it: the rule that fired, the drift figures the
/// engine saw, the band it compared them with and the policy (id and version) that set the band. A decision the
/// engine takes keeps its reason as a <see cref="DecisionReason"/> and puts it into words the first time
/// <see cref="Reason"/> is read.
/// </summary>
public sealed record Decision(
    [property: JsonPropertyOrder(-1)] string AccountId,
    [property: JsonPropertyOrder(-1)] DecisionAction Action,
    [property: JsonPropertyOrder(-1)] DecisionRule Rule,
    string Reason,
    double TotalValue,
    double MaxAbsDrift,
    double MaxRelativeDrift,
    double TotalDrift,
    BandType BandType,
    double BandWidth,
    string PolicyId,
    int PolicyVersion,
    int TradeCount,
    IReadOnlyList<PlanWarning> Warnings)
{
    private readonly DecisionReason why;
    private string? reason = Reason;

    // Set when the reason was given in words (by the constructor or an init) rather than kept as its parts.
    private readonly bool inWords = Reason is not null;

    internal Decision(string accountId, DecisionAction action, DecisionRule rule, DecisionReason why, double totalValue, double maxAbsDrift,
        double maxRelativeDrift, double totalDrift, BandType bandType, double bandWidth, string policyId, int policyVersion, int tradeCount,
        IReadOnlyList<PlanWarning> warnings)
        : this(accountId, action, rule, null!, totalValue, maxAbsDrift, maxRelativeDrift, totalDrift, bandType, bandWidth, policyId, policyVersion, tradeCount, warnings)
    {
        this.why = why;
    }

    /// <summary>Why, in words (see <see cref="DecisionReason"/>).</summary>
    [JsonPropertyOrder(-1)]
    public string Reason
    {
        get => reason ??= why.ToString();
        init => (reason, inWords) = (value, true);
    }

    /// <summary>The reason as its parts, or null when it was given in words (read <see cref="Reason"/> then).</summary>
    internal DecisionReason? Why => inWords ? null : why;

    // Two decisions are equal when they read the same, however their reasons were kept; one is equal to itself
    // without putting its reason into words.
    public bool Equals(Decision? other) =>
        ReferenceEquals(this, other) || (other is not null && AccountId == other.AccountId && Action == other.Action && Rule == other.Rule &&
        TotalValue.Equals(other.TotalValue) && MaxAbsDrift.Equals(other.MaxAbsDrift) && MaxRelativeDrift.Equals(other.MaxRelativeDrift) &&
        TotalDrift.Equals(other.TotalDrift) && BandType == other.BandType && BandWidth.Equals(other.BandWidth) && PolicyId == other.PolicyId &&
        PolicyVersion == other.PolicyVersion && TradeCount == other.TradeCount && ReferenceEquals(Warnings, other.Warnings) && Reason == other.Reason);

    public override int GetHashCode() => HashCode.Combine(AccountId, Action, Rule, Reason, TotalValue, MaxAbsDrift, PolicyId, PolicyVersion);
}

/// <summary>
/// A decision's reason as the parts it is made of: what the IPS trigger found, how the decision built on it (to
/// target, back to the band edge, a cash flow), and what the trade plan added (blocked, held for approval, nothing
/// large enough to place). Put into words only when read, so deciding an account formats no text.
/// </summary>
public readonly struct DecisionReason
{
    private enum Form : byte
    {
        Text,
        NoInvestableValue,
        Trigger,
        Rebalance,
        CashFlow,
    }

    private readonly Form form;
    private readonly TriggerOutcome outcome;

    /// <summary>The parts a reason is made of, to be recorded and put into words again when read (see Audit.AuditReasons).</summary>
    internal enum Kind : byte
    {
        Words = Form.Text,
        NoInvestableValue = Form.NoInvestableValue,
        Trigger = Form.Trigger,
        Rebalance = Form.Rebalance,
        CashFlow = Form.CashFlow,
    }

    internal Kind Shape => (Kind)form;

    internal TriggerOutcome Outcome => outcome;

    internal RebalanceMode Goal => goal;

    internal double AccountValue => accountValue;

    internal decimal NetFlow => netFlow;

    internal string? Text => text;

    internal string? BlockedBecause => blocked;

    internal string? HeldBecause => approval;

    internal bool NoTradePlaced => nothingPlaced;
    private readonly RebalanceMode goal;
    private readonly bool nothingPlaced;
    private readonly double accountValue;
    private readonly decimal netFlow;
    private readonly string? text;
    private readonly string? blocked;
    private readonly string? approval;

    private DecisionReason(Form form, TriggerOutcome outcome = default, RebalanceMode goal = RebalanceMode.ToTarget, double accountValue = 0, decimal netFlow = 0, string? text = null,
        string? blocked = null, string? approval = null, bool nothingPlaced = false)
    {
        (this.form, this.outcome, this.goal, this.accountValue, this.netFlow, this.text) = (form, outcome, goal, accountValue, netFlow, text);
        (this.blocked, this.approval, this.nothingPlaced) = (blocked, approval, nothingPlaced);
    }

    /// <summary>A reason already in words.</summary>
    public static DecisionReason Words(string text) => new(Form.Text, text: text);

    /// <summary>The account's value is all cash reserve.</summary>
    public static DecisionReason NoInvestableValue(double accountValue) => new(Form.NoInvestableValue, accountValue: accountValue);

    /// <summary>What the trigger found, and nothing more (no trade).</summary>
    public static DecisionReason Trigger(TriggerOutcome outcome) => new(Form.Trigger, outcome);

    /// <summary>A rebalance the trigger called for, to target, back to the band edge or halfway back.</summary>
    public static DecisionReason Rebalance(TriggerOutcome outcome, RebalanceMode goal) => new(Form.Rebalance, outcome, goal);

    /// <summary>Only the net cash flow is invested or raised.</summary>
    public static DecisionReason CashFlow(TriggerOutcome outcome, decimal netFlow) => new(Form.CashFlow, outcome, netFlow: netFlow);

    /// <summary>The plan was blocked, for the plan's reason.</summary>
    public DecisionReason Blocked(string? planReason) => new(form, outcome, goal, accountValue, netFlow, text, planReason ?? "", approval, nothingPlaced);

    /// <summary>The plan waits for an operator, for the plan's reason.</summary>
    public DecisionReason HeldForApproval(string planReason) => new(form, outcome, goal, accountValue, netFlow, text, blocked, planReason, nothingPlaced);

    /// <summary>A rebalance whose trades were all too small to place.</summary>
    public DecisionReason NothingPlaced() => new(form, outcome, goal, accountValue, netFlow, text, blocked, approval, nothingPlaced: true);

    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var words = form switch
        {
            Form.NoInvestableValue => string.Create(c, $"account value {accountValue:N2} is all cash reserve; nothing to invest"),
            Form.Trigger => outcome.Reason,
            Form.Rebalance => outcome.Reason + goal switch
            {
                RebalanceMode.ToBandEdge => "; back to band edge",
                RebalanceMode.Halfway => "; halfway back to target",
                _ => "; to target",
            },
            Form.CashFlow => string.Create(c, $"net cash flow {netFlow:+#,0.00;-#,0.00;0.00}; {outcome.Reason}"),
            _ => text ?? "",
        };
        if (blocked is not null)
        {
            return $"{words}; blocked: {blocked}";
        }
        if (approval is not null)
        {
            return $"{words}; {approval}";
        }
        return nothingPlaced ? words + "; no trade was large enough to place" : words;
    }
}
