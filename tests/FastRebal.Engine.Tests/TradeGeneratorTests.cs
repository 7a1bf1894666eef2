using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Runs;

namespace FastRebal.Engine.Tests;

public class TradeGeneratorTests
{
    private static TestBook TwoFunds(decimal cash, InvestmentPolicy policy, decimal a, decimal b) => new TestBook()
        .Instrument("A", 10).Instrument("B", 10)
        .Model("M", ("A", 0.5), ("B", 0.5))
        .Account("X", "M", cash, policy, positions: [("A", a), ("B", b)]);

    private static Trade Only(RunResult result, string instrument) => Assert.Single(result.Trades, t => t.InstrumentId == instrument);

    [Fact]
    public void Worked_example_120_and_80_shares_with_50_50_target_and_5_percent_band_trade_back_to_100_each()
    {
        var (_, result) = TwoFunds(0, TestBook.Policy(), 120, 80).Run();

        var decision = Assert.Single(result.Decisions);
        Assert.Equal(DecisionAction.Rebalance, decision.Action);
        Assert.Equal(DecisionRule.BandBreach, decision.Rule);
        Assert.Equal(("IPS-1", 3), (decision.PolicyId, decision.PolicyVersion));
        Assert.Contains("band breach", decision.Reason, StringComparison.Ordinal);
        Assert.Equal((TradeSide.Sell, 20m), (Only(result, "A").Side, Only(result, "A").Quantity));
        Assert.Equal((TradeSide.Buy, 20m), (Only(result, "B").Side, Only(result, "B").Quantity));
    }

    [Fact]
    public void Inside_the_band_nothing_trades_and_the_decision_says_why()
    {
        var (_, result) = TwoFunds(0, TestBook.Policy(), 104, 96).Run();

        var decision = Assert.Single(result.Decisions);
        Assert.Equal((DecisionAction.NoTrade, DecisionRule.WithinBand), (decision.Action, decision.Rule));
        Assert.Contains("within band", decision.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Trades);
    }

    [Fact]
    public void Cash_reserve_is_kept_out_of_the_rebalance()
    {
        // Value 2000, 2% reserve = 40, so 980 per fund: sell 22 A, buy 18 B, leaving exactly the reserve.
        var (_, result) = TwoFunds(0, TestBook.Policy(reservePercent: 0.02), 120, 80).Run();

        Assert.Equal(22m, Only(result, "A").Quantity);
        Assert.Equal(18m, Only(result, "B").Quantity);
        Assert.Equal(40m, result.Plans[0]!.CashAfter);
    }

    [Fact]
    public void A_holding_outside_the_model_is_sold_down_completely()
    {
        var (_, result) = new TestBook()
            .Instrument("A", 10).Instrument("B", 10).Instrument("OLD", 7)
            .Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 0, positions: [("A", 100), ("B", 100), ("OLD", 50)])
            .Run();

