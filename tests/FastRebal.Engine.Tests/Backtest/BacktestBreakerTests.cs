using FastRebal.Engine.Backtest;
using FastRebal.Engine.MarketData;

namespace FastRebal.Engine.Tests.Backtest;

/// <summary>The circuit breakers in a backtest: what halts, for how long, and what waits meanwhile.</summary>
public class BacktestBreakerTests
{
    private static readonly DateOnly Day0 = new(2025, 3, 3);

    private static BacktestResult Run(double[] a, double[] b, string policy, params CashFlowSchedule[] flows)
    {
        var days = Enumerable.Range(0, a.Length).Select(i => Day0.AddDays(i)).ToArray();
        var history = MarketHistory.FromSeries("test", new PriceSeries("A", days, a), new PriceSeries("B", days, b));
        return PortfolioBacktest.Run(history, [("A", 0.5), ("B", 0.5)], [BacktestPolicy.Parse(policy)], DateOnly.MinValue, DateOnly.MaxValue, 1000,
            new BacktestOptions(Flows: flows, Breakers: new BacktestBreakers(Reference: "A")));
    }

    [Fact]
    public void A_market_fall_of_seven_percent_halts_the_day_and_the_next_close_trades()
    {
        // A falls 10% on day 1: the account is outside its 1-point band but nothing trades; day 2 it rebalances.
        var result = Run([100, 90, 90], [100, 100, 100], "threshold:1%");
        Assert.Equal([(Day0.AddDays(1), 1)], result.Breakers!.MarketHalts);
        var series = result.Series.Single(s => s.Name == "threshold 1%");
        Assert.Equal([Day0.AddDays(2)], series.Rebalances);
        Assert.Equal(2, result.Accounts.Single(f => f.Name == "threshold 1%").DaysOutsideBand);
    }

    [Fact]
    public void A_withdrawal_on_a_halted_day_is_paid_when_trading_resumes()
    {
        // The month turns on day 2 (2025-03-31 to 04-01) as A falls 20% (level 3): 10% of the value is due; the account
        // holds no cash, so it waits, and is raised and paid at the next close.
        var days = new DateOnly(2025, 3, 30);
        var history = MarketHistory.FromSeries("test",
            new PriceSeries("A", [days, days.AddDays(1), days.AddDays(2), days.AddDays(3)], [100, 100, 80, 80]),
            new PriceSeries("B", [days, days.AddDays(1), days.AddDays(2), days.AddDays(3)], [100, 100, 100, 100]));
        var result = PortfolioBacktest.Run(history, [("A", 0.5), ("B", 0.5)], [BacktestPolicy.NeverRebalance], DateOnly.MinValue, DateOnly.MaxValue, 1000,
            new BacktestOptions(Flows: [CashFlowSchedule.Parse("-10%:monthly")], Breakers: new BacktestBreakers(Reference: "A")));
        Assert.Equal([(days.AddDays(2), 3)], result.Breakers!.MarketHalts);
        var never = result.Accounts.Single();
        // 10% of the 1,000 the account was worth before the fall, paid the day after.
        Assert.Equal(-100, never.Flows, 6);
        Assert.Equal(900 - 100, never.EndValue, 6);
        Assert.Equal(0, result.WithdrawalShortfall);
        Assert.Equal(0, result.Series[0].Value[2] - 900, 6);
    }

    [Fact]
    public void An_account_whose_drift_jumps_ten_points_in_a_day_is_halted_for_that_day()
    {
        // B rises 60% while A, the reference, falls 5% (no market halt): the weights go from 50/50 to 37/63, a move of
        // total drift over 10 points; the account is held that day and rebalanced the next. The never baseline's drift
        // jumped the same way, so two account-days were halted.
        var result = Run([100, 95, 95], [100, 160, 160], "threshold:5%");
        Assert.Empty(result.Breakers!.MarketHalts);
        Assert.Equal(2, result.Breakers.AccountHalts);
        Assert.Equal([Day0.AddDays(2)], result.Series.Single(s => s.Name == "threshold 5%").Rebalances);
    }

    [Fact]
    public void On_monthly_data_the_breakers_are_off_and_say_so()
    {
        var days = Enumerable.Range(0, 6).Select(i => new DateOnly(1930, 1 + i, 1)).ToArray();
        var history = MarketHistory.FromSeries("test", new PriceSeries("A", days, [100, 80, 60, 70, 50, 55]), new PriceSeries("B", days, [100, 100, 101, 101, 102, 102]));
        var result = PortfolioBacktest.Run(history, [("A", 0.5), ("B", 0.5)], [BacktestPolicy.Parse("threshold:5%")], DateOnly.MinValue, DateOnly.MaxValue, 1000,
            new BacktestOptions(Breakers: new BacktestBreakers()));
        Assert.Contains("not daily", result.Breakers!.Note, StringComparison.Ordinal);
        Assert.Empty(result.Breakers.MarketHalts);
        Assert.True(result.Accounts.Single(f => f.Name == "threshold 5%").Rebalances > 0);
    }
}
