using FastRebal.Console.Engine;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Simulation;

namespace FastRebal.Console.Tests.Engine;

public class ReplayThenRandomWalkFeedTests
{
    [Fact]
    public void After_the_last_replayed_day_the_walk_starts_from_the_last_closes_on_the_next_weekday()
    {
        var history = FirmGenerator.LoadHistory(3);
        // Ten days before the last day every series has a close, so the replay is short.
        var lastCommon = history.Symbols.Min(s => history[s].Dates[^1]);
        var firm = FirmGenerator.Generate(new FirmSpec(50, 10, 3, AsOf: lastCommon.AddDays(-10)), history);
        var settings = new FeedSettings { DaysPerSecond = 1000, TicksPerSecond = 100_000, Sources = 3 };
        var feed = new ReplayThenRandomWalkFeed(firm.Book.Instruments, firm.History, firm.AsOf, firm.Book.Prices, settings, seed: 3);
        var buffer = new SourceTick[4096];
        var lastReplayTime = 0L;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);

        while (!feed.Walking)
        {
            Assert.True(DateTime.UtcNow < deadline, "the replay never ended");
            var n = feed.Read(buffer);
            for (var i = 0; i < n; i++)
            {
                lastReplayTime = Math.Max(lastReplayTime, buffer[i].Timestamp);
            }
        }
        var lastDay = DateOnly.FromDateTime(new DateTime(lastReplayTime, DateTimeKind.Utc));
        SourceTick[] walked = [];
        while (walked.Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the walk never quoted");
            walked = buffer[..feed.Read(buffer)];
        }

        Assert.False(feed.IsCompleted);
        Assert.Contains("random walk", feed.Name, StringComparison.Ordinal);
        var first = walked[0];
        var walkDay = DateOnly.FromDateTime(new DateTime(first.Timestamp, DateTimeKind.Utc));
        Assert.True(walkDay > lastDay);
        Assert.DoesNotContain(walkDay.DayOfWeek, new[] { DayOfWeek.Saturday, DayOfWeek.Sunday });
        var symbol = firm.Book.Instruments[first.Instrument].Symbol;
        var lastClose = firm.History[symbol].On(lastDay);
        // One step of a few basis points from the last close, not a jump back to the opening price.
        Assert.InRange(first.Price / lastClose, 0.99, 1.01);
        Assert.True(feed.Now > lastReplayTime);
    }
}
