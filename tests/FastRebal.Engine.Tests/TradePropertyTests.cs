using CsCheck;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Tests;

/// <summary>Invariants every plan must keep, over random accounts.</summary>
public class TradePropertyTests
{
    /// <summary>A random one-model firm: 1..12 instruments, accounts with random holdings, cash, flows and policies.</summary>
    private static LoadedScenario RandomScenario(int seed, bool fractional, bool largeAccounts)
    {
        var random = new Random(seed);
        var book = new TestBook();
        var count = random.Next(1, 13);
        var raw = Enumerable.Range(0, count).Select(_ => random.NextDouble() + 0.05).ToArray();
        var weights = raw.Select(r => r / raw.Sum()).ToArray();
        weights[^1] = 1 - weights[..^1].Sum();
        var prices = Enumerable.Range(0, count).Select(_ => Math.Round(5 + (random.NextDouble() * 400), 2)).ToArray();
        for (var i = 0; i < count; i++)
        {
            book.Instrument($"I{i}", prices[i], fractional: true);
        }
        book.Instrument("OUT", 50, fractional: true);
        book.Model("M", [.. weights.Select((w, i) => ($"I{i}", w))]);
        for (var a = 0; a < 20; a++)
        {
            var scale = largeAccounts ? 2_000_000 : 200_000;
            var positions = Enumerable.Range(0, count)
                .Select(i => ($"I{i}", (decimal)Math.Round((0.5 + random.NextDouble()) * scale / count / prices[i], fractional ? 4 : 0)))
                .Append(("OUT", random.NextDouble() < 0.2 ? 10m : 0m))
                .ToArray();
            var policy = TestBook.Policy(
                band: 0.02 + (random.NextDouble() * 0.08),
                bandType: fractional && random.NextDouble() < 0.3 ? BandType.Relative : BandType.Absolute,
                reservePercent: random.NextDouble() < 0.5 ? Math.Round(random.NextDouble() * 0.05, 4) : 0,
                reserveAmount: random.NextDouble() < 0.3 ? random.Next(0, 2000) : 0,
                fractional: fractional,
                mode: random.NextDouble() < 0.3 ? RebalanceMode.ToBandEdge : RebalanceMode.ToTarget);
            book.Account($"A{a}", "M", (decimal)Math.Round(random.NextDouble() * scale * 0.1, 2), policy, positions: positions);
            if (random.NextDouble() < 0.3)
            {
                book.Flow($"A{a}", random.NextDouble() < 0.5 ? CashFlowKind.Deposit : CashFlowKind.Withdrawal, 1 + (decimal)Math.Round(random.NextDouble() * scale * 0.05, 2));
            }
        }
        var loaded = book.Load();
        Assert.Empty(loaded.Errors);
        return loaded;
    }

    [Fact]
    public void Plans_never_go_short_never_leave_cash_below_the_reserve_and_are_cash_consistent()
    {
        Gen.Select(Gen.Int, Gen.Bool, Gen.Bool).Sample((seed, fractional, large) =>
        {
            var scenario = RandomScenario(seed, fractional, large);
            var result = RebalanceRun.Execute(scenario.Book, scenario.AsOf, scenario.CashFlows, new RunOptions { Parallel = false });
            for (var a = 0; a < scenario.Book.AccountCount; a++)
            {
                var plan = result.Plans[a];
                if (plan is null || plan.IsBlocked)
                {
                    continue;
                }
                var held = new Dictionary<string, decimal>(StringComparer.Ordinal);
                for (var s = scenario.Book.SlotStart[a]; s < scenario.Book.SlotStart[a + 1]; s++)
                {
                    held[scenario.Book.Instruments[scenario.Book.InstrumentIndices[s]].Id] = (decimal)scenario.Book.Quantities[s];
                }
                foreach (var trade in plan.Trades)
                {
                    Assert.True(trade.Quantity > 0, $"{trade}: non-positive quantity");
                    held[trade.InstrumentId] += trade.Side == TradeSide.Buy ? trade.Quantity : -trade.Quantity;
                    Assert.True(held[trade.InstrumentId] >= 0, $"{trade.AccountId} goes short {trade.InstrumentId}");
                }
                Assert.Equal(plan.CashBefore - plan.Trades.Where(t => t.Side == TradeSide.Buy).Sum(t => t.Notional) + plan.Trades.Where(t => t.Side == TradeSide.Sell).Sum(t => t.Notional), plan.CashAfter);
                Assert.True(plan.CashAfter >= 0, $"{scenario.Book.AccountId(a)}: cash after {plan.CashAfter} is negative");
                Assert.True(plan.CashAfter >= plan.Reserve - 0.000001m, $"{scenario.Book.AccountId(a)}: cash after {plan.CashAfter} below reserve {plan.Reserve}");
            }
        }, iter: 120);
    }

    [Fact]
    public void After_a_released_rebalance_fills_every_position_is_inside_its_band()
    {
        Gen.Select(Gen.Int, Gen.Bool).Sample((seed, fractional) =>
        {
            // Whole shares are checked on large accounts, where one share is a small fraction of a band.
            var scenario = RandomScenario(seed, fractional, largeAccounts: !fractional);
            var book = scenario.Book;
            var result = RebalanceRun.Execute(book, scenario.AsOf, scenario.CashFlows, new RunOptions { Parallel = false });
            RebalanceRun.ApplyFilled(book, result, scenario.CashFlows);
            var after = new DriftReport(book);
            DriftSweep.Run(book, after, SweepPath.Scalar, parallel: false);
            for (var a = 0; a < book.AccountCount; a++)
            {
                if (result.Decisions[a].Action == DecisionAction.Rebalance && result.Decisions[a].Warnings.Count == 0)
                {
                    Assert.True(after.MaxExcess[a] <= 1e-6, $"{book.AccountId(a)} is still {after.MaxExcess[a]:P4} outside its band after rebalancing: {result.Decisions[a].Reason}");
                }
            }
        }, iter: 120);
    }
}
