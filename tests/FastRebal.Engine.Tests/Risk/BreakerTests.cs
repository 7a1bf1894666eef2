using FastRebal.Engine.Risk;

namespace FastRebal.Engine.Tests.Risk;

public class BreakerTests
{
    private static readonly DateOnly Day = new(2025, 6, 30);

    [Theory]
    [InlineData(0.1201, true)]
    [InlineData(0.1199, false)]
    public void An_account_whose_drift_moves_more_than_ten_points_in_a_day_is_halted(double later, bool trips)
    {
        var breaker = new DriftBreaker("account", 3);
        breaker.Observe(1, 0.02, Day);

        // 0.02 -> 0.1201 is a 10.01-point move; 0.02 -> 0.1199 is 9.99.
        Assert.Equal(trips, breaker.Observe(1, later, Day));
        Assert.Equal(trips, breaker.IsHalted(1));
        Assert.False(breaker.IsHalted(0));
    }

    [Fact]
    public void Observing_every_account_at_once_trips_exactly_those_one_by_one_observation_would()
    {
        var bulk = new DriftBreaker("account", 4);
        var single = new DriftBreaker("account", 4);
        double[] opening = [0.02, 0.02, 0.05, 0.30];
        double[] later = [0.1201, 0.1199, 0.30, 0.10];

        bulk.ObserveRange(0, opening.AsSpan(0, 2), Day);
        bulk.ObserveRange(2, opening.AsSpan(2), Day);
        var trips = bulk.ObserveRange(0, later, Day);
        for (var i = 0; i < 4; i++)
        {
            single.Observe(i, opening[i], Day);
            single.Observe(i, later[i], Day);
        }

        Assert.Equal(3, trips);
        Assert.Equal([true, false, true, true], Enumerable.Range(0, 4).Select(bulk.IsHalted));
        Assert.Equal(Enumerable.Range(0, 4).Select(single.IsHalted), Enumerable.Range(0, 4).Select(bulk.IsHalted));
        Assert.Throws<ArgumentOutOfRangeException>(() => bulk.ObserveRange(3, [0.1, 0.2], Day));
    }

    [Fact]
    public void A_rebalance_that_takes_an_account_back_to_target_does_not_halt_it_but_a_market_move_after_it_does()
    {
        var breaker = new DriftBreaker("account", 2);
        breaker.Observe(0, 0.14, Day);
        breaker.Observe(1, 0.14, Day);

        // Fills took account 0 from 14 points of drift to none; account 1 fell as far with no trade (the market).
        breaker.Rebase(0);
        Assert.False(breaker.Observe(0, 0.0, Day));
        Assert.True(breaker.Observe(1, 0.0, Day));

        // From its new opening, the market moving account 0 by 10.01 points still halts it.
        Assert.False(breaker.Observe(0, 0.0999, Day));
        Assert.True(breaker.Observe(0, 0.1001, Day));

        // A halted account keeps the figures that tripped it, whatever trades follow.
        breaker.Rebase(0);
        Assert.True(breaker.IsHalted(0));
        Assert.False(breaker.Observe(0, 0.0, Day));
        Assert.True(breaker.IsHalted(0));
    }

    [Fact]
    public void The_pipelines_gate_rebases_an_accounts_breaker_and_its_models_when_its_fills_are_applied()
    {
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 0, positions: [("A", 100), ("B", 100)]).Load().Book;
        var risk = new RiskGate(1, 1, book.Instruments, new PreTradeLimits(), new KillSwitch(new InMemoryKillSwitchStore()), new RiskGateTests.FakePrices());
        var gate = new FastRebal.Engine.Pipeline.RiskPlanGate(risk, referenceIndex: 0);

        gate.ObserveDrift(0, 0, 0.14, Day);
        gate.ObserveModelDrift(0, 0.14, Day);
        gate.FillsApplied(0, 0);
        gate.ObserveDrift(0, 0, 0.0, Day);
        gate.ObserveModelDrift(0, 0.0, Day);

