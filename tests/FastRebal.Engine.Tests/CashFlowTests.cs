using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Runs;

namespace FastRebal.Engine.Tests;

public class CashFlowTests
{
    /// <summary>Targets 50/30/20 at $1, holding 500/250/120: C is the most underweight, A overweight; all inside a 20% band.</summary>
    private static TestBook ThreeFunds(decimal cash = 0) => new TestBook()
        .Instrument("A", 1).Instrument("B", 1).Instrument("C", 1)
        .Model("M", ("A", 0.5), ("B", 0.3), ("C", 0.2))
        .Account("X", "M", cash, TestBook.Policy(band: 0.20), positions: [("A", 500), ("B", 250), ("C", 120)]);

    [Fact]
    public void Deposit_buys_the_most_underweight_positions_first_and_sells_nothing()
    {
        // After the deposit the account is worth 970: C lacks 74, B lacks 41. 100 buys all of C's gap, then 26 of B.
        var (_, result) = ThreeFunds().Flow("X", CashFlowKind.Deposit, 100).Run();

        Assert.Equal(DecisionAction.CashFlow, result.Decisions[0].Action);
        Assert.DoesNotContain(result.Trades, t => t.Side == TradeSide.Sell);
        Assert.Equal(74m, Assert.Single(result.Trades, t => t.InstrumentId == "C").Quantity);
        Assert.Equal(26m, Assert.Single(result.Trades, t => t.InstrumentId == "B").Quantity);
    }

    [Fact]
    public void Dividend_is_invested_like_a_deposit()
    {
        var (_, result) = ThreeFunds().Flow("X", CashFlowKind.Dividend, 100).Run();

        Assert.Equal(100m, result.Trades.Sum(t => t.Notional));
        Assert.All(result.Trades, t => Assert.Equal(TradeSide.Buy, t.Side));
    }

    [Fact]
    public void Withdrawal_is_raised_from_the_most_overweight_position_first()
    {
        var (_, result) = ThreeFunds().Flow("X", CashFlowKind.Withdrawal, 100).Run();

        var sell = Assert.Single(result.Trades);
        Assert.Equal(("A", TradeSide.Sell, 100m), (sell.InstrumentId, sell.Side, sell.Quantity));
        Assert.Equal(0m, result.Plans[0]!.CashAfter);
    }

    [Fact]
    public void Withdrawal_larger_than_the_liquid_holdings_is_blocked_and_changes_nothing()
    {
        var (scenario, result) = ThreeFunds().Flow("X", CashFlowKind.Withdrawal, 5000).Run();
        var before = scenario.Book.Quantities.ToArray();

        var decision = Assert.Single(result.Decisions);
        Assert.Equal((DecisionAction.Blocked, DecisionRule.WithdrawalNotCovered), (decision.Action, decision.Rule));
        Assert.Empty(result.Trades);
        RebalanceRun.ApplyFilled(scenario.Book, result, scenario.CashFlows);
        Assert.Equal(before, scenario.Book.Quantities.ToArray());
        Assert.Equal(0, scenario.Book.Cash[0]);
    }

    [Fact]
    public void Deposit_that_leaves_the_account_in_breach_triggers_a_full_rebalance_including_the_new_cash()
    {
        // A big deposit makes every position badly underweight: the band fires and the rebalance invests it all.
        var (_, result) = ThreeFunds().Flow("X", CashFlowKind.Deposit, 2000).Run();

        Assert.Equal(DecisionAction.Rebalance, result.Decisions[0].Action);
        Assert.True(result.Plans[0]!.CashAfter < 10);
    }
}
