using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>fastrebal sweep --accounts N --positions K [--json]</c>: times the drift sweep on a generated book against a
/// loop that only streams the same bytes, both measured in the same run. A quick check; bench/ holds the rigorous
/// BenchmarkDotNet figures.
/// </summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var firm = new FirmOptions(defaultAccounts: 100_000);
        var iterations = new Option<int>("--iterations") { Description = "Timed repetitions (the median is reported)", DefaultValueFactory = _ => 31 };
        var path = new Option<SweepPath>("--path") { Description = "Sweep implementation", DefaultValueFactory = _ => SweepPath.Auto };
        var singleThread = new Option<bool>("--single-thread") { Description = "Use one core" };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON" };
        var command = new Command("sweep", "Time the drift sweep against a memory-streaming loop over the same bytes")
        {
            iterations, path, singleThread, json,
        };
        firm.AddTo(command);
        command.SetAction(parse => ExitCodes.Guard(() => Run(
            firm.Read(parse), parse.GetValue(iterations), parse.GetValue(path), !parse.GetValue(singleThread), parse.GetValue(json))));
        return command;
    }

    public static int Run(FirmSpec spec, int iterations, SweepPath path, bool parallel, bool json)
    {
        if (iterations is < 1 or > 10_000)
        {
            throw new UsageException($"--iterations must be 1 to 10,000 (got {iterations})");
        }
        var (accounts, positions) = (spec.Accounts, spec.PositionsPerAccount);
        var progress = new Progress(quiet: json);
        var book = FirmOptions.Generate(spec, progress, out _).Book;
        var report = new DriftReport(book);
        var resolved = path == SweepPath.Auto ? DriftSweep.BestPath : path;

        progress.Step($"timing {iterations} sweeps, {iterations} live sweeps and {iterations} streaming passes, interleaved");
        var sweepTimes = new double[iterations];
        var liveTimes = new double[iterations];
        var streamTimes = new double[iterations];
        var sink = 0.0;
        for (var i = -3; i < iterations; i++)
        {
            // The first three rounds warm up (and tier up) each loop and are not counted.
            var clock = Stopwatch.StartNew();
            DriftSweep.Run(book, report, resolved, parallel);
            var sweep = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            DriftSweep.RunRange(book, report, 0, book.AccountCount, resolved, parallel, refreshMarks: true);
            var live = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            sink += MemoryStreamingBaseline.Run(book, report, parallel);
            var stream = clock.Elapsed.TotalMilliseconds;
            if (i >= 0)
            {
                (sweepTimes[i], liveTimes[i], streamTimes[i]) = (sweep, live, stream);
            }
        }
        GC.KeepAlive(sink);

        var bytes = MemoryStreamingBaseline.BytesPerSweep(book);
        var sweepMedian = Median(sweepTimes);
        var liveMedian = Median(liveTimes);
        var streamMedian = Median(streamTimes);
        var threads = parallel && accounts >= DriftSweep.ParallelThreshold ? Environment.ProcessorCount : 1;
        var figures = new
        {
            accounts,
            positions,
            slots = book.SlotCount,
            path = resolved.ToString(),
            threads,
            iterations,
            sweepMedianMs = sweepMedian,
            sweepGBps = bytes / (sweepMedian / 1000) / 1e9,
            liveSweepMedianMs = liveMedian,
            lineups = book.LineupRows.Lineups,
            accountsWithLineupRow = book.LineupRows.Accounts,
            streamingMedianMs = streamMedian,
            streamingGBps = bytes / (streamMedian / 1000) / 1e9,
            sweepOverStreaming = sweepMedian / streamMedian,
            bytesPerSweep = bytes,
            hotBytesPerPosition = (double)book.HotBytes / book.SlotCount,
        };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(figures, ScenarioDocument.JsonOptions));
            return ExitCodes.Ok;
        }
        Console.WriteLine($"drift sweep: {accounts:N0} accounts x {positions} positions ({book.SlotCount:N0} slots), {resolved}, {threads} thread(s), median of {iterations}");
        Console.WriteLine($"  sweep             {sweepMedian,8:0.000} ms  {figures.sweepGBps,6:0.0} GB/s");
        Console.WriteLine($"  live sweep        {liveMedian,8:0.000} ms           (prices copied onto the marks as read; {figures.accountsWithLineupRow:N0} accounts read them from {figures.lineups:N0} shared lineup rows)");
        Console.WriteLine($"  memory streaming  {streamMedian,8:0.000} ms  {figures.streamingGBps,6:0.0} GB/s  (same {bytes / 1e6:0.0} MB read and written, no work)");
        Console.WriteLine($"  sweep / streaming {figures.sweepOverStreaming,8:0.00}x");
        Console.WriteLine($"  hot state         {figures.hotBytesPerPosition,8:0.0} bytes per position");
        return ExitCodes.Ok;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
