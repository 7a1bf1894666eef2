namespace FastRebal.Engine.Orders.Slicing;

/// <summary>Child orders waiting for their time, earliest first. Single-threaded: the order stage owns it.</summary>
public sealed class OrderScheduler
{
    private readonly PriorityQueue<ChildOrder, (DateTimeOffset At, long Order)> queue = new();
    private long added;

    public int PendingCount => queue.Count;

    public void Add(IEnumerable<ChildOrder> children)
    {
        foreach (var child in children)
        {
            queue.Enqueue(child, (child.ScheduledAt, added++));
        }
    }

    /// <summary>Removes and returns every child due at or before <paramref name="now"/>, in time order (ties in the order added).</summary>
    public List<ChildOrder> Due(DateTimeOffset now)
    {
        var due = new List<ChildOrder>();
        while (queue.TryPeek(out var child, out var key) && key.At <= now)
        {
            queue.Dequeue();
            due.Add(child);
        }
        return due;
    }

    /// <summary>Every pending child in the order it will leave (for a checkpoint).</summary>
    internal List<ChildOrder> Pending() =>
        [.. queue.UnorderedItems.OrderBy(item => item.Priority.At).ThenBy(item => item.Priority.Order).Select(item => item.Element)];

    /// <summary>Removes every pending child (the kill switch) and returns them, so each can be cancelled visibly.</summary>
    public List<ChildOrder> CancelAll()
    {
        var cancelled = new List<ChildOrder>(queue.Count);
        while (queue.TryDequeue(out var child, out _))
        {
            cancelled.Add(child);
        }
        return cancelled;
    }
}
