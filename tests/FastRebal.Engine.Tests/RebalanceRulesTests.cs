using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;

namespace FastRebal.Engine.Tests;

public class RebalanceRulesTests
{
    [Theory]
    [InlineData(CalendarSchedule.None, "2025-01-01", "2025-12-31", false)]
    [InlineData(CalendarSchedule.Monthly, "2025-05-31", "2025-06-01", true)]
    [InlineData(CalendarSchedule.Monthly, "2025-06-01", "2025-06-30", false)]
    [InlineData(CalendarSchedule.Quarterly, "2025-03-31", "2025-04-01", true)]
    [InlineData(CalendarSchedule.Quarterly, "2025-04-01", "2025-06-30", false)]
    [InlineData(CalendarSchedule.SemiAnnual, "2025-01-15", "2025-06-30", false)]
    [InlineData(CalendarSchedule.SemiAnnual, "2025-06-30", "2025-07-01", true)]
    [InlineData(CalendarSchedule.Annual, "2025-01-02", "2025-12-31", false)]
    [InlineData(CalendarSchedule.Annual, "2024-12-31", "2025-01-02", true)]
    public void Calendar_is_due_once_per_period(CalendarSchedule schedule, string last, string asOf, bool due) =>
        Assert.Equal(due, RebalanceRules.IsCalendarDue(schedule, DateOnly.Parse(last, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(asOf, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Calendar_is_due_for_an_account_never_rebalanced() =>
        Assert.True(RebalanceRules.IsCalendarDue(CalendarSchedule.Annual, null, TestBook.AsOf));

    [Fact]
    public void Hybrid_prefers_the_band_and_falls_back_to_the_calendar()
    {
        var policy = TestBook.Policy(trigger: RebalanceTrigger.Hybrid, calendar: CalendarSchedule.Quarterly);
        var lastQuarter = new DateOnly(2025, 3, 31);

        var breach = RebalanceRules.Evaluate(policy, 0.08, 0.2, true, null, lastQuarter, TestBook.AsOf);
        var calendar = RebalanceRules.Evaluate(policy, 0.01, 0.02, false, null, lastQuarter, TestBook.AsOf);
        var quiet = RebalanceRules.Evaluate(policy, 0.01, 0.02, false, null, new DateOnly(2025, 6, 1), TestBook.AsOf);

        Assert.Equal((true, DecisionRule.BandBreach), (breach.Rebalance, breach.Rule));
        Assert.Equal((true, DecisionRule.CalendarDue), (calendar.Rebalance, calendar.Rule));
        Assert.Equal((false, DecisionRule.WithinBand), (quiet.Rebalance, quiet.Rule));
    }

    [Fact]
    public void Threshold_only_policy_ignores_the_calendar_and_calendar_only_policy_ignores_the_band()
    {
        var threshold = TestBook.Policy(trigger: RebalanceTrigger.Threshold, calendar: CalendarSchedule.Monthly);
        var calendarOnly = TestBook.Policy(trigger: RebalanceTrigger.Calendar, calendar: CalendarSchedule.Annual);

        Assert.False(RebalanceRules.Evaluate(threshold, 0.01, 0.01, false, null, null, TestBook.AsOf).Rebalance);
        var ignoresBand = RebalanceRules.Evaluate(calendarOnly, 0.3, 0.6, true, null, new DateOnly(2025, 1, 2), TestBook.AsOf);
        Assert.Equal((false, DecisionRule.CalendarNotDue), (ignoresBand.Rebalance, ignoresBand.Rule));
    }

    [Theory]
    [InlineData(9, false)]
    [InlineData(10, true)]
    public void Minimum_days_between_rebalances_hold_back_a_breach(int daysSinceLast, bool rebalances)
    {
        var policy = TestBook.Policy(minDays: 10);
        var outcome = RebalanceRules.Evaluate(policy, 0.08, 0.2, true, null, TestBook.AsOf.AddDays(-daysSinceLast), TestBook.AsOf);

        Assert.Equal(rebalances, outcome.Rebalance);
        Assert.Equal(rebalances ? DecisionRule.BandBreach : DecisionRule.MinDaysBetweenRebalances, outcome.Rule);
    }

    [Fact]
    public void Asset_class_band_fires_when_positions_are_each_inside_their_band()
    {
        // Two equity funds each 3 points over target: inside a 7-point position band, but equities are 6 points over a 4-point class band.
        var book = new TestBook()
            .Instrument("EQ1", 1, "US Equity", fractional: true).Instrument("EQ2", 1, "US Equity", fractional: true).Instrument("BD", 1, "US Bonds", fractional: true)
            .Model("M", ("EQ1", 0.3), ("EQ2", 0.3), ("BD", 0.4))
            .Account("X", "M", 0, TestBook.Policy(band: 0.07) with { AssetClassBands = new Dictionary<string, double> { ["US Equity"] = 0.04 } },
                positions: [("EQ1", 330), ("EQ2", 330), ("BD", 340)]);

        var (_, result) = book.Run();

        Assert.Equal(DecisionAction.Rebalance, result.Decisions[0].Action);
        Assert.Equal(DecisionRule.AssetClassBandBreach, result.Decisions[0].Rule);
        Assert.Contains("US Equity", result.Decisions[0].Reason, StringComparison.Ordinal);
    }
}
