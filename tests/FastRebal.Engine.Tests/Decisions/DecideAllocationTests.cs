using CsCheck;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Orders;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Decisions;

/// <summary>
/// The parts of deciding an account that run for every account a sweep looks at allocate nothing of their own: an
/// object per account there is what kept a large book's decide-and-size slow.
/// </summary>
public class DecideAllocationTests
{
    /// <summary>Two equity classes and bonds, each class band given in an order that is not the classes' ordinal order.</summary>
    private static (AccountBook Book, DriftReport Report) ThreeClasses(double intlBand, double usBand)
    {
        // Held 40/30/30 against a 30/30/40 model: Intl Equity +10 points, US Equity 0, US Bonds -10.
        var book = new TestBook()
            .Instrument("EFA", 100, assetClass: "Intl Equity").Instrument("SPY", 100, assetClass: "US Equity").Instrument("AGG", 100, assetClass: "US Bonds")
            .Model("M", ("EFA", 0.3), ("SPY", 0.3), ("AGG", 0.4))
            .Account("X", "M", 0, TestBook.Policy(band: 0.5) with
            {
                AssetClassBands = new Dictionary<string, double> { ["US Equity"] = usBand, ["US Bonds"] = 0.05, ["Intl Equity"] = intlBand },
            },
                positions: [("EFA", 40), ("SPY", 30), ("AGG", 30)])
            .Load().Book;
        var report = new DriftReport(book);
        DriftSweep.Run(book, report, parallel: false);
        return (book, report);
    }

    [Fact]
    public void The_first_class_out_of_its_band_in_ordinal_order_is_named_whatever_order_the_policy_lists_them()
    {
        // Intl Equity (+10) and US Bonds (-10) both break a 5-point band; "Intl Equity" sorts first.
        var (book, report) = ThreeClasses(intlBand: 0.05, usBand: 0.05);
        var breach = RebalanceRules.FindAssetClassBreach(book, report, 0);
        Assert.NotNull(breach);
        Assert.Equal("Intl Equity", breach.AssetClass);
        Assert.Equal(0.10, breach.Drift, 9);

        // With Intl Equity's band wide enough, the next class in order that breaks its band is US Bonds.
        (book, report) = ThreeClasses(intlBand: 0.2, usBand: 0.05);
        breach = RebalanceRules.FindAssetClassBreach(book, report, 0);
        Assert.NotNull(breach);
        Assert.Equal(("US Bonds", 0.05), (breach.AssetClass, breach.Band));
        Assert.Equal(-0.10, breach.Drift, 9);
    }

    [Fact]
    public void Checking_class_bands_allocates_nothing_when_every_class_is_inside_its_band()
    {
        var (book, report) = ThreeClasses(intlBand: 0.2, usBand: 0.2);
        book.UpdatePolicy(0, book.Policy(0) with
        {
            Version = book.Policy(0).Version + 1,
            AssetClassBands = new Dictionary<string, double> { ["US Equity"] = 0.2, ["US Bonds"] = 0.2, ["Intl Equity"] = 0.2 },
        });
        Assert.Null(RebalanceRules.FindAssetClassBreach(book, report, 0));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var breach = RebalanceRules.FindAssetClassBreach(book, report, 0);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Null(breach);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Borrowing_a_snapshot_allocates_nothing_even_for_a_policy_restricting_instruments()
    {
        var loaded = new TestBook()
            .Instrument("A", 10).Instrument("B", 10).Instrument("C", 10).Instrument("D", 10)
            .Model("M", ("A", 0.25), ("B", 0.25), ("C", 0.25), ("D", 0.25))
            .Account("FREE", "M", 0, TestBook.Policy(), positions: [("A", 10), ("B", 10), ("C", 10), ("D", 10)])
            .Account("ESG", "M", 0, TestBook.Policy(restricted: ["D", "C"]) with { Id = "IPS-ESG" }, positions: [("A", 10), ("B", 10), ("C", 10), ("D", 10)])
            .Load();
        Assert.Empty(loaded.Errors);
        var book = loaded.Book;
        long Borrowing(int account)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            _ = AccountSnapshot.Borrow(book, account, 0);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Borrowing(0);
        // Read at once: a borrowed snapshot holds only until the next borrow.
        var restricted = AccountSnapshot.Borrow(book, 1, 0).Holdings.Where(h => h.Restricted).Select(h => h.Instrument.Id).ToList();

        Assert.Equal(["C", "D"], restricted);
        Assert.Equal(0, Borrowing(0));
        Assert.Equal(0, Borrowing(1));
    }

    [Fact]
    public void A_plans_buys_come_largest_first_and_equal_ones_in_plan_order_as_a_stable_sort_puts_them()
    {
        var side = Gen.Bool.Select(buy => buy ? TradeSide.Buy : TradeSide.Sell);
        // Few distinct quantities and prices, so equal notionals are common.
        var trade = Gen.Select(side, Gen.Int[1, 4], Gen.Int[1, 3]).Select((s, quantity, price) => new Trade("A", "I", s, quantity, price * 10m, "r"));
        trade.Array[0, 40].Sample(trades =>
        {
            var plan = new TradePlan();
            plan.Trades.AddRange(trades);
            var expected = plan.Trades.Where(t => t.Side == TradeSide.Buy).OrderByDescending(t => t.Notional).ToList();

            var buys = plan.RentBuysLargestFirst(out var count);
            try
            {
                Assert.Equal(expected.Count, count);
                for (var i = 0; i < count; i++)
                {
                    Assert.Same(expected[i], buys[i]);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<Trade>.Shared.Return(buys, clearArray: true);
            }
        });
    }
}
