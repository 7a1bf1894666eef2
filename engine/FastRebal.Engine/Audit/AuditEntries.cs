using System.Globalization;
using System.Runtime.CompilerServices;
using FastRebal.Engine.Approvals;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Runs;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Audit;

/// <summary>
/// Turns what the engine decided into audit entries: the same sentences the run reports use, and the figures behind
/// them. Any host (the CLI, the live pipeline, the console) builds its entries here so records read alike.
/// </summary>
public static class AuditEntries
{
    public const string Engine = "engine";

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static AuditEntry Decision(AccountBook book, int account, Decision decision, string inputHash) =>
        Decision(book.HouseholdId(account), decision, inputHash, null);

    /// <summary>A decision's entry; <paramref name="last"/> is a figure to add after the others (the live engine's batch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static AuditEntry Decision(string householdId, Decision decision, string inputHash, AuditFigure? last)
    {
        var warnings = decision.Warnings.Count > 0 ? $" (warnings: {string.Join("; ", decision.Warnings)})" : "";
        var figures = new List<AuditFigure>(DecisionFigureCount + 2);
        AddDecisionFigures(figures, decision);
        figures.Add(new("trades", decision.TradeCount.ToString(C)));
        AddLast(figures, last);
        return new AuditEntry(AuditKind.Decision, decision.AccountId, householdId, decision.PolicyId, decision.PolicyVersion,
            decision.Rule.ToString(), $"{ActionText(decision.Action)}: {decision.Reason}{warnings}", figures, Engine, "", inputHash);
    }

    public static AuditEntry Trade(AccountBook book, int account, Decision decision, Trade trade, string inputHash, TaxedTrade? taxed = null) =>
        Trade(book.HouseholdId(account), decision, DecisionFigures(decision), trade, inputHash, taxed, null);

