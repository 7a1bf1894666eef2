using FastRebal.Console.Engine;
using FastRebal.Engine.Kpi;
using Microsoft.Extensions.Options;

namespace FastRebal.Console.Kpi;

/// <summary>
/// Records the firm's and each model's KPIs once per market day: when the engine's market day changes, a snapshot of
/// the book is taken between two of its batches (<see cref="KpiSnapshot"/>), compared with the last one, and each
/// group's day appended to <c>kpi-days.csv</c> in the data directory, so the figures outlive a restart. The first day
/// after a start has no returns or trading (nothing to compare with); the days before it are read back from the file.
/// </summary>
public sealed class KpiRecorder(EngineSession session, IOptions<ConsoleSettings> settings, ILogger<KpiRecorder> logger) : BackgroundService
{
    /// <summary>How often the engine's market day is looked at: a replay runs a day a second.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private readonly Lock gate = new();
    private readonly List<KpiDay> days = [];
    private KpiSnapshot? previous;

    public string Path => System.IO.Path.Combine(settings.Value.FullDataDirectory, "kpi-days.csv");

    /// <summary>Every recorded day of every group, oldest first (a copy).</summary>
    public IReadOnlyList<KpiDay> Days
    {
        get
        {
            lock (gate)
            {
                return [.. days];
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = Load();
        using var timer = new PeriodicTimer(Poll);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (session.Engine is not { } engine || session.Phase != EnginePhase.Running || engine.Evaluation.Day <= last)
            {
                continue;
            }
            try
            {
                var snapshot = await engine.Evaluation.ReadBetweenBatches(() => KpiSnapshot.Take(engine.Book, engine.Evaluation.Tax?.Lots, engine.Evaluation.Day))
                    .WaitAsync(TimeSpan.FromSeconds(30), stoppingToken).ConfigureAwait(false);
                if (snapshot.Day <= last)
                {
                    continue;
                }
                Record(KpiTimeline.Between(previous, snapshot));
                (previous, last) = (snapshot, snapshot.Day);
            }
            catch (Exception e) when (e is TimeoutException or IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("KPIs: the day's snapshot was not recorded: {Message}", e.Message);
            }
        }
    }

    /// <summary>Reads the days recorded before this start; returns the last day (MinValue for none).</summary>
    private DateOnly Load()
    {
        if (!File.Exists(Path))
        {
            return DateOnly.MinValue;
        }
        var read = File.ReadLines(Path).Skip(1).Select(KpiDay.FromCsv).OfType<KpiDay>().ToList();
        lock (gate)
        {
            days.AddRange(read);
        }
        return read.Count == 0 ? DateOnly.MinValue : read.Max(d => d.Day);
    }

    private void Record(IReadOnlyList<KpiDay> recorded)
    {
        var fresh = !File.Exists(Path);
        using (var writer = new StreamWriter(Path, append: true))
        {
            if (fresh)
            {
                writer.WriteLine(KpiDay.CsvHeader);
            }
            foreach (var day in recorded)
            {
                writer.WriteLine(day.ToCsv());
            }
        }
        lock (gate)
        {
            days.AddRange(recorded);
        }
    }
}
