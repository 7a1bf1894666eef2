using FastRebal.Engine.Kpi;
using FastRebal.Engine.MarketData;

namespace FastRebal.Engine.Tests.Kpi;

public class KpiCalculatorTests
{
    [Fact]
    public void Tracking_error_is_the_annualized_sample_deviation_of_return_differences()
    {
        // Differences 0, +1%, -1%: mean 0, sample variance (0 + 0.0001 + 0.0001) / 2 = 0.0001, so 1% a day, x sqrt(252) = 15.87%.
        var te = KpiCalculator.TrackingError([0.01, 0.02, 0.00], [0.01, 0.01, 0.01]);

        Assert.Equal(0.01 * Math.Sqrt(252), te!.Value, 12);
    }

    [Fact]
    public void Tracking_error_of_a_constant_difference_is_zero_and_of_one_day_is_undefined()
    {
        Assert.Equal(0, KpiCalculator.TrackingError([0.02, 0.03], [0.01, 0.02])!.Value, 12);
        Assert.Null(KpiCalculator.TrackingError([0.02], [0.01]));
    }

    [Fact]
    public void Turnover_is_the_smaller_of_buys_and_sells_over_value_per_quarter()
    {
        // Q3: buys 10,000, sells 6,000 -> 6,000 / 100,000 = 6%; Q4: a deposit invested (buys only) is not turnover.
        TurnoverTrade[] trades = [new(new(2025, 8, 1), true, 10_000), new(new(2025, 9, 30), false, 6_000), new(new(2025, 10, 1), true, 5_000)];

        var turnover = KpiCalculator.TurnoverByQuarter(trades, 100_000);

        Assert.Equal(0.06, turnover["2025Q3"], 12);
        Assert.Equal(0.0, turnover["2025Q4"], 12);
    }

    [Fact]
    public void Tax_efficiency_ratio_is_realized_gains_over_total_return_and_undefined_without_a_return()
    {
        Assert.Equal(0.2, KpiCalculator.TaxEfficiencyRatio(2_000, 10_000)!.Value, 12);
        Assert.Null(KpiCalculator.TaxEfficiencyRatio(2_000, -500));
        Assert.Null(KpiCalculator.TaxEfficiencyRatio(2_000, null));
    }

    [Fact]
    public void Groups_sum_money_and_weight_tracking_error_by_value()
    {
        // A: 100,000 with TE from diffs (0, 2%) ; B: 300,000 with diffs (0, 0): weighted TE = (TE_A x 1 + 0 x 3) / 4.
        AccountKpiInput A(string id, string model, decimal value, double[] account) => new()
        {
            AccountId = id, ModelId = model, Value = value, AccountReturns = account, ModelReturns = [0, 0], TotalReturn = 10_000,
            RealizedShortTerm = 1_000, RealizedLongTerm = 500, HarvestedLosses = 200, Rebalances = 1,
        };
        var inputs = new[] { A("A", "M1", 100_000, [0, 0.02]), A("B", "M1", 300_000, [0, 0]), A("C", "M2", 50_000, [0.01, 0.01]) };

        var report = KpiCalculator.Compute(inputs);

        var teA = KpiCalculator.TrackingError([0, 0.02], [0, 0])!.Value;
        var m1 = report.Models.Single(m => m.Name == "M1");
        Assert.Equal(teA / 4, m1.TrackingError!.Value, 12);
        Assert.Equal((2, 400_000m, 2_000m, 1_000m, 400m, 2), (m1.Accounts, m1.Value, m1.RealizedShortTerm, m1.RealizedLongTerm, m1.HarvestedLosses, m1.Rebalances));
        // Firm: 4,500 realized over 30,000 of return.
        Assert.Equal(0.15, report.Firm.TaxEfficiencyRatio!.Value, 12);
        Assert.Equal(3, report.Firm.Accounts);
    }

    [Fact]
    public void Return_series_follow_the_closes()
    {
        // Closes 100, 110, 99: 10 shares and 100 cash are worth 1,100, 1,200, 1,090.
        var dates = new[] { new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 3), new DateOnly(2025, 1, 6) };
        var history = MarketHistory.FromSeries(new PriceSeries("X", dates, [100, 110, 99]), "test");
        var series = new ReturnSeries(history, new DateOnly(2025, 1, 6), reference: "X");

        var (returns, change) = series.Holdings([("X", 10)], 100);
        var model = series.Model([("X", 1.0)]);

        Assert.Equal(1_200.0 / 1_100 - 1, returns[0], 12);
        Assert.Equal(1_090.0 / 1_200 - 1, returns[1], 12);
        Assert.Equal(-10m, change);
        Assert.Equal([0.1, -0.1], model.Select(r => Math.Round(r, 12)));
    }
}
