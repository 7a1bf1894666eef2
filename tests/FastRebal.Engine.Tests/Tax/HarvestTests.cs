using FastRebal.Engine.Approvals;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>The tax-loss harvesting scan (prices: SPY 600, VTI 300, AGG 100, BND 50).</summary>
public class HarvestTests
{
    private static readonly DateTimeOffset Now = new(2025, 9, 26, 21, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// H1 holds SPY lots A (60 sh, basis 23,400: +210/sh) and B (40 sh bought 2025-08-01 for 25,600: 640/sh, a loss of
    /// 1,600 = 6.25% of basis), and AGG lot G (300 sh, basis 31,500: a loss of 1,500 = 4.8%).
    /// </summary>
    private static string H1(string harvest, string household = "HH-1") => $$"""
        { "id": "H1", "householdId": "{{household}}", "modelId": "BAL6040", "cash": 0,
          "positions": [
            { "instrumentId": "SPY", "quantity": 100, "lots": [
                { "id": "A", "acquired": "2023-01-10", "quantity": 60, "costBasis": 23400 },
                { "id": "B", "acquired": "2025-08-01", "quantity": 40, "costBasis": 25600 } ] },
            { "instrumentId": "AGG", "quantity": 300, "lots": [ { "id": "G", "acquired": "2024-02-01", "quantity": 300, "costBasis": 31500 } ] } ],
          "policy": { "id": "IPS-H1", "version": 7, "harvest": {{harvest}}, "shortTermTaxRate": 0.37, "longTermTaxRate": 0.2 } }
        """;

    private const string On = """{ "enabled": true, "minLossPercent": 0.05, "minLossAmount": 500 }""";

    [Fact]
    public void A_lot_past_the_threshold_is_sold_and_the_exposure_kept_in_the_substitute()
    {
        var result = TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(H1(On)).LoadClean(), now: Now);

        // Only lot B passes (6.25% >= 5% and 1,600 >= 500); AGG's 4.8% does not. 40 x 600 = 24,000 buys 80 VTI.
        var record = Assert.Single(result.Harvests);
        Assert.Equal(HarvestStatus.Harvested, record.Status);
        Assert.Equal(["B"], record.LotIds);
        Assert.Equal(1_600m, record.ShortTermLoss);
        Assert.Equal("VTI", record.SubstituteId);
        Assert.Equal(80m, record.SubstituteQuantity);
        // 1,600 x 0.37 = 592.
        Assert.Equal(592m, record.EstimatedTaxSaved);
        Assert.Equal(("IPS-H1", 7), (record.PolicyId, record.PolicyVersion));
        Assert.Equal(40m, Assert.Single(result.Run.Trades, t => t.Side == TradeSide.Sell && t.InstrumentId == "SPY").Quantity);
        Assert.Equal(80m, Assert.Single(result.Run.Trades, t => t.Side == TradeSide.Buy && t.InstrumentId == "VTI").Quantity);
        Assert.Equal(60m, result.Lots.Quantity("H1", "SPY"));
        Assert.Equal(24_000m, result.Lots.Lots("H1", "VTI").Single().CostBasis);
        var summary = result.Accounts.Single();
        Assert.Equal((1_600m, 592m, -1_600m), (summary.HarvestedLosses, summary.EstimatedTaxSaved, summary.RealizedShortTerm));
    }

