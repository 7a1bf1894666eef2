using System.Diagnostics;

namespace FastRebal.Cli;

/// <summary>Progress lines on standard error, so standard output stays clean for --json and --out -.</summary>
public sealed class Progress(bool quiet)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();

    public void Step(string message)
    {
        if (!quiet)
        {
            Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0}s] {message}");
        }
    }

    /// <summary>Runs <paramref name="work"/>, reporting when it starts and how long it took.</summary>
    public T Time<T>(string message, Func<T> work, out TimeSpan elapsed)
    {
        Step(message + " ...");
        var started = clock.Elapsed;
        var result = work();
        elapsed = clock.Elapsed - started;
        Step($"{message}: done in {elapsed.TotalMilliseconds:0.0} ms");
        return result;
    }
}
