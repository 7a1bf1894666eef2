using System.Globalization;
using FastRebal.Engine.Model;

namespace FastRebal.Engine.Orders;

/// <summary>
/// Turns a rebalance decision into trades for one account. The rules, in the order they apply:
/// illiquid holdings are never traded (an out-of-band one sends the account to manual approval); restricted
/// instruments are never bought; sells fund buys; whole-share or lot rounding sells to the nearest lot (never more
/// than held) and buys down to a lot; trades under the IPS minimum are suppressed with a warning; cash never ends
/// below the reserve: buys are trimmed, largest first, and if that is not enough the account is blocked.
/// </summary>
public static class TradeGenerator
{
    /// <summary>Band-edge rebalancing stops this fraction of the band inside the edge, so rounding cannot leave it on the edge.</summary>
    public const decimal BandEdgeMargin = 0.1m;

    /// <summary>Plans a rebalance. <paramref name="bandEdge"/> moves only out-of-band positions back inside their band.</summary>
    public static TradePlan Rebalance(AccountSnapshot account, bool bandEdge, string rule) =>
        Rebalance(account, bandEdge ? RebalanceMode.ToBandEdge : RebalanceMode.ToTarget, rule);

    /// <summary>
    /// Where a rebalance answering <paramref name="bandBreach"/> takes the account: the IPS's mode for a band breach;
    /// a calendar or asset-class trigger always goes to target.
    /// </summary>
    public static RebalanceMode GoalFor(InvestmentPolicy policy, bool bandBreach) => bandBreach ? policy.Mode : RebalanceMode.ToTarget;

    /// <summary>Plans a rebalance to target, or (band edge, halfway) moves only out-of-band positions back inside their band.</summary>
    public static TradePlan Rebalance(AccountSnapshot account, RebalanceMode goal, string rule)
    {
        var value = account.TotalValue;
        var reserve = account.ReserveAt(value);
        var investable = value - reserve;
        // A rebalance may trade every position: its list is sized once rather than grown.
        var plan = new TradePlan(account.Holdings.Count) { CashBefore = account.Cash, Reserve = reserve };
        if (investable <= 0)
        {
            plan.BlockedReason = string.Create(CultureInfo.InvariantCulture, $"the cash reserve {reserve:N2} leaves nothing to invest out of {value:N2}");
            return plan;
        }

        var illiquidNotes = IlliquidOutOfBand(account, investable);
        // Each holding's goal, on the stack for any model's size: a plan keeps none of them once its trades are made.
        var count = account.Holdings.Count;
        Span<decimal> goals = count <= StackPositions ? stackalloc decimal[count] : new decimal[count];
        var funded = false;
        if (goal != RebalanceMode.ToTarget)
        {
            // Band edge stops just inside the edge; halfway stops midway between the edge and the target.
            var depth = goal == RebalanceMode.Halfway ? 0.5m : 1 - BandEdgeMargin;
            funded = BandEdgeGoals(account, value, reserve, investable, depth, goals);
            if (!funded)
            {
                plan.Warnings.Add(PlanWarning.InWords($"{(goal == RebalanceMode.Halfway ? "halfway" : "band-edge")} trades could not be funded from sells and spare cash; rebalanced to target instead"));
            }
        }
        if (!funded)
        {
            var illiquidValue = SumValues(account.Holdings, sellable: false);
            if (illiquidValue > investable)
            {
                plan.BlockedReason = string.Create(CultureInfo.InvariantCulture, $"illiquid holdings worth {illiquidValue:N2} exceed the investable value {investable:N2}; manual review needed");
                return plan;
            }
            TargetGoals(account, investable - illiquidValue, goals);
        }

        AddTrades(plan, account, goals, investable, rule, raisingCash: false);
        EnforceCashReserve(plan, account);
        if (illiquidNotes.Count > 0 && !plan.IsBlocked)
        {
            plan.ApprovalReason = "illiquid holdings are out of band and are never traded automatically: " + string.Join("; ", illiquidNotes);
        }
        return plan;
    }

