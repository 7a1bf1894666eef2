using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Pipeline;

namespace FastRebal.Bench.Pipeline;

/// <summary>
/// One producer thread hands ten million small struct events to one consumer thread. The baseline is a bounded
/// <see cref="Channel{T}"/> of the same capacity, single writer and single reader, read the way the guide says
/// (WaitToReadAsync then TryRead until empty); against it, the engine's own ring with each wait strategy, claiming
/// one slot at a time (the way ingestion publishes) and 64 at a time. Each figure is per event.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("ring")]
public class RingThroughputBenchmarks
{
    private const int Events = 10_000_000;
    private const int Capacity = 1 << 16;

    /// <summary>A slot about the size of a price event.</summary>
    private struct Slot
    {
        public long Value;
        public double Price;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "Channel<T> bounded, 1P-1C")]
    public long Channel()
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<Slot>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var consumer = Task.Run(async () =>
        {
            var sum = 0L;
            var reader = channel.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var slot))
                {
                    sum += slot.Value;
                }
            }
            return sum;
        });
        var producer = new Thread(() =>
        {
            var writer = channel.Writer;
            for (var i = 0L; i < Events; i++)
            {
                var slot = new Slot { Value = i, Price = i };
                while (!writer.TryWrite(slot))
                {
                    writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult();
                }
            }
            writer.Complete();
        });
        producer.Start();
        producer.Join();
        return consumer.GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "ring, blocking wait, claim 1")]
    public long RingBlocking() => RunRing(new BlockingWaitStrategy(), claim: 1);

    [Benchmark(OperationsPerInvoke = Events, Description = "ring, yielding wait, claim 1")]
    public long RingYielding() => RunRing(new YieldingWaitStrategy(), claim: 1);

    [Benchmark(OperationsPerInvoke = Events, Description = "ring, blocking wait, claim 64")]
    public long RingBlockingBatched() => RunRing(new BlockingWaitStrategy(), claim: 64);

    private static long RunRing(IWaitStrategy wait, int claim)
    {
        var ring = new RingBuffer<Slot>(Capacity, wait);
        var processor = new BatchProcessor<Slot, SumHandler>(ring, new SumHandler(), "bench-consumer");
        processor.Start();
        for (var i = 0L; i < Events; i += claim)
        {
            var high = ring.Next(claim);
            for (var s = high - claim + 1; s <= high; s++)
            {
                ref var slot = ref ring[s];
                slot.Value = s;
                slot.Price = s;
            }
            ring.Publish(high - claim + 1, high);
        }
        // Stop drains everything published before it returns.
        processor.Stop();
        return processor.Sequence.Value;
    }

    private sealed class SumHandler : IRingHandler<Slot>
    {
        public long Sum;

        public void OnEvent(ref Slot item, long sequence, bool endOfBatch) => Sum += item.Value;
    }
}
