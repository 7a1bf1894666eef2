using FastRebal.Engine.Orders;
using FastRebal.Engine.Orders.Slicing;

namespace FastRebal.Console.Engine;

/// <summary>What became of a child order as the sink saw it.</summary>
public enum ChildStatus
{
    /// <summary>Handed to the gateway (the console's simulated venue fills it in full at once).</summary>
    Sent,

    /// <summary>Scheduled, then cancelled before it was sent (the kill switch).</summary>
    Cancelled,
}

/// <summary>One row of the blotter.</summary>
public sealed record BlotterChild(string Id, string BlockId, string InstrumentId, TradeSide? Side, decimal Quantity, decimal LimitPrice, int Leg, DateTimeOffset ScheduledAt, DateTimeOffset At, ChildStatus Status, string Detail);

/// <summary>A block as the blotter shows it: its children seen so far, sent and cancelled.</summary>
public sealed record BlotterBlock(string Id, string InstrumentId, TradeSide? Side, int Sent, int Cancelled, decimal QuantitySent, decimal NotionalSent, DateTimeOffset LastActivity)
{
    public string Status => Cancelled > 0 ? (Sent > 0 ? "part sent, rest cancelled" : "cancelled") : "sent";
}

/// <summary>
/// Sits between the engine and the real order sink and keeps the most recent child orders and cancels for the
/// blotter, so the console needs nothing from the order stage's single-threaded internals. Every call is forwarded;
/// the recent list is bounded, so a long run costs no more memory than a short one.
/// </summary>
public sealed class BlotterRecorder(IOrderSink inner, int keep = 2000) : IOrderSink, IDisposable
{
    private readonly LinkedList<BlotterChild> recent = new();
    private readonly Lock gate = new();
    private long sent;
    private long cancelled;

    public long Sent => Interlocked.Read(ref sent);

    public long Cancelled => Interlocked.Read(ref cancelled);

    public void Send(ChildOrder order)
    {
        inner.Send(order);
        Interlocked.Increment(ref sent);
        Remember(new BlotterChild(order.Id, order.BlockId, order.InstrumentId, order.Side, order.Quantity, order.LimitPrice, order.Leg, order.ScheduledAt, DateTimeOffset.UtcNow, ChildStatus.Sent, ""));
    }

    public void Cancel(string orderId, string reason)
    {
        inner.Cancel(orderId, reason);
        Interlocked.Increment(ref cancelled);
        // A child id is BLOCK-Cnnnn: the block and the leg are in it even though the sink never saw the child.
        var cut = orderId.LastIndexOf("-C", StringComparison.Ordinal);
        var block = cut > 0 ? orderId[..cut] : "";
        var leg = cut > 0 && int.TryParse(orderId.AsSpan(cut + 2), out var l) ? l : 0;
        var parts = block.Split('-');
        var instrument = parts.Length >= 3 ? string.Join('-', parts[1..^1]) : "";
        TradeSide? side = parts.Length >= 3 ? (parts[^1] == "B" ? TradeSide.Buy : TradeSide.Sell) : null;
        Remember(new BlotterChild(orderId, block, instrument, side, 0, 0, leg, default, DateTimeOffset.UtcNow, ChildStatus.Cancelled, reason));
    }

    private void Remember(BlotterChild child)
    {
        lock (gate)
        {
            recent.AddFirst(child);
            if (recent.Count > keep)
            {
                recent.RemoveLast();
            }
        }
    }

    /// <summary>The most recent children, newest first.</summary>
    public IReadOnlyList<BlotterChild> RecentChildren(int count = 200)
    {
        lock (gate)
        {
            return [.. recent.Take(count)];
        }
    }

    /// <summary>The blocks of the recent children, most recently active first.</summary>
    public IReadOnlyList<BlotterBlock> RecentBlocks(int count = 100)
    {
        List<BlotterChild> children;
        lock (gate)
        {
            children = [.. recent];
        }
        return [.. children
            .GroupBy(c => c.BlockId)
            .Select(g => new BlotterBlock(
                g.Key,
                g.First().InstrumentId,
                g.First().Side,
                g.Count(c => c.Status == ChildStatus.Sent),
                g.Count(c => c.Status == ChildStatus.Cancelled),
                g.Where(c => c.Status == ChildStatus.Sent).Sum(c => c.Quantity),
                g.Where(c => c.Status == ChildStatus.Sent).Sum(c => c.Quantity * c.LimitPrice),
                g.Max(c => c.At)))
            .OrderByDescending(b => b.LastActivity)
            .Take(count)];
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();
}
