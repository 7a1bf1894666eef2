using System.Collections.Concurrent;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Orders.Execution;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>
/// The order stage and a venue's execution reports: accounts are given only what really traded, when the order can
/// trade no more; repeated, late and unknown reports change nothing; cancels wait for the venue's word.
/// </summary>
public class ExecutionReportTests
{
    private static readonly long Noon = new DateTime(2025, 6, 30, 16, 0, 0, DateTimeKind.Utc).Ticks;

    /// <summary>A firm's gateway as the stage sees it: what it was asked to send and to cancel.</summary>
    private sealed class Gateway : IOrderSink
    {
        public List<ChildOrder> Sent { get; } = [];

        public List<(string Id, string Reason)> Cancels { get; } = [];

        public void Send(ChildOrder order) => Sent.Add(order);

        public void Cancel(string orderId, string reason) => Cancels.Add((orderId, reason));
    }

    private sealed record Setup(OrderStage Stage, Gateway Gateway, ConcurrentQueue<AccountFill> Fills, KillSwitch KillSwitch, AccountBook Book);

    private static Setup Build(SimulatedVenue? venue = null, PartialFillPolicy policy = PartialFillPolicy.KeepOpen)
    {
        var loaded = new TestBook()
            .Instrument("AAA", 10).Instrument("BBB", 50)
            .Model("M", ("AAA", 0.5), ("BBB", 0.5))
            .Account("A1", "M", 10_000m)
            .Account("A2", "M", 10_000m)
            .Load();
        Assert.Empty(loaded.Errors);
        var killSwitch = new KillSwitch(new InMemoryKillSwitchStore());
        var gateway = new Gateway();
        var fills = new ConcurrentQueue<AccountFill>();
        var stage = new OrderStage(loaded.Book, new SlicingPolicy { Interval = TimeSpan.Zero }, _ => 1_000_000m, gateway, venue, killSwitch, fills, new LatencyRecorder("test"), policy);
        return new Setup(stage, gateway, fills, killSwitch, loaded.Book);
    }

    /// <summary>A1 buys 10 AAA and A2 buys 30: one block of 40, one child.</summary>
    private static string Trade(OrderStage stage, long at)
    {
        stage.Add(new OrderEvent { Kind = OrderEventKind.Trade, Account = 0, Instrument = 0, Side = TradeSide.Buy, Quantity = 10, Price = 10, Sequence = 3, MarketTime = at });
        stage.Add(new OrderEvent { Kind = OrderEventKind.Trade, Account = 1, Instrument = 0, Side = TradeSide.Buy, Quantity = 30, Price = 10, Sequence = 3, MarketTime = at });
        stage.Add(new OrderEvent { Kind = OrderEventKind.Heartbeat, Sequence = 3, MarketTime = at });
        return "B00000003-AAA-B-C0001";
    }

    private static void Report(OrderStage stage, ExecutionReport report, long at = 0) =>
        stage.Add(new OrderEvent { Kind = OrderEventKind.Report, Report = report, MarketTime = at == 0 ? Noon : at });

    private static void Clock(OrderStage stage, long at) => stage.Add(new OrderEvent { Kind = OrderEventKind.Heartbeat, Sequence = 4, MarketTime = at });

    [Fact]
    public void A_firms_venue_fills_in_parts_and_the_accounts_get_only_what_traded_when_the_order_ends()
    {
        var (stage, gateway, fills, _, _) = Build();
        var order = Trade(stage, Noon);
        Assert.Equal([order], gateway.Sent.Select(o => o.Id));
        Assert.Equal(40m, gateway.Sent[0].Quantity);

        Report(stage, ExecutionReport.Ack(order));
        Report(stage, ExecutionReport.Filled(order, "X1", 15, 10));
        Report(stage, ExecutionReport.Filled(order, "X1", 15, 10)); // delivered twice
        Report(stage, ExecutionReport.Filled(order, "X2", 10, 12));
        Assert.Empty(fills); // working: nothing is given to the accounts yet
        Assert.Equal([order], stage.OpenOrders().Select(o => o.Id));

        Report(stage, ExecutionReport.Expire(order));

        var given = fills.ToList();
        Assert.Equal(25m, given.Sum(f => f.Quantity));
        Assert.All(given, f => Assert.Equal((15 * 10 + (10 * 12)) / 25m, f.Price));
        Assert.All(given, f => Assert.True(f.TradeComplete));
        Assert.True(given.Single(f => f.Account == 1).Quantity > given.Single(f => f.Account == 0).Quantity);
        Assert.Empty(stage.OpenOrders());
        Assert.Equal((2L, 1L, 1L, 1L), (stage.Counters.Fills, stage.Counters.ReportsIgnored, stage.Counters.Expired, stage.Counters.Acknowledged));
    }