    /// <summary>
    /// Invests a net inflow into the most underweight positions first without selling anything, or raises a net
    /// outflow (and any shortfall under the reserve) from the most overweight positions first. The account's cash
    /// in <paramref name="account"/> already includes the flow.
    /// </summary>
    public static TradePlan CashFlow(AccountSnapshot account, decimal netFlow)
    {
        var value = account.TotalValue;
        var reserve = account.ReserveAt(value);
        var investable = Math.Max(value - reserve, 0);
        var plan = new TradePlan { CashBefore = account.Cash, Reserve = reserve };
        if (account.Cash < reserve)
        {
            RaiseCash(plan, account, reserve - account.Cash, investable, netFlow);
        }
        else if (netFlow > 0)
        {
            InvestCash(plan, account, account.Cash - reserve, investable);
        }
        return plan;
    }

    private static void TargetGoals(AccountSnapshot account, decimal liquidBudget, Span<decimal> goals)
    {
        var liquidTargets = 0m;
        for (var i = 0; i < account.Holdings.Count; i++)
        {
            if (account.Holdings[i].CanSell)
            {
                liquidTargets += account.Holdings[i].Target;
            }
        }
        for (var i = 0; i < goals.Length; i++)
        {
            var h = account.Holdings[i];
            // Liquid holdings share what the illiquid ones leave, in the model's proportions.
            goals[i] = !h.CanSell ? h.Value : liquidTargets > 0 ? h.Target / liquidTargets * liquidBudget : 0;
        }
    }

