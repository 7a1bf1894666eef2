using System.Globalization;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tax;

/// <summary>One planned harvest or swap back: the trades, and the record that explains it.</summary>
public sealed record HarvestPlan(HarvestRecord Record, LotSelection? Sale, IReadOnlyList<Trade> Trades);

/// <summary>
/// The tax-loss harvesting scan over one account: every lot whose unrealized loss passes the account's threshold
/// (percent of basis and minimum amount) is sold and the exposure kept by buying a substitute that is similar but
/// not substantially identical, unless the wash-sale rule forbids it (a substantially identical purchase in the
/// household in the 30 days before) or no substitute can be bought (none configured, restricted, illiquid, or
/// itself sold at a loss in the last 30 days). After the window a substitute can be swapped back. Pure planning:
/// the caller applies the plans it releases to the lot book and the ledger.
/// </summary>
public static class HarvestScanner
{
    /// <summary>Whether a harvest scheduled <paramref name="schedule"/> is due on <paramref name="today"/>, the trading day after <paramref name="previous"/>.</summary>
    public static bool IsDue(HarvestSchedule schedule, DateOnly previous, DateOnly today) => previous == default || schedule switch
    {
        HarvestSchedule.Daily => true,
        HarvestSchedule.Weekly => today.DayNumber - (int)today.DayOfWeek != previous.DayNumber - (int)previous.DayOfWeek,
        HarvestSchedule.Monthly => Decisions.RebalanceRules.PeriodKey(CalendarSchedule.Monthly, today) != Decisions.RebalanceRules.PeriodKey(CalendarSchedule.Monthly, previous),
        HarvestSchedule.Quarterly => Decisions.RebalanceRules.PeriodKey(CalendarSchedule.Quarterly, today) != Decisions.RebalanceRules.PeriodKey(CalendarSchedule.Quarterly, previous),
        _ => false,
    };

