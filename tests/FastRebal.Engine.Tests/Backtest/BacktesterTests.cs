using FastRebal.Engine.Backtest;
using FastRebal.Engine.MarketData;

namespace FastRebal.Engine.Tests.Backtest;

/// <summary>The simulator against small cases worked out by hand, and the invariants every policy must keep.</summary>
public class BacktesterTests
{
    private static readonly DateOnly Day0 = new(2025, 1, 29);

    private static MarketHistory TwoAssets(double[] a, double[] b, DateOnly? first = null)
    {
        var days = Enumerable.Range(0, a.Length).Select(i => (first ?? Day0).AddDays(i)).ToArray();
        return MarketHistory.FromSeries("test", new PriceSeries("A", days, a), new PriceSeries("B", days, b));
    }

    private static BacktestResult Run(MarketHistory history, string policies, BacktestOptions? options = null, double value = 1000) =>
        PortfolioBacktest.Run(history, [("A", 0.5), ("B", 0.5)], BacktestPolicy.ParseSweep(policies), DateOnly.MinValue, DateOnly.MaxValue, value, options ?? new());

    private static BacktestFigures Policy(BacktestResult result, string name) => result.Accounts.Single(f => f.Name == name);

    [Fact]
    public void Never_rebalancing_holds_its_shares_and_drifts_from_the_daily_rebalanced_target()
    {
        // 5 shares of A and 5 of B at 100. A rises 10% a day, B stays: 550 + 500 = 1,050, then 605 + 500 = 1,105.
        // The target earns half of A's 10% each day: 1,050, then 1,102.50.
        var result = Run(TwoAssets([100, 110, 121], [100, 100, 100]), "never");
        var never = Policy(result, "never");
        Assert.Equal(1105, never.EndValue, 9);
        Assert.Equal(0.105, never.TotalReturn, 12);
        Assert.Equal(0, never.Rebalances);
        Assert.Equal(0, never.Trades);
        Assert.Equal(0, never.TurnoverPerYear);
        Assert.Equal(1102.5, result.Series[0].Target[^1], 9);
        // Day 2's weight of A: 605 / 1,105 = 54.75%, a drift of 4.75 points.
        Assert.Equal((605.0 / 1105) - 0.5, result.Series[0].Drift[^1], 12);
    }

    [Fact]
    public void A_breached_band_rebalances_to_target_at_the_close_and_then_tracks_the_target()
    {
        // Day 1: A is 550 of 1,050 (52.4%), outside a 1-point band: sell 25 of A, buy 25 of B, both at 525.
        // Day 2: A 525 x 1.1 = 577.50, B 525: 1,102.50, the target's value, and outside the band again.
        var result = Run(TwoAssets([100, 110, 121], [100, 100, 100]), "threshold:1%");
        var threshold = Policy(result, "threshold 1%");
        // Within the rounding of fractional shares to a millionth.
        Assert.Equal(1102.5, threshold.EndValue, 4);
        Assert.Equal(2, threshold.Rebalances);
        Assert.Equal(4, threshold.Trades);
        Assert.Equal(2, threshold.DaysOutsideBand);
        // One-way turnover: 25 of the 1,000 before day 1, then 26.25 of the 1,050 before day 2.
        Assert.Equal([0, 0.025, 0.05], result.Series[1].CumulativeTurnover.Select(t => Math.Round(t, 6)));
        Assert.Equal([Day0.AddDays(1), Day0.AddDays(2)], result.Series[1].Rebalances);
    }

    [Fact]
    public void A_trade_conserves_value_less_exactly_its_costs()
    {
        // The same day-1 rebalance with a $1 commission and a 20 bps spread (10 bps paid): the sell of 25 costs
        // 1.025; the buy of 25 is cut by what the costs take from cash, to 22.95, and costs 1.02295.
        // Before trading the account is worth 1,050; after, 1,050 less the costs.
        var options = new BacktestOptions(new TradingCosts(PerTrade: 1, SpreadBps: 20));
        var result = Run(TwoAssets([100, 110], [100, 100]), "threshold:1%", options);
        var threshold = Policy(result, "threshold 1%");
        Assert.Equal(2, threshold.Trades);
        Assert.Equal(2.04795, threshold.Costs, 4);
        Assert.Equal(1050 - threshold.Costs, threshold.EndValue, 6);
        // The costs came out of what would have been bought: cash never goes below zero.
        Assert.True(result.Series[1].Value[^1] > 0);
    }

