using CsCheck;
using FastRebal.Engine.Drift;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Model;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests;

public class DriftSweepTests
{
    public static TheoryData<SweepPath> AcceleratedPaths()
    {
        var paths = new TheoryData<SweepPath> { SweepPath.Scalar };
        if (System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
        {
            paths.Add(SweepPath.Vector128);
        }
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
        {
            paths.Add(SweepPath.Vector256);
        }
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            paths.Add(SweepPath.Vector512);
        }
        return paths;
    }

    [Theory]
    [MemberData(nameof(AcceleratedPaths))]
    public void Sweep_120_and_80_shares_at_one_price_with_50_50_target_drifts_10_points_and_breaches_a_5_point_band(SweepPath path)
    {
        var book = new TestBook()
            .Instrument("A", 10).Instrument("B", 10)
            .Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 0, positions: [("A", 120), ("B", 80)])
            .Load().Book;
        var report = new DriftReport(book);

        DriftSweep.Run(book, report, path, parallel: false);

        Assert.Equal(2000, report.TotalValue[0], 9);
        Assert.Equal(0.10, report.Drift[0], 12);
        Assert.Equal(-0.10, report.Drift[1], 12);
        Assert.Equal(0.10, report.MaxAbsDrift[0], 12);
        Assert.Equal(0.20, report.MaxRelativeDrift[0], 12);
        Assert.Equal(0.10, report.TotalDrift[0], 12);
        Assert.True(report.Breaches(0));
    }

    [Fact]
    public void Sweep_measures_weights_against_value_less_the_cash_reserve()
    {
        // 1000 in positions + 100 cash, reserve 100: investable 1000, so 600/400 against 60/40 is exactly on target.
        var book = new TestBook()
            .Instrument("A", 10).Instrument("B", 10)
            .Model("M", ("A", 0.6), ("B", 0.4))
            .Account("X", "M", 100, TestBook.Policy(reserveAmount: 100), positions: [("A", 60), ("B", 40)])
            .Load().Book;
        var report = new DriftReport(book);

        DriftSweep.Run(book, report);

        Assert.Equal(1000, report.InvestableValue[0], 9);
        Assert.Equal(0, report.MaxAbsDrift[0], 12);
        Assert.False(report.Breaches(0));
    }

    [Theory]
    [InlineData(0.0499, false)]
    [InlineData(0.0501, true)]
    public void Relative_band_breaches_only_past_band_times_target(double overweight, bool breaches)
    {
        // Target 50%, relative band 10%: tolerance is 5 points.
        var a = (decimal)(0.5 + overweight) * 10_000m;
        var b = 10_000m - a;
        var book = new TestBook()
            .Instrument("A", 1, fractional: true).Instrument("B", 1, fractional: true)
            .Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 0, TestBook.Policy(band: 0.10, bandType: BandType.Relative), positions: [("A", a), ("B", b)])
            .Load().Book;
        var report = new DriftReport(book);

        DriftSweep.Run(book, report, SweepPath.Scalar);

        Assert.Equal(breaches, report.Breaches(0));
    }

    [Fact]
    public void Account_whose_reserve_exceeds_its_value_has_no_investable_value_and_no_breach()
    {
        var book = new TestBook()
            .Instrument("A", 10).Instrument("B", 10)
            .Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 50, TestBook.Policy(reserveAmount: 1000), positions: [("A", 5)])
            .Load().Book;
        var report = new DriftReport(book);

        DriftSweep.Run(book, report);

        Assert.False(report.HasInvestableValue(0));
        Assert.False(report.Breaches(0));
    }

    /// <summary>
    /// A random book: accounts of 1..46 slots (so every vector width meets short accounts and ragged tails), most sharing
    /// their model's lineup, some with a lineup of their own.
    /// </summary>
    internal static AccountBook RandomBook(int accounts, int seed)
    {
        var random = new Random(seed);
        var instruments = Enumerable.Range(0, 50).Select(i => new Instrument($"I{i}", $"I{i}", i % 2 == 0 ? "US Equity" : "US Bonds", FractionalAllowed: true)).ToList();
        var table = new InstrumentTable(instruments);
        var models = Enumerable.Range(1, 45).Select(n =>
        {
            var raw = Enumerable.Range(0, n).Select(_ => random.NextDouble() + 0.01).ToArray();
            var sum = raw.Sum();
            var weights = raw.Select(r => r / sum).ToArray();
            weights[^1] = 1 - weights[..^1].Sum();
            return new TargetModel($"M{n}", Targets: [.. weights.Select((w, i) => new ModelWeight($"I{i}", w))]);
        }).ToList();
        var prices = instruments.Select(_ => 1 + (random.NextDouble() * 500)).ToArray();
        var builder = new BookBuilder(table, models, prices);
        for (var a = 0; a < accounts; a++)
        {
            var model = random.Next(models.Count);
            var slots = model + 1;
            // Most accounts hold only their model's instruments (and so share its lineup); some also hold one outside it.
            var held = Enumerable.Range(0, slots).Where(_ => random.NextDouble() < 0.9).ToArray();
            if (slots < instruments.Count && random.NextDouble() < 0.2)
            {
                held = [.. held, random.Next(slots, instruments.Count)];
            }
            var quantities = held.Select(_ => random.NextDouble() < 0.05 ? 0 : random.NextDouble() * 1000).ToArray();
            var policy = new InvestmentPolicy
            {
                Id = $"P{a}",
                BandType = random.NextDouble() < 0.3 ? BandType.Relative : BandType.Absolute,
                BandWidth = 0.01 + (random.NextDouble() * 0.2),
                CashReservePercent = random.NextDouble() < 0.5 ? random.NextDouble() * 0.05 : 0,
                CashReserveAmount = random.NextDouble() < 0.2 ? random.Next(0, 5000) : 0,
            };
            Assert.Null(builder.TryAddAccount($"A{a}", "H", model, random.NextDouble() * 20_000, policy, null, held, quantities));
        }
        return builder.Build();
    }

    [Theory]
    [MemberData(nameof(AcceleratedPaths))]
    public void Vector_paths_equal_the_scalar_reference_on_random_books(SweepPath path)
    {
        Gen.Select(Gen.Int[1, 300], Gen.Int).Sample((accounts, seed) =>
        {
            var book = RandomBook(accounts, seed);
            var expected = new DriftReport(book);
            var actual = new DriftReport(book);
            DriftSweep.Run(book, expected, SweepPath.Scalar, parallel: false);
            DriftSweep.Run(book, actual, path, parallel: false);
            AssertSame(expected, actual, book);
        }, iter: 150);
    }

    [Theory]
    [MemberData(nameof(AcceleratedPaths))]
    public void A_sweep_that_copies_the_marks_as_it_reads_them_equals_copying_them_first_then_sweeping(SweepPath path)
    {
        Gen.Select(Gen.Int[1, 300], Gen.Int, Gen.Double[0, 1], Gen.Double[0, 1]).Sample((accounts, seed, x, y) =>
        {
            var copiedFirst = RandomBook(accounts, seed);
            var copiedInSweep = RandomBook(accounts, seed);
            var moves = Enumerable.Range(0, copiedFirst.Instruments.Count).Select(i => (i, copiedFirst.Prices[i] * (0.8 + (0.4 * ((i * 0.37) % 1))))).ToArray();
            copiedFirst.SetInstrumentPrices(moves);
            copiedInSweep.SetInstrumentPrices(moves);
            var from = (int)(Math.Min(x, y) * accounts);
            var to = (int)Math.Ceiling(Math.Max(x, y) * accounts);
            var expected = new DriftReport(copiedFirst);
            var actual = new DriftReport(copiedInSweep);

            copiedFirst.RefreshMarks(copiedFirst.SlotStart[from], copiedFirst.SlotStart[to], parallel: false);
            DriftSweep.RunRange(copiedFirst, expected, from, to, path);
            DriftSweep.RunRange(copiedInSweep, actual, from, to, path, refreshMarks: true);

            // The same arithmetic in the same order: equal to the bit, and the marks outside the range left as they were.
            AssertIdentical(copiedFirst, expected, copiedInSweep, actual);
        }, iter: 100);
    }

    [Theory]
    [MemberData(nameof(AcceleratedPaths))]
    public void A_live_sweep_reading_lineup_rows_equals_one_gathering_every_price(SweepPath path)
    {
        Gen.Select(Gen.Int[1, 300], Gen.Int, Gen.Int[0, 600]).Sample((accounts, seed, rowSlots) =>
        {
            var rows = RandomBook(accounts, seed);
            var gathered = RandomBook(accounts, seed);
            // A cap of 0 gives no account a row; a small one leaves the less shared lineups without one.
            rows.Lineups = InstrumentLineups.Find(rows.SlotStart.ToArray(), rows.InstrumentIndices.ToArray(), rowSlots);
            gathered.Lineups = InstrumentLineups.Find(gathered.SlotStart.ToArray(), gathered.InstrumentIndices.ToArray(), maxRowSlots: 0);
            var expected = new DriftReport(gathered);
            var actual = new DriftReport(rows);
            Assert.Equal(0, gathered.LineupRows.Accounts);

            // Two moves: the rows must carry each sweep's prices, not the first ones they were copied with.
            foreach (var step in new[] { 0.9, 1.05 })
            {
                var moves = Enumerable.Range(0, rows.Instruments.Count).Select(i => (i, rows.Prices[i] * (step + (0.01 * (i % 20))))).ToArray();
                rows.SetInstrumentPrices(moves);
                gathered.SetInstrumentPrices(moves);

                DriftSweep.RunRange(gathered, expected, 0, accounts, path, refreshMarks: true);
                DriftSweep.RunRange(rows, actual, 0, accounts, path, refreshMarks: true);

                AssertIdentical(gathered, expected, rows, actual);
            }
        }, iter: 100);
    }

    [Fact]
    public void Marks_copied_on_both_cores_equal_marks_copied_on_one()
    {
        var book = RandomBook(30_000, seed: 12);
        var twin = RandomBook(30_000, seed: 12);
        var moves = Enumerable.Range(0, book.Instruments.Count).Select(i => (i, book.Prices[i] * 1.1)).ToArray();

        book.SetPrices(moves);
        twin.SetPrices(moves, parallel: true);

        Assert.True(book.SlotCount > 1 << 19, "the book must be large enough for the parallel copy");
        Assert.Equal(book.Marks.ToArray(), twin.Marks.ToArray());
        for (var s = 0; s < twin.SlotCount; s++)
        {
            Assert.Equal(twin.Prices[twin.InstrumentIndices[s]], twin.Marks[s]);
        }
    }

    [Fact]
    public void Parallel_sweep_equals_the_single_threaded_sweep()
    {
        var book = RandomBook(DriftSweep.ParallelThreshold + 1234, seed: 7);
        var single = new DriftReport(book);
        var parallel = new DriftReport(book);
        DriftSweep.Run(book, single, parallel: false);
        DriftSweep.Run(book, parallel, parallel: true);
        AssertSame(single, parallel, book);
    }

    [Theory]
    [InlineData(FirmShape.Uniform)]
    [InlineData(FirmShape.Realistic)]
    public void Sweep_of_a_generated_firm_matches_the_reference_and_finds_breaches(FirmShape shape)
    {
        var firm = FirmGenerator.Generate(new FirmSpec(2000, 20, 11, Shape: shape), FirmGenerator.LoadHistory(11));
        var expected = new DriftReport(firm.Book);
        var actual = new DriftReport(firm.Book);
        DriftSweep.Run(firm.Book, expected, SweepPath.Scalar, parallel: false);
        DriftSweep.Run(firm.Book, actual);
        AssertSame(expected, actual, firm.Book);
        Assert.InRange(Enumerable.Range(0, firm.Book.AccountCount).Count(actual.Breaches), 1, firm.Book.AccountCount - 1);
    }

    [Fact]
    public void Hot_state_stays_within_64_bytes_per_position()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(1000, 20, 3), MarketHistory.Synthetic([("SPY", 100, 0.05, 0.2), ("AGG", 100, 0.02, 0.05)], FirmGenerator.DefaultAsOf, 300, 3));
        var perPosition = (double)firm.Book.HotBytes / firm.Book.SlotCount;
        Assert.InRange(perPosition, 1, 64);
    }

    /// <summary>Two sweeps of books that started the same left the same marks and figures, to the bit.</summary>
    internal static void AssertIdentical(AccountBook expectedBook, DriftReport expected, AccountBook actualBook, DriftReport actual)
    {
        Assert.Equal(expectedBook.Marks.ToArray(), actualBook.Marks.ToArray());
        Assert.Equal(expected.Drift, actual.Drift);
        Assert.Equal(expected.TotalValue, actual.TotalValue);
        Assert.Equal(expected.InvestableValue, actual.InvestableValue);
        Assert.Equal(expected.MaxAbsDrift, actual.MaxAbsDrift);
        Assert.Equal(expected.MaxRelativeDrift, actual.MaxRelativeDrift);
        Assert.Equal(expected.TotalDrift, actual.TotalDrift);
        Assert.Equal(expected.MaxExcess, actual.MaxExcess);
    }

    private static void AssertSame(DriftReport expected, DriftReport actual, AccountBook book)
    {
        static void Close(double e, double a, string what, int index)
        {
            var tolerance = 1e-9 * Math.Max(1, Math.Abs(e));
            Assert.True(Math.Abs(e - a) <= tolerance || (double.IsNegativeInfinity(e) && double.IsNegativeInfinity(a)), $"{what}[{index}]: expected {e:R}, got {a:R}");
        }
        for (var s = 0; s < book.SlotCount; s++)
        {
            Close(expected.Drift[s], actual.Drift[s], "drift", s);
        }
        for (var a = 0; a < book.AccountCount; a++)
        {
            Close(expected.TotalValue[a], actual.TotalValue[a], "value", a);
            Close(expected.InvestableValue[a], actual.InvestableValue[a], "investable", a);
            Close(expected.MaxAbsDrift[a], actual.MaxAbsDrift[a], "maxAbs", a);
            Close(expected.MaxRelativeDrift[a], actual.MaxRelativeDrift[a], "maxRelative", a);
            Close(expected.TotalDrift[a], actual.TotalDrift[a], "totalDrift", a);
            Close(expected.MaxExcess[a], actual.MaxExcess[a], "maxExcess", a);
            if (Math.Abs(expected.MaxExcess[a]) > 1e-12)
            {
                Assert.Equal(expected.Breaches(a), actual.Breaches(a));
            }
        }
    }
}