    [Fact]
    public void Thresholds_are_both_a_percentage_and_an_amount()
    {
        // 4% catches AGG's 4.8% too; a 2,000 minimum amount stops both.
        var lower = TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(H1("""{ "enabled": true, "minLossPercent": 0.04, "minLossAmount": 500 }""")).LoadClean(), now: Now);
        var dearer = TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(H1("""{ "enabled": true, "minLossPercent": 0.04, "minLossAmount": 2000 }""")).LoadClean(), now: Now);

        Assert.Equal(["AGG", "SPY"], lower.Harvests.Select(h => h.InstrumentId).Order());
        Assert.Equal("BND", lower.Harvests.Single(h => h.InstrumentId == "AGG").SubstituteId);
        Assert.Empty(dearer.Harvests);
    }

    [Fact]
    public void No_harvest_when_a_substantially_identical_purchase_was_made_in_the_household_within_30_days()
    {
        var result = TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(H1(On))
            .Account("""{ "id": "IRA", "householdId": "HH-1", "modelId": "BAL6040", "cash": 0, "positions": [], "policy": { "id": "P-IRA", "taxStatus": "taxDeferred" } }""")
            .Trade("""{ "date": "2025-09-01", "accountId": "IRA", "instrumentId": "SPY", "side": "buy", "quantity": 1, "source": "dividendReinvestment" }""")
            .LoadClean(), now: Now);

        var record = Assert.Single(result.Harvests);
        Assert.Equal(HarvestStatus.Skipped, record.Status);
        Assert.Contains("wash-sale rule", record.Reason, StringComparison.Ordinal);
        Assert.Contains("IRA", record.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Run.Trades);
        Assert.Equal(0m, record.EstimatedTaxSaved);
    }

    [Fact]
    public void No_harvest_without_a_substitute_that_can_be_bought()
    {
        // VTI was itself sold at a loss 5 days ago: buying it would be a wash sale of that loss, and there is no other substitute.
        var result = TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(H1(On))
            .Trade("""{ "date": "2025-09-21", "accountId": "H1", "instrumentId": "VTI", "side": "sell", "quantity": 3, "realizedGain": -30 }""")
            .LoadClean(), now: Now);

        Assert.Equal(HarvestStatus.Skipped, Assert.Single(result.Harvests).Status);
        Assert.Contains("no substitute", result.Harvests[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_harvest_above_the_limit_waits_for_approval_and_runs_once_approved()
    {
        var builder = new TaxScenarioBuilder().Account(H1("""{ "enabled": true, "minLossPercent": 0.05, "minLossAmount": 500, "approvalAbove": 1000 }"""));
        var queue = new ApprovalQueue();

        var first = TaxAwareRun.Harvest(builder.LoadClean(), queue, Now);
        Assert.Equal(HarvestStatus.PendingApproval, Assert.Single(first.Harvests).Status);
        Assert.Empty(first.Run.Trades);
        var item = Assert.Single(queue.Pending);
        Assert.Equal(ApprovalKind.LargeHarvest, item.Kind);

        queue.Approve(item.Id, "carol", "client wants the loss this year", Now);
        var second = TaxAwareRun.Harvest(builder.LoadClean(), queue, Now);

        Assert.Equal(HarvestStatus.Harvested, Assert.Single(second.Harvests).Status);
        Assert.Equal(item.Id, second.Harvests[0].ApprovalId);
        Assert.Equal(2, second.Run.Trades.Count);
    }

    [Fact]
    public void Tax_deferred_and_illiquid_holdings_are_never_harvested()
    {
        var ira = H1(On).Replace($"\"harvest\": {On}", "\"taxStatus\": \"taxDeferred\"", StringComparison.Ordinal);
        Assert.Empty(TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(ira).LoadClean(), now: Now).Harvests);

        var illiquid = """
            { "id": "R1", "householdId": "HH-9", "modelId": "BAL6040", "cash": 0,
              "positions": [ { "instrumentId": "PRIV", "quantity": 100, "lots": [ { "acquired": "2024-01-02", "quantity": 100, "costBasis": 5000 } ] } ],
              "policy": { "id": "P-R1", "harvest": { "enabled": true } } }
            """;
        var result = TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(illiquid).LoadClean(), now: Now);
        Assert.Equal(HarvestStatus.Skipped, Assert.Single(result.Harvests).Status);
        Assert.Contains("illiquid", result.Harvests[0].Reason, StringComparison.Ordinal);
        Assert.Empty(result.Run.Trades);
    }

    [Fact]
    public void A_day_harvests_first_and_the_rebalance_then_works_from_the_harvested_book()
    {
        // H1 with an empty VTI position (so its book has a place for the substitute). The harvest sells lot B (40 SPY,
        // -1,600) and buys 80 VTI; the book then holds 60 SPY + 80 VTI + 300 AGG. The rebalance counts VTI toward SPY's
        // target, never buys SPY back inside the window, and the lots end equal to the book.
        var account = H1(On).Replace("""{ "instrumentId": "AGG", "quantity": 300""", """{ "instrumentId": "VTI", "quantity": 0 }, { "instrumentId": "AGG", "quantity": 300""", StringComparison.Ordinal);
        var scenario = new TaxScenarioBuilder().Account(account).LoadClean();

        var day = TaxAwareRun.Day(scenario, now: Now);

        Assert.Equal(HarvestStatus.Harvested, Assert.Single(day.Harvests).Status);
        Assert.DoesNotContain(day.Run.Trades, t => t.InstrumentId == "SPY" && t.Side == TradeSide.Buy);
        var book = scenario.Scenario.Book;
        for (var s = book.SlotStart[0]; s < book.SlotStart[1]; s++)
        {
            var instrument = book.Instruments[book.InstrumentIndices[s]].Id;
            var rebalanced = day.Run.Plans[0]?.Trades.Where(t => t.InstrumentId == instrument).Sum(t => t.Side == TradeSide.Buy ? t.Quantity : -t.Quantity) ?? 0;
            Assert.Equal((decimal)book.Quantities[s] + rebalanced, day.Lots.Quantity("H1", instrument));
        }
        var summary = day.Accounts.Single();
        Assert.Equal(1_600m, summary.HarvestedLosses);
        Assert.Equal(day.TaxedTrades.Sum(t => t.ShortTermGain), summary.RealizedShortTerm);
    }

    /// <summary>H2 holds 80 VTI (bought 2025-08-20 for 24,000, now worth 24,000) in place of SPY after a harvest of SPY on 2025-08-20.</summary>
    private static string H2(string swapHarvest) => $$"""
        { "id": "H2", "householdId": "HH-2", "modelId": "BAL6040", "cash": 0,
          "positions": [
            { "instrumentId": "VTI", "quantity": 80, "lots": [ { "acquired": "2025-08-20", "quantity": 80, "costBasis": 24000 } ] },
            { "instrumentId": "AGG", "quantity": 160, "lots": [ { "acquired": "2024-08-20", "quantity": 160, "costBasis": 16000 } ] } ],
          "policy": { "id": "IPS-H2", "harvest": {{swapHarvest}} } }
        """;

    [Fact]
    public void After_the_window_the_substitute_is_swapped_back()
    {
        var result = TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(H2("""{ "enabled": true, "swapBack": true }"""))
            .Trade("""{ "date": "2025-08-20", "accountId": "H2", "instrumentId": "SPY", "side": "sell", "quantity": 40, "realizedGain": -1600, "source": "harvest" }""")
            .LoadClean(), now: Now);

        var swap = Assert.Single(result.Harvests);
        Assert.Equal(HarvestStatus.SwappedBack, swap.Status);
        // 80 VTI x 300 = 24,000 buys 40 SPY; no gain realized.
        Assert.Equal(40m, Assert.Single(result.Run.Trades, t => t.InstrumentId == "SPY").Quantity);
        Assert.Equal(80m, Assert.Single(result.Run.Trades, t => t.InstrumentId == "VTI").Quantity);
    }

    [Fact]
    public void Inside_the_window_the_swap_back_waits()
    {
        var result = TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(H2("""{ "enabled": true, "swapBack": true }"""))
            .Trade("""{ "date": "2025-09-10", "accountId": "H2", "instrumentId": "SPY", "side": "sell", "quantity": 40, "realizedGain": -1600, "source": "harvest" }""")
            .LoadClean(), now: Now);

        Assert.Equal(HarvestStatus.Skipped, Assert.Single(result.Harvests).Status);
        Assert.Contains("swap back waits", result.Harvests[0].Reason, StringComparison.Ordinal);
        Assert.Empty(result.Run.Trades);
    }

    [Fact]
    public void A_swap_back_that_would_realize_a_gain_above_the_limit_is_skipped()
    {
        var gain = H2("""{ "enabled": true, "swapBack": true, "swapBackMaxGain": 100 }""").Replace("\"costBasis\": 24000", "\"costBasis\": 20000", StringComparison.Ordinal);

        var result = TaxAwareRun.Harvest(new TaxScenarioBuilder().Account(gain).LoadClean(), now: Now);

        Assert.Equal(HarvestStatus.Skipped, Assert.Single(result.Harvests).Status);
        Assert.Empty(result.Run.Trades);
    }
}
