using FastRebal.Console.AuditTrail;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRebal.Console.Tests.Engine;

public class MarketDaysTests
{
    private static readonly DateOnly Monday = new(2025, 3, 31);

    private static MarketDays Days(string directory) => new(TestServices.Session(directory), TestServices.Settings(directory), NullLogger<MarketDays>.Instance);

    [Fact]
    public void A_batch_belongs_to_the_last_day_opened_at_or_before_it_and_the_days_outlive_a_restart()
    {
        var directory = TestServices.TempDirectory();
        var days = Days(directory);
        days.Add([(1, Monday), (40, Monday.AddDays(1)), (95, Monday.AddDays(2))]);

        Assert.Null(days.DayOf(0));
        Assert.Equal(Monday, days.DayOf(1));
        Assert.Equal(Monday, days.DayOf(39));
        Assert.Equal(Monday.AddDays(1), days.DayOf(40));
        Assert.Equal(Monday.AddDays(2), days.DayOf(10_000));

        // A recovery replays days already known: nothing changes. Then the next day comes.
        days.Add([(40, Monday.AddDays(1)), (95, Monday.AddDays(2)), (130, Monday.AddDays(3))]);
        var again = Days(directory);
        again.Load();
        Assert.Equal(Monday.AddDays(3), again.DayOf(131));
        Assert.Equal(Monday.AddDays(1), again.DayOf(94));
        Assert.Equal(5, File.ReadAllLines(again.Path).Length);
    }

    [Fact]
    public void Batches_that_begin_again_below_the_last_day_known_start_the_days_afresh()
    {
        var directory = TestServices.TempDirectory();
        var days = Days(directory);
        days.Add([(1, Monday), (40, Monday.AddDays(1))]);

        // A firm made afresh: its batch 1 opens another day.
        days.Add([(1, new DateOnly(2026, 1, 5))]);

        Assert.Equal(new DateOnly(2026, 1, 5), days.DayOf(50));
        var again = Days(directory);
        again.Load();
        Assert.Equal(new DateOnly(2026, 1, 5), again.DayOf(50));
        Assert.Equal(2, File.ReadAllLines(again.Path).Length);
    }
}
