using System.Runtime;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Runs;

/// <summary>
/// A stretch of a batch job in which the garbage collector does not run. Room for what the stretch will allocate is
/// set aside when it starts (one full collection makes it), so a run that keeps nearly everything it makes (a
/// decision, a plan and trades for every account, then their tax-aware forms) is not copied from generation to
/// generation while it is made: on a million-account book those collections were a third of deciding. What the
/// stretch made is collected for the first time after it, by then mostly as the process's result, once.
/// <para>
/// No thread of the process is collected for meanwhile, so only a process doing nothing else at the time (the
/// command line's one-shot runs) may open one; never a host running a live engine.
/// </para>
/// </summary>
public sealed class BatchRegion : IDisposable
{
    /// <summary>What a one-shot run keeps per account, about, with room to spare (the most a generated firm measured is about 1.3 kB for 20 positions).</summary>
    public const int BytesPerAccount = 1024;

    /// <summary>... and per position.</summary>
    public const int BytesPerSlot = 48;

    private BatchRegion()
    {
    }

    /// <summary>Room for a one-shot run over <paramref name="book"/> (its decisions, plans and trades), times <paramref name="runs"/>.</summary>
    public static long RunBytes(AccountBook book, int runs = 1) =>
        runs * ((BytesPerAccount * (long)book.AccountCount) + (BytesPerSlot * (long)book.SlotCount));

    /// <summary>
    /// Starts a region with room for <paramref name="bytes"/>, or returns null, and the collector runs as usual, when
    /// the runtime cannot set that much aside, it is more than a quarter of the memory the process may still use, or a
    /// region is open already. Dispose to end it.
    /// </summary>
    public static BatchRegion? Enter(long bytes)
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            return null;
        }
        var memory = GC.GetGCMemoryInfo();
        // The room is committed at once: never so much of what is left that the rest of the process runs short.
        if (bytes > (memory.TotalAvailableMemoryBytes - memory.MemoryLoadBytes) / 4)
        {
            return null;
        }
        try
        {
            return GC.TryStartNoGCRegion(bytes) ? new BatchRegion() : null;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            // More than the runtime sets aside at once, or another thread opened a region first.
            return null;
        }
    }

    /// <summary>Ends the region. A stretch that made more than its room has had a collection, which ended it already.</summary>
    public void Dispose()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            try
            {
                GC.EndNoGCRegion();
            }
            catch (InvalidOperationException)
            {
                // The region ended on its own between the check and the call.
            }
        }
    }
}
