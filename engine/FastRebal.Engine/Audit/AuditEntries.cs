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
    internal static AuditEntry Decision(string householdId, Decision decision, string inputHash, AuditFigure? last)
    {
        var builder = new AuditEntryBuilder();
        WriteDecision(builder, householdId, decision, inputHash, last);
        return builder.Build();
    }

    /// <summary>
    /// A decision's record, written to a sink (an entry being built, or the record's encodings straight away): its
    /// figures and its reason as a code and parts (<see cref="AuditReasons"/>), put into words only when read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WriteDecision(IAuditEntrySink sink, string householdId, Decision decision, string inputHash, AuditFigure? last)
    {
        sink.Head(AuditKind.Decision, decision.AccountId, householdId, decision.PolicyId, decision.PolicyVersion, RuleName(decision.Rule));
        var code = AuditReasons.CodeOf(decision, out var why);
        sink.Reason(code);
        sink.StartFigures();
        WriteDecisionFigures(sink, decision);
        AuditReasons.Number(sink, "trades", decision.TradeCount);
        AuditReasons.WriteDecisionParts(sink, decision, code, why);
        if (last is not null)
        {
            sink.Figure(last.Name, last.Value);
        }
        sink.EndFigures();
        sink.Tail(Engine, "", inputHash);
    }

    public static AuditEntry Trade(AccountBook book, int account, Decision decision, Trade trade, string inputHash, TaxedTrade? taxed = null) =>
        Trade(book.HouseholdId(account), decision, trade, inputHash, taxed, null);

    /// <summary>A trade's entry; <paramref name="last"/> is a figure to add after the others (the live engine's batch).</summary>
    internal static AuditEntry Trade(string householdId, Decision decision, Trade trade, string inputHash, TaxedTrade? taxed, AuditFigure? last)
    {
        var builder = new AuditEntryBuilder();
        WriteTrade(builder, householdId, decision, trade, inputHash, taxed, last);
        return builder.Build();
    }

    /// <summary>
    /// A released trade's record, written to a sink: what it trades and its reason as a code and parts, under the
    /// rule and policy of the decision that drove it (whose figures are in the decision's own record, of the same
    /// account and input hash); <paramref name="last"/> is a figure to add after the others.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WriteTrade(IAuditEntrySink sink, string householdId, Decision decision, Trade trade, string inputHash, TaxedTrade? taxed, AuditFigure? last)
    {
        sink.Head(AuditKind.Trade, trade.AccountId, householdId, decision.PolicyId, decision.PolicyVersion, RuleName(decision.Rule));
        var code = AuditReasons.CodeOf(trade);
        sink.Reason(code);
        sink.StartFigures();
        sink.Figure("instrument", trade.InstrumentId);
        sink.Figure("side", trade.Side == TradeSide.Buy ? "Buy" : "Sell");
        AuditReasons.Number(sink, "quantity", trade.Quantity);
        // Every account trading an instrument at a moment trades it at one price: its text is made once.
        sink.Figure("price", (prices ??= new PriceTexts()).Of(trade.Price));
        AuditReasons.WriteTradeParts(sink, trade, code, taxed);
        if (last is not null)
        {
            sink.Figure(last.Name, last.Value);
        }
        sink.EndFigures();
        sink.Tail(Engine, "", inputHash);
    }

    private static readonly string[] RuleNames = [.. Enumerable.Range(0, (int)Enum.GetValues<DecisionRule>().Max() + 1).Select(r => ((DecisionRule)r).ToString())];

    /// <summary>The rule's name, as <see cref="Enum.ToString()"/> spells it, without formatting it each time.</summary>
    private static string RuleName(DecisionRule rule) => (uint)rule < (uint)RuleNames.Length ? RuleNames[(int)rule] : rule.ToString();

    [ThreadStatic]
    private static PriceTexts? prices;

    /// <summary>A price as a trade's figure spells it (invariant, as it is), for the prices seen last.</summary>
    private sealed class PriceTexts
    {
        private readonly (decimal Price, string Text)?[] known = new (decimal, string)?[256];

        public string Of(decimal price)
        {
            var slot = price.GetHashCode() & (known.Length - 1);
            // Equal value, scale and sign: the same digits, so the same text.
            if (known[slot] is { } seen && seen.Price == price && seen.Price.Scale == price.Scale && decimal.IsNegative(seen.Price) == decimal.IsNegative(price))
            {
                return seen.Text;
            }
            var text = price.ToString(C);
            known[slot] = (price, text);
            return text;
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

    /// <summary>
    /// A live fill's tax effect: a sale's relieved lots with their gains and terms, or the lot a buy opened, and the
    /// wash sales the fill caused (each with what it did to the replacement lot).
    /// </summary>
    public static AuditEntry Fill(AccountBook book, int account, TaxedTrade taxed)
    {
        var trade = taxed.Trade;
        var policy = book.Policy(account);
        if (taxed.OpenedLotId is "")
        {
            return FillInWords(book, account, taxed);
        }
        // The fill's tax effect as its figures (code "fill"): the sentence is made when the record is read.
        var sink = new AuditEntryBuilder();
        sink.Head(AuditKind.Fill, trade.AccountId, book.HouseholdId(account), policy.Id, policy.Version, taxed.Source.ToString());
        sink.Reason(AuditReasons.FillCode);
        sink.StartFigures();
        sink.Figure("instrument", trade.InstrumentId);
        sink.Figure("side", trade.Side.ToString());
        AuditReasons.Number(sink, "quantity", trade.Quantity);
        AuditReasons.Number(sink, "price", trade.Price);
        AuditReasons.Number(sink, "shortTermGain", taxed.ShortTermGain);
        AuditReasons.Number(sink, "longTermGain", taxed.LongTermGain);
        sink.Figure("lotOpened", taxed.OpenedLotId ?? "");
        AuditReasons.Number(sink, "washSales", taxed.WashSales.Count);
        AuditReasons.Number(sink, "disallowedLoss", taxed.WashSales.Sum(w => w.DisallowedLoss));
        AuditReasons.WriteFillParts(sink, taxed);
        sink.EndFigures();
        sink.Tail(Engine, "", "");
        return sink.Build();
    }

    /// <summary>The rule of a fill the book refused (a break with the venue: the fill happened, the book does not show it).</summary>
    public const string FillRefusedRule = "FillRefused";

    /// <summary>
    /// A fill the venue reported and the live book refused, with nothing applied: the account has no slot for the
    /// instrument, or the sale is more than it holds. The venue's position and the book's now differ until someone
    /// reconciles them, so the record names the fill, what the book held and why.
    /// </summary>
    public static AuditEntry RefusedFill(AccountBook book, int account, int instrument, TradeSide side, decimal quantity, decimal price, FillOutcome outcome)
    {
        var policy = book.Policy(account);
        var instrumentId = book.Instruments[instrument].Id;
        var slot = book.SlotOf(account, instrument);
        var held = slot < 0 ? 0 : book.Quantities[slot];
        var why = outcome switch
        {
            FillOutcome.NoSlot => $"the account has no holding of {instrumentId} in the book",
            FillOutcome.WouldGoShort => string.Create(C, $"the book holds {held:0.######} {instrumentId}, less than the sale"),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "only a refused fill is recorded as one"),
        };
        return new AuditEntry(AuditKind.Fill, book.AccountId(account), book.HouseholdId(account), policy.Id, policy.Version, FillRefusedRule,
            string.Create(C, $"{side} {quantity:0.######} {instrumentId} filled at {price:0.00####} and refused by the book: {why}; nothing applied, so the venue and the book differ until reconciled"),
            [
                new("instrument", instrumentId),
                new("side", side.ToString()),
                new("quantity", quantity.ToString(C)),
                new("price", price.ToString(C)),
                new("held", held.ToString("R", C)),
                new("outcome", outcome.ToString()),
            ],
            Engine, "", "");
    }

    /// <summary>A fill's record with its sentence, for the one fill a code cannot say (a lot opened with an empty id).</summary>
    private static AuditEntry FillInWords(AccountBook book, int account, TaxedTrade taxed)
    {
        var trade = taxed.Trade;
        var policy = book.Policy(account);
        var opened = taxed.OpenedLotId is { } lot ? $"; opened lot {lot}" : "";
        var washes = taxed.WashSales.Count == 0 ? "" : "; " + string.Join("; ", taxed.WashSales.Select(w => string.Create(C,
            $"wash sale: {w.Quantity:0.######} {w.SoldInstrumentId} sold at a loss in {w.SaleAccountId} on {w.SaleDate:yyyy-MM-dd} (lot {w.SoldLotId}) replaced by {w.ReplacementInstrumentId} bought in {w.ReplacementAccountId} on {w.ReplacementDate:yyyy-MM-dd}: {w.DisallowedLoss:0.00} disallowed, {w.Reason}")));
        var explanation = string.Create(C, $"{trade.Side} {trade.Quantity:0.######} {trade.InstrumentId} filled at {trade.Price:0.00####} ({trade.Notional:#,0.00}) for {taxed.Source}{LotsText(taxed)}{opened}{washes}");
        return new AuditEntry(AuditKind.Fill, trade.AccountId, book.HouseholdId(account), policy.Id, policy.Version, taxed.Source.ToString(), explanation,
            [
                new("instrument", trade.InstrumentId),
                new("side", trade.Side.ToString()),
                new("quantity", trade.Quantity.ToString(C)),
                new("price", trade.Price.ToString(C)),
                new("shortTermGain", taxed.ShortTermGain.ToString(C)),
                new("longTermGain", taxed.LongTermGain.ToString(C)),
                new("lotOpened", taxed.OpenedLotId ?? ""),
                new("washSales", taxed.WashSales.Count.ToString(C)),
                new("disallowedLoss", taxed.WashSales.Sum(w => w.DisallowedLoss).ToString(C)),
            ],
            Engine, "", "");
    }

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteDecisionFigures(IAuditEntrySink sink, Decision d)
    {
        sink.Figure("action", d.Action.ToString());
        AuditReasons.Number(sink, "totalValue", d.TotalValue);
        AuditReasons.Number(sink, "maxAbsDrift", d.MaxAbsDrift);
        AuditReasons.Number(sink, "maxRelativeDrift", d.MaxRelativeDrift);
        AuditReasons.Number(sink, "totalDrift", d.TotalDrift);
        sink.Figure("bandType", d.BandType.ToString());
        AuditReasons.Number(sink, "bandWidth", d.BandWidth);
    }

    internal static string ActionText(DecisionAction action) => action switch
    {
        DecisionAction.NoTrade => "no trade",
        DecisionAction.Rebalance => "rebalance",
        DecisionAction.CashFlow => "invest or raise a cash flow",
        DecisionAction.NeedsApproval => "trades held for an operator's approval",
        DecisionAction.Blocked => "blocked, nothing traded",
        _ => action.ToString(),
    };

    internal static string RuleText(DecisionRule rule) => rule switch
    {
        DecisionRule.BandBreach => "a band breach",
        DecisionRule.AssetClassBandBreach => "an asset-class band breach",
        DecisionRule.CalendarDue => "the calendar",
        DecisionRule.CashFlow => "a cash flow",
        DecisionRule.TaxLossHarvest => "a tax-loss harvest",
        _ => rule.ToString(),
    };
}
