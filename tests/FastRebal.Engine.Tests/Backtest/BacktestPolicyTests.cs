using FastRebal.Engine.Backtest;
using FastRebal.Engine.Model;

namespace FastRebal.Engine.Tests.Backtest;

/// <summary>The policy syntax: what each form becomes for the decision core, and what a sweep expands to.</summary>
public class BacktestPolicyTests
{
    [Fact]
    public void A_range_expands_to_every_width_including_its_end_and_a_star_to_every_calendar()
    {
        var policies = BacktestPolicy.ParseSweep("threshold:1%..10%:1%,calendar:*");
        Assert.Equal(14, policies.Count);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i / 100.0), policies.Take(10).Select(p => p.Policy.BandWidth));
        Assert.Equal([CalendarSchedule.Monthly, CalendarSchedule.Quarterly, CalendarSchedule.SemiAnnual, CalendarSchedule.Annual], policies.Skip(10).Select(p => p.Policy.Calendar));
        Assert.All(policies.Skip(10), p => Assert.Equal(RebalanceTrigger.Calendar, p.Policy.Trigger));
    }

    [Fact]
    public void Each_form_sets_the_trigger_band_calendar_mode_and_look_interval()
    {
        var hybrid = BacktestPolicy.Parse("hybrid:5%:quarterly:relative:half");
        Assert.Equal((RebalanceTrigger.Hybrid, BandType.Relative, 0.05, CalendarSchedule.Quarterly, RebalanceMode.Halfway, 1),
            (hybrid.Policy.Trigger, hybrid.Policy.BandType, hybrid.Policy.BandWidth, hybrid.Policy.Calendar, hybrid.Policy.Mode, hybrid.CheckEveryDays));

        var look = BacktestPolicy.Parse("lookoften:10:20%:relative");
        Assert.Equal((RebalanceTrigger.Threshold, BandType.Relative, 0.2, RebalanceMode.ToBandEdge, 10), (look.Policy.Trigger, look.Policy.BandType, look.Policy.BandWidth, look.Policy.Mode, look.CheckEveryDays));
        Assert.Equal(RebalanceMode.ToTarget, BacktestPolicy.Parse("lookoften:10:20%:target").Policy.Mode);

        var threshold = BacktestPolicy.Parse("threshold:0.05:edge");
        Assert.Equal((BandType.Absolute, 0.05, RebalanceMode.ToBandEdge), (threshold.Policy.BandType, threshold.Policy.BandWidth, threshold.Policy.Mode));
        Assert.Equal("threshold 5%, to edge", threshold.Name);

        Assert.True(BacktestPolicy.Parse("never").Never);
    }

    [Theory]
    [InlineData("threshold:0%", "above 0% and below 100%")]
    [InlineData("threshold:5%:sideways", "unknown option 'sideways'")]
    [InlineData("calendar:fortnightly", "unknown schedule 'fortnightly'")]
    [InlineData("lookoften:0:5%", "whole number 1 to 1,000")]
    [InlineData("threshold:5%..1%:1%", "ends before it starts")]
    [InlineData("threshold:1%..5%:1%", "ranges belong to --sweep")]
    [InlineData("hybrid:5%", "missing a schedule")]
    public void A_bad_policy_names_what_is_wrong(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => BacktestPolicy.Parse(text));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