    [Fact]
    public void Reports_for_unknown_or_ended_orders_change_nothing_and_an_overfill_is_cut_to_what_was_open()
    {
        var (stage, _, fills, _, _) = Build();
        var order = Trade(stage, Noon);

        Report(stage, ExecutionReport.Filled("B00000099-AAA-B-C0001", "Y1", 5, 10));
        Report(stage, ExecutionReport.Filled(order, "X1", 50, 10));
        Report(stage, ExecutionReport.Filled(order, "X2", 5, 10)); // after the order ended
        Report(stage, ExecutionReport.Cancel(order, "late"));

        Assert.Equal(40m, fills.Sum(f => f.Quantity));
        Assert.Equal([10m, 30m], fills.OrderBy(f => f.Account).Select(f => f.Quantity));
        Assert.Equal((1L, 3L, 0L), (stage.Counters.Overfills, stage.Counters.ReportsIgnored, stage.Counters.VenueCancelled));
    }

    [Fact]
    public void A_rejected_order_ends_its_accounts_trades_with_nothing_filled()
    {
        var (stage, _, fills, _, _) = Build();
        var order = Trade(stage, Noon);

        Report(stage, ExecutionReport.Reject(order, "price band"));

        Assert.Equal(2, fills.Count);
        Assert.All(fills, f => Assert.Equal((0m, true), (f.Quantity, f.TradeComplete)));
        Assert.Equal(1, stage.Counters.Rejected);
        Assert.Empty(stage.OpenOrders());
    }

    [Fact]
    public void Under_cancel_rest_a_partial_fill_asks_the_venue_to_cancel_and_the_order_ends_on_its_confirmation()
    {
        var (stage, gateway, fills, _, _) = Build(policy: PartialFillPolicy.CancelRest);
        var order = Trade(stage, Noon);

        Report(stage, ExecutionReport.Filled(order, "X1", 20, 10));
        Assert.Equal([(order, "rest of a partial fill")], gateway.Cancels);
        Assert.Empty(fills);

        Report(stage, ExecutionReport.Filled(order, "X2", 4, 10)); // traded before the cancel reached the venue
        Report(stage, ExecutionReport.Cancel(order, "cancelled as asked"));

        Assert.Equal(24m, fills.Sum(f => f.Quantity));
        Assert.Single(gateway.Cancels);
        Assert.Equal((1L, 1L), (stage.Counters.CancelsRequested, stage.Counters.VenueCancelled));
    }

    [Fact]
    public void Under_keep_open_a_partial_fill_leaves_the_rest_working()
    {
        var (stage, gateway, fills, _, _) = Build(policy: PartialFillPolicy.KeepOpen);
        var order = Trade(stage, Noon);

        Report(stage, ExecutionReport.Filled(order, "X1", 20, 10));

        Assert.Empty(gateway.Cancels);
        Assert.Empty(fills);
        Assert.Single(stage.OpenOrders());
    }

    [Fact]
    public void The_kill_switch_asks_the_venue_to_cancel_working_orders_and_keeps_what_trades_before_the_cancel_lands()
    {
        var (stage, gateway, fills, killSwitch, _) = Build();
        var order = Trade(stage, Noon);
        Report(stage, ExecutionReport.Ack(order));

        killSwitch.Engage("ops", "venue trouble", 0, DateTimeOffset.UtcNow);
        Clock(stage, Noon + TimeSpan.TicksPerSecond);

        Assert.Equal([(order, "kill switch")], gateway.Cancels);
        Assert.Empty(fills); // the venue has not confirmed: the order may still trade
        Report(stage, ExecutionReport.Filled(order, "X1", 8, 10));
        Report(stage, ExecutionReport.Cancel(order, "cancelled as asked"));

        Assert.Equal(8m, fills.Sum(f => f.Quantity));
        Clock(stage, Noon + (2 * TimeSpan.TicksPerSecond));
        Assert.Single(gateway.Cancels); // asked once
    }

