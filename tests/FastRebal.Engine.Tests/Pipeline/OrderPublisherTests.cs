using FastRebal.Engine.Pipeline;

namespace FastRebal.Engine.Tests.Pipeline;

public class OrderPublisherTests
{
    /// <summary>A blocking wait that counts how often the producer tried to wake its consumer.</summary>
    private sealed class CountingWait : IWaitStrategy
    {
        private readonly BlockingWaitStrategy inner = new();

        public int Signals;

        public long WaitFor(long sequence, Sequence cursor, StopSignal stop) => inner.WaitFor(sequence, cursor, stop);

        public void Signal()
        {
            Interlocked.Increment(ref Signals);
            inner.Signal();
        }
    }

    private sealed class Accounts : IRingHandler<OrderEvent>
    {
        public List<int> Seen { get; } = [];

        public void OnEvent(ref OrderEvent item, long sequence, bool endOfBatch) => Seen.Add(item.Account);
    }

    private static OrderEvent[] Numbered(int count) => [.. Enumerable.Range(0, count).Select(i => new OrderEvent { Account = i })];

    [Fact]
    public void An_accounts_trades_and_their_flush_go_out_as_one_hand_off_with_one_wake_up()
    {
        var wait = new CountingWait();
        var ring = new RingBuffer<OrderEvent>(64, wait);

        new RingOrderPublisher(ring).PublishAll(Numbered(21));

        Assert.Equal(1, wait.Signals);
        Assert.Equal(20, ring.Cursor.Value);
        for (var i = 0; i < 21; i++)
        {
            Assert.Equal(i, ring[i].Account);
        }
    }

    [Fact]
    public void A_hand_off_longer_than_the_ring_goes_in_parts_as_the_consumer_frees_slots()
    {
        var ring = new RingBuffer<OrderEvent>(8, new BlockingWaitStrategy());
        var handler = new Accounts();
        var processor = new BatchProcessor<OrderEvent, Accounts>(ring, handler, "test-orders");
        processor.Start();

        new RingOrderPublisher(ring).PublishAll(Numbered(50));
        processor.Stop();

        Assert.Equal(Enumerable.Range(0, 50), handler.Seen);
    }

    [Fact]
    public void A_publisher_without_a_batch_hand_off_publishes_one_event_at_a_time_in_order()
    {
        var seen = new List<int>();
        IOrderPublisher publisher = new OneByOne(seen);

        publisher.PublishAll(Numbered(5));

        Assert.Equal([0, 1, 2, 3, 4], seen);
    }

    private sealed class OneByOne(List<int> seen) : IOrderPublisher
    {
        public void Publish(in OrderEvent order) => seen.Add(order.Account);
    }
}
