using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// A ring slot from ingestion to evaluation: one verified price change, or (with <see cref="Instrument"/> = -1) a
/// heartbeat that only moves the clock, so commands and scheduled work run even when no price moves.
/// </summary>
public struct PriceEvent
{
    /// <summary>Dense instrument index, or -1 for a heartbeat.</summary>
    public int Instrument;

    /// <summary>The verified price.</summary>
    public double Price;

    /// <summary>Market time of the tick (UTC ticks): the replay's simulated time or the feed's clock.</summary>
    public long MarketTime;

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp when the tick entered the engine, for latency.</summary>
    public long ReceivedAt;

    /// <summary>How many ticks the feed had produced when this event was published (recovery resumes the feed after the journaled ones).</summary>
    public long FeedPosition;

    /// <summary>How many verified changes of the feed this event stands for (ingestion conflates a read's changes).</summary>
    public int Changes;

    public readonly bool IsHeartbeat => Instrument < 0;
}

/// <summary>What an <see cref="OrderEvent"/> carries.</summary>
public enum OrderEventKind
{
    /// <summary>One account's trade, released by the risk gate.</summary>
    Trade,

    /// <summary>Only moves the order stage's clock, so scheduled child orders go out on time.</summary>
    Heartbeat,
}

/// <summary>A ring slot from evaluation to the order stage.</summary>
public struct OrderEvent
{
    public OrderEventKind Kind;
    public int Account;
    public int Instrument;
    public TradeSide Side;
    public decimal Quantity;
    public decimal Price;

    /// <summary>The engine input sequence (batch) that produced it: part of every order id, so a replay reproduces the ids.</summary>
    public long Sequence;

    public long MarketTime;

    /// <summary>When the oldest tick behind the decision entered the engine (Stopwatch timestamp).</summary>
    public long OriginTimestamp;
}

/// <summary>Executed quantity for one account's trade, sent back from the order stage to the book.</summary>
public readonly record struct AccountFill(int Account, int Instrument, TradeSide Side, decimal Quantity, decimal Price, bool TradeComplete);
