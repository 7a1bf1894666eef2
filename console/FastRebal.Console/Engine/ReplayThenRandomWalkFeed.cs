using FastRebal.Engine.Ingestion;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.State;

namespace FastRebal.Console.Engine;

/// <summary>
/// The console's default feed: the real daily closes replayed at a pace people can watch, then, when the history runs
/// out, a seeded random walk that starts from the last replayed closes on the next weekday, so the console keeps
/// moving for as long as it runs. The switch is seamless for the engine: the walk's market clock starts after the
/// last replayed day, and every instrument keeps its price.
/// </summary>
public sealed class ReplayThenRandomWalkFeed : IPriceFeed, IResumableFeed
{
    private readonly ReplayFeed replay;
    private readonly Func<DateOnly, RandomWalkFeed> startWalk;
    private RandomWalkFeed? walk;

    public ReplayThenRandomWalkFeed(InstrumentTable instruments, MarketHistory history, DateOnly from, ReadOnlySpan<double> openingPrices, FeedSettings settings, int seed)
    {
        replay = new ReplayFeed(instruments, history, from, sources: settings.Sources, daysPerSecond: settings.DaysPerSecond, seed: seed);
        var opening = openingPrices.ToArray();
        startWalk = lastDay =>
        {
            var last = new double[instruments.Count];
            for (var i = 0; i < last.Length; i++)
            {
                // An instrument the history does not cover kept its opening price through the replay.
                last[i] = history.Contains(instruments[i].Symbol) ? history[instruments[i].Symbol].On(lastDay) : opening[i];
            }
            var next = lastDay.AddDays(1);
            while (next.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
            {
                next = next.AddDays(1);
            }
            var open = new DateTimeOffset(next.ToDateTime(new TimeOnly(14, 30)), TimeSpan.Zero);
            return new RandomWalkFeed(last, settings.Sources, seed, settings.TicksPerSecond, settings.Volatility, meanReversion: settings.MeanReversion, marketStart: open);
        };
        SourceCount = settings.Sources;
        ReplayName = replay.Name;
    }

    public string ReplayName { get; }

    /// <summary>Whether the replay has ended and the random walk is quoting.</summary>
    public bool Walking => Volatile.Read(ref walk) is not null;

    public string Name => Volatile.Read(ref walk) is { } w ? $"{ReplayName}, then a {w.Name} from the last closes" : ReplayName;

    public int SourceCount { get; }

    public bool IsCompleted => false;

    public long Now => Volatile.Read(ref walk)?.Now ?? replay.Now;

    /// <summary>Skips through the replay, and into the walk when the journal went past the replay's end.</summary>
    public long SkipTo(long ticks, long marketNow)
    {
        var skipped = replay.SkipTo(ticks, marketNow);
        if (skipped < ticks)
        {
            // The walk had begun: it goes on from the last quote's market time, not from its first morning again.
            var w = startWalk(replay.CurrentDay);
            skipped += w.SkipTo(ticks - skipped, marketNow);
            Volatile.Write(ref walk, w);
        }
        return skipped;
    }

    public int Read(Span<SourceTick> destination)
    {
        if (walk is { } w)
        {
            return w.Read(destination);
        }
        var read = replay.Read(destination);
        if (read == 0 && replay.IsCompleted)
        {
            Volatile.Write(ref walk, startWalk(replay.CurrentDay));
        }
        return read;
    }
}