    [Fact]
    public void A_deposit_lands_on_the_first_trading_day_of_the_month_and_is_not_counted_as_return()
    {
        // Days 2025-01-29, 01-30, 01-31, 02-01: the 100 deposit arrives on 02-01 and is invested into B, the
        // underweight one. Prices do not move after day 1, so the return is day 1's alone: A +10% on half = 5%.
        var options = new BacktestOptions(Flows: [CashFlowSchedule.Parse("+100:monthly")]);
        var result = Run(TwoAssets([100, 110, 110, 110], [100, 100, 100, 100]), "never", options);
        var never = Policy(result, "never");
        Assert.Equal(1150, never.EndValue, 6);
        Assert.Equal(100, never.Flows);
        Assert.Equal(0.05, never.TotalReturn, 9);
        Assert.InRange(never.Trades, 1, 2);
        Assert.Equal(0, never.Rebalances);
        Assert.Equal(0, never.TurnoverPerYear);
    }

    [Fact]
    public void A_withdrawal_is_raised_by_selling_and_paid_in_full_after_costs()
    {
        var options = new BacktestOptions(new TradingCosts(PerTrade: 1, SpreadBps: 50), [CashFlowSchedule.Parse("-10%:monthly")]);
        var result = Run(TwoAssets([100, 100, 100, 100], [100, 100, 100, 100]), "never", options);
        var never = Policy(result, "never");
        Assert.Equal(-100, never.Flows, 9);
        Assert.Equal(0, result.WithdrawalShortfall);
        Assert.Equal(1000 - 100 - never.Costs, never.EndValue, 6);
        Assert.True(never.Costs > 1);
    }

    [Fact]
    public void A_calendar_policy_trades_only_on_the_first_trading_day_of_its_periods()
    {
        var history = RandomWalk(seed: 7, days: 800);
        var result = Run(history, "calendar:quarterly,calendar:monthly");
        foreach (var series in result.Series.Where(s => s.Name.StartsWith("calendar", StringComparison.Ordinal)))
        {
            var quarterly = series.Name.EndsWith("quarterly", StringComparison.Ordinal);
            Assert.NotEmpty(series.Rebalances);
            foreach (var day in series.Rebalances)
            {
                var previous = series.Days[Array.IndexOf(series.Days, day) - 1];
                Assert.True(quarterly ? (day.Month - 1) / 3 != (previous.Month - 1) / 3 || day.Year != previous.Year : day.Month != previous.Month,
                    $"{series.Name} rebalanced on {day}, not the first trading day of a period");
            }
            // Every period after the first has its rebalance.
            var periods = series.Days.Select(d => quarterly ? (d.Year * 4) + ((d.Month - 1) / 3) : (d.Year * 12) + d.Month).Distinct().Count();
            Assert.Equal(periods - 1, series.Rebalances.Count);
        }
    }

    [Fact]
    public void A_near_zero_band_rebalances_every_day_the_prices_move_apart_and_never_rebalancing_never_trades()
    {
        var history = RandomWalk(seed: 11, days: 300);
        var result = Run(history, "threshold:0.0001%,never");
        var a = history["A"].Closes;
        var b = history["B"].Closes;
        var apart = Enumerable.Range(1, a.Length - 1).Count(i => Math.Abs((a[i] / a[i - 1]) - (b[i] / b[i - 1])) > 1e-9);
        Assert.Equal(apart, Policy(result, "threshold 0.0001%").Rebalances);
        Assert.True(Policy(result, "threshold 0.0001%").TrackingError < 1e-4);
        var never = Policy(result, "never");
        Assert.Equal((0, 0, 0.0), (never.Rebalances, never.Trades, never.TurnoverPerYear));
    }

