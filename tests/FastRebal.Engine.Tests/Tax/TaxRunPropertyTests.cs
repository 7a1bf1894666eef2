using CsCheck;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>Invariants of the whole tax-aware run over random households of accounts with random lots, policies and flows.</summary>
public class TaxRunPropertyTests
{
    private static readonly string[] Methods = ["fifo", "lifo", "highestCost", "lowestCost", "taxOptimal"];

    /// <param name="plain">
    /// Only what a live engine without a wash-sale ledger decides alike: each account its own household, no flows, no
    /// household history, no substitutes, no batching.
    /// </param>
    internal static TaxScenarioBuilder RandomHousehold(int seed, bool plain = false)
    {
        var random = new Random(seed);
        var builder = new TaxScenarioBuilder();
        if (plain)
        {
            builder.Substitutes("[]");
        }
        var accounts = random.Next(1, 6);
        for (var a = 0; a < accounts; a++)
        {
            string Lots(string instrument, int quantity, int unitPrice)
            {
                var parts = new List<string>();
                var left = quantity;
                var n = 0;
                while (left > 0)
                {
                    var q = n == 3 ? left : random.Next(1, left + 1);
                    var cost = unitPrice * (0.6 + random.NextDouble() * 0.8);
                    var acquired = new DateOnly(2025, 9, 26).AddDays(-random.Next(1, 900));
                    parts.Add($$"""{ "acquired": "{{acquired:yyyy-MM-dd}}", "quantity": {{q}}, "costBasis": {{Math.Round(q * cost, 2).ToString(System.Globalization.CultureInfo.InvariantCulture)}} }""");
                    left -= q;
                    n++;
                }
                return $$"""{ "instrumentId": "{{instrument}}", "quantity": {{quantity}}, "lots": [ {{string.Join(", ", parts)}} ] }""";
            }
            var deferred = random.NextDouble() < 0.2;
            var spy = random.Next(0, 60);
            var agg = random.Next(0, 400);
            var vti = random.NextDouble() < 0.3 ? random.Next(1, 50) : 0;
            var positions = new List<string>();
            foreach (var (id, q, price) in new[] { ("SPY", spy, 600), ("AGG", agg, 100), ("VTI", vti, 300) })
            {
                if (q > 0)
                {
                    positions.Add(deferred ? $$"""{ "instrumentId": "{{id}}", "quantity": {{q}} }""" : Lots(id, q, price));
                }
            }
            var budget = random.NextDouble() < 0.5 ? $", \"gainsBudget\": {random.Next(0, 3000)}" : "";
            var policy = deferred
                ? """ "taxStatus": "taxDeferred" """
                : $$""" "lotMethod": "{{Methods[random.Next(Methods.Length)]}}"{{budget}}, "deferLongTermWithinDays": {{random.Next(0, 40)}}, "cashOnly": {{(random.NextDouble() < 0.2 ? "true" : "false")}} """;
            builder.Account($$"""
                { "id": "A{{a}}", "householdId": "{{(plain ? $"HH{a}" : "HH")}}", "modelId": "BAL6040", "cash": {{random.Next(0, 20_000)}},
                  "positions": [ {{string.Join(", ", positions)}} ],
                  "policy": { "id": "P{{a}}", "bandWidth": 0.03, "trigger": "threshold", "minTradeValue": {{random.Next(0, 500)}}, {{policy}} } }
                """);
            if (!plain && random.NextDouble() < 0.4)
            {
                builder.Flow($"A{a}", random.NextDouble() < 0.5 ? "withdrawal" : random.NextDouble() < 0.5 ? "dividend" : "deposit", random.Next(100, 15_000));
            }
        }
        if (plain)
        {
            return builder;
        }
        if (random.NextDouble() < 0.5)
        {
            builder.Trade($$"""{ "date": "2025-09-{{random.Next(1, 26):00}}", "accountId": "A0", "instrumentId": "{{(random.NextDouble() < 0.5 ? "SPY" : "AGG")}}", "side": "sell", "quantity": 1, "realizedGain": -10 }""");
        }
        if (random.NextDouble() < 0.3)
        {
            builder.Extra(""", "batching": { "belowValue": 30000 }""");
        }
        return builder;
    }

    [Fact]
    public void After_the_run_lots_sum_to_the_filled_positions_basis_is_conserved_and_cash_stays_above_the_reserve()
    {
        Gen.Int.Sample(seed =>
        {
            var scenario = RandomHousehold(seed).LoadClean();
            var book = scenario.Scenario.Book;
            var basisBefore = scenario.Lots.Accounts.Sum(a => scenario.Lots.AllLots(a).Sum(l => l.CostBasis));

            var result = TaxAwareRun.Rebalance(scenario);

            var basisIn = result.TaxedTrades.Where(t => t.OpenedLotId is not null).Sum(t => t.Trade.Notional) + result.WashSales.Where(w => !w.PermanentlyDisallowed).Sum(w => w.DisallowedLoss);
            var basisOut = result.TaxedTrades.SelectMany(t => t.Lots).Sum(l => l.Basis);
            var basisAfter = result.Lots.Accounts.Sum(a => result.Lots.AllLots(a).Sum(l => l.CostBasis));
            Assert.Equal(basisBefore + basisIn - basisOut, basisAfter, 12);
            for (var a = 0; a < book.AccountCount; a++)
            {
                var id = book.AccountId(a);
                var decision = result.Run.Decisions[a];
                var plan = result.Run.Plans[a];
                var released = plan is { IsBlocked: false } && decision.Action is DecisionAction.Rebalance or DecisionAction.CashFlow;
                if (released)
                {
                    Assert.True(plan!.CashAfter >= plan.Reserve - 0.000001m, $"{id}: cash {plan.CashAfter} below reserve {plan.Reserve}");
                }
                if (!result.Lots.HasAccount(id))
                {
                    continue;
                }
                for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
                {
                    var instrument = book.Instruments[book.InstrumentIndices[s]].Id;
                    var change = released ? plan!.Trades.Where(t => t.InstrumentId == instrument).Sum(t => t.Side == TradeSide.Buy ? t.Quantity : -t.Quantity) : 0;
                    Assert.Equal((decimal)book.Quantities[s] + change, result.Lots.Quantity(id, instrument));
                }
                // Buys of substitutes outside the account's slots open lots too.
                foreach (var buy in released ? plan!.Trades.Where(t => t.Side == TradeSide.Buy) : [])
                {
                    Assert.True(result.Lots.Quantity(id, buy.InstrumentId) >= buy.Quantity);
                }
            }
        }, iter: 150);
    }
}
