using System.Globalization;

namespace FastRebal.Engine.Orders.Slicing;

/// <summary>Where orders leave the engine: what a firm implements for its broker or exchange gateway.</summary>
public interface IOrderSink
{
    void Send(ChildOrder order);

    void Cancel(string orderId, string reason);
}

/// <summary>Keeps the most recent orders in memory with counts: for tests and the console.</summary>
public sealed class InMemoryOrderSink(int keep = 1000) : IOrderSink
{
    private readonly Queue<ChildOrder> recent = new();
    private readonly Lock gate = new();

    public long Sent { get; private set; }

    public long Cancelled { get; private set; }

    public void Send(ChildOrder order)
    {
        lock (gate)
        {
            Sent++;
            recent.Enqueue(order);
            if (recent.Count > keep)
            {
                recent.Dequeue();
            }
        }
    }

    public void Cancel(string orderId, string reason)
    {
        lock (gate)
        {
            Cancelled++;
        }
    }

    public IReadOnlyList<ChildOrder> Recent()
    {
        lock (gate)
        {
            return [.. recent];
        }
    }
}

/// <summary>
/// The default sink: appends every order and cancel to a CSV blotter (header once, invariant culture), flushed per
/// line so a crash loses nothing that was reported as sent.
/// </summary>
public sealed class BlotterFileSink : IOrderSink, IDisposable
{
    public const string Header = "event,order_id,block_id,leg,instrument_id,side,quantity,limit_price,scheduled_at,detail";

    private readonly StreamWriter writer;

    public BlotterFileSink(string path)
    {
        var exists = File.Exists(path) && new FileInfo(path).Length > 0;
        writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
        if (!exists)
        {
            writer.WriteLine(Header);
            writer.Flush();
        }
    }

    public void Send(ChildOrder order)
    {
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"new,{order.Id},{order.BlockId},{order.Leg},{order.InstrumentId},{order.Side},{order.Quantity},{order.LimitPrice},{order.ScheduledAt:O},"));
        writer.Flush();
    }

    public void Cancel(string orderId, string reason)
    {
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cancel,{orderId},,,,,,,,\"{reason.Replace("\"", "\"\"", StringComparison.Ordinal)}\""));
        writer.Flush();
    }

    public void Dispose() => writer.Dispose();
}

/// <summary>
/// A stand-in market for runs and tests: fills every child in full when it is sent, at its limit price moved by
/// <c>slippageBps</c> against the order (0 by default, so a plan sized at those prices stays cash-consistent).
/// </summary>
public sealed class SimulatedVenue(double slippageBps = 0)
{
    public IEnumerable<(decimal Quantity, decimal Price)> Execute(ChildOrder order)
    {
        var slip = (decimal)(slippageBps * 1e-4) * (order.Side == TradeSide.Buy ? 1 : -1);
        yield return (order.Quantity, decimal.Round(order.LimitPrice * (1 + slip), 6));
    }
}