    /// <param name="heldInBook">When set, only substitutes the account's book can hold are bought (a daily cycle applies the fills to the book).</param>
    public static List<HarvestPlan> Scan(AccountBook book, int account, DateOnly asOf, AccountTaxSettings settings, ILotStore lots, WashSaleLedger ledger, bool heldInBook = false)
    {
        var plans = new List<HarvestPlan>();
        var policy = book.Policy(account);
        var harvest = settings.Harvest;
        if (!harvest.Enabled || policy.TaxStatus != TaxStatus.Taxable)
        {
            return plans;
        }
        var accountId = book.AccountId(account);
        var household = book.HouseholdId(account);
        if (!lots.HasAccount(accountId))
        {
            return plans;
        }
        var holdings = Holdings(book, account);
        var planned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var h in holdings)
        {
            // Most positions have no lot past the threshold: asked first, so their lots are not read out at all.
            if (h.Quantity <= 0 || !lots.AnyHarvestable(accountId, h.Instrument.Id, h.Price, harvest))
            {
                continue;
            }
            var instrumentLots = lots.Lots(accountId, h.Instrument.Id);
            var losers = instrumentLots.Where(l => IsHarvestable(l, h.Price, harvest)).ToList();
            if (losers.Count == 0)
            {
                continue;
            }
            var sale = LotSelector.Select(instrumentLots, losers.Sum(l => l.Quantity), h.Price, asOf, LotMethod.SpecificLots, specificLots: [.. losers.Select(l => l.Id)]);
            var (stLoss, ltLoss) = (-sale.ShortTermGain, -sale.LongTermGain);
            var saved = (stLoss * settings.ShortTermTaxRate) + (ltLoss * settings.LongTermTaxRate);
            HarvestRecord Record(HarvestStatus status, string reason, string? substitute = null, decimal substituteQuantity = 0) => new(
                asOf, accountId, household, policy.Id, policy.Version, status, h.Instrument.Id, [.. losers.Select(l => l.Id)], sale.Quantity,
                stLoss, ltLoss, substitute, substituteQuantity, status == HarvestStatus.Skipped ? 0 : saved, reason);

            if (!h.CanSell)
            {
                plans.Add(new(Record(HarvestStatus.Skipped, $"{h.Instrument.Symbol} is illiquid and is never sold automatically"), null, []));
                continue;
            }
            if (ledger.RecentReplacementBuy(household, accountId, h.Instrument.Id, asOf, [.. losers.Select(l => l.Id)]) is { } washBuy)
            {
                plans.Add(new(Record(HarvestStatus.Skipped, $"wash-sale rule: {washBuy} within 30 days before; the loss would be disallowed"), null, []));
                continue;
            }
            var substitute = PickSubstitute(book, account, h.Instrument.Id, ledger, asOf, heldInBook);
            if (substitute is not { } sub)
            {
                plans.Add(new(Record(HarvestStatus.Skipped, $"no substitute for {h.Instrument.Symbol} can be bought (none configured, restricted, illiquid, unpriced, or itself sold at a loss within 30 days)"), null, []));
                continue;
            }
            var proceeds = sale.Quantity * h.Price;
            var buyQuantity = TradeSizing.FloorToStep(proceeds / sub.Price, sub.Step);
            if (buyQuantity <= 0)
            {
                plans.Add(new(Record(HarvestStatus.Skipped, Text($"the proceeds {proceeds:N2} do not buy one lot of {sub.Instrument.Symbol}")), null, []));
                continue;
            }
            planned.Add(sub.Instrument.Id);
            var reason = Text($"tax-loss harvest: {h.Instrument.Symbol} lots {string.Join(", ", losers.Select(l => l.Id))} at a loss of {stLoss + ltLoss:N2} (short-term {stLoss:N2}, long-term {ltLoss:N2}); exposure kept in {sub.Instrument.Symbol}; estimated tax saved {saved:N2}");
            var status = harvest.ApprovalAbove is { } limit && stLoss + ltLoss > limit ? HarvestStatus.PendingApproval : HarvestStatus.Harvested;
            if (status == HarvestStatus.PendingApproval)
            {
                reason += Text($"; the loss is above the approval limit {harvest.ApprovalAbove:N2}");
            }
            plans.Add(new(Record(status, reason, sub.Instrument.Id, buyQuantity), sale,
            [
                new Trade(accountId, h.Instrument.Id, TradeSide.Sell, sale.Quantity, h.Price, reason),
                new Trade(accountId, sub.Instrument.Id, TradeSide.Buy, buyQuantity, sub.Price, Text($"harvest substitute for {h.Instrument.Symbol}")),
            ]));
        }
        if (harvest.SwapBack)
        {
            plans.AddRange(SwapBacks(book, account, asOf, settings, lots, ledger, holdings, planned));
        }
        return plans;
    }

    /// <summary>A lot worth harvesting: its loss is at least the percentage of its basis and at least the minimum amount.</summary>
    public static bool IsHarvestable(TaxLot lot, decimal price, HarvestSettings harvest)
    {
        var loss = -lot.UnrealizedGain(price);
        return loss > 0 && loss >= harvest.MinLossAmount && lot.CostBasis > 0 && loss >= lot.CostBasis * (decimal)harvest.MinLossPercent;
    }

    private static IEnumerable<HarvestPlan> SwapBacks(AccountBook book, int account, DateOnly asOf, AccountTaxSettings settings, ILotStore lots, WashSaleLedger ledger, List<Holding> holdings, HashSet<string> planned)
    {
        var policy = book.Policy(account);
        var accountId = book.AccountId(account);
        var household = book.HouseholdId(account);
        foreach (var held in holdings.Where(h => h.Target == 0 && h.Quantity > 0 && h.CanSell && !planned.Contains(h.Instrument.Id)))
        {
            var original = holdings.FirstOrDefault(o => o.Target > 0 && o.CanBuy && ledger.Relations.Substitutes(o.Instrument.Id).Contains(held.Instrument.Id, StringComparer.Ordinal));
            if (original.Instrument is null)
            {
                continue;
            }
            HarvestRecord Record(HarvestStatus status, string reason, decimal quantity = 0, LotSelection? sale = null) => new(
                asOf, accountId, household, policy.Id, policy.Version, status, held.Instrument.Id, sale?.Reliefs.Select(r => r.LotId).ToList() ?? [],
                quantity, 0, 0, original.Instrument.Id, 0, 0, reason);
            if (ledger.RecentLossSale(household, original.Instrument.Id, asOf) is { } open)
            {
                yield return new(Record(HarvestStatus.Skipped, $"swap back waits: {open}"), null, []);
                continue;
            }
            var heldLots = lots.Lots(accountId, held.Instrument.Id);
            var sale = LotSelector.Select(heldLots, held.Quantity, held.Price, asOf, LotMethod.TaxOptimal);
            if (sale.Shortfall > 0 || sale.Gain > settings.Harvest.SwapBackMaxGain)
            {
                yield return new(Record(HarvestStatus.Skipped, Text($"swap back of {held.Instrument.Symbol} would realize {sale.Gain:N2}, more than the allowed {settings.Harvest.SwapBackMaxGain:N2}")), null, []);
                continue;
            }
            if (sale.Gain < 0 && ledger.RecentReplacementBuy(household, accountId, held.Instrument.Id, asOf, [.. sale.Reliefs.Select(r => r.LotId)]) is { } washBuy)
            {
                yield return new(Record(HarvestStatus.Skipped, $"swap back waits: selling at a loss would be a wash sale ({washBuy})"), null, []);
                continue;
            }
            var buyQuantity = TradeSizing.FloorToStep(sale.Quantity * held.Price / original.Price, original.Step);
            var reason = Text($"swap back after the wash-sale window: {held.Instrument.Symbol} -> {original.Instrument.Symbol}, realizing {sale.Gain:N2}");
            yield return new(Record(HarvestStatus.SwappedBack, reason, sale.Quantity, sale) with { SubstituteQuantity = buyQuantity }, sale,
            [
                new Trade(accountId, held.Instrument.Id, TradeSide.Sell, sale.Quantity, held.Price, reason),
                new Trade(accountId, original.Instrument.Id, TradeSide.Buy, buyQuantity, original.Price, reason),
            ]);
        }
    }

    /// <summary>A buyable instrument's price and step for an account, if it can be bought at all.</summary>
    public readonly record struct Buyable(Instrument Instrument, decimal Price, decimal Step);

    /// <summary>The first substitute of <paramref name="instrumentId"/> the account may buy today without a wash sale.</summary>
    public static Buyable? PickSubstitute(AccountBook book, int account, string instrumentId, WashSaleLedger ledger, DateOnly asOf, bool heldInBook = false)
    {
        foreach (var candidate in ledger.Relations.Substitutes(instrumentId))
        {
            if (heldInBook && !HasSlot(book, account, candidate))
            {
                continue;
            }
            if (BuyableFor(book, account, candidate) is { } buyable && ledger.RecentLossSale(book.HouseholdId(account), candidate, asOf) is null)
            {
                return buyable;
            }
        }
        return null;
    }

    private static bool HasSlot(AccountBook book, int account, string instrumentId)
    {
        for (var s = book.SlotStart[account]; s < book.SlotStart[account + 1]; s++)
        {
            if (book.Instruments[book.InstrumentIndices[s]].Id == instrumentId)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether the account may buy the instrument (known, priced, liquid, not restricted), with its price and step.</summary>
    public static Buyable? BuyableFor(AccountBook book, int account, string instrumentId)
    {
        if (!book.Instruments.TryGetIndex(instrumentId, out var index))
        {
            return null;
        }
        var instrument = book.Instruments[index];
        var policy = book.Policy(account);
        var price = book.Prices[index];
        if (!instrument.Liquid || instrument.Restricted || (policy.RestrictedInstruments?.Contains(instrumentId, StringComparer.Ordinal) ?? false)
            || !double.IsFinite(price) || price <= 0)
        {
            return null;
        }
        var step = AccountSnapshot.StepOf(policy, instrument);
        return new Buyable(instrument, (decimal)price, step);
    }

    private static List<Holding> Holdings(AccountBook book, int account) => [.. AccountSnapshot.From(book, account).Holdings];

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
