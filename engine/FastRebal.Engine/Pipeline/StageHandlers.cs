using System.Diagnostics;
using FastRebal.Engine.Ingestion;

namespace FastRebal.Engine.Pipeline;

/// <summary>Feeds the evaluation stage from its ring: every event of a batch, then one evaluation at the batch's end.</summary>
public sealed class EvaluationHandler(EvaluationStage stage, EngineMetrics metrics, LatencyRecorder batchTime) : IRingHandler<PriceEvent>
{
    private long batchStart;

    public void OnEvent(ref PriceEvent item, long sequence, bool endOfBatch)
    {
        if (batchStart == 0)
        {
            batchStart = Stopwatch.GetTimestamp();
        }
        stage.Add(item);
        stage.LastRingSequence = sequence;
        if (endOfBatch)
        {
            stage.EndBatch();
            Recorded(batchStart);
            // While no input waits, a rolling pass goes on by itself, a slice per batch, until the next prices come.
            for (var start = Stopwatch.GetTimestamp(); stage.ContinuePass(); start = Stopwatch.GetTimestamp())
            {
                Recorded(start);
            }
            batchStart = 0;
        }
    }

    private void Recorded(long start)
    {
        var end = Stopwatch.GetTimestamp();
        metrics.BatchDuration.Record(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
        batchTime.Record(start, end);
    }
}

/// <summary>Feeds the order stage from its ring.</summary>
public sealed class OrderHandler(OrderStage stage) : IRingHandler<OrderEvent>
{
    public void OnEvent(ref OrderEvent item, long sequence, bool endOfBatch)
    {
        stage.Add(item);
        if (endOfBatch)
        {
            stage.EndBatch();
        }
    }
}

/// <summary>The evaluation stage's way into the order ring: it is that ring's only producer.</summary>
public sealed class RingOrderPublisher(RingBuffer<OrderEvent> ring) : IOrderPublisher
{
    public void Publish(in OrderEvent order)
    {
        var sequence = ring.Next();
        ring[sequence] = order;
        ring.Publish(sequence);
    }

    public void PublishAll(ReadOnlySpan<OrderEvent> orders)
    {
        for (var from = 0; from < orders.Length; from += ring.Capacity)
        {
            var part = orders.Slice(from, Math.Min(ring.Capacity, orders.Length - from));
            var high = ring.Next(part.Length);
            var low = high - part.Length + 1;
            for (var i = 0; i < part.Length; i++)
            {
                ring[low + i] = part[i];
            }
            ring.Publish(low, high);
        }
    }
}
