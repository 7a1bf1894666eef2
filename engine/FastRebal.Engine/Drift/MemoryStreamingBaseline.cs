using System.Numerics;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Drift;

/// <summary>
/// The yardstick for the sweep: a loop that reads and writes exactly the arrays a sweep touches and does no work
/// beyond an add, so its time is what the memory system allows. A sweep close to it is memory-bound, not compute-bound.
/// </summary>
public static class MemoryStreamingBaseline
{
    /// <summary>Bytes one sweep reads and writes: per slot quantity, mark, target, inverse target (read) and drift (write); per account the policy figures (read) and six results (write).</summary>
    public static long BytesPerSweep(AccountBook book) =>
        (book.SlotCount * 5L * sizeof(double))
        + (book.AccountCount * ((4L * sizeof(double)) + sizeof(bool) + sizeof(int) + (6L * sizeof(double))));

    /// <summary>Streams the sweep's bytes, split across cores the same way the sweep is.</summary>
    public static double Run(AccountBook book, DriftReport report, bool parallel = true)
    {
        var accounts = book.AccountCount;
        if (!parallel || accounts < DriftSweep.ParallelThreshold || Environment.ProcessorCount == 1)
        {
            return StreamRange(book.c, report, 0, accounts);
        }
        var chunks = Environment.ProcessorCount * 4;
        var perChunk = (accounts + chunks - 1) / chunks;
        var partial = new double[chunks];
        Parallel.For(0, chunks, chunk =>
        {
            var from = chunk * perChunk;
            var to = Math.Min(accounts, from + perChunk);
            partial[chunk] = from < to ? StreamRange(book.c, report, from, to) : 0;
        });
        return partial.Sum();
    }

    private static double StreamRange(BookColumns c, DriftReport r, int from, int to)
    {
        var start = c.SlotStart[from];
        var end = c.SlotStart[to];
        var quantity = c.Quantity.AsSpan(start, end - start);
        var mark = c.Mark.AsSpan(start, end - start);
        var target = c.Target.AsSpan(start, end - start);
        var inverseTarget = c.InverseTarget.AsSpan(start, end - start);
        var drift = r.Drift.AsSpan(start, end - start);
        var width = Vector<double>.Count;
        var i = 0;
        for (; i <= quantity.Length - width; i += width)
        {
            (new Vector<double>(quantity[i..]) + new Vector<double>(mark[i..]) + new Vector<double>(target[i..]) + new Vector<double>(inverseTarget[i..])).CopyTo(drift[i..]);
        }
        for (; i < quantity.Length; i++)
        {
            drift[i] = quantity[i] + mark[i] + target[i] + inverseTarget[i];
        }

        var checksum = 0.0;
        for (var a = from; a < to; a++)
        {
            var sum = c.Cash[a] + c.ReserveAmount[a] + c.ReservePercent[a] + c.BandWidth[a] + (c.RelativeBand[a] ? 1 : 0) + c.SlotStart[a];
            r.TotalValue[a] = sum;
            r.InvestableValue[a] = sum;
            r.MaxAbsDrift[a] = sum;
            r.MaxRelativeDrift[a] = sum;
            r.TotalDrift[a] = sum;
            r.MaxExcess[a] = sum;
            checksum += sum;
        }
        return checksum;
    }
}
