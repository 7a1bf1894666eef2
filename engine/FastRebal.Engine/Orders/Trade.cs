using System.Buffers;
using System.Globalization;

namespace FastRebal.Engine.Orders;

public enum TradeSide
{
    Buy,
    Sell,
}

/// <summary>
/// A trade the engine wants for one account. Money is decimal from here on. A trade the sizing makes keeps its reason
/// as a <see cref="TradeReason"/> and puts it into words the first time <see cref="Reason"/> is read.
/// </summary>
public sealed record Trade(string AccountId, string InstrumentId, TradeSide Side, decimal Quantity, decimal Price, string Reason)
{
    private readonly TradeReason why;
    private string? reason = Reason;

    // Set when the reason was given in words (by the constructor or an init) rather than kept as its parts.
    private readonly bool inWords = Reason is not null;

    internal Trade(string accountId, string instrumentId, TradeSide side, decimal quantity, decimal price, TradeReason why)
        : this(accountId, instrumentId, side, quantity, price, null!)
    {
        this.why = why;
    }

    /// <summary>Why, in words, e.g. "band breach: SPY 11.10% -> 11.70%, target 11.70%".</summary>
    public string Reason
    {
        get => reason ??= why.ToString();
        init => (reason, inWords) = (value, true);
    }

    /// <summary>The reason as its parts, or null when it was given in words (read <see cref="Reason"/> then).</summary>
    internal TradeReason? Why => inWords ? null : why;

    // Two trades are equal when they read the same, however their reasons were kept; one is equal to itself without
    // putting its reason into words (finding a trade in its plan must not format one).
    public bool Equals(Trade? other) =>
        ReferenceEquals(this, other) || (other is not null && AccountId == other.AccountId && InstrumentId == other.InstrumentId && Side == other.Side &&
        Quantity == other.Quantity && Price == other.Price && Reason == other.Reason);

    public override int GetHashCode() => HashCode.Combine(AccountId, InstrumentId, Side, Quantity, Price, Reason);

    public decimal Notional => Quantity * Price;

    /// <summary>Cash the trade moves: negative for a buy, positive for a sell.</summary>
    public decimal CashEffect => Side == TradeSide.Buy ? -Notional : Notional;
}

/// <summary>
/// Why the sizing traded a holding: the rule's label, the instrument, its value and goal out of the investable value,
/// and its target, put into words only when read.
/// </summary>
public readonly record struct TradeReason(string Rule, string Symbol, decimal Value, decimal Goal, decimal Investable, decimal Target)
{
    public override string ToString() => Rule is null
        ? ""
        : string.Create(CultureInfo.InvariantCulture, $"{Rule}: {Symbol} {new PercentWords(Value / Investable)} -> {new PercentWords(Goal / Investable)}, target {new PercentWords(Target)}");
}

/// <summary>The trades for one account with the outcome: released, held for approval, or blocked with a reason.</summary>
public sealed class TradePlan
{
    public TradePlan()
        : this(0)
    {
    }

    /// <param name="capacity">Trades the plan may hold before its list grows (a sizing passes the account's positions).</param>
    public TradePlan(int capacity) => Trades = new List<Trade>(capacity);

    public List<Trade> Trades { get; }

    public List<PlanWarning> Warnings { get; } = [];

    /// <summary>Set when the account must not trade: nothing in <see cref="Trades"/> is released.</summary>
    public string? BlockedReason { get; set; }

    /// <summary>Set when the trades wait for an operator.</summary>
    public string? ApprovalReason { get; set; }

    public decimal CashBefore { get; init; }

    public decimal Reserve { get; init; }

    /// <summary>Cash once every trade in the plan has filled at its price.</summary>
    public decimal CashAfter
    {
        get
        {
            // A loop, not LINQ's Sum (read for every plan a decision sizes), adding in the same order as it did.
            var traded = 0m;
            foreach (var trade in Trades)
            {
                traded += trade.CashEffect;
            }
            return CashBefore + traded;
        }
    }

    public bool IsBlocked => BlockedReason is not null;

    /// <summary>
    /// Trims the buys, largest first, a step at a time, until cash after the trades is at least the reserve; a buy left
    /// under <paramref name="minTradeValue"/> is dropped. Each trim or drop is a warning. False when the plan was not
    /// short of its reserve (nothing to trim); the caller blocks the plan, in its own words, if trimming was not enough.
    /// </summary>
    /// <param name="stepOf">The step each instrument bought is traded in.</param>
    internal bool TrimBuysForReserve(decimal minTradeValue, Func<string, decimal> stepOf)
    {
        var shortfall = Reserve - CashAfter;
        if (shortfall <= 0)
        {
            return false;
        }
        var buys = RentBuysLargestFirst(out var count);
        try
        {
            for (var k = 0; k < count && shortfall > 0; k++)
            {
                var buy = buys[k];
                var index = Trades.IndexOf(buy);
                var cut = Math.Min(buy.Quantity, TradeSizing.CeilingToStep(shortfall / buy.Price, stepOf(buy.InstrumentId)));
                var remaining = buy.Quantity - cut;
                if (remaining <= 0 || remaining * buy.Price < minTradeValue)
                {
                    Trades.RemoveAt(index);
                    shortfall -= buy.Notional;
                    Warnings.Add(PlanWarning.BuyDropped(buy.InstrumentId, Reserve));
                }
                else
                {
                    Trades[index] = buy with { Quantity = remaining };
                    shortfall -= cut * buy.Price;
                    Warnings.Add(PlanWarning.BuyTrimmed(buy.InstrumentId, cut, Reserve));
                }
            }
        }
        finally
        {
            ArrayPool<Trade>.Shared.Return(buys, clearArray: true);
        }
        return true;
    }

    /// <summary>
    /// The plan's buys, largest notional first and equal ones in plan order (as LINQ's stable OrderByDescending put
    /// them), in the first <paramref name="count"/> places of an array rented from the shared pool: the caller returns
    /// it. Trimming buys for the reserve walks them this way for every plan short of cash, so it allocates nothing.
    /// </summary>
    internal Trade[] RentBuysLargestFirst(out int count)
    {
        var buys = ArrayPool<Trade>.Shared.Rent(Math.Max(Trades.Count, 1));
        count = 0;
        foreach (var trade in Trades)
        {
            if (trade.Side != TradeSide.Buy)
            {
                continue;
            }
            // An insertion sort: a plan has a few dozen trades at most.
            var notional = trade.Notional;
            var j = count - 1;
            while (j >= 0 && buys[j].Notional < notional)
            {
                buys[j + 1] = buys[j];
                j--;
            }
            buys[j + 1] = trade;
            count++;
        }
        return buys;
    }
}
