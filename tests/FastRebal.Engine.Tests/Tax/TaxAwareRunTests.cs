using FastRebal.Engine.Approvals;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>The tax-aware rebalance on small worked examples (prices: SPY 600, VTI 300, AGG 100, BND 50, PRIV 25).</summary>
public class TaxAwareRunTests
{
    private static readonly DateTimeOffset Now = new(2025, 9, 26, 21, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// T1: 100 SPY (60,000) in lots A (60 sh bought 2023-01-10 for 23,400: +210/sh, long-term) and B (40 sh bought
    /// 2025-08-01 for 25,600: -40/sh, short-term), 300 AGG (30,000, basis 31,500), cash 0: SPY 66.7% against 60%.
    /// To target: SPY 54,000, sell 10; AGG 36,000, buy 60.
    /// </summary>
    private static string T1(string policyExtra, string household = "HH-1") => $$"""
        { "id": "T1", "householdId": "{{household}}", "modelId": "BAL6040", "cash": 0,
          "positions": [
            { "instrumentId": "SPY", "quantity": 100, "lots": [
                { "id": "A", "acquired": "2023-01-10", "quantity": 60, "costBasis": 23400 },
                { "id": "B", "acquired": "2025-08-01", "quantity": 40, "costBasis": 25600 } ] },
            { "instrumentId": "AGG", "quantity": 300, "lots": [ { "id": "G", "acquired": "2024-02-01", "quantity": 300, "costBasis": 31500 } ] } ],
          "policy": { "id": "IPS-T1", "version": 4, "bandWidth": 0.05, "trigger": "threshold"{{policyExtra}} } }
        """;

    private static Trade Only(TaxRunResult result, string account, string instrument, TradeSide side) =>
        Assert.Single(result.Run.Trades, t => t.AccountId == account && t.InstrumentId == instrument && t.Side == side);

    [Fact]
    public void Rebalance_sells_lots_by_the_accounts_method()
    {
        // FIFO: the 10 SPY come from lot A: 6,000 - 10 x 390 = +2,100 long-term.
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(T1(""", "lotMethod": "fifo" """)).LoadClean(), now: Now);
        var sell = Assert.Single(result.TaxedTrades, t => t.Trade.Side == TradeSide.Sell);
        Assert.Equal(10m, sell.Trade.Quantity);
        Assert.Equal("A", Assert.Single(sell.Lots).LotId);
        Assert.Equal(2_100m, sell.LongTermGain);
        Assert.Equal(50m, result.Lots.Lots("T1", "SPY").Single(l => l.Id == "A").Quantity);

        // Highest cost: lot B (640/sh): 6,000 - 6,400 = -400 short-term.
        var hifo = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(T1(""", "lotMethod": "highestCost" """)).LoadClean(), now: Now);
        Assert.Equal(-400m, Assert.Single(hifo.TaxedTrades, t => t.Trade.Side == TradeSide.Sell).ShortTermGain);
        Assert.Equal(-400m, hifo.Accounts.Single(a => a.AccountId == "T1").RealizedShortTerm);
    }

    [Fact]
    public void Gains_budget_cuts_the_sell_and_the_buys_follow_the_cash()
    {
        // FIFO, budget 1,000: lot A gains 210/sh, so floor(1,000 / 210) = 4 SPY (+840); 2,400 raised buys 24 AGG, not 60.
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(T1(""", "lotMethod": "fifo", "gainsBudget": 1000 """)).LoadClean(), now: Now);

        Assert.Equal(4m, Only(result, "T1", "SPY", TradeSide.Sell).Quantity);
        Assert.Equal(24m, Only(result, "T1", "AGG", TradeSide.Buy).Quantity);
        Assert.Equal(840m, result.Accounts.Single(a => a.AccountId == "T1").RealizedLongTerm);
        Assert.Contains("gains budget", result.Run.Decisions[0].Reason, StringComparison.Ordinal);
        Assert.True(result.Run.Plans[0]!.CashAfter >= 0);
    }

    [Fact]
    public void Lots_about_to_turn_long_term_are_not_sold_by_a_rebalance()
    {
        // Lot A bought 2024-10-01 turns long-term on 2025-10-02, 6 days after 2025-09-26: with a 30-day deferral only lot B sells.
        var account = T1(""", "lotMethod": "fifo", "deferLongTermWithinDays": 30 """).Replace("2023-01-10", "2024-10-01", StringComparison.Ordinal);
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(account).LoadClean(), now: Now);

        var sell = Assert.Single(result.TaxedTrades, t => t.Trade.Side == TradeSide.Sell);
        Assert.Equal("B", Assert.Single(sell.Lots).LotId);
        Assert.Equal(-400m, sell.ShortTermGain);
    }

    [Fact]
    public void Withdrawal_picks_lots_that_minimize_tax_and_ignores_the_gains_budget()
    {
        // Withdraw 3,000 from a FIFO account: tax-optimal relief sells lot B first (a loss) even though FIFO would take A.
        var account = T1(""", "lotMethod": "fifo", "gainsBudget": 0, "bandWidth": 0.2 """).Replace("\"bandWidth\": 0.05, ", "", StringComparison.Ordinal);
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(account).Flow("T1", "withdrawal", 3_000).LoadClean(), now: Now);

        Assert.Equal(DecisionAction.CashFlow, result.Run.Decisions[0].Action);
        var sell = Assert.Single(result.TaxedTrades, t => t.Trade.Side == TradeSide.Sell);
        Assert.All(sell.Lots, l => Assert.Equal("B", l.LotId));
        Assert.True(sell.Trade.Notional >= 3_000m);
    }

    [Fact]
    public void Cash_only_mode_invests_spare_cash_and_sells_nothing()
    {
        // T1 with 6,000 cash: SPY 60,000 / 96,000 = 62.5%, AGG 31.25%: outside 5% AGG band. Cash-only buys AGG with the 6,000.
        var account = T1(""", "cashOnly": true """).Replace("\"cash\": 0", "\"cash\": 6000", StringComparison.Ordinal);
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(account).LoadClean(), now: Now);

        Assert.DoesNotContain(result.Run.Trades, t => t.Side == TradeSide.Sell);
        Assert.Equal(60m, Only(result, "T1", "AGG", TradeSide.Buy).Quantity);
        Assert.Contains("cash-only", result.Run.Decisions[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_buy_within_30_days_of_a_household_loss_sale_buys_the_substitute_instead()
    {
        // AGG was sold at a loss in the household's other account 10 days ago: the 60 AGG (6,000) become 120 BND.
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(T1(""))
            .Account("""{ "id": "T9", "householdId": "HH-1", "modelId": "BAL6040", "cash": 0, "positions": [], "policy": { "id": "P9" } }""")
            .Trade("""{ "date": "2025-09-16", "accountId": "T9", "instrumentId": "AGG", "side": "sell", "quantity": 5, "realizedGain": -50 }""")
            .LoadClean(), now: Now);

        Assert.DoesNotContain(result.Run.Trades, t => t.InstrumentId == "AGG" && t.Side == TradeSide.Buy);
        var bnd = Only(result, "T1", "BND", TradeSide.Buy);
        Assert.Equal(120m, bnd.Quantity);
        Assert.Contains("wash-sale rule", bnd.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_substitute_the_repurchase_is_not_placed()
    {
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Substitutes("[]").Account(T1(""))
            .Trade("""{ "date": "2025-09-16", "accountId": "T1", "instrumentId": "AGG", "side": "sell", "quantity": 5, "realizedGain": -50 }""")
            .LoadClean(), now: Now);

        Assert.DoesNotContain(result.Run.Trades, t => t.Side == TradeSide.Buy);
        Assert.Contains(result.Run.Decisions[0].Warnings, w => w.ToString().Contains("wash-sale rule", StringComparison.Ordinal));
    }

    [Fact]
    public void Loss_sold_31_days_ago_no_longer_blocks_the_repurchase()
    {
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(T1(""))
            .Trade("""{ "date": "2025-08-26", "accountId": "T1", "instrumentId": "AGG", "side": "sell", "quantity": 5, "realizedGain": -50 }""")
            .LoadClean(), now: Now);

        Assert.Equal(60m, Only(result, "T1", "AGG", TradeSide.Buy).Quantity);
    }

    [Fact]
    public void A_same_run_wash_sale_in_another_household_account_moves_the_loss_into_the_new_lot()
    {
        // B1 (first) buys 60 AGG at 100 while T1 (second) sells 10 SPY at a loss of 40/sh from lot B... so make B1 buy SPY:
        // B1 holds 300 AGG and nothing else: to target it buys 30 SPY (18,000) and sells 180 AGG. Then T1 (highest cost)
        // sells 10 SPY of lot B at -40/sh: 400 disallowed, moved into B1's new SPY lot (18,000 + 400).
        var b1 = """
            { "id": "B1", "householdId": "HH-1", "modelId": "BAL6040", "cash": 0,
              "positions": [ { "instrumentId": "AGG", "quantity": 300, "lots": [ { "acquired": "2024-01-02", "quantity": 300, "costBasis": 30000 } ] } ],
              "policy": { "id": "IPS-B1", "bandWidth": 0.05, "trigger": "threshold" } }
            """;
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(b1).Account(T1(""", "lotMethod": "highestCost" """)).LoadClean(), now: Now);

        var wash = Assert.Single(result.WashSales);
        Assert.Equal("T1", wash.SaleAccountId);
        Assert.Equal("B1", wash.ReplacementAccountId);
        Assert.Equal(400m, wash.DisallowedLoss);
        var newLot = result.Lots.Lots("B1", "SPY").Single(l => l.WashSaleAdjustment > 0);
        Assert.Equal(10m, newLot.Quantity);
        Assert.Equal(6_400m, newLot.CostBasis);
        Assert.Equal(400m, result.Accounts.Single(a => a.AccountId == "T1").DisallowedLosses);
        Assert.Equal(30m, result.Lots.Quantity("B1", "SPY"));
    }

    [Fact]
    public void A_deposit_inside_the_band_buys_the_substitute_of_an_instrument_sold_at_a_loss()
    {
        // D1: 30 SPY (18,000) + 120 AGG (12,000) is on target; after a 5,000 deposit SPY is 51.4% and AGG 34.3%, inside the
        // 10-point band, so the deposit buys what is lacking: 5 SPY (3,000) and 20 AGG (2,000). SPY was sold at a loss in
        // the household 3 days ago: the SPY part buys 10 VTI instead. Nothing is sold.
        var d1 = """
            { "id": "D1", "householdId": "HH-1", "modelId": "BAL6040", "cash": 0,
              "positions": [ { "instrumentId": "SPY", "quantity": 30 }, { "instrumentId": "AGG", "quantity": 120 } ],
              "policy": { "id": "IPS-D1", "bandWidth": 0.1, "trigger": "threshold" } }
            """;
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(d1).Flow("D1", "deposit", 5_000)
            .Trade("""{ "date": "2025-09-23", "accountId": "D1", "instrumentId": "SPY", "side": "sell", "quantity": 1, "realizedGain": -20 }""")
            .LoadClean(), now: Now);

        Assert.Equal(DecisionAction.CashFlow, result.Run.Decisions[0].Action);
        Assert.Equal(10m, Only(result, "D1", "VTI", TradeSide.Buy).Quantity);
        Assert.Equal(20m, Only(result, "D1", "AGG", TradeSide.Buy).Quantity);
        Assert.DoesNotContain(result.Run.Trades, t => t.Side == TradeSide.Sell || t.InstrumentId == "SPY");
    }

    [Fact]
    public void A_reinvested_dividend_that_replaces_a_loss_sold_in_the_same_run_carries_the_disallowed_loss()
    {
        // D1 (first): 33 SPY (19,800) + 132 AGG (13,200) and a 3,000 dividend, inside its 10-point band: the dividend buys
        // what is lacking, 3 SPY (21,600 - 19,800 = 1,800) and 12 AGG, recorded as a dividend reinvestment. T1 (second,
        // highest cost) then sells 10 SPY of lot B at -40/sh: 3 are replaced, 3 x 40 = 120 disallowed into D1's new lot.
        var d1 = """
            { "id": "D1", "householdId": "HH-1", "modelId": "BAL6040", "cash": 0,
              "positions": [ { "instrumentId": "SPY", "quantity": 33, "lots": [ { "acquired": "2024-01-02", "quantity": 33, "costBasis": 15000 } ] },
                             { "instrumentId": "AGG", "quantity": 132, "lots": [ { "acquired": "2024-01-02", "quantity": 132, "costBasis": 13000 } ] } ],
              "policy": { "id": "IPS-D1", "bandWidth": 0.1, "trigger": "threshold" } }
            """;
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(d1).Account(T1(""", "lotMethod": "highestCost" """))
            .Flow("D1", "dividend", 3_000).LoadClean(), now: Now);

        Assert.Equal(DecisionAction.CashFlow, result.Run.Decisions[0].Action);
        Assert.Equal(3m, Only(result, "D1", "SPY", TradeSide.Buy).Quantity);
        var wash = Assert.Single(result.WashSales);
        Assert.Equal(TradeSource.DividendReinvestment, wash.ReplacementSource);
        Assert.Equal((3m, 120m), (wash.Quantity, wash.DisallowedLoss));
        Assert.Equal(1_920m, result.Lots.Lots("D1", "SPY").Single(l => l.Acquired == new DateOnly(2025, 9, 26)).CostBasis);
    }

    [Fact]
    public void A_substitute_held_after_a_harvest_counts_toward_its_model_instrument()
    {
        // Holds 100 VTI (30,000) in place of SPY and 200 AGG (20,000): without the substitute rule VTI would be sold whole.
        var account = """
            { "id": "H1", "householdId": "HH-1", "modelId": "BAL6040", "cash": 0,
              "positions": [
                { "instrumentId": "VTI", "quantity": 100, "lots": [ { "acquired": "2025-09-01", "quantity": 100, "costBasis": 29000 } ] },
                { "instrumentId": "AGG", "quantity": 200, "lots": [ { "acquired": "2024-09-01", "quantity": 200, "costBasis": 20000 } ] } ],
              "policy": { "id": "IPS-H1", "bandWidth": 0.05, "trigger": "threshold" } }
            """;
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(account).LoadClean(), now: Now);

        // VTI is 60% of 50,000: it takes all of SPY's 60% target and AGG is at its 40%: the account is in band after all.
        Assert.Empty(result.Run.Trades);
        Assert.Equal((DecisionAction.NoTrade, DecisionRule.WithinBand), (result.Run.Decisions[0].Action, result.Run.Decisions[0].Rule));
        Assert.Contains("VTI held as a substitute for SPY", result.Run.Decisions[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_substitute_is_kept_while_the_rest_of_the_account_rebalances()
    {
        // 50 VTI (15,000) for SPY, 350 AGG (35,000): equity 30% against 60%. VTI keeps its 30% of SPY's target; the other
        // 30% (15,000) is bought as SPY... but SPY is inside a wash-sale window here, so as VTI: 50 more VTI, 150 AGG sold.
        var account = """
            { "id": "H1", "householdId": "HH-1", "modelId": "BAL6040", "cash": 0,
              "positions": [
                { "instrumentId": "VTI", "quantity": 50, "lots": [ { "acquired": "2025-09-01", "quantity": 50, "costBasis": 15500 } ] },
                { "instrumentId": "AGG", "quantity": 350, "lots": [ { "acquired": "2024-09-01", "quantity": 350, "costBasis": 34000 } ] } ],
              "policy": { "id": "IPS-H1", "bandWidth": 0.05, "trigger": "threshold" } }
            """;
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(account)
            .Trade("""{ "date": "2025-09-01", "accountId": "H1", "instrumentId": "SPY", "side": "sell", "quantity": 50, "realizedGain": -500 }""")
            .LoadClean(), now: Now);

        Assert.Equal(DecisionAction.Rebalance, result.Run.Decisions[0].Action);
        Assert.DoesNotContain(result.Run.Trades, t => t.InstrumentId == "VTI" && t.Side == TradeSide.Sell);
        Assert.Equal(50m, Only(result, "H1", "VTI", TradeSide.Buy).Quantity);
        Assert.Equal(150m, Only(result, "H1", "AGG", TradeSide.Sell).Quantity);
    }

    [Fact]
    public void Illiquid_holdings_wait_for_approval_and_an_approval_releases_them_on_the_next_run()
    {
        var p1 = """
            { "id": "P1", "householdId": "HH-4", "modelId": "BAL6040", "cash": 2000,
              "positions": [ { "instrumentId": "SPY", "quantity": 100 }, { "instrumentId": "AGG", "quantity": 500 }, { "instrumentId": "PRIV", "quantity": 1000 } ],
              "policy": { "id": "IPS-P1", "version": 2, "bandWidth": 0.05, "trigger": "threshold" } }
            """;
        var queue = new ApprovalQueue();
        var first = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(p1).LoadClean(), queue, Now);

        Assert.Equal(DecisionAction.NeedsApproval, first.Run.Decisions[0].Action);
        Assert.Empty(first.Run.Trades);
        var item = Assert.Single(queue.Pending);
        Assert.Equal(ApprovalKind.IlliquidHoldings, item.Kind);
        Assert.Equal("IPS-P1", item.PolicyId);
        Assert.Equal(2, item.PolicyVersion);
        Assert.DoesNotContain(item.Trades, t => t.InstrumentId == "PRIV");

        Assert.Equal(ApprovalOutcome.Done, queue.Approve(item.Id, "alice", "REIT redemption is scheduled", Now));
        var second = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(p1).LoadClean(), queue, Now);

        Assert.Equal(DecisionAction.Rebalance, second.Run.Decisions[0].Action);
        Assert.Equal(item.Trades.Count, second.Run.Trades.Count);
        Assert.Contains("released: approved by alice", second.Run.Decisions[0].Reason, StringComparison.Ordinal);
        Assert.Equal(["submitted", "approved"], queue.Audit.Select(a => a.Action));
    }

    [Fact]
    public void A_rejected_approval_never_releases_and_a_decision_is_final()
    {
        var p1 = """
            { "id": "P1", "householdId": "HH-4", "modelId": "BAL6040", "cash": 2000,
              "positions": [ { "instrumentId": "SPY", "quantity": 100 }, { "instrumentId": "AGG", "quantity": 500 }, { "instrumentId": "PRIV", "quantity": 1000 } ],
              "policy": { "id": "IPS-P1", "bandWidth": 0.05, "trigger": "threshold" } }
            """;
        var queue = new ApprovalQueue();
        TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(p1).LoadClean(), queue, Now);
        var id = queue.Items.Single().Id;

        Assert.Equal(ApprovalOutcome.MissingWhy, queue.Reject(id, "bob", " ", Now));
        Assert.Equal(ApprovalOutcome.Done, queue.Reject(id, "bob", "wait for the appraisal", Now));
        Assert.Equal(ApprovalOutcome.AlreadyDecided, queue.Approve(id, "alice", "changed my mind", Now));
        Assert.Equal(ApprovalOutcome.NotFound, queue.Approve("APR-nope", "alice", "x", Now));
        var again = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(p1).LoadClean(), queue, Now);

        Assert.Equal(DecisionAction.NeedsApproval, again.Run.Decisions[0].Action);
        Assert.Empty(again.Run.Trades);
        Assert.Contains("rejected by bob", again.Run.Decisions[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Blocked_accounts_are_queued_for_an_operator()
    {
        // A 50,000 withdrawal from an account worth 20,000 is blocked.
        var small = """
            { "id": "W1", "householdId": "HH-5", "modelId": "BAL6040", "cash": 0,
              "positions": [ { "instrumentId": "SPY", "quantity": 20 }, { "instrumentId": "AGG", "quantity": 80 } ],
              "policy": { "id": "IPS-W1", "bandWidth": 0.05, "trigger": "threshold" } }
            """;
        var queue = new ApprovalQueue();
        var result = TaxAwareRun.Rebalance(new TaxScenarioBuilder().Account(small).Flow("W1", "withdrawal", 50_000).LoadClean(), queue, Now);

        Assert.Equal(DecisionAction.Blocked, result.Run.Decisions[0].Action);
        Assert.Equal(ApprovalKind.BlockedAccount, Assert.Single(queue.Items).Kind);
    }

    [Fact]
    public void Small_accounts_of_a_model_trade_as_blocks_with_the_minimum_trade_on_the_block()
    {
        // S1: 20 SPY (12,000) + 40 AGG (4,000) = 16,000: to target sells 4 SPY (2,400), buys 24 AGG.
        // S2: 18 SPY (10,800) + 50 AGG (5,000) = 15,800: sells 2 SPY (1,200), buys 12 AGG.
        // Alone, every trade is under the 2,500 minimum; as blocks, SPY sell 6 (3,600) and AGG buy 36 (3,600) go out.
        static string Small(string id, int spy, int agg) => $$"""
            { "id": "{{id}}", "householdId": "H-{{id}}", "modelId": "BAL6040", "cash": 0,
              "positions": [ { "instrumentId": "SPY", "quantity": {{spy}} }, { "instrumentId": "AGG", "quantity": {{agg}} } ],
              "policy": { "id": "IPS-{{id}}", "bandWidth": 0.05, "trigger": "threshold", "minTradeValue": 2500 } }
            """;
        var builder = new TaxScenarioBuilder().Account(Small("S1", 20, 40)).Account(Small("S2", 18, 50));
        var plain = TaxAwareRun.Rebalance(builder.LoadClean(), now: Now);
        Assert.Empty(plain.Run.Trades);

        var result = TaxAwareRun.Rebalance(builder.Extra(""", "batching": { "belowValue": 25000 }""").LoadClean(), now: Now);

        var spy = Assert.Single(result.Blocks, b => b.InstrumentId == "SPY");
        Assert.Equal(TradeSide.Sell, spy.Side);
        Assert.Equal(6m, spy.Quantity);
        Assert.Equal(["S1 4", "S2 2"], spy.Allocations.Select(a => $"{a.AccountId} {a.Quantity}"));
        var agg = Assert.Single(result.Blocks, b => b.InstrumentId == "AGG");
        Assert.Equal(["S1 24", "S2 12"], agg.Allocations.Select(a => $"{a.AccountId} {a.Quantity}"));
        Assert.All(result.Run.Plans, p => Assert.True(p!.CashAfter >= 0));
    }

    [Fact]
    public void A_file_without_tax_fields_runs_exactly_as_before()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Examples", "quickstart.json");
        var tax = TaxScenario.Load(path);
        var plain = Scenarios.ScenarioLoader.Load(path);

        Assert.False(tax.UsesTaxFeatures);
        var a = Runs.RebalanceRun.Execute(plain.Book, plain.AsOf, plain.CashFlows);
        var b = TaxAwareRun.Rebalance(tax, now: Now);
        Assert.Equal(a.Trades, b.Run.Trades);
        Assert.Equal(a.Decisions.Select(d => (d.Action, d.Reason)), b.Run.Decisions.Select(d => (d.Action, d.Reason)));
    }
}
