using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tax;

/// <summary>What applying one fill's tax effect did, for a host's counters.</summary>
/// <param name="LotShortfall">A sale found fewer lots than shares (the lots did not follow the position).</param>
public readonly record struct FillTaxOutcome(TaxedTrade? Trade, bool LotOpened, bool LotSold, bool LotShortfall);

/// <summary>
/// A fill's tax effect, the same for the live engine and a backtest: a taxable account's buy opens a lot at the fill
/// price and its sale relieves lots by its method (tax-optimal when raising cash) within its deferral, or the lots a
/// harvest chose; should the deferral keep back shares, the rest comes from the kept lots, so lots always follow the
/// position. Every buy and loss sale of every account goes through the household's wash-sale ledger.
/// </summary>
public static class FillTaxes
{
    /// <summary>Applies one fill of <paramref name="quantity"/> shares at <paramref name="price"/> to the lots and the ledger.</summary>
    /// <param name="harvestedLots">The lots a harvest sells (relieved as specific lots); null for any other trade.</param>
    public static FillTaxOutcome Apply(TaxBook tax, AccountBook book, int a, DateOnly day, int instrument, TradeSide side, decimal quantity, decimal price,
        TradeSource source, bool raisingCash, IReadOnlyList<string>? harvestedLots)
    {
        var lots = tax.Lots;
        var deferred = book.Policy(a).TaxStatus == TaxStatus.TaxDeferred;
        var tracked = !deferred && lots.IsTracked(a);
        var accountId = book.AccountId(a);
        var household = book.HouseholdId(a);
        var instrumentId = book.Instruments[instrument].Id;
        var slot = lots.SlotOf(a, instrument);
        var filled = new Trade(accountId, instrumentId, side, quantity, price, "fill");
        if (side == TradeSide.Buy)
        {
            var opened = tracked ? lots.Open(slot, day, quantity, price) : null;
            var washes = tax.Ledger.RecordBuy(household, accountId, deferred, instrumentId, day, quantity, opened?.Id, source);
            return new(new TaxedTrade(filled, source, [], opened?.Id, washes), opened is not null, false, false);
        }
        if (!tracked || lots.LotCount(slot) == 0)
        {
            return new(null, false, false, tracked);
        }
        var (selection, method) = SelectLots(tax, book, a, slot, instrument, quantity, price, day, raisingCash, harvestedLots);
        lots.Relieve(a, slot, selection);
        var reliefs = selection.Reliefs;
        var shortfall = false;
        if (selection.Shortfall > 0)
        {
            var rest = LotSelector.Select(lots.Lots(slot), selection.Shortfall, price, day, method == LotMethod.SpecificLots ? LotMethod.Fifo : method);
            lots.Relieve(a, slot, rest);
            reliefs = [.. reliefs, .. rest.Reliefs];
            shortfall = rest.Shortfall > 0;
        }
        var sold = tax.Ledger.RecordSale(household, accountId, instrumentId, day, reliefs);
        return new(new TaxedTrade(filled, source, reliefs, null, sold), false, true, shortfall);
    }

    /// <summary>
    /// The lots a sale relieves: for a harvest the lots it found at a loss, otherwise by the account's method
    /// (tax-optimal when raising cash) within its deferral.
    /// </summary>
    public static (LotSelection Selection, LotMethod Method) SelectLots(TaxBook tax, AccountBook book, int a, int slot, int instrument, decimal quantity, decimal price,
        DateOnly day, bool raisingCash, IReadOnlyList<string>? harvestedLots)
    {
        var settings = tax.Settings(a);
        var method = harvestedLots is not null ? LotMethod.SpecificLots : TaxPlanAdjuster.ReliefMethod(settings, raisingCash);
        var selection = LotSelector.Select(tax.Lots.Lots(slot), quantity, price, day, method,
            harvestedLots is not null ? SellLimits.None : TaxPlanAdjuster.Limits(settings, raisingCash, budget: null, step: 1m),
            harvestedLots ?? TaxPlanAdjuster.Specific(settings, book.Instruments[instrument].Id));
        return (selection, method);
    }
}
