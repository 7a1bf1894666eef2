using FastRebal.Engine.Pipeline;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>Keeps the trades an evaluation stage releases (heartbeats and execution reports left out), for a test to read or fill.</summary>
internal sealed class PublishedTrades : IOrderPublisher
{
    public List<OrderEvent> Published { get; } = [];

    public void Publish(in OrderEvent order)
    {
        if (order.Kind == OrderEventKind.Trade)
        {
            Published.Add(order);
        }
    }
}

/// <summary>The market times tests open their trading days at.</summary>
internal static class MarketClock
{
    /// <summary>The US open (14:30 UTC) of <paramref name="day"/>, in ticks.</summary>
    public static long Open(DateOnly day) => new DateTimeOffset(day.ToDateTime(new TimeOnly(14, 30)), TimeSpan.Zero).UtcTicks;
}