    [Fact]
    public void Look_often_trade_rarely_decides_only_every_nth_day()
    {
        var history = RandomWalk(seed: 3, days: 600);
        var result = Run(history, "lookoften:20:1%:half");
        var series = result.Series.Single(s => s.Name.StartsWith("look", StringComparison.Ordinal));
        Assert.NotEmpty(series.Rebalances);
        Assert.All(series.Rebalances, day => Assert.Equal(0, Array.IndexOf(series.Days, day) % 20));
    }

    [Fact]
    public void The_maximum_drawdown_and_its_length_are_measured_from_the_peak_to_the_recovery()
    {
        // Both assets move together, so every policy holds the same: 100, 120 (peak), 90 (-25%), 110, 125 (recovered).
        var closes = new double[] { 100, 120, 90, 110, 125 };
        var never = Policy(Run(TwoAssets(closes, closes), "never"), "never");
        Assert.Equal(-0.25, never.MaxDrawdown, 12);
        Assert.Equal(3, never.MaxDrawdownDays);
        Assert.True(never.MaxDrawdownRecovered);
    }

    [Fact]
    public void Group_figures_sum_the_policies_accounts()
    {
        var result = Run(RandomWalk(seed: 5, days: 250), "threshold:3%,calendar:annual");
        Assert.Equal(result.Accounts.Sum(a => a.EndValue), result.Firm.EndValue, 6);
        Assert.Equal(result.Accounts.Sum(a => a.Trades), result.Firm.Trades);
        Assert.Equal(3, result.Firm.Accounts);
        Assert.Equal(3L * 249, result.AccountDays);
    }

    [Fact]
    public void A_sweep_of_more_policies_than_kept_paths_keeps_the_first_paths_and_figures_for_every_policy()
    {
        // 20 widths and the baseline, paths kept for 4: the first day's path was recorded for every account.
        var result = Run(RandomWalk(seed: 7, days: 60), "threshold:1%..20%:1%", new BacktestOptions(SeriesAccounts: 4));
        Assert.Equal(21, result.Accounts.Count);
        Assert.Equal(["never", "threshold 1%", "threshold 2%", "threshold 3%"], result.Series.Select(s => s.Name));
        Assert.Equal(1000, result.Series[3].Value[0], 9);
        Assert.Equal(result.Accounts[3].EndValue, result.Series[3].Value[^1], 9);
    }

    [Fact]
    public void A_window_without_two_common_days_and_an_unknown_symbol_are_refused_by_name()
    {
        var history = TwoAssets([100, 110, 121], [100, 100, 100]);
        var empty = Assert.Throws<ArgumentException>(() => PortfolioBacktest.Run(history, [("A", 0.5), ("B", 0.5)], [BacktestPolicy.NeverRebalance],
            new DateOnly(2030, 1, 1), DateOnly.MaxValue, 1000, new()));
        Assert.Contains("fewer than two trading days", empty.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ArgumentException>(() => PortfolioBacktest.Run(history, [("A", 0.5), ("ZZZ", 0.5)], [BacktestPolicy.NeverRebalance],
            DateOnly.MinValue, DateOnly.MaxValue, 1000, new()));
        Assert.Contains("no price history for ZZZ", unknown.Message, StringComparison.Ordinal);
    }

    /// <summary>Two seeded random walks on consecutive business days.</summary>
    private static MarketHistory RandomWalk(int seed, int days)
    {
        var random = new Random(seed);
        var dates = new List<DateOnly>();
        for (var d = new DateOnly(2020, 1, 2); dates.Count < days; d = d.AddDays(1))
        {
            if (d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                dates.Add(d);
            }
        }
        double[] Walk(double vol)
        {
            var closes = new double[days];
            closes[0] = 100;
            for (var i = 1; i < days; i++)
            {
                closes[i] = Math.Round(closes[i - 1] * Math.Exp(vol * ((random.NextDouble() * 2) - 1)), 4);
            }
            return closes;
        }
        return MarketHistory.FromSeries("test", new PriceSeries("A", [.. dates], Walk(0.02)), new PriceSeries("B", [.. dates], Walk(0.005)));
    }
}
