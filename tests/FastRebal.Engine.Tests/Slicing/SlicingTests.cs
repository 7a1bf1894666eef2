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

    private static BlockOrder Block(params (string Account, decimal Quantity)[] owed) => Block(7, owed);

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

    private static BlockOrder Block(long sequence, params (string Account, decimal Quantity)[] owed) =>
        BlockAggregator.Aggregate(owed.Select(o => new Trade(o.Account, "SPY", TradeSide.Buy, o.Quantity, 100, "")), sequence, Table).Single();

    [Fact]
    public void A_block_closed_after_60_of_600_gives_accounts_owed_100_200_300_10_20_30_at_the_average_price()
    {
        var block = Block(("A", 100), ("B", 200), ("C", 300));
        block.RecordFill(40, 100);
        block.RecordFill(20, 103);

        var fills = FillAllocator.Allocate(block);

        Assert.Equal([("A", 10m), ("B", 20m), ("C", 30m)], fills.Select(f => (f.AccountId, f.Quantity)));
        Assert.All(fills, f => Assert.Equal(101, f.Price));
        Assert.True(block.IsAllocated);
    }

    [Fact]
    public void A_completely_filled_block_gives_every_account_what_it_asked_for_at_exactly_the_block_average()
    {
        var block = Block(("A", 100), ("B", 250), ("C", 7));
        for (var i = 0; block.Filled < block.Quantity; i++)
        {
            block.RecordFill(Math.Min(13, block.Quantity - block.Filled), 100 + (i % 5));
        }

        var fills = FillAllocator.Allocate(block);

        Assert.Equal([100m, 250m, 7m], fills.Select(f => f.Quantity));
        Assert.All(fills, f => Assert.Equal(block.AveragePrice, f.Price));
        Assert.Equal(block.FilledNotional, fills.Sum(f => f.Quantity * f.Price), 20);
    }

    [Fact]
    public void The_share_rounding_leaves_over_goes_to_a_different_account_from_block_to_block()
    {
        var luckiest = new List<string>();
        for (var sequence = 1; sequence <= 3; sequence++)
        {
            var block = Block(sequence, ("A", 100), ("B", 100), ("C", 100));
            block.RecordFill(7, 100);

            var fills = FillAllocator.Allocate(block);

            Assert.Equal(7, fills.Sum(f => f.Quantity));
            Assert.Equal([2m, 2m, 3m], fills.Select(f => f.Quantity).Order());
            luckiest.Add(fills.MaxBy(f => f.Quantity).AccountId);
        }
        Assert.Equal(3, luckiest.Distinct().Count());
    }

    [Fact]
    public void Fractional_accounts_receive_fractions_and_whole_share_accounts_whole_shares()
    {
        var block = BlockAggregator.Aggregate([
            new Trade("A", "FUND", TradeSide.Buy, 10.5m, 20, ""),
            new Trade("B", "FUND", TradeSide.Buy, 10, 20, ""),
        ], 1, Table).Single();
        block.RecordFill(5.25m, 20);

        var fills = FillAllocator.Allocate(block);

        Assert.Equal(5.25m, fills.Sum(f => f.Quantity));
        Assert.Equal(decimal.Floor(fills.Single(f => f.AccountId == "B").Quantity), fills.Single(f => f.AccountId == "B").Quantity);
    }

    [Fact]
    public async Task A_part_filled_block_whose_whole_share_remainders_only_a_fractional_account_can_take_allocates_at_once()
    {
        // 3,000 accounts owed 3 shares each leave up to a share each when 60% fills; only the fractional account, in
        // millionths, can take those: one step per round would be over a billion rounds.
        var trades = Enumerable.Range(0, 3000).Select(i => new Trade($"W{i:D4}", "FUND", TradeSide.Buy, 3, 20, ""))
            .Append(new Trade("F", "FUND", TradeSide.Buy, 5000.5m, 20, ""));
        var block = BlockAggregator.Aggregate(trades, 1, Table).Single();
        block.RecordFill(decimal.Floor(block.Quantity * 0.6m), 20);

        // A guard against the endless loop, not a speed claim: it finishes in far less.
        var fills = await Task.Run(() => FillAllocator.Allocate(block)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(block.Filled, fills.Sum(f => f.Quantity) + block.Unallocated);
        Assert.Equal(0, block.Unallocated);
        Assert.All(fills.Where(f => f.AccountId != "F"), f => Assert.Equal(decimal.Floor(f.Quantity), f.Quantity));
        Assert.All(fills, f => Assert.True(f.Quantity <= (f.AccountId == "F" ? 5000.5m : 3)));
    }

    [Fact]
    public void What_no_account_step_can_take_stays_unallocated_and_is_reported()
    {
        var block = BlockAggregator.Aggregate([
            new Trade("A", "BOND", TradeSide.Sell, 20, 90, ""),
            new Trade("B", "BOND", TradeSide.Sell, 30, 90, ""),
        ], 1, Table).Single();
        block.RecordFill(10, 90);
        block.RecordFill(15 - 10, 91);

        var fills = FillAllocator.Allocate(block);

        Assert.All(fills, f => Assert.Equal(0, f.Quantity % 10));
        Assert.Equal(15, fills.Sum(f => f.Quantity) + block.Unallocated);
        Assert.Equal(5, block.Unallocated);
    }

    [Fact]
    public void A_fill_larger_than_what_is_open_a_late_fill_and_a_second_allocation_are_refused()
    {
        var block = Block(("A", 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => block.RecordFill(11, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => block.RecordFill(5, 0));
        block.RecordFill(5, 100);
        FillAllocator.Allocate(block);

        Assert.Throws<InvalidOperationException>(() => block.RecordFill(5, 100));
        Assert.Throws<InvalidOperationException>(() => FillAllocator.Allocate(block));
    }

    [Fact]
    public void Allocations_sum_to_the_fill_never_exceed_what_was_asked_and_all_carry_the_same_price()
    {
        Gen.Select(Gen.Int[1, 500].Array[1, 40], Gen.Int[1, 100], Gen.Int[0, 1000]).Sample((owed, percent, seed) =>
        {
            var block = Block(seed, [.. owed.Select((q, i) => ($"A{i}", (decimal)q))]);
            var target = decimal.Floor(block.Quantity * percent / 100m);
            var random = new Random(seed);
            while (block.Filled < target)
            {
                block.RecordFill(Math.Min(random.Next(1, 50), target - block.Filled), random.Next(95, 106));
            }

            var fills = FillAllocator.Allocate(block);

            Assert.Equal(block.Filled, fills.Sum(f => f.Quantity) + block.Unallocated);
            Assert.Equal(0, block.Unallocated);
            Assert.All(fills.Zip(owed), p => Assert.InRange(p.First.Quantity, 0, p.Second));
            Assert.All(fills, f => Assert.Equal(block.AveragePrice, f.Price));
        }, iter: 300);
    }

    /// <summary>
    /// The largest-remainder rule written plainly (LINQ's stable sort for the line, as the allocator was written
    /// before it sorted on the stack): the shares it gives, and what it leaves unallocated.
    /// </summary>
    private static (decimal[] Shares, decimal Left) LargestRemainder(BlockOrder block)
    {
        var accounts = block.Allocations;
        var exact = accounts.Select(a => block.Filled * a.Requested / block.Quantity).ToArray();
        var shares = accounts.Select((a, i) => Math.Min(a.Requested, decimal.Floor(exact[i] / a.Step) * a.Step)).ToArray();
        var left = block.Filled - shares.Sum();
        var rotation = (int)(block.BatchSequence % accounts.Count);
        var order = Enumerable.Range(0, accounts.Count).OrderByDescending(i => exact[i] - shares[i]).ThenBy(i => (i - rotation + accounts.Count) % accounts.Count).ToArray();
        for (var round = 0; left > 0; round++)
        {
            var progressed = false;
            foreach (var i in order)
            {
                var step = accounts[i].Step;
                var take = round == 0 ? step : Math.Min(decimal.Floor(left / step), decimal.Floor((accounts[i].Requested - shares[i]) / step)) * step;
                if (take > 0 && left >= take && shares[i] + take <= accounts[i].Requested)
                {
                    shares[i] += take;
                    left -= take;
                    progressed = true;
                    if (left <= 0)
                    {
                        break;
                    }
                }
            }
            if (!progressed)
            {
                break;
            }
        }
        return (shares, Math.Max(left, 0));
    }

    [Fact]
    public void Shares_follow_the_largest_remainder_rule_in_small_and_large_blocks_of_whole_lot_and_fractional_accounts()
    {
        // Two blocks of the same trades, both filled the same: the allocator shares out one, the reference the other.
        static void Agree(IReadOnlyList<(decimal Quantity, string Instrument)> owed, int percent, int seed)
        {
            BlockOrder Make() => BlockAggregator.Aggregate(owed.Select((o, i) => new Trade($"A{i}", o.Instrument, TradeSide.Buy, o.Quantity, 20, "")), seed, Table).Single();
            var block = Make();
            var reference = Make();
            // A block can close with nothing filled (a fill too small for a whole share): every share is then zero.
            var fill = decimal.Floor(block.Quantity * percent / 100m);
            if (fill > 0)
            {
                block.RecordFill(fill, 20);
                reference.RecordFill(fill, 20);
            }

            var (shares, left) = LargestRemainder(reference);
            var fills = FillAllocator.Allocate(block);

            Assert.Equal(shares, fills.Select(f => f.Quantity));
            Assert.Equal(left, block.Unallocated);
        }

        // Up to 600 whole-share accounts, so blocks both fit the allocator's stack and spill to its pooled arrays; few
        // distinct quantities, so equal remainders (and the rotation's tie-break) are common.
        Gen.Select(Gen.Int[1, 30].Array[1, 600], Gen.Int[1, 100], Gen.Int[0, 1000]).Sample((owed, percent, seed) =>
            Agree([.. owed.Select(q => ((decimal)q, "SPY"))], percent, seed), iter: 300);

        // Fractional and whole-share accounts in one block: only the fractional ones can take the whole-share accounts' remainders.
        Gen.Select(Gen.Select(Gen.Int[1, 30], Gen.Bool).Array[1, 400], Gen.Int[1, 100], Gen.Int[0, 1000]).Sample((owed, percent, seed) =>
            Agree([.. owed.Select(o => (o.Item2 ? o.Item1 + 0.25m : o.Item1, "FUND"))], percent, seed), iter: 300);
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
