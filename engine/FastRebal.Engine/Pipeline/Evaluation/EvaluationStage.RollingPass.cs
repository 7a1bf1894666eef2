using System.Diagnostics;
using System.Runtime.Intrinsics;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Persistence;

namespace FastRebal.Engine.Pipeline;

// The rolling pass over the book: full sweeps in slices, and a busy feed's pass that goes on from batch to batch.
public sealed partial class EvaluationStage
{
    // The rolling pass: the next account it sweeps and how many it has left (state, checkpointed); the accounts
    // swept by passes so far (only for latency); and this batch's limit (0 = none), journaled with the batch.
    private int passCursor;
    private int passRemaining;
    private long passSwept;
    private int sweepLimit;
    private readonly int rollingSlice;
    private long busyThrough = -1;
    private bool finishingPass;
    private long batchOrigin;
    private readonly PassLatency waitingForPass = new();

    /// <summary>Stops the second core's sweeper, if any; later sweeps run on the calling thread. Call once the stage's thread has stopped.</summary>
    public void ReleaseSweepPartner()
    {
        partner?.Dispose();
        partner = null;
    }

    /// <summary>
    /// Sweeps the next slice of a rolling pass in a batch of its own, with no prices (journaled like any batch), when a
    /// pass is under way and no input waits: a feed that delivers its ticks in bursts (a poll each millisecond) would
    /// otherwise leave the pass where the last batch stopped until the next burst. Returns false, doing nothing, when
    /// no pass is under way, input waits, or nothing says whether it does (a lockstep replay, where batches follow the
    /// feed's days). Call on the evaluation thread, between batches.
    /// </summary>
    public bool ContinuePass()
    {
        if (passRemaining == 0 || MoreInputWaiting is not { } waiting || waiting())
        {
            return false;
        }
        EndBatch();
        return true;
    }

    /// <summary>
    /// Runs one more batch, with no prices, that finishes a rolling pass under way (journaled like any batch): a
    /// stopping engine evaluates every price it applied before it stops. Call on the evaluation thread or once it has
    /// stopped; nothing happens when no pass is under way.
    /// </summary>
    internal void FinishPass()
    {
        if (passRemaining == 0)
        {
            return;
        }
        finishingPass = true;
        try
        {
            EndBatch();
        }
        finally
        {
            finishingPass = false;
        }
    }

    /// <summary>
    /// Sweeps up to <paramref name="limit"/> accounts of the rolling pass from its cursor, slice by slice (small first,
    /// so the first accounts to act reach the order stage early), wrapping round the book's end.
    /// </summary>
    private void RollPass(int limit)
    {
        var anyFlow = accountsWithPendingFlow > 0;
        var swept = 0;
        for (var size = FirstSlice; swept < limit; size = Math.Min(size * 4, LargestSlice))
        {
            var from = passCursor;
            var to = Math.Min(book.AccountCount, from + Math.Min(size, limit - swept));
            if (swept > 0)
            {
                CrashPoints.Reach(CrashPoints.Sweep);
            }
            SweepSlice(from, to, refreshMarks: true, calendarCheck: false, anyFlow);
            swept += to - from;
            passSwept += to - from;
            passRemaining -= to - from;
            // Prices whose pass is complete with this slice were decided on just now, not at the batch's end.
            waitingForPass.RecordCovered(passSwept, Stopwatch.GetTimestamp(), priceToDecision);
            passCursor = to == book.AccountCount ? 0 : to;
            if (passCursor == 0)
            {
                // Once round the book: the models' mean drift is complete.
                Counters.FullSweeps++;
                ObserveModels();
            }
        }
        Counters.AccountsEvaluated += swept;
    }

    /// <summary>
    /// The full pass, one slice of accounts at a time: copy the slice's marks if prices moved, sweep it, show its
    /// drift to the breakers, decide the accounts in it that have something to act on. The first slices are small,
    /// so the first accounts a price pushed out of band reach the order stage after a thousand accounts are swept,
    /// not after the whole book; later slices are large enough to use both cores.
    /// </summary>
    private void SweepAndDecideAll(bool opensDay)
    {
        var anyFlow = accountsWithPendingFlow > 0;
        var refreshMarks = passRemaining > 0;
        for (int from = 0, size = FirstSlice; from < book.AccountCount; from += size, size = Math.Min(size * 4, LargestSlice))
        {
            if (from > 0)
            {
                CrashPoints.Reach(CrashPoints.Sweep);
            }
            SweepSlice(from, Math.Min(book.AccountCount, from + size), refreshMarks, opensDay, anyFlow);
        }
        // Every account has now seen every price: whatever a rolling pass had left is done.
        passRemaining = 0;
        waitingForPass.RecordCovered(long.MaxValue, Stopwatch.GetTimestamp(), priceToDecision);
        Counters.FullSweeps++;
        ObserveModels();
        Counters.AccountsEvaluated += book.AccountCount;
    }

