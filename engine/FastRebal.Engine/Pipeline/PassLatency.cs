namespace FastRebal.Engine.Pipeline;

/// <summary>
/// Arrival times of prices that a rolling pass has not yet carried to every account, held until it has: their
/// price-change-to-decision figure then spans all the accounts the price touched, which is what the figure promises.
/// </summary>
internal sealed class PassLatency
{
    /// <summary>Arrivals held at most (about 0.2 s of verified changes at a million quotes a second); beyond it, prices go unsampled.</summary>
    private const int Capacity = 1 << 17;

    private readonly long[] arrivals = new long[Capacity];
    private readonly Queue<(long CoveredAt, long End)> batches = new();
    private long head;
    private long tail;

    /// <summary>Holds a batch's arrivals until the pass has swept <paramref name="coveredAt"/> accounts in all.</summary>
    public void Add(long coveredAt, ReadOnlySpan<long> receivedAt)
    {
        foreach (var arrival in receivedAt)
        {
            if (tail - head == Capacity)
            {
                break;
            }
            arrivals[tail++ & (Capacity - 1)] = arrival;
        }
        batches.Enqueue((coveredAt, tail));
    }

    /// <summary>Records, as decided at <paramref name="now"/>, every held arrival the pass has covered by <paramref name="swept"/> accounts.</summary>
    public void RecordCovered(long swept, long now, LatencyRecorder recorder)
    {
        while (batches.TryPeek(out var batch) && batch.CoveredAt <= swept)
        {
            batches.Dequeue();
            for (; head < batch.End; head++)
            {
                recorder.Record(arrivals[head & (Capacity - 1)], now);
            }
        }
    }
}
