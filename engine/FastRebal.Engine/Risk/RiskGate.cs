using FastRebal.Engine.Orders;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Risk;

/// <summary>A rejection as the console lists it.</summary>
public readonly record struct Rejection(OrderCandidate Order, RiskVerdict Verdict, long At);

/// <summary>
/// The filter between the trades the engine wants and the orders that leave. Checks run in a fixed order, cheapest
/// and most absolute first: kill switch, market-wide halt, account and model halts, frozen instrument, restricted
/// buy, price collar, per-order notional, order rate, then the account and firm notional of the current interval.
/// Intervals are tumbling windows aligned to <see cref="PreTradeLimits.Interval"/>. An accepted order counts against
/// the windows; a rejected one does not. When the order rate limit is hit the gate engages the kill switch itself:
/// a runaway loop stops, and a person must look before anything trades again.
/// </summary>
/// <remarks>Single-threaded: the evaluation stage calls it. Counters and the recent-rejection log may be read from any thread.</remarks>
public sealed class RiskGate
{
    private readonly InstrumentTable instruments;
    private readonly PreTradeLimits limits;
    private readonly IReferencePrices prices;
    private readonly long intervalTicks;
    private readonly decimal[] accountNotional;
    private readonly long[] accountWindow;
    private readonly long[] counts = new long[Enum.GetValues<RejectReason>().Length];
    private readonly Rejection[] recent = new Rejection[256];
    private long recentCount;
    private long window = long.MinValue;
    private decimal firmNotional;
    private long ordersInWindow;

    public RiskGate(int accounts, int models, InstrumentTable instruments, PreTradeLimits limits, KillSwitch killSwitch, IReferencePrices prices, MarketWideBreaker? market = null)
    {
        limits.Validate();
        this.instruments = instruments;
        this.limits = limits;
        this.prices = prices;
        KillSwitch = killSwitch;
        Market = market ?? new MarketWideBreaker();
        Accounts = new DriftBreaker("account", accounts);
        Models = new DriftBreaker("model", models);
        intervalTicks = limits.Interval.Ticks;
        accountNotional = new decimal[accounts];
        accountWindow = new long[accounts];
        Array.Fill(accountWindow, long.MinValue);
    }

    public KillSwitch KillSwitch { get; }

    public MarketWideBreaker Market { get; }

    public DriftBreaker Accounts { get; }

    public DriftBreaker Models { get; }

    public PreTradeLimits Limits => limits;

    public long Accepted => Interlocked.Read(ref counts[0]);

    public long Rejected(RejectReason reason) => Interlocked.Read(ref counts[(int)reason]);

    public long TotalRejected
    {
        get
        {
            var total = 0L;
            for (var i = 1; i < counts.Length; i++)
            {
                total += Interlocked.Read(ref counts[i]);
            }
            return total;
        }
    }

    /// <summary>The most recent rejections, newest first (a fixed-size log: old entries fall off).</summary>
    public IReadOnlyList<Rejection> RecentRejections()
    {
        var list = new List<Rejection>();
        var count = Interlocked.Read(ref recentCount);
        for (var i = count - 1; i >= 0 && i >= count - recent.Length; i--)
        {
            list.Add(recent[i % recent.Length]);
        }
        return list;
    }

    /// <summary>Checks one order and, when it passes, counts it against the interval.</summary>
    public RiskVerdict Check(in OrderCandidate order, long now)
    {
        var verdict = Evaluate(order, now, 0, 0);
        Record(order, verdict, now);
        if (verdict.IsAccepted)
        {
            Commit(order);
        }
        return verdict;
    }

    /// <summary>
    /// Checks an account's orders as one: all pass and are counted, or none is counted and the first failure is
    /// returned. A rebalance whose sells fund its buys must never leave in part.
    /// </summary>
    public RiskVerdict CheckAll(ReadOnlySpan<OrderCandidate> orders, long now)
    {
        decimal planNotional = 0;
        for (var i = 0; i < orders.Length; i++)
        {
            var verdict = Evaluate(orders[i], now, planNotional, i);
            if (!verdict.IsAccepted)
            {
                Record(orders[i], verdict, now);
                return verdict;
            }
            planNotional += orders[i].Notional;
        }
        foreach (var order in orders)
        {
            Record(order, RiskVerdict.Accepted, now);
            Commit(order);
        }
        return RiskVerdict.Accepted;
    }

    /// <summary>
    /// What <see cref="CheckAll"/> would answer now, with nothing recorded or counted: shown to an operator before
    /// they release trades held for approval.
    /// </summary>
    public RiskVerdict Preview(ReadOnlySpan<OrderCandidate> orders, long now)
    {
        decimal planNotional = 0;
        for (var i = 0; i < orders.Length; i++)
        {
            var verdict = Evaluate(orders[i], now, planNotional, i);
            if (!verdict.IsAccepted)
            {
                return verdict;
            }
            planNotional += orders[i].Notional;
        }
        return RiskVerdict.Accepted;
    }

