using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastRebal.Engine.Pipeline;

namespace FastRebal.Engine.Tests.Pipeline;

public class RingBufferTests
{
    private struct Item
    {
        public long Value;
        public long Check;
    }

    /// <summary>Records what it sees; a class so the test can read it after the processor stops.</summary>
    private sealed class Recorder(RingBuffer<Item>? watched = null, int capacity = 0) : IRingHandler<Item>
    {
        public List<long> Seen { get; } = [];

        public int Batches { get; private set; }

        public int LargestBatch { get; private set; }

        public bool Lapped { get; private set; }

        public TimeSpan DelayPerItem { get; init; }

        private int batch;

        public void OnEvent(ref Item item, long sequence, bool endOfBatch)
        {
            if (DelayPerItem > TimeSpan.Zero)
            {
                Thread.Sleep(DelayPerItem);
            }
            // A slot the producer overwrote before we read it would carry another sequence's values.
            if (item.Value != sequence || item.Check != sequence * 7 || (watched is not null && watched.Cursor.Value - sequence > capacity))
            {
                Lapped = true;
            }
            Seen.Add(item.Value);
            batch++;
            if (endOfBatch)
            {
                Batches++;
                LargestBatch = Math.Max(LargestBatch, batch);
                batch = 0;
            }
        }
    }

    private static void Produce(RingBuffer<Item> ring, long count)
    {
        for (var i = 0L; i < count; i++)
        {
            var s = ring.Next();
            ref var slot = ref ring[s];
            slot.Value = s;
            slot.Check = s * 7;
            ring.Publish(s);
        }
    }

    public static TheoryData<string> Strategies() => ["blocking", "yielding"];