    [Fact]
    public void The_simulated_venue_fills_part_after_its_latency_and_expires_the_rest_when_the_day_ends()
    {
        var venue = new SimulatedVenue(new SimulatedVenueOptions { FillRatio = 0.5m, Latency = TimeSpan.FromSeconds(2) });
        var (stage, _, fills, _, _) = Build(venue);
        Trade(stage, Noon);

        Clock(stage, Noon + TimeSpan.TicksPerSecond);
        Assert.Equal(0, stage.Counters.Fills);
        Clock(stage, Noon + (2 * TimeSpan.TicksPerSecond));
        Assert.Equal((1L, 1L), (stage.Counters.Fills, stage.Counters.Acknowledged));
        Assert.Empty(fills);

        Clock(stage, Noon + TimeSpan.TicksPerDay);

        Assert.Equal(20m, fills.Sum(f => f.Quantity));
        Assert.Equal(1, stage.Counters.Expired);
        Assert.Empty(stage.OpenOrders());
    }

    [Fact]
    public void The_simulated_venue_refuses_the_same_orders_every_time_and_about_the_share_asked_for()
    {
        static HashSet<string> Refused()
        {
            var venue = new SimulatedVenue(new SimulatedVenueOptions { RejectRate = 0.3 });
            var refused = new HashSet<string>();
            for (var i = 0; i < 2000; i++)
            {
                var id = $"B{i:D8}-AAA-B-C0001";
                venue.Accept(new ChildOrder(id, id[..^6], "AAA", TradeSide.Buy, 10, 10, DateTimeOffset.UnixEpoch, 1), Noon);
                var reports = new List<ExecutionReport>();
                venue.Release(Noon, reports);
                if (reports.Any(r => r.Kind == ExecutionReportKind.Rejected))
                {
                    refused.Add(id);
                }
            }
            return refused;
        }

        var first = Refused();
        Assert.Equal(first, Refused());
        Assert.InRange(first.Count, 500, 700);
    }

    [Fact]
    public void A_checkpoint_of_orders_working_at_the_venue_restores_a_stage_that_ends_them_as_the_original_does()
    {
        static SimulatedVenue Venue() => new(new SimulatedVenueOptions { FillRatio = 0.5m, Latency = TimeSpan.FromSeconds(2) });
        var original = Build(Venue());
        Trade(original.Stage, Noon);
        Clock(original.Stage, Noon + TimeSpan.TicksPerSecond);
        var image = original.Stage.Capture();
        Assert.Single(image.Working);
        Assert.NotNull(image.Venue);

        var restored = Build(Venue());
        restored.Stage.Restore(image);
        foreach (var setup in new[] { original, restored })
        {
            Clock(setup.Stage, Noon + (2 * TimeSpan.TicksPerSecond));
            Clock(setup.Stage, Noon + TimeSpan.TicksPerDay);
        }

        Assert.Equal(original.Fills.ToList(), restored.Fills.ToList());
        Assert.Equal(20m, restored.Fills.Sum(f => f.Quantity));
        Assert.Empty(restored.Stage.OpenOrders());
    }

    [Fact]
    public void A_report_that_cannot_be_applied_at_all_is_refused_when_it_is_handed_in()
    {
        var reports = new ExecutionReports();

        Assert.Contains("fill id", Assert.Throws<ArgumentException>(() => reports.Report(new ExecutionReport("O1", ExecutionReportKind.Fill, null, 5, 10))).Message);
        Assert.Contains("quantity must be positive", Assert.Throws<ArgumentException>(() => reports.Report(ExecutionReport.Filled("O1", "F1", 0, 10))).Message);
        Assert.Contains("price must be positive", Assert.Throws<ArgumentException>(() => reports.Report(ExecutionReport.Filled("O1", "F1", 5, -1))).Message);
        Assert.Contains("order id", Assert.Throws<ArgumentException>(() => reports.Report(ExecutionReport.Ack(" "))).Message);
        Assert.Equal(0, reports.Pending);
    }
}
