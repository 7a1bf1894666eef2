using System.Globalization;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Runs;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Batching;

/// <summary>One account's share of a model trade.</summary>
public sealed record BlockAllocation(string AccountId, decimal Quantity);

/// <summary>A model trade for a group of small accounts: one order in one instrument and direction, allocated to the accounts.</summary>
public sealed record ModelBlock(string ModelId, string InstrumentId, TradeSide Side, decimal Price, IReadOnlyList<BlockAllocation> Allocations)
{
    public decimal Quantity => Allocations.Sum(a => a.Quantity);

    public decimal Notional => Quantity * Price;
}

/// <summary>The plans the batcher made for small accounts, keyed by account index.</summary>
public sealed record BatchPlan(IReadOnlyDictionary<int, (Decision Decision, TradePlan Plan)> Accounts, IReadOnlyDictionary<string, int> GroupSizes);

/// <summary>
/// Small accounts (below a configurable value) of one model that rebalance in a run are rebalanced together: the
/// engine computes one set of model trades, a block per instrument and side, each allocated to the accounts by their
/// own distance to the model (sells to the nearest lot, buys down to a lot). The minimum trade applies to the block,
/// not to each allocation, so a small account's small trade goes out with the others instead of being suppressed;
/// each account still keeps its cash reserve (buys trimmed, largest first). Always to target (band-edge mode does not
/// apply to a batch). Blocked accounts, accounts waiting for approval and cash-flow-only accounts are not batched.
/// </summary>
public static class SmallAccountBatcher
{
    public static BatchPlan Plan(AccountBook book, RunResult run, IReadOnlyList<decimal> netFlow, decimal belowValue)
    {
        var groups = Enumerable.Range(0, book.AccountCount)
            .Where(a => run.Decisions[a].Action == DecisionAction.Rebalance && run.Drift.TotalValue[a] < (double)belowValue)
            .GroupBy(book.ModelIndex)
            .Where(g => g.Count() >= 2);
        var result = new Dictionary<int, (Decision, TradePlan)>();
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var modelId = book.Models[group.Key].Id;
            var members = group.Select(a => Member.Of(book, a, (decimal)book.Cash[a] + netFlow[a])).ToList();
            sizes[modelId] = members.Count;
            var plans = members.ToDictionary(m => m.Account, m => new TradePlan { CashBefore = m.Snapshot.Cash, Reserve = m.Reserve });
            var minTrade = members.Min(m => m.Snapshot.Policy.MinTradeValue);
            var instruments = members.SelectMany(m => m.Snapshot.Holdings.Where(h => h.CanSell).Select(h => h.Instrument.Id)).Distinct(StringComparer.Ordinal).ToList();
            foreach (var instrument in instruments)
            {
                // Each account's own trade toward the model, then one block per side; the minimum trade applies to the block.
                var legs = members.Select(m => (Member: m, Need: m.Need(instrument))).Where(x => x.Need is not null)
                    .Select(x => (x.Member, Need: x.Need!.Value, Trade: Leg(x.Need!.Value)))
                    .Where(x => x.Trade.Quantity > 0)
                    .ToList();
                foreach (var side in legs.GroupBy(l => l.Trade.Side))
                {
                    var blockQuantity = side.Sum(l => l.Trade.Quantity);
                    var blockNotional = side.Sum(l => l.Trade.Quantity * l.Need.Price);
                    if (blockNotional < minTrade)
                    {
                        foreach (var (member, _, _) in side)
                        {
                            plans[member.Account].Warnings.Add(PlanWarning.InWords(string.Create(CultureInfo.InvariantCulture,
                                $"model trade {side.Key.ToString().ToLowerInvariant()} {instrument} for {members.Count} small accounts ({blockNotional:N2}) is below the minimum trade {minTrade:N2} and was suppressed")));
                        }
                        continue;
                    }
                    foreach (var (member, need, leg) in side)
                    {
                        var reason = string.Create(CultureInfo.InvariantCulture,
                            $"model trade for {members.Count} small accounts of {modelId}: {side.Key.ToString().ToLowerInvariant()} {blockQuantity:0.######} {instrument}, this account's share {leg.Quantity:0.######}");
                        plans[member.Account].Trades.Add(new Trade(member.Snapshot.AccountId, instrument, side.Key, leg.Quantity, need.Price, reason));
                    }
                }
            }
            foreach (var member in members)
            {
                var plan = plans[member.Account];
                // The minimum trade was applied to the block: a trimmed allocation stays, however small.
                BuyTrimmer.KeepReserve(plan, 0, id => member.Snapshot.Holdings.First(h => h.Instrument.Id == id).Step);
                var decision = run.Decisions[member.Account];
                var reason = string.Create(CultureInfo.InvariantCulture,
                    $"{decision.Reason.Replace("; no trade was large enough to place", "", StringComparison.Ordinal)}; small account (value {run.Drift.TotalValue[member.Account]:N2} below {belowValue:N2}): rebalanced with {members.Count} accounts of model {modelId} as one set of model trades");
                var action = plan.IsBlocked ? DecisionAction.Blocked : DecisionAction.Rebalance;
                result[member.Account] = (decision with { Action = action, Reason = plan.IsBlocked ? $"{reason}; blocked: {plan.BlockedReason}" : reason, TradeCount = plan.IsBlocked ? 0 : plan.Trades.Count, Warnings = plan.Warnings }, plan);
            }
        }
        return new BatchPlan(result, sizes);
    }

    /// <summary>Groups final trades of batched accounts into one block per model, instrument and side.</summary>
    public static List<ModelBlock> Blocks(AccountBook book, IEnumerable<int> batchedAccounts, IReadOnlyList<TradePlan?> plans)
    {
        return [.. batchedAccounts
            .SelectMany(a => (plans[a]?.IsBlocked == false ? plans[a]!.Trades : []).Select(t => (Model: book.Models[book.ModelIndex(a)].Id, Trade: t)))
            .GroupBy(x => (x.Model, x.Trade.InstrumentId, x.Trade.Side))
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.InstrumentId, StringComparer.Ordinal).ThenBy(g => g.Key.Side)
            .Select(g => new ModelBlock(g.Key.Model, g.Key.InstrumentId, g.Key.Side, g.First().Trade.Price,
                [.. g.Select(x => new BlockAllocation(x.Trade.AccountId, x.Trade.Quantity))]))];
    }

    private readonly record struct Need(decimal Value, decimal Price, decimal Step, decimal Held, bool CanBuy, bool Close);

    /// <summary>The account's own trade toward its goal: sells to the nearest lot (all of it when the goal is zero), buys down to a lot.</summary>
    private static (TradeSide Side, decimal Quantity) Leg(Need need) => need.Value < 0
        ? (TradeSide.Sell, TradeSizing.SellQuantity(-need.Value / need.Price, need.Held, need.Step, need.Close, roundUp: false))
        : (TradeSide.Buy, need.CanBuy ? TradeSizing.FloorToStep(need.Value / need.Price, need.Step) : 0);

    private sealed record Member(int Account, AccountSnapshot Snapshot, decimal Reserve, decimal LiquidBudget, decimal LiquidTargets)
    {
        public static Member Of(AccountBook book, int account, decimal cash)
        {
            var snapshot = AccountSnapshot.From(book, account, cash);
            var value = snapshot.TotalValue;
            var reserve = snapshot.ReserveAt(value);
            var illiquid = snapshot.Holdings.Where(h => !h.CanSell).Sum(h => h.Value);
            var liquidTargets = snapshot.Holdings.Where(h => h.CanSell).Sum(h => h.Target);
            return new Member(account, snapshot, reserve, Math.Max(0, value - reserve - illiquid), liquidTargets);
        }

        /// <summary>What the account lacks (positive) or holds too much of (negative) in an instrument, in money.</summary>
        public Need? Need(string instrumentId)
        {
            foreach (var h in Snapshot.Holdings)
            {
                if (h.Instrument.Id == instrumentId && h.CanSell)
                {
                    var goal = LiquidTargets > 0 ? h.Target / LiquidTargets * LiquidBudget : 0;
                    return new Need(goal - h.Value, h.Price, h.Step, h.Quantity, h.CanBuy, goal <= 0);
                }
            }
            return null;
        }
    }
}