        Assert.False(gate.IsHalted(0, 0));
        Assert.False(risk.Models.IsHalted(0));
    }

    [Fact]
    public void Bulk_observation_over_many_days_and_slices_trips_exactly_what_one_by_one_observation_trips()
    {
        const int count = 103;
        var bulk = new DriftBreaker("account", count);
        var single = new DriftBreaker("account", count);
        var random = new Random(17);
        var drifts = new double[count];
        for (var round = 0; round < 400; round++)
        {
            var day = Day.AddDays(round / 40);
            for (var a = 0; a < count; a++)
            {
                // Mostly small moves, some past the threshold, right at it, or not a number.
                drifts[a] = random.Next(12) switch
                {
                    0 => drifts[a] + 0.10 + (random.NextDouble() * 0.05),
                    1 => drifts[a] - 0.1001,
                    2 => double.NaN,
                    _ => Math.Max(0, (double.IsNaN(drifts[a]) ? 0 : drifts[a]) + ((random.NextDouble() - 0.5) * 0.02)),
                };
            }
            // Slices of uneven sizes, so both the four-at-a-time screen and its tail run.
            var trips = 0;
            for (var from = 0; from < count;)
            {
                var size = Math.Min(count - from, 1 + random.Next(23));
                trips += bulk.ObserveRange(from, drifts.AsSpan(from, size), day);
                from += size;
            }
            var expected = 0;
            for (var a = 0; a < count; a++)
            {
                expected += single.Observe(a, drifts[a], day) ? 1 : 0;
            }
            Assert.Equal(expected, trips);
            if (round % 50 == 25)
            {
                // Operators release what tripped, in both.
                for (var a = 0; a < count; a++)
                {
                    if (single.IsHalted(a))
                    {
                        single.Release(a, "ops", "reviewed");
                        bulk.Release(a, "ops", "reviewed");
                    }
                }
            }
        }
        Assert.Equal(Enumerable.Range(0, count).Select(single.IsHalted), Enumerable.Range(0, count).Select(bulk.IsHalted));
        Assert.Equal(single.HaltedCount, bulk.HaltedCount);
        Assert.InRange(single.HaltedCount, 1, count - 1);
    }

    [Fact]
    public void A_new_day_starts_from_that_days_first_drift()
    {
        var breaker = new DriftBreaker("model", 1);
        breaker.Observe(0, 0.02, Day);
        breaker.Observe(0, 0.10, Day);

        breaker.Observe(0, 0.10, Day.AddDays(1));
        Assert.False(breaker.Observe(0, 0.19, Day.AddDays(1)));
        Assert.True(breaker.Observe(0, 0.2002, Day.AddDays(1)));
    }

    [Fact]
    public void A_halt_keeps_the_day_and_figures_that_tripped_it_while_later_days_open()
    {
        var breaker = new DriftBreaker("account", 1);
        breaker.Observe(0, 0.02, Day);
        breaker.Observe(0, 0.15, Day);
        breaker.Observe(0, 0.01, Day.AddDays(1));
        breaker.Observe(0, 0.03, Day.AddDays(1));

        var halt = Assert.Single(breaker.Halts());

        Assert.Equal((Day, 0.02, 0.15), (halt.Day, halt.OpeningDrift, halt.DriftAtTrip));
        Assert.Contains("from 2.00% to 15.00%", breaker.Describe(halt));
    }

    [Fact]
    public void Only_an_operator_with_a_reason_releases_a_halt()
    {
        var breaker = new DriftBreaker("account", 1);
        breaker.Observe(0, 0, Day);
        breaker.Observe(0, 0.5, Day);

        Assert.Throws<ArgumentException>(() => breaker.Release(0, "ops", ""));
        Assert.True(breaker.IsHalted(0));
        var halt = Assert.Single(breaker.Halts());
        Assert.Contains("from 0.00% to 50.00%", breaker.Describe(halt));

        Assert.True(breaker.Release(0, "ops", "bad price corrected"));
        Assert.False(breaker.IsHalted(0));
        Assert.Equal(0, breaker.HaltedCount);
    }

    [Theory]
    [InlineData(93.0, 1)]
    [InlineData(93.01, 0)]
    [InlineData(87.0, 2)]
    [InlineData(80.0, 3)]
    public void The_market_wide_breaker_trips_at_seven_thirteen_and_twenty_percent(double index, int level)
    {
        var breaker = new MarketWideBreaker();
        breaker.StartDay(Day, 100);

        breaker.Observe(index, Day);

        Assert.Equal(level, breaker.TrippedLevel);
    }

    [Fact]
    public void A_released_level_does_not_trip_again_the_same_day_but_a_deeper_one_does()
    {
        var breaker = new MarketWideBreaker();
        breaker.StartDay(Day, 100);
        Assert.True(breaker.Observe(92, Day));
        breaker.Release("ops", "reviewed");

        Assert.False(breaker.Observe(91, Day));
        Assert.False(breaker.IsHalted);
        Assert.True(breaker.Observe(86, Day));
        Assert.Equal(2, breaker.TrippedLevel);

        breaker.Release("ops", "reviewed");
        breaker.StartDay(Day.AddDays(1), 86);
        Assert.True(breaker.Observe(79, Day.AddDays(1)));
    }

    [Fact]
    public void Breaker_levels_must_ascend_between_zero_and_one()
    {
        Assert.Throws<ArgumentException>(() => new MarketWideBreaker([0.13, 0.07]));
        Assert.Throws<ArgumentException>(() => new MarketWideBreaker([0.07, 1.2]));
    }
}
