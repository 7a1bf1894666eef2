using System.Globalization;

namespace FastRebal.Engine.Orders.Slicing;

/// <summary>
/// Where orders leave the engine: what a firm implements for its broker or exchange gateway. Order ids are
/// deterministic, and a durable engine that recovers from a crash replays its journal through the order stage, so
/// orders sent before the crash are sent again with the same ids: an implementation must refuse an id it has already
/// sent (as a FIX gateway refuses a repeated ClOrdID), as <see cref="BlotterFileSink"/> does.
/// </summary>
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
/// line so a crash loses nothing that was reported as sent. It remembers every order id it holds (also those a
/// previous run wrote), so a recovery that replays the journal never sends an order twice: ids are deterministic.
/// </summary>
public sealed class BlotterFileSink : IOrderSink, IDisposable
{
    public const string Header = "event,order_id,block_id,leg,instrument_id,side,quantity,limit_price,scheduled_at,detail";

    private readonly StreamWriter writer;
    private readonly HashSet<string> written = new(StringComparer.Ordinal);

    public BlotterFileSink(string path)
    {
        var exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (exists)
        {
            Remember(path);
        }
        writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
        if (!exists)
        {
            writer.WriteLine(Header);
            writer.Flush();
        }
    }

    /// <summary>Orders and cancels not written again because the blotter already held them (a replay after a crash).</summary>
    public long DuplicatesSuppressed { get; private set; }

    /// <summary>Reads the ids already in the blotter; a line torn by a crash (no newline) is cut off, as it was never sent.</summary>
    private void Remember(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (end < bytes.Length)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
            file.SetLength(end);
        }
        foreach (var line in System.Text.Encoding.UTF8.GetString(bytes, 0, end).Split('\n'))
        {
            var fields = line.Split(',', 3);
            if (fields.Length >= 2 && fields[0] is "new" or "cancel")
            {
                written.Add($"{fields[0]}:{fields[1]}");
            }
        }
    }

    public void Send(ChildOrder order)
    {
        if (!written.Add($"new:{order.Id}"))
        {
            DuplicatesSuppressed++;
            return;
        }
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"new,{order.Id},{order.BlockId},{order.Leg},{order.InstrumentId},{order.Side},{order.Quantity},{order.LimitPrice},{order.ScheduledAt:O},"));
        writer.Flush();
    }

    public void Cancel(string orderId, string reason)
    {
        if (!written.Add($"cancel:{orderId}"))
        {
            DuplicatesSuppressed++;
            return;
        }
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cancel,{orderId},,,,,,,,\"{reason.Replace("\"", "\"\"", StringComparison.Ordinal)}\""));
        writer.Flush();
    }

    public void Dispose() => writer.Dispose();
}
