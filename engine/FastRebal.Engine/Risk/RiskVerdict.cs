using System.Globalization;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Risk;

/// <summary>Why the risk gate stopped an order. <see cref="None"/> means it passed.</summary>
public enum RejectReason
{
    None,
    KillSwitch,
    MarketHalt,
    AccountHalted,
    ModelHalted,
    InstrumentFrozen,
    NoReferencePrice,
    Restricted,
    PriceCollar,
    OrderNotional,
    OrderRate,
    AccountNotional,
    FirmNotional,
}

/// <summary>One order as the risk gate sees it: indices into the book, money in decimal.</summary>
/// <param name="Sequence">The engine input sequence (batch) that produced it.</param>
public readonly record struct OrderCandidate(int Account, int Model, int Instrument, TradeSide Side, decimal Quantity, decimal LimitPrice, long Sequence)
{
    public decimal Notional => Quantity * LimitPrice;
}

/// <summary>The gate's answer: accepted, or the reason with the limit that was breached and the figure that breached it.</summary>
public readonly record struct RiskVerdict(RejectReason Reason, decimal Limit = 0, decimal Actual = 0)
{
    public static readonly RiskVerdict Accepted = new(RejectReason.None);

    public bool IsAccepted => Reason == RejectReason.None;

    /// <summary>The verdict in words, built only when someone asks (never on the order path).</summary>
    public string Describe() => Reason switch
    {
        RejectReason.None => "accepted",
        RejectReason.KillSwitch => "kill switch engaged",
        RejectReason.MarketHalt => string.Create(CultureInfo.InvariantCulture, $"market-wide circuit breaker level {Limit} tripped"),
        RejectReason.AccountHalted => "account halted for review by its drift circuit breaker",
        RejectReason.ModelHalted => "model halted for review by its drift circuit breaker",
        RejectReason.InstrumentFrozen => "instrument frozen: no verified price",
        RejectReason.NoReferencePrice => "no verified price to check the limit price against",
        RejectReason.Restricted => "buying a restricted instrument",
        RejectReason.PriceCollar => string.Create(CultureInfo.InvariantCulture, $"limit price {Actual:0.00##} bps off the verified price, collar {Limit:0.##} bps"),
        RejectReason.OrderNotional => string.Create(CultureInfo.InvariantCulture, $"order notional {Actual:N2} above the per-order limit {Limit:N2}"),
        RejectReason.OrderRate => string.Create(CultureInfo.InvariantCulture, $"{Actual:N0} orders in the interval, limit {Limit:N0}"),
        RejectReason.AccountNotional => string.Create(CultureInfo.InvariantCulture, $"account notional {Actual:N2} in the interval above its limit {Limit:N2}"),
        RejectReason.FirmNotional => string.Create(CultureInfo.InvariantCulture, $"firm notional {Actual:N2} in the interval above its limit {Limit:N2}"),
        _ => Reason.ToString(),
    };
}

/// <summary>What the gate needs from price verification: the verified price and whether the instrument is frozen.</summary>
public interface IReferencePrices
{
    /// <summary>The last verified price, NaN when there is none.</summary>
    double VerifiedPrice(int instrument);

    bool IsFrozen(int instrument);
}
