using CsCheck;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Simulation;

namespace FastRebal.Engine.Tests.Decisions;

public class AssetClassBandIndexTests
{
    [Theory]
    [InlineData(FirmShape.Uniform)]
    [InlineData(FirmShape.Realistic)]
    public void The_compiled_check_agrees_with_the_reference_rule_on_generated_firms_after_random_moves(FirmShape shape)
    {
        var history = FirmGenerator.LoadHistory(4);
        Gen.Int[0, 1000].Sample(seed =>
        {
            var firm = FirmGenerator.Generate(new FirmSpec(400, 20, seed, Shape: shape), history);
            var book = firm.Book;
            var random = new Random(seed);
            book.SetPrices(Enumerable.Range(0, book.Instruments.Count).Select(i => (i, book.Prices[i] * (0.85 + (0.3 * random.NextDouble())))).ToArray());
            var report = new DriftReport(book);
            DriftSweep.Run(book, report, parallel: false);
            var index = new AssetClassBandIndex(book);

            var banded = 0;
            for (var a = 0; a < book.AccountCount; a++)
            {
                Assert.Equal(RebalanceRules.FindAssetClassBreach(book, report, a) is not null, index.IsBreached(report, a));
                banded += index.HasBands(a) ? 1 : 0;
            }
            Assert.InRange(banded, 1, book.AccountCount - 1);
        }, iter: 20);
    }

    [Fact]
    public void Any_class_out_of_its_band_breaches_and_a_policy_change_is_picked_up_on_refresh()
    {
        // 60/40 held as 66.45/33.55 by value: US Equity drifts +6.45 points, US Bonds -6.45.
        var book = new TestBook()
            .Instrument("SPY", 500, assetClass: "US Equity").Instrument("AGG", 100, assetClass: "US Bonds")
            .Model("M", ("SPY", 0.6), ("AGG", 0.4))
            .Account("X", "M", 0, TestBook.Policy(band: 0.5) with { AssetClassBands = new Dictionary<string, double> { ["US Equity"] = 0.10, ["US Bonds"] = 0.05 } },
                positions: [("SPY", 100), ("AGG", 253)])
            .Load().Book;
        var report = new DriftReport(book);
        DriftSweep.Run(book, report, parallel: false);
        var index = new AssetClassBandIndex(book);

        Assert.True(index.IsBreached(report, 0));

        var policy = book.Policy(0);
        Assert.Null(book.UpdatePolicy(0, policy with { Version = policy.Version + 1, AssetClassBands = new Dictionary<string, double> { ["US Bonds"] = 0.10 } }));
        Assert.True(index.IsBreached(report, 0));
        index.Refresh(0);
        Assert.False(index.IsBreached(report, 0));
        Assert.Null(RebalanceRules.FindAssetClassBreach(book, report, 0));
    }
}
