using System.Diagnostics;

namespace FastRebal.Engine.Tests.Persistence;

/// <summary>
/// Runs the fastrebal CLI in a child process (the same build the tests reference), so a test can kill it with
/// SIGKILL or let it crash itself at a named point, and read what it printed.
/// </summary>
internal static class ChildRun
{
    /// <summary>
    /// A firm and a year of real daily history, small enough for many runs in CI time: 1,500 accounts, two sweep slices.
    /// The uniform firm the crash points below were chosen on (every model holds the same instruments).
    /// </summary>
    public static readonly string[] Firm = ["run", "--accounts", "1500", "--from", "2015-12-31", "--to", "2016-12-31", "--digest", "--firm-shape", "uniform"];

    /// <summary>The same run on the realistic firm: models over different lineups of 300 instruments.</summary>
    public static readonly string[] RealisticFirm = [.. Firm[..^1], "realistic"];

    private static string Cli => Path.Combine(AppContext.BaseDirectory, "fastrebal.dll");

    public sealed record Result(int ExitCode, string Output, bool Killed)
    {
        /// <summary>The state digest the run printed at its end.</summary>
        public string Digest => Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("state digest ", StringComparison.Ordinal)).Select(l => l[13..]).SingleOrDefault()
            ?? throw new InvalidOperationException($"the run printed no digest (exit {ExitCode}):\n{Output}");
    }

    /// <summary>Runs to the end, or until it crashes itself at <paramref name="crashAt"/>, or until killed after <paramref name="killAfter"/>.</summary>
    public static Result Run(IEnumerable<string> args, string? crashAt = null, TimeSpan? killAfter = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Cli);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["FASTREBAL_CRASH_AT"] = crashAt ?? "";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var killed = false;
        if (killAfter is { } delay && !process.WaitForExit(delay))
        {
            // Process.Kill sends SIGKILL on Linux: no finally block, no flush, exactly a crash.
            process.Kill(entireProcessTree: true);
            killed = true;
        }
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"fastrebal {string.Join(' ', args)} did not finish in 3 minutes");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, output.Result + error.Result, killed || process.ExitCode == 137);
    }
}
