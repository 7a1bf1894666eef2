using System.Runtime;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Simulation;

namespace FastRebal.Engine.Tests;

/// <summary>Alone: a region holds for the whole process, and another test's collection would end it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BatchRegions
{
    public const string Name = "batch regions";
}

[Collection(BatchRegions.Name)]
public class BatchRegionTests
{
    private static GeneratedFirm Firm(FirmShape shape, int accounts = 3000) =>
        FirmGenerator.Generate(new FirmSpec(accounts, 20, 11, Shape: shape), FirmGenerator.LoadHistory(11));

    [Theory]
    [InlineData(FirmShape.Realistic)]
    [InlineData(FirmShape.Uniform)]
    public void A_run_in_a_region_decides_exactly_as_a_run_with_collections(FirmShape shape)
    {
        var firm = Firm(shape);

        var plain = RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows);
        RunResult inRegion;
        using (BatchRegion.Enter(BatchRegion.RunBytes(firm.Book)))
        {
            inRegion = RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows);
        }

        Assert.Equal(plain.Decisions.Select(d => (d.AccountId, d.Action, d.Rule, d.Reason, d.TradeCount)), inRegion.Decisions.Select(d => (d.AccountId, d.Action, d.Rule, d.Reason, d.TradeCount)));
        Assert.Equal(plain.Trades.Select(t => (t.AccountId, t.InstrumentId, t.Side, t.Quantity, t.Reason)), inRegion.Trades.Select(t => (t.AccountId, t.InstrumentId, t.Side, t.Quantity, t.Reason)));
        Assert.Equal(plain.HeldTrades.Count, inRegion.HeldTrades.Count);
        Assert.NotEmpty(inRegion.Trades);
    }

    [Theory]
    [InlineData(FirmShape.Realistic)]
    [InlineData(FirmShape.Uniform)]
    public void A_run_makes_no_more_than_the_room_set_aside_for_it_and_not_far_less(FirmShape shape)
    {
        var firm = Firm(shape);
        var options = new RunOptions { Parallel = false };
        RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows, options);

        // One thread, so this thread's allocations are the run's.
        var before = GC.GetAllocatedBytesForCurrentThread();
        RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows, options);
        var made = GC.GetAllocatedBytesForCurrentThread() - before;

        // Beyond its room a region ends in a collection (and deciding is copied about again); far beyond what a run
        // makes, it commits memory for nothing.
        Assert.InRange(made, BatchRegion.RunBytes(firm.Book) / 2, BatchRegion.RunBytes(firm.Book));
    }

    [Fact]
    public void Nothing_is_collected_in_a_region_but_the_collection_that_makes_its_room()
    {
        var firm = Firm(FirmShape.Realistic, 20_000);
        var mode = GCSettings.LatencyMode;
        RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows);

        var (young, whole) = (GC.CollectionCount(0), GC.CollectionCount(2));
        RunResult result;
        using (var region = BatchRegion.Enter(BatchRegion.RunBytes(firm.Book)))
        {
            Assert.NotNull(region);
            result = RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows);
            Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        }

        // One collection, of the whole heap, made the room; none while deciding. The region is over.
        Assert.Equal(1, GC.CollectionCount(2) - whole);
        Assert.Equal(1, GC.CollectionCount(0) - young);
        Assert.Equal(mode, GCSettings.LatencyMode);
        Assert.NotEmpty(result.Trades);
    }

    [Fact]
    public void No_region_opens_inside_another_or_for_more_than_a_quarter_of_the_memory_left()
    {
        var mode = GCSettings.LatencyMode;
        var memory = GC.GetGCMemoryInfo();
        Assert.Null(BatchRegion.Enter((memory.TotalAvailableMemoryBytes - memory.MemoryLoadBytes) / 2));
        Assert.Equal(mode, GCSettings.LatencyMode);

        Assert.True(GC.TryStartNoGCRegion(64L << 20));
        try
        {
            Assert.Null(BatchRegion.Enter(16L << 20));
            // The caller's region is the caller's to end.
            Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        }
        finally
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }
    }

    [Fact]
    public void A_region_that_outgrows_its_room_ends_in_a_collection_and_ending_it_is_safe()
    {
        var mode = GCSettings.LatencyMode;
        var region = BatchRegion.Enter(16L << 20);
        Assert.NotNull(region);
        var kept = new List<byte[]>();
        for (var i = 0; i < 64; i++)
        {
            kept.Add(new byte[1 << 20]);
        }
        region.Dispose();
        region.Dispose();

        Assert.Equal(mode, GCSettings.LatencyMode);
        Assert.Equal(64, kept.Count);
    }
}
