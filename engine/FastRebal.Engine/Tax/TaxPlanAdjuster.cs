using System.Globalization;
using FastRebal.Engine.Batching;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tax;

/// <summary>One account's lots as a decision reads them, wherever they are kept (the one-shot <see cref="LotBook"/>, the live <see cref="LotTable"/>).</summary>
public interface IAccountLots
{
    /// <summary>Whether the account's lots are kept at all (a tracked account's positions may still have none).</summary>
    bool Tracked { get; }

    IReadOnlyList<TaxLot> Lots(string instrumentId);
}

/// <summary>
/// Every account's lots as the wash-sale ledger and the harvest scan read and adjust them, by account id: the
/// one-shot <see cref="LotBook"/> or the live <see cref="LotTable"/> (<see cref="LotTable.Store"/>).
/// </summary>
public interface ILotStore
{
    bool HasAccount(string accountId);

    IReadOnlyList<TaxLot> Lots(string accountId, string instrumentId);

    /// <summary>See <see cref="LotBook.AdjustForWashSale"/>.</summary>
    (TaxLot Adjusted, string? RemainderLotId)? AdjustForWashSale(string accountId, string instrumentId, string lotId, decimal quantity, decimal disallowedLoss, int carriedHoldingDays);

    /// <summary>Whether a lot of the position passes the harvest threshold at <paramref name="price"/> (<see cref="HarvestScanner.IsHarvestable"/>).</summary>
    bool AnyHarvestable(string accountId, string instrumentId, decimal price, HarvestSettings harvest) =>
        Lots(accountId, instrumentId).Any(l => HarvestScanner.IsHarvestable(l, price, harvest));
}

/// <summary>
/// The tax rules over one account's sized plan, for every host: the one-shot run (<see cref="TaxAwareRun"/>) and the
/// live evaluation stage call the same code. Cash-only accounts sell nothing; a substitute held after a harvest counts
/// toward its model instrument; no buy repurchases within 30 days of a household loss sale (a substitute is bought
/// instead, or the cash kept); sells relieve lots by the account's method within its gains budget and deferral
/// (tax-optimal to raise cash); buys are trimmed to keep the reserve. Without a wash-sale ledger (a host that keeps
/// none) the substitute and wash-sale steps are skipped.
/// </summary>
public static class TaxPlanAdjuster
{
    /// <summary>How a sale picks its lots: the account's method, but tax-optimal to raise cash unless the account names its lots.</summary>
    public static LotMethod ReliefMethod(AccountTaxSettings settings, bool raisingCash) =>
        raisingCash && settings.LotMethod != LotMethod.SpecificLots ? LotMethod.TaxOptimal : settings.LotMethod;

    /// <summary>The lots the account names for an instrument (specific-lot method), if any.</summary>
    public static IReadOnlyList<string>? Specific(AccountTaxSettings settings, string instrumentId) =>
        settings.SpecificLots?.GetValueOrDefault(instrumentId);

    /// <summary>
    /// The limits a sale's lots are picked within: the gains budget caps a rebalance's sells while planning (the fill
    /// then sells the planned quantity), and short-term lots about to turn long-term are kept by a rebalance.
    /// </summary>
    public static SellLimits Limits(AccountTaxSettings settings, bool raisingCash, decimal? budget, decimal step) =>
        new(budget, raisingCash ? 0 : settings.DeferLongTermWithinDays, step);