    /// <summary>
    /// One slice of a pass: copy its marks if prices moved, sweep it, show its drift to the breakers, and decide the
    /// accounts in it that have something to act on and were not decided earlier in this batch.
    /// </summary>
    private void SweepSlice(int from, int to, bool refreshMarks, bool calendarCheck, bool anyFlow)
    {
        if (partner is not null)
        {
            partner.RunRange(book, report, from, to, refreshMarks);
        }
        else
        {
            DriftSweep.RunRange(book, report, from, to, parallel: parallelSweep, refreshMarks: refreshMarks);
        }
        gate.ObserveDrifts(from, report.TotalDrift.AsSpan(from, to - from), day);
        if (calendarCheck && tax is not null)
        {
            // The day's harvests go first: an account that harvests trades them before any rebalance of the day.
            Harvest(from, to);
        }
        if (calendarCheck || anyFlow || approvals.Count > 0)
        {
            for (var a = from; a < to; a++)
            {
                ConsiderAccount(a, calendarCheck, anyFlow);
            }
            return;
        }
        // Most accounts are in band with nothing parked: four at a time, a screen passes over those with nothing for
        // ConsiderAccount to do, which then looks at the rest one by one.
        var a4 = from;
        if (Vector256.IsHardwareAccelerated)
        {
            var (narrowest, targetSum) = classBands.MayBreachBound;
            for (; a4 <= to - 4; a4 += 4)
            {
                var candidates = SliceScreen.Four(a4, report, book.c.Cash, narrowest, targetSum, parkedExcess);
                while (candidates != 0)
                {
                    ConsiderAccount(a4 + System.Numerics.BitOperations.TrailingZeroCount(candidates), calendarCheck: false, anyFlow: false);
                    candidates &= candidates - 1;
                }
            }
        }
        for (var a = a4; a < to; a++)
        {
            ConsiderAccount(a, calendarCheck: false, anyFlow: false);
        }
    }

    /// <summary>One account of a swept slice: decided if it has something to act on, its parked breach cleared once back in band.</summary>
    private void ConsiderAccount(int a, bool calendarCheck, bool anyFlow)
    {
        if (decidedStamp[a] == stamp)
        {
            return;
        }
        if (calendarCheck || report.Breaches(a) || (anyFlow && pendingFlow[a] != 0) || classBands.IsBreached(report, a)
            || (approvals.Count > 0 && approvals.ContainsKey(a)))
        {
            // A breach parked today that has not grown enough is left waiting here, before Decide reads the
            // account's other state: thousands of such accounts sit in every pass of a busy day.
            if (calendarCheck || !IsParked(a, anyFlow ? pendingFlow[a] : 0))
            {
                Decide(a, calendarCheck);
            }
        }
        else if (!double.IsNaN(parkedExcess[a]))
        {
            // Back in band: a later breach is a new one. (Written only when set: most accounts never were.)
            parkedExcess[a] = double.NaN;
        }
    }

    /// <summary>Shows each model's mean total drift to the model breakers, once a pass has gone round the book.</summary>
    /// <remarks>
    /// Even and odd accounts are summed apart and the two sums added at the end: consecutive accounts of one model then
    /// do not each wait for the other's addition to the same total (a chain of dependent adds across the whole book).
    /// </remarks>
    private void ObserveModels()
    {
        Array.Clear(modelDrift);
        Array.Clear(modelDriftOdd);
        Array.Clear(modelAccounts);
        var models = book.c.ModelIndex.AsSpan(0, book.AccountCount);
        var drift = report.TotalDrift.AsSpan(0, models.Length);
        var a = 0;
        for (; a + 1 < models.Length; a += 2)
        {
            modelDrift[models[a]] += drift[a];
            modelDriftOdd[models[a + 1]] += drift[a + 1];
            modelAccounts[models[a]]++;
            modelAccounts[models[a + 1]]++;
        }
        if (a < models.Length)
        {
            modelDrift[models[a]] += drift[a];
            modelAccounts[models[a]]++;
        }
        for (var m = 0; m < modelDrift.Length; m++)
        {
            if (modelAccounts[m] > 0)
            {
                gate.ObserveModelDrift(m, (modelDrift[m] + modelDriftOdd[m]) / modelAccounts[m], day);
            }
        }
    }
}
