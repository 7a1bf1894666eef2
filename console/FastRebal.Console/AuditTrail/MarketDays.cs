using System.Globalization;
using FastRebal.Console.Engine;
using FastRebal.Engine.Pipeline;
using Microsoft.Extensions.Options;

namespace FastRebal.Console.AuditTrail;

/// <summary>
/// Which market day each engine batch belongs to, so a page can show an audit record's market day beside the wall
/// clock time it was written (a replay runs a market day a second; a restart recovers days already past). The engine
/// reports each day it opens with the batch that opened it; they are kept in <c>market-days.csv</c> in the data
/// directory. A start whose batches begin again below the last recorded (a firm made afresh) starts the file anew.
/// </summary>
public sealed class MarketDays(EngineSession session, IOptions<ConsoleSettings> settings, ILogger<MarketDays> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private readonly Lock gate = new();
    private List<(long FirstBatch, DateOnly Day)> days = [];

    public string Path => System.IO.Path.Combine(settings.Value.FullDataDirectory, "market-days.csv");

    /// <summary>The market day of a batch; null before the first day known or for no batch.</summary>
    public DateOnly? DayOf(long batch)
    {
        lock (gate)
        {
            var index = days.BinarySearch((batch, DateOnly.MaxValue), Comparer<(long FirstBatch, DateOnly Day)>.Create((x, y) => x.FirstBatch.CompareTo(y.FirstBatch)));
            index = index >= 0 ? index : ~index - 1;
            return batch > 0 && index >= 0 ? days[index].Day : null;
        }
    }

    /// <summary>The market day of an audit record the engine wrote (from its batch figure); null for others.</summary>
    public DateOnly? DayOf(FastRebal.Engine.Audit.AuditRecord record)
    {
        foreach (var figure in record.Entry.Figures)
        {
            if (figure.Name == AuditWriter.BatchFigure && long.TryParse(figure.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var batch))
            {
                return DayOf(batch);
            }
        }
        return null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Load();
        using var timer = new PeriodicTimer(Poll);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (session.Engine is not { } engine)
            {
                continue;
            }
            var taken = new List<(long, DateOnly)>();
            while (engine.Evaluation.TryTakeDayOpened(out var opened))
            {
                taken.Add((opened.FirstBatch, opened.Day));
            }
            try
            {
                Add(taken);
            }
            catch (IOException e)
            {
                logger.LogWarning("Market days: not recorded: {Message}", e.Message);
            }
        }
    }

    /// <summary>Reads the days recorded before this start (the service does at its start).</summary>
    public void Load()
    {
        if (!File.Exists(Path))
        {
            return;
        }
        var read = new List<(long, DateOnly)>();
        foreach (var line in File.ReadLines(Path).Skip(1))
        {
            var parts = line.Split(',');
            if (parts.Length == 2 && DateOnly.TryParseExact(parts[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var batch))
            {
                read.Add((batch, day));
            }
        }
        lock (gate)
        {
            days = read;
        }
    }

    /// <summary>Records days the engine opened, each with its first batch (what the service's poll hands over).</summary>
    public void Add(List<(long FirstBatch, DateOnly Day)> opened)
    {
        var fresh = new List<(long FirstBatch, DateOnly Day)>();
        var restart = false;
        lock (gate)
        {
            foreach (var (batch, day) in opened)
            {
                if (days.Contains((batch, day)))
                {
                    // A day a recovery replays: known already.
                    continue;
                }
                if (days.Count > 0 && batch <= days[^1].FirstBatch)
                {
                    // The batches began again: another firm, or one made afresh. Its numbers mean other days.
                    (days, restart) = ([], true);
                    fresh.Clear();
                }
                days.Add((batch, day));
                fresh.Add((batch, day));
            }
        }
        if (fresh.Count == 0 && !restart)
        {
            return;
        }
        var newFile = restart || !File.Exists(Path);
        using var writer = new StreamWriter(Path, append: !newFile);
        if (newFile)
        {
            writer.WriteLine("day,first_batch");
        }
        foreach (var (batch, day) in fresh)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{day:yyyy-MM-dd},{batch}"));
        }
    }
}
