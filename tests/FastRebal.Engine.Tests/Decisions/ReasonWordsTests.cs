using System.Globalization;
using System.Text.Json;
using CsCheck;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Tests.Decisions;

/// <summary>
/// Reasons are kept as their figures and put into words only when read. The words must be exactly those the engine
/// wrote when it formatted every reason as it decided: the oracles below are that formatting, kept as the tests' spec.
/// </summary>
public class ReasonWordsTests
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private static readonly Gen<InvestmentPolicy> Policies =
        Gen.Select(Gen.Double[0.001, 0.5], Gen.Bool, Gen.Enum<RebalanceTrigger>(), Gen.Enum<CalendarSchedule>(), Gen.Int[0, 60])
            .Select((band, relative, trigger, calendar, minDays) => TestBook.Policy(
                band: band, bandType: relative ? BandType.Relative : BandType.Absolute, trigger: trigger, calendar: calendar, minDays: minDays));

    private static readonly Gen<AssetClassBreach?> Breaches =
        Gen.Select(Gen.Bool, Gen.OneOf(Gen.Const("US Equity"), Gen.Const("Intl Equity"), Gen.Const("US Bonds")), Gen.Double[-0.3, 0.3], Gen.Double[0.001, 0.2])
            .Select((any, assetClass, drift, band) => any ? new AssetClassBreach(assetClass, drift, band) : null);

    [Fact]
    public void A_trigger_outcome_reads_as_the_eager_formatting_did() =>
        Gen.Select(Policies, Gen.Double[0, 0.4], Gen.Double[0, 2], Gen.Bool, Breaches, Gen.Int[-1, 400])
            .Sample((policy, maxAbs, maxRel, bandBreach, breach, daysAgo) =>
            {
                DateOnly? last = daysAgo < 0 ? null : TestBook.AsOf.AddDays(-daysAgo);
                var outcome = RebalanceRules.Evaluate(policy, maxAbs, maxRel, bandBreach, breach, last, TestBook.AsOf);
                Assert.Equal(EagerTriggerReason(policy, maxAbs, maxRel, bandBreach, breach?.ToString(), last), outcome.Reason);
            });

    [Fact]
    public void An_asset_class_breach_reads_as_before() =>
        Gen.Select(Gen.Double[-0.3, 0.3], Gen.Double[0.001, 0.2]).Sample((drift, band) =>
            Assert.Equal(string.Create(C, $"asset class US Equity drift {drift:+0.00%;-0.00%} outside its ±{band:0.00%} band"),
                new AssetClassBreach("US Equity", drift, band).ToString()));

    [Fact]
    public void A_trade_reason_reads_as_before() =>
        Gen.Select(Gen.Decimal[-1_000, 1_000_000], Gen.Decimal[0, 1_000_000], Gen.Decimal[0.01m, 2_000_000], Gen.Decimal[0, 1])
            .Sample((value, goal, investable, target) =>
                Assert.Equal(string.Create(C, $"band breach: SPY {value / investable:0.00%} -> {goal / investable:0.00%}, target {target:0.00%}"),
                    new TradeReason("band breach", "SPY", value, goal, investable, target).ToString()));

    [Theory]
    [InlineData(0.123449999, 1)]
    [InlineData(0.12345, 1)]
    [InlineData(0.0000499, 1)]
    [InlineData(0.00005, 1)]
    [InlineData(0.999995, 1)]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(0, 7)]
    public void A_trade_reason_rounds_its_percentages_as_the_format_did_at_the_halfway_points(double numerator, double denominator)
    {
        var value = (decimal)numerator;
        var investable = (decimal)denominator;
        Assert.Equal(string.Create(C, $"calendar: AGG {value / investable:0.00%} -> {value * investable / investable:0.00%}, target {value:0.00%}"),
            new TradeReason("calendar", "AGG", value, value * investable, investable, value).ToString());
    }

    [Fact]
    public void A_decision_reason_reads_as_the_parts_it_was_built_from()
    {
        var policy = TestBook.Policy(band: 0.03);
        var outcome = RebalanceRules.Evaluate(policy, 0.045, 0.3, true, null, null, TestBook.AsOf);
        var words = outcome.Reason;

        Assert.Equal($"{words}; to target", DecisionReason.Rebalance(outcome, RebalanceMode.ToTarget).ToString());
        Assert.Equal($"{words}; back to band edge", DecisionReason.Rebalance(outcome, RebalanceMode.ToBandEdge).ToString());
        Assert.Equal($"{words}; halfway back to target", DecisionReason.Rebalance(outcome, RebalanceMode.Halfway).ToString());
        Assert.Equal($"{words}; to target; no trade was large enough to place", DecisionReason.Rebalance(outcome, RebalanceMode.ToTarget).NothingPlaced().ToString());
        Assert.Equal($"{words}; to target; blocked: no cash", DecisionReason.Rebalance(outcome, RebalanceMode.ToTarget).Blocked("no cash").ToString());
        Assert.Equal($"{words}; to target; illiquid holdings", DecisionReason.Rebalance(outcome, RebalanceMode.ToTarget).HeldForApproval("illiquid holdings").ToString());
        Assert.Equal($"net cash flow -1,234.50; {words}", DecisionReason.CashFlow(outcome, -1234.5m).ToString());
        Assert.Equal($"net cash flow +20.00; {words}", DecisionReason.CashFlow(outcome, 20m).ToString());
        Assert.Equal("account value 1,500.25 is all cash reserve; nothing to invest", DecisionReason.NoInvestableValue(1500.25).ToString());
        Assert.Equal("as given", DecisionReason.Words("as given").ToString());
    }

    [Fact]
    public void A_decision_kept_as_parts_equals_the_same_decision_in_words_and_survives_json()
    {
        var policy = TestBook.Policy(band: 0.03);
        var why = DecisionReason.Rebalance(RebalanceRules.Evaluate(policy, 0.045, 0.3, true, null, null, TestBook.AsOf), RebalanceMode.ToTarget);
        IReadOnlyList<PlanWarning> warnings = [];
        var kept = new Decision("A1", DecisionAction.Rebalance, DecisionRule.BandBreach, why, 1000, 0.045, 0.3, 0.06, BandType.Absolute, 0.03, "P", 1, 2, warnings);
        var inWords = new Decision("A1", DecisionAction.Rebalance, DecisionRule.BandBreach, why.ToString(), 1000, 0.045, 0.3, 0.06, BandType.Absolute, 0.03, "P", 1, 2, warnings);

        Assert.Equal(inWords, kept);
        Assert.Equal(inWords.GetHashCode(), kept.GetHashCode());
        var json = JsonSerializer.Serialize(kept);
        Assert.StartsWith("{\"AccountId\":\"A1\",\"Action\":1,\"Rule\":1,\"Reason\":", json, StringComparison.Ordinal);
        Assert.Equal(why.ToString(), JsonSerializer.Deserialize<Decision>(json)!.Reason);

        var trade = new Trade("A1", "SPY", TradeSide.Buy, 2, 500, new TradeReason("band breach", "SPY", 100, 150, 1000, 0.15m));
        Assert.Equal(trade with { }, new Trade("A1", "SPY", TradeSide.Buy, 2, 500, "band breach: SPY 10.00% -> 15.00%, target 15.00%"));
        Assert.Equal(trade.Reason, JsonSerializer.Deserialize<Trade>(JsonSerializer.Serialize(trade))!.Reason);
    }

    /// <summary>How <see cref="RebalanceRules.Evaluate"/> worded its outcome when it formatted it as it decided.</summary>
    private static string EagerTriggerReason(InvestmentPolicy policy, double maxAbs, double maxRel, bool bandBreach, string? assetClassBreach, DateOnly? last)
    {
        var usesThreshold = policy.Trigger is RebalanceTrigger.Threshold or RebalanceTrigger.Hybrid;
        var usesCalendar = policy.Trigger is RebalanceTrigger.Calendar or RebalanceTrigger.Hybrid;
        var band = policy.BandType == BandType.Absolute ? string.Create(C, $"±{policy.BandWidth:0.00%} absolute") : string.Create(C, $"±{policy.BandWidth:0.##%} relative");
        var figures = string.Create(C, $"max drift {maxAbs:0.00%} (relative {maxRel:0.0%})");
        string fired;
        if (usesThreshold && bandBreach)
        {
            fired = $"band breach: {figures} outside the {band} band";
        }
        else if (usesThreshold && assetClassBreach is not null)
        {
            fired = $"band breach: {assetClassBreach}";
        }
        else if (usesCalendar && RebalanceRules.IsCalendarDue(policy.Calendar, last, TestBook.AsOf))
        {
            fired = $"{policy.Calendar.ToString().ToLowerInvariant()} calendar rebalance due ({figures})";
        }
        else if (usesThreshold)
        {
            return $"within band: {figures} inside the {band} band";
        }
        else
        {
            return $"calendar rebalance not due ({policy.Calendar.ToString().ToLowerInvariant()}; {figures})";
        }
        if (last is { } day && TestBook.AsOf.DayNumber - day.DayNumber < policy.MinDaysBetweenRebalances)
        {
            return string.Create(C, $"{fired}, but the last rebalance was {TestBook.AsOf.DayNumber - day.DayNumber} day(s) ago and the IPS requires {policy.MinDaysBetweenRebalances}");
        }
        return fired;
    }
}
