using FastRebal.Engine.Approvals;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// An account whose trades wait for an operator (the console's approval queue): the decision that held them, the
/// trades an approval would release (they are sized again at the prices of the moment it is given), what the risk
/// gate would say of them, and the last market day the item stands (null: until decided). A copy made when the
/// account was held, so any thread may read it.
/// </summary>
public sealed record PendingApproval(Decision Decision, IReadOnlyList<Trade> Trades, DateOnly Since, string RiskCheck, DateOnly? LastDay)
{
    /// <summary>Why it waits: illiquid holdings out of band, or a harvest above the account's approval limit.</summary>
    public ApprovalKind Kind => Decision.Rule == DecisionRule.TaxLossHarvest ? ApprovalKind.LargeHarvest : ApprovalKind.IlliquidHoldings;

    /// <summary>The item's id: the account, the day, the kind and the exact trades (as the one-shot queue names its items).</summary>
    public string Id => ApprovalItem.MakeId(Kind, Decision.AccountId, Since, Trades);

    /// <summary>
    /// Whether approving would release anything. An account whose only off-target holdings are illiquid has none:
    /// those are traded by hand, and an operator acknowledges the item instead.
    /// </summary>
    public bool HasTrades => Trades.Count > 0;
}
