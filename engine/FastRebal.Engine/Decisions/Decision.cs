using FastRebal.Engine.Model;

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
}

/// <summary>
/// One account's decision with everything needed to explain it: the rule that fired, the drift figures the
/// engine saw, the band it compared them with and the policy (id and version) that set the band.
/// </summary>
public sealed record Decision(
    string AccountId,
    DecisionAction Action,
    DecisionRule Rule,
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
    IReadOnlyList<string> Warnings);
