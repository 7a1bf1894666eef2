using FastRebal.Engine.Ingestion;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Ingestion;

public class FeedTests
{
    [Fact]
    public void Replay_quotes_the_real_spy_close_of_its_first_day_from_every_source()
    {
        var dataDirectory = MarketHistory.FindDataDirectory();
        Assert.NotNull(dataDirectory);
        var history = MarketHistory.LoadEtfs(dataDirectory);
        var table = new InstrumentTable([new Instrument("SPY", "SPY", "US Equity")]);
        var from = new DateOnly(2020, 1, 2);
        var feed = new ReplayFeed(table, history, from, sources: 3, noiseBps: 0);

        var ticks = new SourceTick[3];
        Assert.Equal(3, feed.Read(ticks));

        // The first trading day after 2020-01-02 is 2020-01-03; its close comes straight from data/etf_SPY_daily.csv.
        var expected = history["SPY"].On(new DateOnly(2020, 1, 3));
        Assert.All(ticks, t => Assert.Equal(expected, t.Price));
        Assert.Equal([0, 1, 2], ticks.Select(t => t.Source));
        Assert.Equal(new DateTime(2020, 1, 3, 16, 0, 0, DateTimeKind.Utc).Ticks, ticks[0].Timestamp);
    }

    [Fact]
    public void Replay_ends_after_its_last_day()
    {
        var history = MarketHistory.Synthetic([("SPY", 100, 0.05, 0.2)], new DateOnly(2025, 1, 31), 10, seed: 1);
        var table = new InstrumentTable([new Instrument("SPY", "SPY", "US Equity")]);
        var feed = new ReplayFeed(table, history, new DateOnly(2024, 1, 1), sources: 2);

        var buffer = new SourceTick[1000];
        var total = 0;
        while (!feed.IsCompleted)
        {
            total += feed.Read(buffer);
        }

        Assert.Equal(feed.TradingDays * 2, total);
    }

    [Fact]
    public void The_random_walk_is_the_same_for_the_same_seed_and_quotes_every_source_per_step()
    {
        double[] start = [100, 50, 20];
        var a = new SourceTick[3000];
        var b = new SourceTick[3000];
        new RandomWalkFeed(start, sources: 3, seed: 5).Read(a);
        new RandomWalkFeed(start, sources: 3, seed: 5).Read(b);

        Assert.Equal(a.Select(t => (t.Instrument, t.Source, t.Price)), b.Select(t => (t.Instrument, t.Source, t.Price)));
        for (var i = 0; i < a.Length; i += 3)
        {
            Assert.Equal([0, 1, 2], a.Skip(i).Take(3).Select(t => t.Source));
            Assert.Single(a.Skip(i).Take(3).Select(t => t.Instrument).Distinct());
        }
        Assert.All(a, t => Assert.True(t.Price > 0));
    }

    [Fact]
    public void A_paced_random_walk_does_not_run_ahead_of_its_rate()
    {
        var feed = new RandomWalkFeed([100], sources: 2, seed: 1, ticksPerSecond: 1000);
        var buffer = new SourceTick[100_000];

        var first = feed.Read(buffer);

        Assert.InRange(first, 0, 50);
    }
}
