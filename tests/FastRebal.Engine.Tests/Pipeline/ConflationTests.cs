using CsCheck;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Model;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>One read's verified changes are conflated to each instrument's last of each day, in feed order.</summary>
public sealed class ConflationTests
{
    private static readonly InstrumentTable Table = new([.. Enumerable.Range(0, 5).Select(i => new Instrument($"I{i}", $"I{i}", "US Equity"))]);

    private static IngestLoop Loop() =>
        new(new RandomWalkFeed([1, 1, 1, 1, 1], sources: 3, seed: 1), new PriceVerifier(Table, 3), new RingBuffer<PriceEvent>(8, new BlockingWaitStrategy()));

    [Fact]
    public void Each_instrument_keeps_its_last_change_of_each_day_and_the_kept_ones_stay_in_feed_order()
    {
        var day = TimeSpan.TicksPerDay;
        List<PriceEvent> changes =
        [
            new() { Instrument = 0, Price = 10, MarketTime = day + 1, FeedPosition = 1, Changes = 1 },
            new() { Instrument = 1, Price = 20, MarketTime = day + 2, FeedPosition = 2, Changes = 1 },
            new() { Instrument = 0, Price = 11, MarketTime = day + 3, FeedPosition = 3, Changes = 1 },
            new() { Instrument = 0, Price = 12, MarketTime = (2 * day) + 1, FeedPosition = 4, Changes = 1 },
            new() { Instrument = 2, Price = 30, MarketTime = (2 * day) + 2, FeedPosition = 5, Changes = 1 },
            new() { Instrument = 0, Price = 13, MarketTime = (2 * day) + 3, FeedPosition = 6, Changes = 1 },
        ];

        Loop().Conflate(changes);

        // Each kept change counts the ones it stands for, so evaluation still sees how busy the feed was.
        Assert.Equal([(1, 20d, 2L, 1), (0, 11d, 3L, 2), (2, 30d, 5L, 1), (0, 13d, 6L, 2)], changes.Select(c => (c.Instrument, c.Price, c.FeedPosition, c.Changes)));
    }

    [Fact]
    public void A_batch_of_conflated_changes_moves_every_instrument_to_the_price_the_whole_read_would()
    {
        // One loop per sample: CsCheck runs samples on several threads, and a loop conflates on its ingestion thread only.
        Gen.Select(Gen.Int[0, 4], Gen.Double[1, 100]).Array[0, 200].Sample(read =>
        {
            var loop = Loop();
            var changes = read.Select((r, i) => new PriceEvent { Instrument = r.Item1, Price = r.Item2, MarketTime = 1, FeedPosition = i + 1, Changes = 1 }).ToList();
            var whole = new double[5];
            foreach (var c in changes)
            {
                whole[c.Instrument] = c.Price;
            }

            loop.Conflate(changes);

            var conflated = new double[5];
            foreach (var c in changes)
            {
                conflated[c.Instrument] = c.Price;
            }
            Assert.Equal(whole, conflated);
            Assert.Equal(read.Length, changes.Sum(c => c.Changes));
            Assert.Equal(changes.Select(c => c.Instrument).Distinct().Count(), changes.Count);
            Assert.Equal(changes.OrderBy(c => c.FeedPosition).Select(c => c.FeedPosition), changes.Select(c => c.FeedPosition));
        });
    }
}
