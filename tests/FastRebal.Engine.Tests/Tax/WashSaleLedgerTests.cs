using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>
/// Every wash-sale case, worked by hand. Household H has taxable accounts T1 and T2 and an IRA. T1's old lot O:
/// 100 SPY bought 2024-01-02 for 12,000 (120/sh), sold on 2025-06-30 at 100: a loss of 20/sh, 2,000 in all, held
/// 545 days (2024-01-02 to 2025-06-30).
/// </summary>
public class WashSaleLedgerTests
{
    private static readonly DateOnly SaleDate = new(2025, 6, 30);

    private readonly LotBook lots = new();
    private readonly WashSaleLedger ledger;

    public WashSaleLedgerTests()
    {
        lots.AddAccount("T1", [new TaxLot("O", "SPY", new(2024, 1, 2), 100, 12_000)]);
        lots.AddAccount("T2", []);
        ledger = new WashSaleLedger(new InstrumentRelations([["SPY", "VTI"]], [["SPY", "IVV"]]), lots);
    }

    private TaxLot Buy(string account, DateOnly date, decimal quantity, string instrument = "SPY", decimal price = 100, TradeSource source = TradeSource.Rebalance)
    {
        var lot = lots.Buy(account, instrument, date, quantity, price);
        ledger.RecordBuy("H", account, false, instrument, date, quantity, lot.Id, source);
        // The ledger may have adjusted (or split) the new lot: return it as it is now.
        return lots.Lots(account, instrument).Single(l => l.Id == lot.Id);
    }

    private IReadOnlyList<WashSale> SellOld(decimal quantity = 100, DateOnly? date = null)
    {
        var selection = LotSelector.Select(lots.Lots("T1", "SPY"), quantity, 100m, date ?? SaleDate, LotMethod.SpecificLots, specificLots: ["O"]);
        lots.Sell("T1", "SPY", selection);
        return ledger.RecordSale("H", "T1", "SPY", date ?? SaleDate, selection.Reliefs);
    }

    [Fact]
    public void Purchase_30_days_before_the_loss_sale_is_a_wash_sale_and_the_replacement_takes_the_loss_and_holding_period()
    {
        var replacement = Buy("T1", SaleDate.AddDays(-30), 100);

        var washes = SellOld();

        var wash = Assert.Single(washes);
        Assert.Equal(2_000m, wash.DisallowedLoss);
        Assert.Equal(100m, wash.Quantity);
        var adjusted = lots.Lots("T1", "SPY").Single(l => l.Id == replacement.Id);
        // Basis 100 x 100 = 10,000 plus the disallowed 2,000; holding period starts 545 days before 2025-05-31, on 2023-12-03.
        Assert.Equal(12_000m, adjusted.CostBasis);
        Assert.Equal(2_000m, adjusted.WashSaleAdjustment);
        Assert.Equal(new DateOnly(2023, 12, 3), adjusted.HoldingPeriodStart);
        Assert.Equal(HoldingTerm.LongTerm, adjusted.TermOn(new(2025, 7, 1)));
    }

    [Fact]
    public void Purchase_31_days_before_is_outside_the_window()
    {
        Buy("T1", SaleDate.AddDays(-31), 100);

        Assert.Null(ledger.RecentReplacementBuy("H", "T1", "SPY", SaleDate, ["O"]));
        Assert.Empty(SellOld());
    }

    [Fact]
    public void Purchase_30_days_after_the_loss_sale_is_a_wash_sale_and_31_days_after_is_not()
    {
        SellOld();
        Assert.NotNull(ledger.RecentLossSale("H", "SPY", SaleDate.AddDays(30)));
        Assert.Null(ledger.RecentLossSale("H", "SPY", SaleDate.AddDays(31)));

        var replacement = Buy("T1", SaleDate.AddDays(30), 100);

        var wash = Assert.Single(ledger.WashSales);
        Assert.Equal(2_000m, wash.DisallowedLoss);
        // 2025-07-30 less the 545 days held: 2024-02-01.
        Assert.Equal(12_000m, replacement.CostBasis);
        Assert.Equal(new DateOnly(2024, 2, 1), replacement.HoldingPeriodStart);
    }

    [Fact]
    public void Purchase_in_another_household_account_washes_the_loss_into_that_accounts_lot()
    {
        SellOld();

        var replacement = Buy("T2", SaleDate.AddDays(10), 100, price: 101);

        var wash = Assert.Single(ledger.WashSales);
        Assert.Equal("T2", wash.ReplacementAccountId);
        Assert.False(wash.PermanentlyDisallowed);
        // 100 x 101 = 10,100 plus 2,000.
        Assert.Equal(12_100m, replacement.CostBasis);
    }

    [Fact]
    public void Purchase_in_the_households_ira_disallows_the_loss_for_good()
    {
        SellOld();

        var washes = ledger.RecordBuy("H", "IRA", true, "SPY", SaleDate.AddDays(5), 100, null, TradeSource.DividendReinvestment);

        var wash = Assert.Single(washes);
        Assert.True(wash.PermanentlyDisallowed);
        Assert.Equal(2_000m, wash.DisallowedLoss);
        Assert.Equal(TradeSource.DividendReinvestment, wash.ReplacementSource);
    }