    /// <summary>
    /// Makes one account's plan tax-aware; returns the new decision and plan, and the lots each sell was planned to
    /// relieve. <paramref name="cash"/> is the cash the plan was sized with (flows included). A live book cannot take
    /// an instrument the account has no position for, so there (<paramref name="substitutesInBook"/>) a wash-sale
    /// substitute must be one the account's book already has a place for.
    /// </summary>
    public static (Decision, TradePlan, Dictionary<string, LotSelection>) Adjust(AccountBook book, int a, DateOnly asOf, Decision decision, TradePlan plan, AccountTaxSettings settings,
        decimal cash, decimal netFlow, IAccountLots lots, WashSaleLedger? ledger, bool batched, bool substitutesInBook = false)
    {
        var accountId = book.AccountId(a);
        var policy = book.Policy(a);
        var household = book.HouseholdId(a);
        var notes = new List<string>();
        var selections = new Dictionary<string, LotSelection>(StringComparer.Ordinal);
        // The rules below that change a plan need something to act on; most accounts have none, and skip them whole.
        var householdLosses = ledger is not null && ledger.HasLossSales(household);
        var mayStandIn = ledger is not null && (householdLosses || HoldsOutsideModel(book, a));
        if (!batched && decision.Action == DecisionAction.Rebalance && settings.CashOnly)
        {
            // Only the sign of the flow matters to the cash-flow planner: out raises cash, otherwise cash above the reserve is invested.
            plan = TradeGenerator.CashFlow(AccountSnapshot.From(book, a, cash), netFlow < 0 ? netFlow : 1m);
            notes.Add("cash-only mode: cash above the reserve buys the most underweight positions and nothing is sold");
        }
        else if (!batched && decision.Action is DecisionAction.Rebalance or DecisionAction.NeedsApproval && mayStandIn && SubstituteAware(AccountSnapshot.From(book, a, cash), ledger!, household, asOf) is { } adjusted)
        {
            // The sweep saw the substitute as outside the model; with it counted toward its instrument the account may be in band.
            if (decision.Action == DecisionAction.Rebalance && decision.Rule == DecisionRule.BandBreach && InBand(adjusted.Snapshot))
            {
                var none = new TradePlan { CashBefore = plan.CashBefore, Reserve = plan.Reserve };
                return (decision with
                {
                    Action = DecisionAction.NoTrade, Rule = DecisionRule.WithinBand, TradeCount = 0, Warnings = [],
                    Reason = $"within band once substitutes count toward their model instruments: {adjusted.Note}",
                }, none, selections);
            }
            var regenerated = TradeGenerator.Rebalance(adjusted.Snapshot, TradeGenerator.GoalFor(policy, decision.Rule == DecisionRule.BandBreach), decision.Rule == DecisionRule.CalendarDue ? "calendar" : "band breach");
            if (!regenerated.IsBlocked)
            {
                plan = regenerated;
                notes.Add(adjusted.Note);
            }
        }

        var taxable = policy.TaxStatus == TaxStatus.Taxable;
        decimal StepOf(string id) => HarvestScanner.BuyableFor(book, a, id)?.Step ?? book.Instruments[book.Instruments.IndexOf(id)].LotSize;

        // No repurchase within 30 days of a household loss sale: buy a substitute instead, or keep the cash.
        for (var i = 0; householdLosses && i < plan.Trades.Count; i++)
        {
            var buy = plan.Trades[i];
            if (buy.Side != TradeSide.Buy || ledger!.RecentLossSale(household, buy.InstrumentId, asOf) is not { } lossSale)
            {
                continue;
            }
            var picked = HarvestScanner.PickSubstitute(book, a, buy.InstrumentId, ledger, asOf, substitutesInBook);
            // A plan trades an instrument once: a substitute it already buys takes the shares there, one it sells cannot stand in.
            var same = picked is { } p ? plan.Trades.FindIndex(t => t.InstrumentId == p.Instrument.Id) : -1;
            if (picked is { } sub
                && (same < 0 || plan.Trades[same].Side == TradeSide.Buy)
                && TradeSizing.FloorToStep(buy.Notional / sub.Price, sub.Step) is var quantity and > 0
                && quantity * sub.Price >= policy.MinTradeValue)
            {
                if (same < 0)
                {
                    plan.Trades[i] = new Trade(accountId, sub.Instrument.Id, TradeSide.Buy, quantity, sub.Price, $"{buy.Reason}; wash-sale rule: {lossSale}; bought substitute {sub.Instrument.Symbol} instead");
                }
                else
                {
                    var other = plan.Trades[same];
                    plan.Trades[same] = other with { Quantity = other.Quantity + quantity, Reason = $"{other.Reason}; and in place of {buy.InstrumentId}: wash-sale rule: {lossSale}" };
                    plan.Trades.RemoveAt(i--);
                }
            }
            else
            {
                plan.Trades.RemoveAt(i--);
                plan.Warnings.Add(PlanWarning.InWords($"buy of {buy.InstrumentId} not placed: wash-sale rule: {lossSale}, and no substitute can be bought"));
            }
        }

        // Sells relieve lots: the account's method for a rebalance (within its gains budget and deferral), tax-optimal to raise cash.
        // Without a budget, a deferral or named lots, a sell's lots are the method's first ones, all there (a tracked
        // account's lots sum to its positions): nothing to cut, and the fill picks the same lots.
        if (taxable && lots.Tracked && (settings.GainsBudget is not null || settings.DeferLongTermWithinDays > 0 || settings.LotMethod == LotMethod.SpecificLots))
        {
            var raisingCash = decision.Action == DecisionAction.CashFlow;
            var method = ReliefMethod(settings, raisingCash);
            var budget = raisingCash ? null : settings.GainsBudget;
            var sells = plan.Trades.Where(t => t.Side == TradeSide.Sell && lots.Lots(t.InstrumentId).Count > 0)
                .OrderBy(t => LotSelector.Select(lots.Lots(t.InstrumentId), t.Quantity, t.Price, asOf, method, specificLots: Specific(settings, t.InstrumentId)).Gain / t.Notional)
                .ToList();
            foreach (var sell in sells)
            {
                var limits = Limits(settings, raisingCash, budget, StepOf(sell.InstrumentId));
                var selection = LotSelector.Select(lots.Lots(sell.InstrumentId), sell.Quantity, sell.Price, asOf, method, limits, Specific(settings, sell.InstrumentId));
                if (budget is not null)
                {
                    budget -= selection.Gain;
                }
                if (selection.Quantity > 0)
                {
                    selections[sell.InstrumentId] = selection;
                }
                if (selection.Quantity < sell.Quantity)
                {
                    var index = plan.Trades.IndexOf(sell);
                    notes.Add(Text($"sell of {sell.InstrumentId} cut from {sell.Quantity:0.######} to {selection.Quantity:0.######}: {selection.Note}"));
                    if (selection.Quantity <= 0)
                    {
                        plan.Trades.RemoveAt(index);
                    }
                    else
                    {
                        plan.Trades[index] = sell with { Quantity = selection.Quantity };
                    }
                }
            }
            if (raisingCash && plan.CashAfter < plan.Reserve)
            {
                plan.BlockedReason = Text($"the named lots cannot raise the cash needed ({plan.CashAfter:N2} against a reserve of {plan.Reserve:N2})");
                plan.Trades.Clear();
            }
        }
        BuyTrimmer.KeepReserve(plan, batched ? 0 : policy.MinTradeValue, StepOf);

        if (plan.IsBlocked)
        {
            return (decision with { Action = DecisionAction.Blocked, Rule = DecisionRule.CashReserve, Reason = $"{decision.Reason}; blocked: {plan.BlockedReason}", TradeCount = 0, Warnings = plan.Warnings }, plan, selections);
        }
        var reason = notes.Count == 0 ? decision.Reason : $"{decision.Reason}; {string.Join("; ", notes)}";
        return (decision with { Reason = reason, TradeCount = plan.Trades.Count, Warnings = plan.Warnings }, plan, selections);
    }