    /// <summary>
    /// Goals that move only out-of-band positions back inside their band, to <paramref name="depth"/> of the tolerance
    /// from the target, into <paramref name="goals"/>; false when the buys cannot be funded.
    /// </summary>
    private static bool BandEdgeGoals(AccountSnapshot account, decimal value, decimal reserve, decimal investable, decimal depth, Span<decimal> goals)
    {
        for (var i = 0; i < goals.Length; i++)
        {
            var h = account.Holdings[i];
            goals[i] = h.Value;
            if (!h.CanSell)
            {
                continue;
            }
            var weight = h.Value / investable;
            var tolerance = Tolerance(account.Policy, h.Target);
            if (weight > h.Target + tolerance)
            {
                goals[i] = (h.Target + (tolerance * depth)) * investable;
            }
            else if (weight < h.Target - tolerance && h.CanBuy)
            {
                goals[i] = Math.Max(0, h.Target - (tolerance * depth)) * investable;
            }
        }

        var goalsTotal = 0m;
        foreach (var g in goals)
        {
            goalsTotal += g;
        }
        var shortfall = reserve - (value - goalsTotal);
        if (shortfall <= 0)
        {
            InvestSpare(account, goals, investable, -shortfall);
            return true;
        }
        var buys = 0m;
        for (var i = 0; i < goals.Length; i++)
        {
            buys += Math.Max(0, goals[i] - account.Holdings[i].Value);
        }
        if (shortfall > buys)
        {
            return false;
        }
        var keep = 1 - (shortfall / buys);
        for (var i = 0; i < goals.Length; i++)
        {
            var h = account.Holdings[i];
            if (goals[i] > h.Value)
            {
                goals[i] = h.Value + ((goals[i] - h.Value) * keep);
                // Buys round down to a lot, so a trimmed goal needs a lot of room above the edge or it lands outside.
                if ((goals[i] - (h.Step * h.Price)) / investable < h.Target - Tolerance(account.Policy, h.Target))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// Puts what the band moves leave above the reserve into the positions below target, in proportion to how far
    /// below they are and never past it, so a sale's proceeds are not left idle in cash.
    /// </summary>
    private static void InvestSpare(AccountSnapshot account, Span<decimal> goals, decimal investable, decimal spare)
    {
        var deficit = 0m;
        for (var i = 0; i < goals.Length; i++)
        {
            var h = account.Holdings[i];
            deficit += h.CanBuy ? Math.Max(0, (h.Target * investable) - goals[i]) : 0;
        }
        if (deficit <= 0 || spare <= 0)
        {
            return;
        }
        var share = Math.Min(1, spare / deficit);
        for (var i = 0; i < goals.Length; i++)
        {
            var h = account.Holdings[i];
            if (h.CanBuy)
            {
                goals[i] += Math.Max(0, (h.Target * investable) - goals[i]) * share;
            }
        }
    }

    private static List<string> IlliquidOutOfBand(AccountSnapshot account, decimal investable)
    {
        var notes = new List<string>();
        for (var i = 0; i < account.Holdings.Count; i++)
        {
            var h = account.Holdings[i];
            if (h.CanSell)
            {
                continue;
            }
            var drift = (h.Value / investable) - h.Target;
            if (Math.Abs(drift) > Tolerance(account.Policy, h.Target))
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{h.Instrument.Symbol} drift {drift:+0.00%;-0.00%}"));
            }
        }
        return notes;
    }

    /// <summary>The band half-width around a target, in weight points.</summary>
    public static decimal Tolerance(InvestmentPolicy policy, decimal target) =>
        policy.BandType == BandType.Relative ? (decimal)policy.BandWidth * target : (decimal)policy.BandWidth;

    private static void AddTrades(TradePlan plan, AccountSnapshot account, ReadOnlySpan<decimal> goals, decimal investable, string rule, bool raisingCash)
    {
        for (var i = 0; i < goals.Length; i++)
        {
            var h = account.Holdings[i];
            var delta = goals[i] - h.Value;
            if (!h.CanSell || delta == 0 || h.Price <= 0)
            {
                continue;
            }
            TradeSide side;
            decimal quantity;
            if (delta < 0)
            {
                side = TradeSide.Sell;
                quantity = TradeSizing.SellQuantity(-delta / h.Price, h.Quantity, h.Step, closePosition: goals[i] <= 0, roundUp: raisingCash);
            }
            else
            {
                if (!h.CanBuy)
                {
                    continue;
                }
                side = TradeSide.Buy;
                quantity = TradeSizing.FloorToStep(delta / h.Price, h.Step);
            }
            if (quantity <= 0)
            {
                continue;
            }
            var notional = quantity * h.Price;
            if (!raisingCash && notional < account.Policy.MinTradeValue)
            {
                plan.Warnings.Add(PlanWarning.BelowMinimum(side, quantity, h.Instrument.Symbol, notional, account.Policy.MinTradeValue));
                continue;
            }
            plan.Trades.Add(new Trade(account.AccountId, h.Instrument.Id, side, quantity, h.Price, new TradeReason(rule, h.Instrument.Symbol, h.Value, goals[i], investable, h.Target)));
        }
    }

    /// <summary>Trims buys, largest first, until cash after the trades is at least the reserve; blocks the account if it cannot.</summary>
    private static void EnforceCashReserve(TradePlan plan, AccountSnapshot account)
    {
        if (plan.TrimBuysForReserve(account.Policy.MinTradeValue, id => StepOf(account, id)) && plan.CashAfter < plan.Reserve)
        {
            plan.BlockedReason = string.Create(CultureInfo.InvariantCulture, $"after rounding to tradable lots the account would hold {plan.CashAfter:N2} in cash, below its reserve of {plan.Reserve:N2}; not traded");
            plan.Trades.Clear();
        }
    }

    private static void InvestCash(TradePlan plan, AccountSnapshot account, decimal available, decimal investable)
    {
        if (investable <= 0)
        {
            return;
        }
        Span<decimal> goals = account.Holdings.Count <= StackPositions ? stackalloc decimal[account.Holdings.Count] : new decimal[account.Holdings.Count];
        Values(account.Holdings, goals);
        // Most underweight first: each gets what it lacks until the cash runs out.
        Span<decimal> keys = goals.Length <= StackPositions ? stackalloc decimal[goals.Length] : new decimal[goals.Length];
        Span<int> order = goals.Length <= StackPositions ? stackalloc int[goals.Length] : new int[goals.Length];
        for (var i = 0; i < goals.Length; i++)
        {
            keys[i] = (account.Holdings[i].Value / investable) - account.Holdings[i].Target;
        }
        StableOrder(keys, order, descending: false);
        foreach (var i in order)
        {
            var h = account.Holdings[i];
            var lacking = (h.Target * investable) - h.Value;
            if (available <= 0 || lacking <= 0 || !h.CanBuy)
            {
                continue;
            }
            var spend = TradeSizing.FloorToStep(Math.Min(lacking, available) / h.Price, h.Step) * h.Price;
            if (spend >= account.Policy.MinTradeValue)
            {
                goals[i] += spend;
                available -= spend;
            }
        }
        AddTrades(plan, account, goals, investable, "cash flow (invest)", raisingCash: false);
    }

    private static void RaiseCash(TradePlan plan, AccountSnapshot account, decimal need, decimal investable, decimal netFlow)
    {
        var holdings = account.Holdings;
        var liquid = SumValues(holdings, sellable: true);
        if (liquid < need)
        {
            plan.BlockedReason = string.Create(CultureInfo.InvariantCulture, $"{(netFlow < 0 ? "withdrawal" : "cash reserve")} needs {need:N2} raised but liquid holdings are worth only {liquid:N2}; nothing was sold and the flow was not applied");
            return;
        }
        Span<decimal> goals = holdings.Count <= StackPositions ? stackalloc decimal[holdings.Count] : new decimal[holdings.Count];
        Values(holdings, goals);
        // Most overweight first, down to target; then whatever is still missing pro rata to what is left.
        Span<decimal> keys = goals.Length <= StackPositions ? stackalloc decimal[goals.Length] : new decimal[goals.Length];
        Span<int> order = goals.Length <= StackPositions ? stackalloc int[goals.Length] : new int[goals.Length];
        for (var i = 0; i < goals.Length; i++)
        {
            keys[i] = investable > 0 ? (holdings[i].Value / investable) - holdings[i].Target : 0;
        }
        StableOrder(keys, order, descending: true);
        foreach (var i in order)
        {
            var h = holdings[i];
            var excess = h.Value - (h.Target * investable);
            if (need <= 0 || excess <= 0 || !h.CanSell)
            {
                continue;
            }
            var take = Math.Min(excess, need);
            goals[i] -= take;
            need -= take;
        }
        if (need > 0)
        {
            var left = 0m;
            for (var i = 0; i < goals.Length; i++)
            {
                left += holdings[i].CanSell ? goals[i] : 0;
            }
            for (var i = 0; i < goals.Length && left > 0; i++)
            {
                if (holdings[i].CanSell)
                {
                    goals[i] -= need * (goals[i] / left);
                }
            }
        }
        AddTrades(plan, account, goals, Math.Max(investable, 1), netFlow < 0 ? "cash flow (withdrawal)" : "cash flow (restore reserve)", raisingCash: true);
    }

    /// <summary>Positions whose sort keys and order fit on the stack (a model has at most 200).</summary>
    private const int StackPositions = 256;

    /// <summary>Each holding's value, in holding order.</summary>
    private static void Values(IReadOnlyList<Holding> holdings, Span<decimal> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = holdings[i].Value;
        }
    }

    /// <summary>The summed value of the holdings that can be sold, or of those that cannot, in holding order.</summary>
    private static decimal SumValues(IReadOnlyList<Holding> holdings, bool sellable)
    {
        var sum = 0m;
        for (var i = 0; i < holdings.Count; i++)
        {
            if (holdings[i].CanSell == sellable)
            {
                sum += holdings[i].Value;
            }
        }
        return sum;
    }

    /// <summary>The lot step of a holding the plan buys (a scan: an account has few positions, and a dictionary per plan would be an allocation).</summary>
    private static decimal StepOf(AccountSnapshot account, string instrumentId)
    {
        for (var i = 0; i < account.Holdings.Count; i++)
        {
            if (string.Equals(account.Holdings[i].Instrument.Id, instrumentId, StringComparison.Ordinal))
            {
                return account.Holdings[i].Step;
            }
        }
        throw new KeyNotFoundException($"the plan buys {instrumentId}, which account {account.AccountId} does not hold");
    }

    /// <summary>
    /// Fills <paramref name="order"/> with the indices of <paramref name="keys"/> sorted by key, equal keys in index
    /// order, as a stable LINQ OrderBy would, without its allocations (an insertion sort: an account has few positions).
    /// </summary>
    internal static void StableOrder(ReadOnlySpan<decimal> keys, Span<int> order, bool descending)
    {
        for (var i = 0; i < order.Length; i++)
        {
            var key = keys[i];
            var j = i - 1;
            while (j >= 0 && (descending ? keys[order[j]] < key : keys[order[j]] > key))
            {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = i;
        }
    }
}
