using System.Collections.Concurrent;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>
/// The order stage on its own: a flush's blocks are formed one at a time and each block's first child leaves as soon
/// as its block exists, in the same order as before, and a kill switch engaged mid-flush ends every trade once.
/// </summary>
public class OrderStageTests
{
    private static readonly long Noon = new DateTime(2025, 6, 30, 16, 0, 0, DateTimeKind.Utc).Ticks;

    /// <summary>Records each child and how many blocks the stage had formed when it arrived; can pull the kill switch.</summary>
    private sealed class WatchingSink(KillSwitch killSwitch, bool engageOnFirst) : IOrderSink
    {
        public OrderStage? Stage { get; set; }

        public List<(string Id, long BlocksFormed)> Sent { get; } = [];

        public void Send(ChildOrder order)
        {
            Sent.Add((order.Id, Stage!.Counters.Blocks));
            if (engageOnFirst && Sent.Count == 1)
            {
                killSwitch.Engage("ops", "test", 0, DateTimeOffset.UtcNow);
            }
        }

        public void Cancel(string orderId, string reason)
        {
        }
    }

    private static (AccountBook Book, OrderStage Stage, WatchingSink Sink, ConcurrentQueue<AccountFill> Fills) Build(bool engageOnFirst)
    {
        var loaded = new TestBook()
            .Instrument("AAA", 100).Instrument("BBB", 50).Instrument("CCC", 20)
            .Model("M", ("AAA", 0.4), ("BBB", 0.3), ("CCC", 0.3))
            .Account("A1", "M", 10_000m)
            .Account("A2", "M", 10_000m)
            .Load();
        Assert.Empty(loaded.Errors);
        var killSwitch = new KillSwitch(new InMemoryKillSwitchStore());
        var sink = new WatchingSink(killSwitch, engageOnFirst);
        var fills = new ConcurrentQueue<AccountFill>();
        var stage = new OrderStage(loaded.Book, new SlicingPolicy { Interval = TimeSpan.Zero }, _ => 1_000_000m, sink, new FastRebal.Engine.Orders.Execution.SimulatedVenue(), killSwitch, fills, new LatencyRecorder("test"));
        sink.Stage = stage;
        return (loaded.Book, stage, sink, fills);
    }

    private static readonly (int Account, int Instrument, TradeSide Side, decimal Quantity)[] FlushTrades =
    [
        (0, 0, TradeSide.Buy, 10), (0, 1, TradeSide.Sell, 20), (0, 2, TradeSide.Buy, 30),
        (1, 0, TradeSide.Buy, 5), (1, 2, TradeSide.Sell, 15),
    ];

    private static void Flush(OrderStage stage)
    {
        foreach (var (account, instrument, side, quantity) in FlushTrades)
        {
            stage.Add(new OrderEvent { Kind = OrderEventKind.Trade, Account = account, Instrument = instrument, Side = side, Quantity = quantity, Price = 10, Sequence = 7, MarketTime = Noon, OriginTimestamp = 1 });
        }
        stage.Add(new OrderEvent { Kind = OrderEventKind.Heartbeat, Sequence = 7, MarketTime = Noon });
    }

    [Fact]
    public void Each_block_sends_its_first_child_before_the_next_block_is_formed()
    {
        var (_, stage, sink, fills) = Build(engageOnFirst: false);

        Flush(stage);

        // Four blocks (AAA buy, BBB sell, CCC buy, CCC sell), in id order, each sent while it was the newest formed.
        Assert.Equal(
            [("B00000007-AAA-B-C0001", 1L), ("B00000007-BBB-S-C0001", 2L), ("B00000007-CCC-B-C0001", 3L), ("B00000007-CCC-S-C0001", 4L)],
            sink.Sent);
        Assert.Equal(4, stage.Counters.Blocks);
        // The simulated venue fills each child at once, so every trade ends with its whole quantity.
        Assert.Equal(
            FlushTrades.Select(t => (t.Account, t.Instrument, t.Side, t.Quantity)).OrderBy(t => t),
            fills.Select(f => (f.Account, f.Instrument, f.Side, f.Quantity)).OrderBy(t => t));
        Assert.All(fills, f => Assert.True(f.TradeComplete));
    }

    [Fact]
    public void A_kill_switch_engaged_mid_flush_forms_no_further_block_and_ends_every_trade_once()
    {
        var (_, stage, sink, fills) = Build(engageOnFirst: true);

        Flush(stage);

        Assert.Single(sink.Sent);
        Assert.Equal(1, stage.Counters.Blocks);
        Assert.Equal(0, stage.Pending);
        // The first block's child was sent before the switch took hold and filled; every other trade ends unfilled.
        var ended = fills.ToList();
        Assert.All(ended, f => Assert.True(f.TradeComplete));
        Assert.Equal(
            FlushTrades.Select(t => (t.Account, t.Instrument, t.Side)).OrderBy(t => t),
            ended.Select(f => (f.Account, f.Instrument, f.Side)).OrderBy(t => t));
        Assert.Equal(10m, ended.Single(f => f is { Account: 0, Instrument: 0 }).Quantity);
        Assert.Equal(5m, ended.Single(f => f is { Account: 1, Instrument: 0 }).Quantity);
        Assert.All(ended.Where(f => f.Instrument != 0), f => Assert.Equal(0m, f.Quantity));
    }

    [Fact]
    public void A_trade_the_stage_receives_is_kept_without_an_allocation_once_its_lists_have_grown()
    {
        var (_, stage, _, fills) = Build(engageOnFirst: false);
        Flush(stage);
        fills.Clear();

        // The same trades again: the stage's lists keep their room, so receiving them allocates nothing (the blocks
        // they form at the heartbeat do, and are not measured).
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var (account, instrument, side, quantity) in FlushTrades)
        {
            stage.Add(new OrderEvent { Kind = OrderEventKind.Trade, Account = account, Instrument = instrument, Side = side, Quantity = quantity, Price = 10, Sequence = 8, MarketTime = Noon, OriginTimestamp = 1 });
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        stage.Add(new OrderEvent { Kind = OrderEventKind.Heartbeat, Sequence = 8, MarketTime = Noon });

        Assert.Equal(0, allocated);
        // And the fills of those blocks still reach the accounts that traded.
        Assert.Equal(
            FlushTrades.Select(t => (t.Account, t.Instrument, t.Side, t.Quantity)).OrderBy(t => t),
            fills.Select(f => (f.Account, f.Instrument, f.Side, f.Quantity)).OrderBy(t => t));
    }
}
