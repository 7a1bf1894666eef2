using System.Collections.Concurrent;

namespace FastRebal.Engine.Orders.Execution;

/// <summary>
/// The way in for a firm's own venue: its gateway hands every execution report here, from any thread. The evaluation
/// stage takes what waited at the start of each batch, journals it with the batch, and passes it to the order stage,
/// so a recovery applies the same reports at the same point. A report handed in but not yet journaled when the
/// process dies is not kept: after a restart the gateway asks its venue for the state of the orders still open
/// (<see cref="Pipeline.OrderStage.OpenOrders"/>) and reports again; repeats are ignored.
/// </summary>
public sealed class ExecutionReports
{
    private readonly ConcurrentQueue<ExecutionReport> queue = new();

    /// <summary>Queues a report. A report that cannot be applied at all (no order id, a fill without id, quantity or price) is refused here.</summary>
    public void Report(ExecutionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(report));
        }
        queue.Enqueue(report);
    }

    /// <summary>Reports waiting for the next batch.</summary>
    public int Pending => queue.Count;

    internal bool TryTake(out ExecutionReport report) => queue.TryDequeue(out report!);

    /// <summary>Everything waiting, in order, for a checkpoint (the queue is left as it is).</summary>
    internal ExecutionReport[] Snapshot() => [.. queue];

    internal void Restore(IEnumerable<ExecutionReport> reports)
    {
        foreach (var report in reports)
        {
            queue.Enqueue(report);
        }
    }
}
