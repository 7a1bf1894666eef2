using FastRebal.Console.Engine;
using FastRebal.Engine.Ingestion;

namespace FastRebal.Console.Tests.Engine;

public class MonitoredFeedTests
{
    /// <summary>Hands out the ticks it was given, a batch per read.</summary>
    private sealed class ScriptedFeed(int sources, IEnumerable<SourceTick[]> batches) : IPriceFeed
    {
        private readonly Queue<SourceTick[]> queue = new(batches);

        public string Name => "scripted";

        public int SourceCount => sources;

        public bool IsCompleted => queue.Count == 0;

        public long Now { get; private set; }

        public int Read(Span<SourceTick> destination)
        {
            if (!queue.TryDequeue(out var batch))
            {
                return 0;
            }
            batch.CopyTo(destination);
            Now = batch.Max(t => t.Timestamp);
            return batch.Length;
        }
    }

    [Fact]
    public void A_source_quoting_away_from_the_others_stands_out_and_a_silent_one_shows_no_quotes()
    {
        var start = new DateTime(2025, 4, 1, 16, 0, 0, DateTimeKind.Utc).Ticks;
        var batches = Enumerable.Range(0, 200).Select(step =>
        {
            var at = start + TimeSpan.FromMinutes(step).Ticks;
            var price = 100 + (step % 7);
            // Sources 0 and 1 agree; source 2 quotes 1% high; source 3 never quotes.
            SourceTick[] quotes = [new(step % 2, 0, price, at), new(step % 2, 1, price, at), new(step % 2, 2, price * 1.01, at)];
            return step % 3 == 0 ? [.. quotes.Reverse()] : quotes;
        }).ToList();
        var feed = new MonitoredFeed(new ScriptedFeed(4, batches), instruments: 2);
        var buffer = new SourceTick[16];

        while (feed.Read(buffer) > 0)
        {
        }
        var health = feed.Sample();

        Assert.Equal([200L, 200, 200, 0], health.Select(h => h.Ticks));
        Assert.InRange(health[2].DivergenceBps, 60, 101);
        Assert.InRange(health[2].WorstDivergenceBps, 99, 101);
        // The median is the two agreeing sources' price, whichever order the sources came in.
        Assert.Equal(0, health[0].DivergenceBps, 9);
        Assert.Equal(0, health[1].DivergenceBps, 9);
        Assert.Equal(TimeSpan.MaxValue, health[3].SinceLastQuote);
        Assert.Equal(TimeSpan.Zero, health[0].MarketAge);
        // The worst figure is per sampling period.
        Assert.Equal(0, feed.Sample()[2].WorstDivergenceBps);
    }
}