    /// <summary>
    /// A released trade's entry, given the figures of the decision that drove it (<see cref="DecisionFigures"/>: the
    /// same for each of its trades); <paramref name="last"/> is a figure to add after the others.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static AuditEntry Trade(string householdId, Decision decision, IReadOnlyList<AuditFigure> decisionFigures, Trade trade, string inputHash,
        TaxedTrade? taxed, AuditFigure? last)
    {
        var explanation = string.Create(C, $"{trade.Side} {trade.Quantity:0.######} {trade.InstrumentId} at {trade.Price:0.00####} ({trade.Notional:#,0.00}) for {RuleText(decision.Rule)}: {trade.Reason}{LotsText(taxed)}");
        var figures = new List<AuditFigure>(5 + decisionFigures.Count + 1)
        {
            new("instrument", trade.InstrumentId),
            new("side", trade.Side.ToString()),
            new("quantity", trade.Quantity.ToString(C)),
            new("price", trade.Price.ToString(C)),
            new("notional", trade.Notional.ToString(C)),
        };
        figures.AddRange(decisionFigures);
        AddLast(figures, last);
        return new AuditEntry(AuditKind.Trade, trade.AccountId, householdId, decision.PolicyId, decision.PolicyVersion,
            decision.Rule.ToString(), explanation, figures, Engine, "", inputHash);
    }

    private static void AddLast(List<AuditFigure> figures, AuditFigure? last)
    {
        if (last is not null)
        {
            figures.Add(last);
        }
    }

    /// <summary>A trade of a harvest scan (the loss sale, the substitute buy, a swap back): no drift decision drove it, the harvest did.</summary>
    public static AuditEntry HarvestTrade(AccountBook book, int account, TaxedTrade taxed, string inputHash)
    {
        var trade = taxed.Trade;
        var policy = book.Policy(account);
        var what = taxed.Source == TradeSource.SwapBack ? "a swap back after the wash-sale window" : "a tax-loss harvest";
        var explanation = string.Create(C, $"{trade.Side} {trade.Quantity:0.######} {trade.InstrumentId} at {trade.Price:0.00####} ({trade.Notional:#,0.00}) because of {what}: {trade.Reason}{LotsText(taxed)}");
        return new AuditEntry(AuditKind.Trade, trade.AccountId, book.HouseholdId(account), policy.Id, policy.Version, taxed.Source.ToString(), explanation,
            [
                new("instrument", trade.InstrumentId),
                new("side", trade.Side.ToString()),
                new("quantity", trade.Quantity.ToString(C)),
                new("price", trade.Price.ToString(C)),
                new("notional", trade.Notional.ToString(C)),
                new("shortTermGain", taxed.ShortTermGain.ToString(C)),
                new("longTermGain", taxed.LongTermGain.ToString(C)),
            ],
            Engine, "", inputHash);
    }

    private static string LotsText(TaxedTrade? taxed) => taxed is { Lots.Count: > 0 }
        ? "; lots relieved: " + string.Join(", ", taxed.Lots.Select(l => string.Create(C, $"{l.LotId} {l.Quantity:0.######} (gain {l.Gain:0.00}, {l.Term})")))
        : "";

    public static AuditEntry Harvest(HarvestRecord harvest, string inputHash) => new(
        AuditKind.Harvest, harvest.AccountId, harvest.HouseholdId, harvest.PolicyId, harvest.PolicyVersion, harvest.Status.ToString(),
        $"{harvest.Status}: {harvest.Reason}",
        [
            new("instrument", harvest.InstrumentId),
            new("lots", string.Join(",", harvest.LotIds)),
            new("quantity", harvest.Quantity.ToString(C)),
            new("shortTermLoss", harvest.ShortTermLoss.ToString(C)),
            new("longTermLoss", harvest.LongTermLoss.ToString(C)),
            new("substitute", harvest.SubstituteId ?? ""),
            new("substituteQuantity", harvest.SubstituteQuantity.ToString(C)),
            new("estimatedTaxSaved", harvest.EstimatedTaxSaved.ToString(C)),
            new("approvalId", harvest.ApprovalId ?? ""),
        ],
        Engine, "", inputHash);

    /// <summary>An approval item submitted by the engine, or approved or rejected by an operator (who and why).</summary>
    public static AuditEntry Approval(ApprovalAuditRecord approval, string householdId = "", string inputHash = "") => new(
        AuditKind.Approval, approval.AccountId, householdId, approval.PolicyId, approval.PolicyVersion, approval.Action,
        approval.Action == "submitted"
            ? $"approval item {approval.ItemId} submitted for an operator: {approval.Why}"
            : $"approval item {approval.ItemId} {approval.Action} by {approval.Who}: {approval.Why}",
        [new("item", approval.ItemId), new("decidedAt", approval.When.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", C))],
        approval.Who, approval.Action == "submitted" ? "" : approval.Why, inputHash);

    /// <summary>An operator's action (kill switch, breaker release, threshold or model change, approval from the console).</summary>
    public static AuditEntry OperatorAction(string action, string who, string why, string explanation, IReadOnlyList<AuditFigure>? figures = null,
        string accountId = "", string householdId = "", InvestmentPolicy? policy = null) => new(
        AuditKind.OperatorAction, accountId, householdId, policy?.Id ?? "", policy?.Version ?? 0, action, explanation, figures ?? [], who, why, "");

    /// <summary>A plan or order the risk gate refused, with its reason code and the limit and value it compared.</summary>
    public static AuditEntry RiskRejection(string accountId, string householdId, InvestmentPolicy? policy, string reasonCode, string explanation,
        IReadOnlyList<AuditFigure> figures, string inputHash = "") => new(
        AuditKind.RiskRejection, accountId, householdId, policy?.Id ?? "", policy?.Version ?? 0, reasonCode, explanation, figures, Engine, "", inputHash);

    /// <summary>
    /// Appends a one-shot run: a record per account decision, then one per released trade of that account, each
    /// carrying the account's input hash (computed before the run with <see cref="AuditInputs.HashAll"/>).
    /// </summary>
    public static int AppendRun(AuditChain chain, AccountBook book, RunResult run, IReadOnlyList<string> inputHashes, IEnumerable<TaxedTrade>? taxedTrades = null)
    {
        var taxed = new Dictionary<Trade, TaxedTrade>(ReferenceEqualityComparer.Instance);
        foreach (var t in taxedTrades ?? [])
        {
            taxed.TryAdd(t.Trade, t);
        }
        var appended = 0;
        for (var a = 0; a < run.Decisions.Count; a++)
        {
            var decision = run.Decisions[a];
            chain.Append(Decision(book, a, decision, inputHashes[a]));
            appended++;
            if (run.Plans[a] is { IsBlocked: false } plan && decision.Action is DecisionAction.Rebalance or DecisionAction.CashFlow)
            {
                foreach (var trade in plan.Trades)
                {
                    chain.Append(Trade(book, a, decision, trade, inputHashes[a], taxed.GetValueOrDefault(trade)));
                    appended++;
                }
            }
        }
        return appended;
    }

    /// <summary>The figures of a decision that its entry and each of its trades' entries carry, in their fixed order.</summary>
    internal static AuditFigure[] DecisionFigures(Decision d)
    {
        var figures = new List<AuditFigure>(DecisionFigureCount);
        AddDecisionFigures(figures, d);
        return [.. figures];
    }

    private const int DecisionFigureCount = 7;

    private static void AddDecisionFigures(List<AuditFigure> figures, Decision d)
    {
        figures.Add(new("action", d.Action.ToString()));
        figures.Add(new("totalValue", d.TotalValue.ToString("R", C)));
        figures.Add(new("maxAbsDrift", d.MaxAbsDrift.ToString("R", C)));
        figures.Add(new("maxRelativeDrift", d.MaxRelativeDrift.ToString("R", C)));
        figures.Add(new("totalDrift", d.TotalDrift.ToString("R", C)));
        figures.Add(new("bandType", d.BandType.ToString()));
        figures.Add(new("bandWidth", d.BandWidth.ToString("R", C)));
    }

    private static string ActionText(DecisionAction action) => action switch
    {
        DecisionAction.NoTrade => "no trade",
        DecisionAction.Rebalance => "rebalance",
        DecisionAction.CashFlow => "invest or raise a cash flow",
        DecisionAction.NeedsApproval => "trades held for an operator's approval",
        DecisionAction.Blocked => "blocked, nothing traded",
        _ => action.ToString(),
    };

    private static string RuleText(DecisionRule rule) => rule switch
    {
        DecisionRule.BandBreach => "a band breach",
        DecisionRule.AssetClassBandBreach => "an asset-class band breach",
        DecisionRule.CalendarDue => "the calendar",
        DecisionRule.CashFlow => "a cash flow",
        _ => rule.ToString(),
    };
}
