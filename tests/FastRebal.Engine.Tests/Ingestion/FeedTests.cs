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
    public void A_paced_random_walk_skips_at_once_to_the_same_ticks_and_carries_on_from_the_given_market_time()
    {
        double[] start = [100, 50, 20];
        var unpaced = new SourceTick[30_000];
        new RandomWalkFeed(start, sources: 3, seed: 5).Read(unpaced);
        // One tick a second: reading 29,000 ticks would take eight hours.
        var paced = new RandomWalkFeed(start, sources: 3, seed: 5, ticksPerSecond: 1);
        var resumedAt = new DateTime(2026, 3, 2, 15, 0, 0, DateTimeKind.Utc).Ticks;

        Assert.Equal(29_000, paced.SkipTo(29_000, resumedAt));

        // The market clock goes on from where the journal left it, not from the walk's first morning.
        Assert.InRange(paced.Now - resumedAt, 0, TimeSpan.FromSeconds(5).Ticks);
        // The pace counts the skipped ticks as read: nothing is owed, and the next tick comes within a second or so.
        var next = new SourceTick[10];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var read = 0;
        while (read == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the resumed walk never quoted");
            read = paced.Read(next);
            Thread.Sleep(10);
        }
        Assert.InRange(read, 1, 3);
        Assert.Equal(unpaced.Skip(29_000).Take(read).Select(t => (t.Instrument, t.Source, t.Price)), next.Take(read).Select(t => (t.Instrument, t.Source, t.Price)));
        Assert.True(next[0].Timestamp >= resumedAt);
    }

    [Fact]
    public void A_paced_replay_skips_at_once_and_goes_on_at_its_pace_from_the_day_reached()
    {
        var history = MarketHistory.Synthetic([("SPY", 100, 0.05, 0.2), ("AGG", 100, 0.02, 0.05)], new DateOnly(2025, 1, 31), 40, seed: 1);
        var table = new InstrumentTable([new Instrument("SPY", "SPY", "US Equity"), new Instrument("AGG", "AGG", "US Bond")]);
        var whole = new ReplayFeed(table, history, new DateOnly(2024, 1, 1), sources: 2);
        var all = new List<SourceTick>();
        var buffer = new SourceTick[1000];
        while (!whole.IsCompleted)
        {
            all.AddRange(buffer[..whole.Read(buffer)]);
        }
        // A day every hundred seconds: skipping ten days by reading would take over fifteen minutes.
        var paced = new ReplayFeed(table, history, new DateOnly(2024, 1, 1), sources: 2, daysPerSecond: 0.01);

        Assert.Equal(40, paced.SkipTo(40, 0));

        // The next day is due at once (as a first read's is), the one after it a hundred seconds later.
        var next = new SourceTick[8];
        Assert.Equal(4, paced.Read(next));
        Assert.Equal(all.Skip(40).Take(4), next.Take(4));
        Assert.Equal(0, paced.Read(next));
        // Past the end, it says how many it could skip.
        var shortFeed = new ReplayFeed(table, history, new DateOnly(2024, 1, 1), sources: 2, daysPerSecond: 0.01);
        Assert.Equal(all.Count, shortFeed.SkipTo(all.Count + 10, 0));
        Assert.True(shortFeed.IsCompleted);
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

    [Fact]
    public void A_paced_random_walk_counts_its_rate_from_the_first_read_not_from_when_it_was_made()
    {
        var feed = new RandomWalkFeed([100], sources: 1, seed: 1, ticksPerSecond: 1000);
        var buffer = new SourceTick[100_000];
        // A host that opens its day before reading (seconds for a large book) must not be owed a burst of ticks.
        Thread.Sleep(300);

        var first = feed.Read(buffer);

        Assert.InRange(first, 0, 50);
    }

    [Fact]
    public void A_mean_reverting_walk_stays_near_its_start_while_a_pure_walk_wanders()
    {
        const int steps = 400_000;
        var buffer = new SourceTick[steps];
        new RandomWalkFeed([100], sources: 1, seed: 3, stepVolatility: 0.001, noiseBps: 0, meanReversion: 0.01).Read(buffer);
        var reverting = buffer.Select(t => Math.Log(t.Price / 100)).ToArray();
        new RandomWalkFeed([100], sources: 1, seed: 3, stepVolatility: 0.001, noiseBps: 0).Read(buffer);
        var pure = buffer.Select(t => Math.Log(t.Price / 100)).ToArray();

        // Stationary deviation: 0.001 / sqrt(2 x 0.01) = 0.0071; a pure walk's spread after n steps grows as 0.001 x sqrt(n).
        var spread = Math.Sqrt(reverting.Skip(steps / 2).Average(x => x * x));
        Assert.InRange(spread, 0.004, 0.011);
        Assert.True(pure.Skip(steps / 2).Max(Math.Abs) > 0.05, "the pure walk should wander far beyond the reverting one");
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomWalkFeed([100], 1, 1, meanReversion: 1));
    }

    [Fact]
    public void A_replay_without_an_end_stops_on_the_last_day_every_instrument_has_a_close()
    {
        var history = MarketHistory.FromSeries(
            "test",
            new PriceSeries("AAA", [new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 3), new DateOnly(2025, 1, 6)], [10, 11, 12]),
            new PriceSeries("BBB", [new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 3)], [20, 21]));
        var table = new InstrumentTable([new Instrument("AAA", "AAA", "US Equity"), new Instrument("BBB", "BBB", "US Equity")]);

        var feed = new ReplayFeed(table, history, new DateOnly(2025, 1, 1), sources: 1, noiseBps: 0);

        // BBB has no close after 2025-01-03: replaying AAA alone past it would leave BBB stale and frozen.
        Assert.Equal(2, feed.TradingDays);
    }

    [Fact]
    public void A_probe_quotes_one_instrument_from_every_source_one_step_at_a_time_along_a_zigzag()
    {
        var feed = new ProbeFeed([100, 50], sources: 3, instrument: 1, move: 0.02, interval: TimeSpan.FromMilliseconds(1));
        var buffer = new SourceTick[16];
        var levels = new List<double>();
        while (levels.Count < 42)
        {
            var read = feed.Read(buffer);
            if (read == 0)
            {
                Thread.Sleep(1);
                continue;
            }
            Assert.Equal(3, read);
            Assert.All(buffer[..3], t => Assert.Equal(1, t.Instrument));
            Assert.Equal([0, 1, 2], buffer[..3].Select(t => t.Source));
            Assert.Single(buffer[..3].Select(t => t.Price).Distinct());
            levels.Add(Math.Round(Math.Log(buffer[0].Price / 50) / Math.Log(1.02)));
        }

        // Ten steps up, twenty down, ten up: a verified change every probe, never more than one step (2%) at a time.
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (double)i), levels.Take(10));
        Assert.Equal(-10, levels[29]);
        Assert.Equal(0, levels[39]);
        Assert.All(levels.Zip(levels.Skip(1)), p => Assert.Equal(1, Math.Abs(p.First - p.Second)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProbeFeed([100], 3, instrument: 1, 0.02, TimeSpan.FromSeconds(1)));
    }
}
