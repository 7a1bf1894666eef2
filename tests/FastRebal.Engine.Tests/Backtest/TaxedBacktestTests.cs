using FastRebal.Engine.Backtest;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Backtest;

/// <summary>Taxes in a backtest: lots, realized gains, the yearly tax and harvesting, against cases worked out by hand.</summary>
public class TaxedBacktestTests
{
    private static MarketHistory History(DateOnly first, params (string Symbol, double[] Closes)[] series)
    {
        var days = Enumerable.Range(0, series[0].Closes.Length).Select(i => first.AddDays(i)).ToArray();
        return MarketHistory.FromSeries("test", [.. series.Select(s => new PriceSeries(s.Symbol, days, s.Closes))]);
    }

    private static BacktestTax Taxes(bool harvest = false) => new(
        new AccountTaxSettings { LotMethod = LotMethod.Fifo, ShortTermTaxRate = 0.37m, LongTermTaxRate = 0.20m, Harvest = new HarvestSettings { Enabled = harvest } },
        harvest ? new InstrumentRelations([["A", "C"]]) : null);

    [Fact]
    public void A_rebalance_realizes_a_short_term_gain_taxed_the_next_january()
    {
        // 2024-12-30: 5 A and 5 B at 100. 12-31: A at 110, outside a 1-point band: sell 25 of A (0.227273 shares,
        // bought at 100): a short-term gain of 2.27. 2025-01-01: the year's tax, 37% of 2.27 = 0.84, is paid out,
        // raised by selling at most 0.84 of A (a gain of at most 0.84 x 10/110 more).
        var history = History(new DateOnly(2024, 12, 30), ("A", [100, 110, 110]), ("B", [100, 100, 100]));
        var result = PortfolioBacktest.Run(history, [("A", 0.5), ("B", 0.5)], [BacktestPolicy.Parse("threshold:1%")], DateOnly.MinValue, DateOnly.MaxValue, 1000,
            new BacktestOptions(Tax: Taxes()));
        var threshold = result.Accounts.Single(f => f.Name == "threshold 1%");
        Assert.True(result.Taxed);
        Assert.InRange(threshold.RealizedShortTerm, 2.2727, 2.2728 + (0.84 * 10 / 110));
        Assert.Equal(0, threshold.RealizedLongTerm);
        Assert.Equal(0.84, threshold.TaxesPaid, 9);
        Assert.Equal(1050 - 0.84, threshold.EndValue, 3);
        // The pre-tax return does not count the tax; the after-tax one does.
        Assert.True(threshold.AfterTaxAnnualReturn < threshold.AnnualReturn);
        var never = result.Accounts.Single(f => f.Name == "never");
        Assert.Equal((0.0, 0.0), (never.RealizedShortTerm, never.TaxesPaid));
    }

    [Fact]
    public void A_loss_is_harvested_into_the_substitute_and_its_exposure_kept()
    {
        // 10,000 in A and B at 100; A falls to 80: 50 shares bought at 100 hold a 1,000 loss (20%), over the 5% and
        // 100 thresholds. The harvest sells them and buys C, A's substitute, with the 4,000.
        var history = History(new DateOnly(2025, 3, 3), ("A", [100, 80, 80]), ("B", [100, 100, 100]), ("C", [50, 40, 40]));
        var result = PortfolioBacktest.Run(history, [("A", 0.5), ("B", 0.5)], [BacktestPolicy.Parse("threshold:10%")], DateOnly.MinValue, DateOnly.MaxValue, 10_000,
            new BacktestOptions(Tax: Taxes(harvest: true)));
        var threshold = result.Accounts.Single(f => f.Name == "threshold 10%");
        Assert.Equal(1000, threshold.HarvestedLosses, 6);
        Assert.Equal(-1000, threshold.RealizedShortTerm, 6);
        Assert.Equal(2, threshold.Trades);
        Assert.Equal(0, threshold.Rebalances);
        // A's place is empty and C has no target: 50 points off each, unless C counts toward A (44.4%, in a 10-point band).
        Assert.Equal(0, threshold.DaysOutsideBand);
        Assert.Equal(9000, threshold.EndValue, 3);
    }

    [Theory]
    [InlineData(1000, 500, 0, 1000 * 0.37 + 500 * 0.2, 0)]
    [InlineData(-300, 500, 0, 500 * 0.2 - 300 * 0.2, 0)]
    [InlineData(200, -500, 0, 0, 300)]
    [InlineData(1000, 0, 400, 600 * 0.37, 0)]
    [InlineData(100, 1000, 400, 700 * 0.2, 0)]
    public void The_yearly_tax_nets_losses_against_short_term_gains_first_and_carries_what_is_left(double shortTerm, double longTerm, double carried, double tax, double carry)
    {
        var (due, left) = BacktestTax.YearTax(shortTerm, longTerm, carried, 0.37, 0.2);
        Assert.Equal(tax, due, 9);
        Assert.Equal(carry, left, 9);
    }
}
