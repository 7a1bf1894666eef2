using System.Diagnostics;
using System.Globalization;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// Crash injection for the recovery tests: with <c>FASTREBAL_CRASH_AT=point:n</c> in the environment, the process
/// kills itself (SIGKILL: no finally blocks, no flush) the n-th time it reaches that point. Without the variable a
/// point costs one read of a static readonly field, which the JIT folds away.
/// </summary>
internal static class CrashPoints
{
    /// <summary>A batch is in the journal and committed, and nothing of it has been applied yet.</summary>
    public const string JournalAppended = "journal-appended";

    /// <summary>In the middle of a full sweep: some accounts decided, others not.</summary>
    public const string Sweep = "sweep";

    /// <summary>In the middle of writing a checkpoint: some chunks in the store, no checkpoint taken yet.</summary>
    public const string Checkpoint = "checkpoint";

    /// <summary>A child order is in the sink and its fill has not been recorded.</summary>
    public const string OrderSent = "order-sent";

    private static readonly bool Enabled = Environment.GetEnvironmentVariable("FASTREBAL_CRASH_AT") is { Length: > 0 };
    private static readonly string Target = "";
    private static readonly int Count;
    private static int hits;

#pragma warning disable CA1810 // the variable is read once, and only when set
    static CrashPoints()
#pragma warning restore CA1810
    {
        if (Environment.GetEnvironmentVariable("FASTREBAL_CRASH_AT") is { Length: > 0 } value)
        {
            var parts = value.Split(':');
            Target = parts[0];
            Count = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
        }
    }

    public static void Reach(string point)
    {
        if (Enabled && point == Target && Interlocked.Increment(ref hits) == Count)
        {
            Process.GetCurrentProcess().Kill();
        }
    }
}