        var sell = Only(result, "OLD");
        Assert.Equal((TradeSide.Sell, 50m), (sell.Side, sell.Quantity));
    }

    [Fact]
    public void Restricted_instrument_is_never_bought_and_its_weight_goes_to_the_rest_of_the_model()
    {
        var (_, result) = new TestBook()
            .Instrument("A", 10).Instrument("B", 10).Instrument("C", 10)
            .Model("M", ("A", 0.4), ("B", 0.4), ("C", 0.2))
            .Account("X", "M", 1000, TestBook.Policy(restricted: ["C"]), positions: [("A", 40), ("B", 40)])
            .Run();

        Assert.DoesNotContain(result.Trades, t => t.InstrumentId == "C");
        Assert.Equal(50m, Only(result, "A").Quantity);
        Assert.Equal(50m, Only(result, "B").Quantity);
    }

    [Fact]
    public void Firm_wide_restricted_instrument_is_sold_not_bought()
    {
        var (_, result) = new TestBook()
            .Instrument("A", 10).Instrument("R", 10, restricted: true)
            .Model("M", ("A", 0.5), ("R", 0.5))
            .Account("X", "M", 0, positions: [("A", 50), ("R", 50)])
            .Run();

        Assert.Equal((TradeSide.Sell, 50m), (Only(result, "R").Side, Only(result, "R").Quantity));
        Assert.Equal((TradeSide.Buy, 50m), (Only(result, "A").Side, Only(result, "A").Quantity));
    }

    [Fact]
    public void Illiquid_holding_out_of_band_is_never_traded_and_sends_the_account_to_approval()
    {
        var (_, result) = new TestBook()
            .Instrument("A", 10).Instrument("B", 10).Instrument("PE", 10, "Private Equity", liquid: false)
            .Model("M", ("A", 0.45), ("B", 0.45), ("PE", 0.1))
            .Account("X", "M", 0, positions: [("A", 40), ("B", 40), ("PE", 20)])
            .Run();

        var decision = Assert.Single(result.Decisions);
        Assert.Equal((DecisionAction.NeedsApproval, DecisionRule.IlliquidOutOfBand), (decision.Action, decision.Rule));
        Assert.Contains("PE", decision.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Plans[0]!.Trades, t => t.InstrumentId == "PE");
    }

    [Fact]
    public void Trades_below_the_minimum_value_are_suppressed_with_a_warning()
    {
        var (_, result) = new TestBook()
            .Instrument("A", 10).Instrument("B", 10).Instrument("C", 10)
            .Model("M", ("A", 0.45), ("B", 0.45), ("C", 0.1))
            .Account("X", "M", 0, TestBook.Policy(minTrade: 100), positions: [("A", 550), ("B", 355), ("C", 95)])
            .Run();

        // A sells 100 and B buys 95 (both above 100 in value); C needs 5 shares = 50, under the minimum.
        Assert.DoesNotContain(result.Trades, t => t.InstrumentId == "C");
        Assert.Contains(result.Decisions[0].Warnings, w => w.ToString().Contains("C", StringComparison.Ordinal) && w.ToString().Contains("minimum", StringComparison.Ordinal));
        Assert.Equal(2, result.Trades.Count);
    }

    [Fact]
    public void Account_is_blocked_when_lot_rounding_would_break_the_cash_reserve()
    {
        // Lots of 100 at 10: raising the 300 reserve needs 30 shares, which rounds to no lot at all.
        var (_, result) = new TestBook()
            .Instrument("A", 10, lot: 100)
            .Model("M", ("A", 1.0))
            .Account("X", "M", 0, TestBook.Policy(reservePercent: 0.3), positions: [("A", 100)])
            .Run();

        var decision = Assert.Single(result.Decisions);
        Assert.Equal((DecisionAction.Blocked, DecisionRule.CashReserve), (decision.Action, decision.Rule));
        Assert.Contains("below its reserve", decision.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Trades);
    }

    [Fact]
    public void Buys_are_trimmed_rather_than_spend_the_reserve()
    {
        // B is cheap to round but A's sell rounds down: the buy of B is cut to keep 50 in cash.
        var (_, result) = new TestBook()
            .Instrument("A", 100, lot: 10).Instrument("B", 1)
            .Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 0, TestBook.Policy(reserveAmount: 50), positions: [("A", 100), ("B", 6000)])
            .Run();

        Assert.True(result.Plans[0]!.CashAfter >= 50);
        Assert.Equal(DecisionAction.Rebalance, result.Decisions[0].Action);
    }

    [Fact]
    public void Band_edge_mode_moves_the_breaching_positions_to_just_inside_the_band_and_invests_what_is_left()
    {
        // Targets 40/40/20 with a 5-point band: A at 50% breaches, B at 38% and C at 12%... C breaches too.
        var (_, result) = new TestBook()
            .Instrument("A", 1, fractional: true).Instrument("B", 1, fractional: true).Instrument("C", 1, fractional: true)
            .Model("M", ("A", 0.4), ("B", 0.4), ("C", 0.2))
            .Account("X", "M", 0, TestBook.Policy(mode: RebalanceMode.ToBandEdge, fractional: true), positions: [("A", 500), ("B", 380), ("C", 120)])
            .Run();

        // A goes to 40% + 0.9 x 5% = 44.5% (sells 55); C to 20% - 4.5% = 15.5% (buys 35). The 20 left over go to the
        // positions below target in proportion to their gap: B is 2 points under, C still 4.5, so B 20 x 2/6.5, C 20 x 4.5/6.5.
        Assert.Equal(55m, Only(result, "A").Quantity);
        Assert.Equal(6.153846m, Only(result, "B").Quantity);
        Assert.Equal(48.846153m, Only(result, "C").Quantity);
        Assert.Equal(0m, Math.Round(result.Plans[0]!.CashAfter, 4));
        Assert.Contains("band edge", result.Decisions[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Halfway_mode_moves_the_breaching_positions_halfway_from_the_edge_to_target()
    {
        // Targets 60/40 with a 5-point band: A at 70% and B at 30% both breach; halfway is 60 + 2.5 and 40 - 2.5.
        var (_, result) = new TestBook()
            .Instrument("A", 1, fractional: true).Instrument("B", 1, fractional: true)
            .Model("M", ("A", 0.6), ("B", 0.4))
            .Account("X", "M", 0, TestBook.Policy(mode: RebalanceMode.Halfway, fractional: true), positions: [("A", 700), ("B", 300)])
            .Run();

        Assert.Equal(75m, Only(result, "A").Quantity);
        Assert.Equal(TradeSide.Sell, Only(result, "A").Side);
        Assert.Equal(75m, Only(result, "B").Quantity);
        Assert.Contains("halfway back to target", result.Decisions[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Calendar_rebalance_goes_to_target_and_cites_the_calendar()
    {
        var policy = TestBook.Policy(trigger: RebalanceTrigger.Calendar, calendar: CalendarSchedule.Quarterly);
        var (_, result) = new TestBook()
            .Instrument("A", 10).Instrument("B", 10)
            .Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 0, policy, new DateOnly(2025, 3, 31), ("A", 104), ("B", 96))
            .Run();

        Assert.Equal(DecisionRule.CalendarDue, result.Decisions[0].Rule);
        Assert.Equal(4m, Only(result, "A").Quantity);
        Assert.StartsWith("calendar", Only(result, "A").Reason, StringComparison.Ordinal);
    }
}