    /// <param name="pendingNotional">Notional of earlier orders of the same plan, not yet counted.</param>
    /// <param name="pendingOrders">Number of those orders.</param>
    private RiskVerdict Evaluate(in OrderCandidate order, long now, decimal pendingNotional, int pendingOrders)
    {
        if (KillSwitch.IsEngaged)
        {
            return new(RejectReason.KillSwitch);
        }
        if (Market.IsHalted)
        {
            return new(RejectReason.MarketHalt, Market.TrippedLevel);
        }
        if (Accounts.IsHalted(order.Account))
        {
            return new(RejectReason.AccountHalted);
        }
        if (Models.IsHalted(order.Model))
        {
            return new(RejectReason.ModelHalted);
        }
        if (prices.IsFrozen(order.Instrument))
        {
            return new(RejectReason.InstrumentFrozen);
        }
        if (order.Side == TradeSide.Buy && instruments[order.Instrument].Restricted)
        {
            return new(RejectReason.Restricted);
        }
        var reference = prices.VerifiedPrice(order.Instrument);
        if (!(reference > 0))
        {
            return new(RejectReason.NoReferencePrice);
        }
        var offBps = (decimal)Math.Abs(((double)order.LimitPrice / reference) - 1) * 10_000m;
        if (offBps > (decimal)limits.PriceCollarBps)
        {
            return new(RejectReason.PriceCollar, (decimal)limits.PriceCollarBps, Math.Round(offBps, 2));
        }
        var notional = order.Notional;
        if (notional > limits.MaxOrderNotional)
        {
            return new(RejectReason.OrderNotional, limits.MaxOrderNotional, notional);
        }

        Roll(now);
        if (ordersInWindow + pendingOrders + 1 > limits.MaxOrdersPerInterval)
        {
            KillSwitch.Engage("risk gate", $"order rate limit: more than {limits.MaxOrdersPerInterval} orders in {limits.Interval}", order.Sequence, new DateTimeOffset(now, TimeSpan.Zero));
            return new(RejectReason.OrderRate, limits.MaxOrdersPerInterval, ordersInWindow + pendingOrders + 1);
        }
        var account = (accountWindow[order.Account] == window ? accountNotional[order.Account] : 0) + pendingNotional + notional;
        if (account > limits.MaxAccountNotionalPerInterval)
        {
            return new(RejectReason.AccountNotional, limits.MaxAccountNotionalPerInterval, account);
        }
        var firm = firmNotional + pendingNotional + notional;
        if (firm > limits.MaxFirmNotionalPerInterval)
        {
            return new(RejectReason.FirmNotional, limits.MaxFirmNotionalPerInterval, firm);
        }
        return RiskVerdict.Accepted;
    }

    /// <summary>The limits' running totals and the breakers, for a checkpoint (on the evaluation thread).</summary>
    internal RiskImage Capture()
    {
        var market = Market.Capture();
        return new()
        {
            AccountNotional = [.. accountNotional],
            AccountWindow = [.. accountWindow],
            Counts = [.. counts],
            Window = window,
            FirmNotional = firmNotional,
            OrdersInWindow = ordersInWindow,
            Accounts = Accounts.Capture(),
            Models = Models.Capture(),
            MarketPreviousClose = market.PreviousClose,
            MarketDay = market.Day,
            MarketTripped = market.Tripped,
            MarketReleasedThrough = market.ReleasedThrough,
        };
    }

    internal void Restore(RiskImage image)
    {
        if (image.AccountNotional.Length != accountNotional.Length)
        {
            throw new Persistence.StateMismatchException($"the saved risk limits cover {image.AccountNotional.Length} accounts; this book has {accountNotional.Length}");
        }
        image.AccountNotional.CopyTo(accountNotional, 0);
        image.AccountWindow.CopyTo(accountWindow, 0);
        image.Counts.AsSpan(0, Math.Min(image.Counts.Length, counts.Length)).CopyTo(counts);
        window = image.Window;
        firmNotional = image.FirmNotional;
        ordersInWindow = image.OrdersInWindow;
        Accounts.Restore(image.Accounts);
        Models.Restore(image.Models);
        Market.Restore((image.MarketPreviousClose, image.MarketDay, image.MarketTripped, image.MarketReleasedThrough));
    }

    private void Roll(long now)
    {
        var current = Math.Max(now, 0) / intervalTicks;
        if (current != window)
        {
            window = current;
            firmNotional = 0;
            ordersInWindow = 0;
        }
    }

    private void Commit(in OrderCandidate order)
    {
        if (accountWindow[order.Account] != window)
        {
            accountWindow[order.Account] = window;
            accountNotional[order.Account] = 0;
        }
        accountNotional[order.Account] += order.Notional;
        firmNotional += order.Notional;
        ordersInWindow++;
    }

    private void Record(in OrderCandidate order, RiskVerdict verdict, long now)
    {
        Interlocked.Increment(ref counts[(int)verdict.Reason]);
        if (!verdict.IsAccepted)
        {
            recent[recentCount % recent.Length] = new Rejection(order, verdict, now);
            Interlocked.Increment(ref recentCount);
        }
    }
}
