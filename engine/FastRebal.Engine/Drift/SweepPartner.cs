using System.Diagnostics;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Drift;

/// <summary>
/// A second thread that sweeps part of each slice the evaluation thread sweeps, so a live pass uses both cores. The
/// sweep is bound by memory, and two cores stream about 1.7 times what one does on this machine.
/// </summary>
/// <remarks>
/// <para>
/// A slice is cut into chunks that both threads claim from one counter, and the caller sweeps chunks too, so it never
/// waits for the partner to wake: a partner that sleeps, or whose core is busy, simply takes fewer chunks. The caller
/// waits only for the chunk the partner is sweeping when the counter runs out (tens of microseconds at most).
/// <see cref="System.Threading.Tasks.Parallel"/> was the first way tried: its workers sleep between the short slices
/// of a busy feed, and waking them took longer than the slice, so the caller swept every chunk itself.
/// </para>
/// <para>
/// After a slice the partner spins (yielding its core to any thread that wants it) for <see cref="SpinWindow"/>, which
/// keeps it awake between the slices of a busy feed; then it sleeps until the next slice wakes it. Each slice is a new
/// <see cref="Job"/> with its own counters, so a partner that stalled inside one slice can never claim a chunk of the next.
/// </para>
/// </remarks>
public sealed class SweepPartner : IDisposable
{
    /// <summary>Accounts per chunk: about 20 µs of sweeping at 20 positions, small enough that the caller's final wait is short.</summary>
    public const int ChunkAccounts = 512;

    /// <summary>How long the partner stays awake after a slice: longer than the gap between a busy feed's slices.</summary>
    private static readonly long SpinWindow = Stopwatch.Frequency / 1000;

    private readonly Thread thread;
    private readonly SemaphoreSlim wake = new(0);
    private Job? current;
    private int sleeping;
    private volatile bool disposed;

    public SweepPartner()
    {
        thread = new Thread(Loop) { IsBackground = true, Name = "fastrebal-sweep" };
        thread.Start();
    }

    /// <summary>Chunks the partner swept (its share of the work, for tests and diagnostics).</summary>
    public long ChunksSwept => Volatile.Read(ref chunksSwept);

    private long chunksSwept;

    /// <summary>
    /// Sweeps accounts [<paramref name="from"/>, <paramref name="to"/>) with the partner's help, as
    /// <see cref="DriftSweep.RunRange"/> does alone; returns once every account is swept. Call from one thread at a time.
    /// </summary>
    public void RunRange(AccountBook book, DriftReport report, int from, int to, bool refreshMarks, SweepPath path = SweepPath.Auto)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (to - from <= ChunkAccounts)
        {
            DriftSweep.RunRange(book, report, from, to, path, parallel: false, refreshMarks: refreshMarks);
            return;
        }
        DriftSweep.ValidateRange(book, report, from, to);
        if (refreshMarks)
        {
            // The lineup rows are written once, here, before either thread reads them.
            book.Lineups.Refresh(book.PriceArray);
        }
        var job = new Job(book, report, DriftSweep.ResolvePath(path), from, to, refreshMarks);
        Volatile.Write(ref current, job);
        if (Interlocked.Exchange(ref sleeping, 0) == 1)
        {
            wake.Release();
        }
        job.SweepChunks();
        var spin = default(SpinWait);
        while (Volatile.Read(ref job.Done) < job.ChunkCount)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        Volatile.Write(ref current, null);
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        wake.Release();
        thread.Join();
        wake.Dispose();
    }

    private void Loop()
    {
        Job? last = null;
        while (!disposed)
        {
            var job = AwaitJob(last);
            if (job is null)
            {
                continue;
            }
            Interlocked.Add(ref chunksSwept, job.SweepChunks());
            last = job;
        }
    }

    /// <summary>A slice not yet seen, after spinning for a while and then sleeping; null to look again (or stop).</summary>
    private Job? AwaitJob(Job? last)
    {
        var spinUntil = Stopwatch.GetTimestamp() + SpinWindow;
        var spin = default(SpinWait);
        while (Stopwatch.GetTimestamp() < spinUntil)
        {
            var job = Volatile.Read(ref current);
            if (job is not null && job != last)
            {
                return job;
            }
            if (disposed)
            {
                return null;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
        // Say it sleeps, then look once more: either this look sees a slice published before it, or the publisher
        // sees the flag and wakes it (both sides use a full fence).
        Interlocked.Exchange(ref sleeping, 1);
        var pending = Volatile.Read(ref current);
        if ((pending is not null && pending != last) || disposed)
        {
            if (Interlocked.Exchange(ref sleeping, 0) == 0)
            {
                // The publisher took the flag and released the semaphore: take that release, or the next sleep ends at once.
                wake.Wait();
            }
            return disposed ? null : pending;
        }
        wake.Wait();
        return null;
    }

    /// <summary>One slice: what to sweep, and the counters both threads claim and report chunks with.</summary>
    private sealed class Job(AccountBook book, DriftReport report, SweepPath path, int from, int to, bool refreshMarks)
    {
        public readonly int ChunkCount = (to - from + ChunkAccounts - 1) / ChunkAccounts;
        public int Done;
        private int next;

        /// <summary>Claims and sweeps chunks until none is left; returns how many this thread swept.</summary>
        public int SweepChunks()
        {
            var swept = 0;
            int chunk;
            while ((chunk = Interlocked.Increment(ref next) - 1) < ChunkCount)
            {
                var first = from + (chunk * ChunkAccounts);
                DriftSweep.SweepChunk(path, book, report, first, Math.Min(to, first + ChunkAccounts), refreshMarks);
                Interlocked.Increment(ref Done);
                swept++;
            }
            return swept;
        }
    }
}