    [Fact]
    public void Partial_repurchase_disallows_only_the_repurchased_shares()
    {
        SellOld();

        // 40 of the 100 loss shares are replaced: 40 x 20 = 800 disallowed, into 40 x 100 + 800 = 4,800; 1,200 stays allowed.
        var replacement = Buy("T1", SaleDate.AddDays(3), 40);

        Assert.Equal(800m, Assert.Single(ledger.WashSales).DisallowedLoss);
        Assert.Equal(4_800m, replacement.CostBasis);
        // A second purchase within the window takes the rest: 60 x 20 = 1,200.
        Buy("T1", SaleDate.AddDays(20), 100);
        Assert.Equal(new[] { 800m, 1_200m }, ledger.WashSales.Select(w => w.DisallowedLoss));
        // And a third finds nothing left to wash.
        Buy("T1", SaleDate.AddDays(25), 10);
        Assert.Equal(2, ledger.WashSales.Count);
    }

    [Fact]
    public void Replacement_larger_than_the_loss_is_split_so_only_the_replacement_shares_are_adjusted()
    {
        SellOld(40);

        // 40 loss shares x 20 = 800; the 100-share purchase splits into 40 shares at 4,000 + 800 and 60 at 6,000.
        Buy("T1", SaleDate.AddDays(1), 100);

        var bought = lots.Lots("T1", "SPY").Where(l => l.Acquired == SaleDate.AddDays(1)).OrderBy(l => l.Quantity).ToList();
        Assert.Equal(new[] { 40m, 60m }, bought.Select(l => l.Quantity));
        Assert.Equal(4_800m, bought[0].CostBasis);
        Assert.Equal(6_000m, bought[1].CostBasis);
        Assert.Equal(SaleDate.AddDays(1), bought[1].HoldingPeriodStart);
    }

    [Fact]
    public void Selling_part_of_a_lot_bought_within_30_days_is_not_a_wash_sale()
    {
        // Bought 100 on 2025-06-01 at 100 (lot L); 50 of them sold on 2025-06-20 at 90: a loss of 500, and the other 50 of
        // the same lot are not replacement shares.
        var lot = Buy("T2", new(2025, 6, 1), 100);
        Assert.Null(ledger.RecentReplacementBuy("H", "T2", "SPY", new(2025, 6, 20), [lot.Id]));

        var selection = LotSelector.Select(lots.Lots("T2", "SPY"), 50, 90m, new(2025, 6, 20), LotMethod.Fifo);
        lots.Sell("T2", "SPY", selection);
        var washes = ledger.RecordSale("H", "T2", "SPY", new(2025, 6, 20), selection.Reliefs);

        Assert.Equal(-500m, selection.Gain);
        Assert.Empty(washes);
        Assert.Equal(5_000m, lots.Lots("T2", "SPY").Single().CostBasis);
    }

    [Fact]
    public void Another_lot_bought_within_30_days_in_the_same_account_is_a_replacement()
    {
        var recent = Buy("T1", SaleDate.AddDays(-5), 100);

        Assert.NotNull(ledger.RecentReplacementBuy("H", "T1", "SPY", SaleDate, ["O"]));
        Assert.Single(SellOld());
        Assert.Equal(12_000m, lots.Lots("T1", "SPY").Single(l => l.Id == recent.Id).CostBasis);
    }

    [Fact]
    public void Substantially_identical_instruments_wash_and_substitutes_do_not()
    {
        SellOld();

        Assert.NotNull(ledger.RecentLossSale("H", "IVV", SaleDate.AddDays(2)));
        Assert.Null(ledger.RecentLossSale("H", "VTI", SaleDate.AddDays(2)));
        Buy("T2", SaleDate.AddDays(2), 100, "VTI");
        Assert.Empty(ledger.WashSales);
        Buy("T2", SaleDate.AddDays(2), 100, "IVV");
        Assert.Single(ledger.WashSales);
    }

    [Fact]
    public void Other_households_never_wash()
    {
        SellOld();

        ledger.RecordBuy("OTHER", "X1", false, "SPY", SaleDate.AddDays(1), 100, null, TradeSource.Rebalance);

        Assert.Empty(ledger.WashSales);
    }

    [Fact]
    public void Dividend_reinvestment_washes_the_shares_it_buys()
    {
        SellOld();

        Buy("T1", SaleDate.AddDays(12), 2, source: TradeSource.DividendReinvestment);

        var wash = Assert.Single(ledger.WashSales);
        Assert.Equal(40m, wash.DisallowedLoss);
        Assert.Equal(TradeSource.DividendReinvestment, wash.ReplacementSource);
    }

    [Fact]
    public void A_gain_is_never_a_wash_sale()
    {
        Buy("T1", SaleDate.AddDays(-3), 100);
        var selection = LotSelector.Select(lots.Lots("T1", "SPY"), 100, 130m, SaleDate, LotMethod.SpecificLots, specificLots: ["O"]);

        Assert.Empty(ledger.RecordSale("H", "T1", "SPY", SaleDate, selection.Reliefs));
    }
}
