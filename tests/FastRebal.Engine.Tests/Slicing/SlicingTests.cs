using CsCheck;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Slicing;

public sealed class SlicingTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2025, 6, 30, 14, 0, 0, TimeSpan.Zero);

    private static readonly InstrumentTable Table = new([
        new Instrument("SPY", "SPY", "US Equity"),
        new Instrument("FUND", "FUND", "US Bonds", FractionalAllowed: true),
        new Instrument("BOND", "BOND", "US Bonds", LotSize: 10),
    ]);

    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-blotter-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static BlockOrder Block(params (string Account, decimal Quantity)[] owed) =>
        BlockAggregator.Aggregate(owed.Select(o => new Trade(o.Account, "SPY", TradeSide.Buy, o.Quantity, 100, "")), 7, Table).Single();

    [Fact]
    public void Trades_become_one_block_per_instrument_and_side_in_a_stable_order_with_deterministic_ids()
    {
        Trade[] trades =
        [
            new("A", "SPY", TradeSide.Buy, 10, 100, ""),
            new("B", "SPY", TradeSide.Sell, 4, 100, ""),
            new("C", "SPY", TradeSide.Buy, 5, 100, ""),
            new("A", "BOND", TradeSide.Sell, 20, 90, ""),
        ];

        var blocks = BlockAggregator.Aggregate(trades, 42, Table);

        Assert.Equal(["B00000042-BOND-S", "B00000042-SPY-B", "B00000042-SPY-S"], blocks.Select(b => b.Id));
        Assert.Equal(15, blocks[1].Quantity);
        Assert.Equal(4, blocks[2].Quantity);
        Assert.Equal(blocks.Select(b => b.Id), BlockAggregator.Aggregate(trades.Reverse(), 42, Table).Select(b => b.Id));
    }

    [Fact]
    public void A_fill_of_60_over_accounts_owed_100_200_300_gives_10_20_30()
    {
        var block = Block(("A", 100), ("B", 200), ("C", 300));

        var fills = FillAllocator.Allocate(block, 60, 101);

        Assert.Equal([("A", 10m), ("B", 20m), ("C", 30m)], fills.Select(f => (f.AccountId, f.Quantity)));
        Assert.All(fills, f => Assert.Equal(101, f.Price));
    }

    [Fact]
    public void Rounding_leftovers_rotate_and_after_the_whole_block_everyone_got_what_they_were_owed_at_the_block_average()
    {
        var block = Block(("A", 100), ("B", 100), ("C", 100));
        var firstInLine = new List<string>();

        for (var i = 0; i < 300 / 7; i++)
        {
            var fills = FillAllocator.Allocate(block, 7, 100 + i);
            Assert.Equal(7, fills.Sum(f => f.Quantity));
            firstInLine.Add(fills.MaxBy(f => f.Quantity)!.AccountId);
        }
        FillAllocator.Allocate(block, 300 - block.Filled, 200);

        Assert.True(block.IsComplete);
        Assert.All(block.Allocations, a => Assert.Equal(100, a.Filled));
        Assert.Equal(3, firstInLine.Distinct().Count());
        Assert.All(block.Allocations, a => Assert.InRange(a.AveragePrice, block.AveragePrice - 1.5m, block.AveragePrice + 1.5m));
    }

    [Fact]
    public void Fractional_accounts_receive_fractions_and_whole_share_accounts_whole_shares()
    {
        var block = BlockAggregator.Aggregate([
            new Trade("A", "FUND", TradeSide.Buy, 10.5m, 20, ""),
            new Trade("B", "FUND", TradeSide.Buy, 10, 20, ""),
        ], 1, Table).Single();

        var fills = FillAllocator.Allocate(block, 5.25m, 20);

        Assert.Equal(5.25m, fills.Sum(f => f.Quantity));
        Assert.Equal(decimal.Floor(fills.Single(f => f.AccountId == "B").Quantity), fills.Single(f => f.AccountId == "B").Quantity);
    }

    [Fact]
    public void A_fill_larger_than_what_is_open_is_refused()
    {
        var block = Block(("A", 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => FillAllocator.Allocate(block, 11, 100));
    }

    [Fact]
    public void Children_respect_the_adv_and_notional_caps_sum_to_the_block_and_are_spaced_evenly()
    {
        Gen.Select(Gen.Int[1, 50_000], Gen.Int[100, 5_000_000], Gen.Decimal[1m, 2000m], Gen.Int[1, 10]).Sample((quantity, adv, price, lot) =>
        {
            var table = new InstrumentTable([new Instrument("X", "X", "US Equity", LotSize: lot)]);
            var block = BlockAggregator.Aggregate([new Trade("A", "X", TradeSide.Buy, quantity * lot, price, "")], 1, table).Single();
            var policy = new SlicingPolicy { MaxAdvFraction = 0.01m, MaxChildNotional = 250_000m, Interval = TimeSpan.FromSeconds(30) };

            var children = new Slicer(policy).Slice(block, adv, price, Start);

            Assert.Equal(block.Quantity, children.Sum(c => c.Quantity));
            var oneLotIsTooBig = lot > 0.01m * adv || lot * price > 250_000m;
            Assert.All(children, c =>
            {
                Assert.True(c.Quantity % lot == 0);
                if (!oneLotIsTooBig)
                {
                    Assert.True(c.Quantity <= 0.01m * adv, $"child {c.Quantity} above 1% of ADV {adv}");
                    Assert.True(c.Notional <= 250_000m, $"child notional {c.Notional}");
                }
            });
            Assert.Equal(children.Select((_, i) => Start + TimeSpan.FromSeconds(30 * i)), children.Select(c => c.ScheduledAt));
            Assert.Equal(children.Count, children.Select(c => c.Id).Distinct().Count());
        }, iter: 300);
    }

    [Fact]
    public void The_scheduler_releases_children_in_time_order_and_cancel_all_leaves_nothing_due()
    {
        var block = Block(("A", 1000));
        var children = new Slicer(new SlicingPolicy { MaxAdvFraction = 0.1m, Interval = TimeSpan.FromMinutes(1) }).Slice(block, 2500, 100, Start);
        var scheduler = new OrderScheduler();
        scheduler.Add(children);

        Assert.Equal(4, children.Count);
        Assert.Equal([children[0].Id, children[1].Id], scheduler.Due(Start + TimeSpan.FromSeconds(90)).Select(c => c.Id));
        Assert.Equal(2, scheduler.CancelAll().Count);
        Assert.Empty(scheduler.Due(Start + TimeSpan.FromDays(1)));
        Assert.Equal(0, scheduler.PendingCount);
    }

    [Fact]
    public void The_blotter_has_a_header_once_and_a_line_per_order_and_cancel()
    {
        var path = Path.Combine(directory, "blotter.csv");
        var children = new Slicer(new SlicingPolicy()).Slice(Block(("A", 10)), 1_000_000, 100, Start);
        using (var sink = new BlotterFileSink(path))
        {
            sink.Send(children[0]);
        }
        using (var sink = new BlotterFileSink(path))
        {
            sink.Cancel("X-1", "kill switch, \"test\"");
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(BlotterFileSink.Header, lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("new,B00000007-SPY-B-C0001,B00000007-SPY-B,1,SPY,Buy,10,100,", lines[1]);
        Assert.Equal("cancel,X-1,,,,,,,,\"kill switch, \"\"test\"\"\"", lines[2]);
    }
}
