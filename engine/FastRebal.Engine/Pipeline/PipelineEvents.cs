using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Pipeline;

/// <summary>What an <see cref="OrderEvent"/> carries.</summary>
public enum OrderEventKind
{
    /// <summary>One account's trade, released by the risk gate.</summary>
    Trade,

    /// <summary>Only moves the order stage's clock, so scheduled child orders go out on time.</summary>
    Heartbeat,

    /// <summary>An execution report from a firm's venue, journaled with the batch that passes it on.</summary>
    Report,
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

    /// <summary>The report of a <see cref="OrderEventKind.Report"/> event.</summary>
    public Orders.Execution.ExecutionReport? Report;
}

/// <summary>Executed quantity for one account's trade, sent back from the order stage to the book.</summary>
public readonly record struct AccountFill(int Account, int Instrument, TradeSide Side, decimal Quantity, decimal Price, bool TradeComplete);