    private static IWaitStrategy Strategy(string name) => name == "blocking" ? new BlockingWaitStrategy() : new YieldingWaitStrategy();

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(100)]
    [InlineData(-8)]
    public void Capacity_must_be_a_power_of_two(int capacity)
    {
        var error = Assert.Throws<ArgumentException>(() => new RingBuffer<Item>(capacity, new BlockingWaitStrategy()));
        Assert.Contains("power of two", error.Message);
    }

    [Fact]
    public void A_sequence_value_sits_alone_between_two_cache_lines_of_padding()
    {
        Assert.Equal(128, Unsafe.SizeOf<PaddedLong>());
        Assert.Equal(64, (int)Marshal.OffsetOf<PaddedLong>(nameof(PaddedLong.Value)));
    }

    [Fact]
    public void Slots_wrap_around_onto_the_same_storage()
    {
        var ring = new RingBuffer<Item>(8, new BlockingWaitStrategy());
        ring[3].Value = 42;
        Assert.Equal(42, ring[3 + 8].Value);
        Assert.Equal(42, ring[3 + (8 * 1000)].Value);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void A_million_items_through_a_small_ring_arrive_once_each_in_order(string strategy)
    {
        var ring = new RingBuffer<Item>(64, Strategy(strategy));
        var recorder = new Recorder();
        var processor = new BatchProcessor<Item, Recorder>(ring, recorder, "test-consumer");
        processor.Start();

        Produce(ring, 1_000_000);
        processor.Stop();

        Assert.Equal(1_000_000, recorder.Seen.Count);
        for (var i = 0; i < recorder.Seen.Count; i++)
        {
            Assert.Equal(i, recorder.Seen[i]);
        }
        Assert.False(recorder.Lapped);
        Assert.True(recorder.LargestBatch > 1, "under load the consumer should take several slots per batch");
        Assert.Equal(ProcessorState.Stopped, processor.State);
    }

    [Fact]
    public void A_slow_consumer_holds_the_producer_back_instead_of_being_overwritten()
    {
        var ring = new RingBuffer<Item>(4, new BlockingWaitStrategy());
        var recorder = new Recorder(ring, capacity: 4) { DelayPerItem = TimeSpan.FromMilliseconds(1) };
        var processor = new BatchProcessor<Item, Recorder>(ring, recorder, "slow-consumer");
        processor.Start();

        Produce(ring, 40);
        processor.Stop();

        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), recorder.Seen);
        Assert.False(recorder.Lapped);
    }

    [Fact]
    public void Try_next_refuses_a_claim_when_the_ring_is_full()
    {
        var ring = new RingBuffer<Item>(4, new BlockingWaitStrategy());
        ring.AddGatingSequence(new Sequence());
        for (var i = 0; i < 4; i++)
        {
            Assert.True(ring.TryNext(out var s));
            ring.Publish(s);
        }

        Assert.False(ring.TryNext(out _));
    }

    [Fact]
    public void Stopping_drains_everything_already_published()
    {
        var ring = new RingBuffer<Item>(1024, new BlockingWaitStrategy());
        var recorder = new Recorder { DelayPerItem = TimeSpan.FromTicks(1) };
        var processor = new BatchProcessor<Item, Recorder>(ring, recorder, "drain");
        processor.Start();
        Produce(ring, 1000);

        processor.Stop();

        Assert.Equal(1000, recorder.Seen.Count);
    }

    [Fact]
    public async Task Stopping_without_draining_ends_after_the_batch_under_way_and_leaves_the_rest()
    {
        var ring = new RingBuffer<Item>(1024, new BlockingWaitStrategy());
        using var gate = new ManualResetEventSlim();
        var recorder = new GatedRecorder(gate);
        var processor = new BatchProcessor<Item, GatedRecorder>(ring, recorder, "no-drain");
        processor.Start();
        Produce(ring, 1);
        Assert.True(SpinWait.SpinUntil(() => recorder.Entered, TimeSpan.FromSeconds(10)));
        // The first batch is under way (held in its only slot) when the rest is published and the stop comes.
        Produce(ring, 999);
        var stopping = Task.Run(() => processor.Stop(TimeSpan.FromSeconds(30), drain: false));
        Assert.True(SpinWait.SpinUntil(() => processor.Stopping, TimeSpan.FromSeconds(10)));
        gate.Set();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        // Without the stop the batch would have run on over the 999 published while it was held.
        Assert.Equal([0L], recorder.Seen);
        Assert.Equal(0, processor.Sequence.Value);
        Assert.Equal(ProcessorState.Stopped, processor.State);
    }

    /// <summary>Holds its first slot until let go.</summary>
    private sealed class GatedRecorder(ManualResetEventSlim gate) : IRingHandler<Item>
    {
        public List<long> Seen { get; } = [];

        public bool Entered { get; private set; }

        public void OnEvent(ref Item item, long sequence, bool endOfBatch)
        {
            Entered = true;
            gate.Wait();
            Seen.Add(item.Value);
        }
    }

    [Fact]
    public void Claiming_a_batch_returns_its_highest_sequence_and_one_publish_releases_it()
    {
        var ring = new RingBuffer<Item>(16, new YieldingWaitStrategy());
        var recorder = new Recorder();
        var processor = new BatchProcessor<Item, Recorder>(ring, recorder, "batch");
        processor.Start();

        var high = ring.Next(10);
        for (var s = high - 9; s <= high; s++)
        {
            ring[s] = new Item { Value = s, Check = s * 7 };
        }
        ring.Publish(high - 9, high);
        processor.Stop();

        Assert.Equal(9, high);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), recorder.Seen);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Next(17));
    }

    private sealed class Throwing : IRingHandler<Item>
    {
        public int Handled;

        public void OnEvent(ref Item item, long sequence, bool endOfBatch)
        {
            if (sequence == 5)
            {
                throw new InvalidOperationException("bad slot");
            }
            Handled++;
        }
    }

    [Fact]
    public void A_handler_exception_is_recorded_reported_and_does_not_wedge_the_ring()
    {
        var ring = new RingBuffer<Item>(8, new BlockingWaitStrategy());
        Exception? reported = null;
        var handler = new Throwing();
        var processor = new BatchProcessor<Item, Throwing>(ring, handler, "faulty") { OnFault = e => reported = e };
        processor.Start();

        Produce(ring, 100);
        processor.Stop();

        Assert.Equal(ProcessorState.Faulted, processor.State);
        Assert.Equal("bad slot", processor.Fault?.Message);
        Assert.Same(processor.Fault, reported);
        Assert.Equal(1, processor.FaultCount);
        Assert.Equal(99, handler.Handled);
    }

    /// <summary>Stage one of a chain: doubles each value into the second ring.</summary>
    private sealed class Forwarder(RingBuffer<Item> next) : IRingHandler<Item>
    {
        public void OnEvent(ref Item item, long sequence, bool endOfBatch)
        {
            var s = next.Next();
            next[s] = new Item { Value = s, Check = item.Check * 2 };
            next.Publish(s);
        }
    }

    private sealed class Summer : IRingHandler<Item>
    {
        public long Sum;
        public long Count;

        public void OnEvent(ref Item item, long sequence, bool endOfBatch)
        {
            Sum += item.Check;
            Count++;
        }
    }

    [Fact]
    public void Two_stages_chained_by_rings_pass_every_item_through_in_order()
    {
        var first = new RingBuffer<Item>(32, new BlockingWaitStrategy());
        var second = new RingBuffer<Item>(32, new BlockingWaitStrategy());
        var summer = new Summer();
        var stageOne = new BatchProcessor<Item, Forwarder>(first, new Forwarder(second), "one");
        var stageTwo = new BatchProcessor<Item, Summer>(second, summer, "two");
        stageOne.Start();
        stageTwo.Start();

        Produce(first, 100_000);
        stageOne.Stop();
        stageTwo.Stop();

        Assert.Equal(100_000, summer.Count);
        Assert.Equal(2 * 7 * (100_000L * 99_999 / 2), summer.Sum);
    }

    /// <summary>Holds the consumer at chosen slots until the producer has published far enough, and notes batch ends.</summary>
    private sealed class Holder(RingBuffer<Item> ring, Dictionary<long, long> holdUntil) : IRingHandler<Item>
    {
        public List<long> BatchEnds { get; } = [];

        public bool TimedOut { get; private set; }

        public void OnEvent(ref Item item, long sequence, bool endOfBatch)
        {
            if (holdUntil.TryGetValue(sequence, out var until))
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
                while (ring.Cursor.Value < until && !(TimedOut = DateTime.UtcNow > deadline))
                {
                    Thread.Sleep(1);
                }
            }
            if (endOfBatch)
            {
                BatchEnds.Add(sequence);
            }
        }
    }

    [Fact]
    public void A_batch_takes_what_was_published_while_it_ran_and_frees_slots_before_it_ends()
    {
        const int capacity = 8192;
        var ring = new RingBuffer<Item>(capacity, new BlockingWaitStrategy());
        // At slot 0 the producer fills the ring (it can, nothing is owed yet); at slot 7000 it must get past a full ring,
        // which it can only if the batch gave back the slots it had finished.
        var holder = new Holder(ring, new() { [0] = capacity - 1, [7000] = 10_000 });
        var processor = new BatchProcessor<Item, Holder>(ring, holder, "held");
        processor.Start();

        var first = ring.Next(2);
        ring.Publish(first - 1, first);
        Produce(ring, 12_000 - 2);
        processor.Stop();

        Assert.False(holder.TimedOut, "the producer stalled: slots were not freed during the batch");
        // The first batch began with two slots and ran on to the end of the full ring.
        Assert.Equal(capacity - 1, holder.BatchEnds[0]);
        Assert.Equal(11_999, holder.BatchEnds[^1]);
    }
}