    private static bool HoldsOutsideModel(AccountBook book, int a)
    {
        for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
        {
            if (book.Targets[s] == 0 && book.Quantities[s] > 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A substitute held in place of a model instrument (after a harvest) takes that instrument's target up to its own
    /// weight, so a rebalance does not sell it at once and buy back the original inside the wash-sale window. The same
    /// holds when the substitute is itself in the model: a model instrument that cannot be bought back yet (a household
    /// loss sale within 30 days) lends what it is short of its target to a substitute held above its own.
    /// </summary>
    private static (AccountSnapshot Snapshot, string Note)? SubstituteAware(AccountSnapshot snapshot, WashSaleLedger ledger, string household, DateOnly asOf)
    {
        var relations = ledger.Relations;
        if (relations.SubstituteGroups.Count == 0)
        {
            return null;
        }
        var value = snapshot.TotalValue;
        var investable = value - snapshot.ReserveAt(value);
        if (investable <= 0)
        {
            return null;
        }
        var holdings = snapshot.Holdings.ToArray();
        var notes = new List<string>();
        for (var s = 0; s < holdings.Length; s++)
        {
            if (holdings[s].Target != 0 || holdings[s].Quantity <= 0 || !holdings[s].CanSell)
            {
                continue;
            }
            for (var o = 0; o < holdings.Length; o++)
            {
                if (holdings[o].Target > 0 && relations.Substitutes(holdings[o].Instrument.Id).Contains(holdings[s].Instrument.Id, StringComparer.Ordinal))
                {
                    var moved = Math.Min(holdings[s].Value / investable, holdings[o].Target);
                    holdings[s] = holdings[s] with { Target = moved };
                    holdings[o] = holdings[o] with { Target = holdings[o].Target - moved };
                    notes.Add(Text($"{holdings[s].Instrument.Symbol} held as a substitute for {holdings[o].Instrument.Symbol} counts toward its target ({moved:0.00%})"));
                    break;
                }
            }
        }
        for (var o = 0; o < holdings.Length; o++)
        {
            var shortBy = holdings[o].Target - (holdings[o].Value / investable);
            if (holdings[o].Target <= 0 || shortBy <= 0 || ledger.RecentLossSale(household, holdings[o].Instrument.Id, asOf) is null)
            {
                continue;
            }
            for (var s = 0; s < holdings.Length && shortBy > 0; s++)
            {
                var over = (holdings[s].Value / investable) - holdings[s].Target;
                if (s == o || holdings[s].Target <= 0 || over <= 0 || !holdings[s].CanSell
                    || !relations.Substitutes(holdings[o].Instrument.Id).Contains(holdings[s].Instrument.Id, StringComparer.Ordinal))
                {
                    continue;
                }
                var moved = Math.Min(over, shortBy);
                holdings[s] = holdings[s] with { Target = holdings[s].Target + moved };
                holdings[o] = holdings[o] with { Target = holdings[o].Target - moved };
                shortBy -= moved;
                notes.Add(Text($"{holdings[s].Instrument.Symbol} stands in for {holdings[o].Instrument.Symbol} ({moved:0.00%}) until {holdings[o].Instrument.Symbol} can be bought back without a wash sale"));
            }
        }
        return notes.Count == 0 ? null : (new AccountSnapshot { AccountId = snapshot.AccountId, Policy = snapshot.Policy, Cash = snapshot.Cash, Holdings = holdings }, string.Join("; ", notes));
    }

    /// <summary>Whether every liquid holding is inside its band, with weights against investable value as the sweep measures them.</summary>
    private static bool InBand(AccountSnapshot snapshot)
    {
        var value = snapshot.TotalValue;
        var investable = value - snapshot.ReserveAt(value);
        return investable > 0 && snapshot.Holdings.Where(h => h.CanSell)
            .All(h => Math.Abs((h.Value / investable) - h.Target) <= TradeGenerator.Tolerance(snapshot.Policy, h.Target));
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
