namespace FastRebal.Engine.Pipeline;

/// <summary>Where the evaluation stage sends released trades (the ring to the order stage, or a test's list).</summary>
public interface IOrderPublisher
{
    void Publish(in OrderEvent order);

    /// <summary>
    /// Publishes events in order as one hand-off: an account's trades and the flush after them wake the order stage
    /// once, not once per trade (each wake-up of a sleeping stage costs the publisher a system call).
    /// </summary>
    void PublishAll(ReadOnlySpan<OrderEvent> orders)
    {
        foreach (ref readonly var order in orders)
        {
            Publish(order);
        }
    }
}
