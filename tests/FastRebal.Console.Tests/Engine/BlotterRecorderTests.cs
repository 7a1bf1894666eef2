using FastRebal.Console.Engine;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Orders.Slicing;

namespace FastRebal.Console.Tests.Engine;

public class BlotterRecorderTests
{
    [Fact]
    public void Sent_and_cancelled_children_are_forwarded_and_kept_with_their_block_newest_first()
    {
        var inner = new InMemoryOrderSink();
        var blotter = new BlotterRecorder(inner, keep: 3);
        var at = new DateTimeOffset(2025, 4, 1, 14, 30, 0, TimeSpan.Zero);

        blotter.Send(new ChildOrder("B00000007-SPY-B-C0001", "B00000007-SPY-B", "SPY", TradeSide.Buy, 10, 500, at, 1));
        blotter.Send(new ChildOrder("B00000007-SPY-B-C0002", "B00000007-SPY-B", "SPY", TradeSide.Buy, 10, 501, at.AddSeconds(5), 2));
        blotter.Cancel("B00000007-SPY-B-C0003", "kill switch");

        Assert.Equal((2, 1), (inner.Sent, inner.Cancelled));
        var children = blotter.RecentChildren();
        Assert.Equal(["B00000007-SPY-B-C0003", "B00000007-SPY-B-C0002", "B00000007-SPY-B-C0001"], children.Select(c => c.Id));
        var cancelled = children[0];
        Assert.Equal((ChildStatus.Cancelled, "B00000007-SPY-B", "SPY", (TradeSide?)TradeSide.Buy, 3), (cancelled.Status, cancelled.BlockId, cancelled.InstrumentId, cancelled.Side, cancelled.Leg));
        var block = Assert.Single(blotter.RecentBlocks());
        Assert.Equal((2, 1, 20m, 10_010m, "part sent, rest cancelled"), (block.Sent, block.Cancelled, block.QuantitySent, block.NotionalSent, block.Status));

        blotter.Send(new ChildOrder("B00000008-AGG-S-C0001", "B00000008-AGG-S", "AGG", TradeSide.Sell, 4, 100, at, 1));

        Assert.Equal(3, blotter.RecentChildren().Count);
        Assert.DoesNotContain(blotter.RecentChildren(), c => c.Id == "B00000007-SPY-B-C0001");
    }
}
