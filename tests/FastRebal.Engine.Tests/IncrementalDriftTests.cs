using CsCheck;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests;

public class IncrementalDriftTests
{
    [Fact]
    public void Holdings_index_lists_exactly_the_slots_and_accounts_of_each_instrument()
    {
        var book = DriftSweepTests.RandomBook(300, seed: 7);
        var index = new HoldingsIndex(book);

        for (var i = 0; i < book.Instruments.Count; i++)
        {
            var expectedSlots = Enumerable.Range(0, book.SlotCount).Where(s => book.InstrumentIndices[s] == i).ToArray();
            var expectedAccounts = Enumerable.Range(0, book.AccountCount)
                .Where(a => expectedSlots.Any(s => s >= book.SlotStart[a] && s < book.SlotStart[a + 1])).ToArray();
            Assert.Equal(expectedSlots, index.SlotsOf(i).ToArray());
            Assert.Equal(expectedAccounts, index.AccountsOf(i).ToArray());
        }
    }

    [Fact]
    public void Updating_one_price_moves_only_that_instruments_marks()
    {
        var book = DriftSweepTests.RandomBook(200, seed: 8);
        var index = new HoldingsIndex(book);
        var before = book.Marks.ToArray();

        book.UpdatePrice(3, 123.45, index);

        for (var s = 0; s < book.SlotCount; s++)
        {
            Assert.Equal(book.InstrumentIndices[s] == 3 ? 123.45 : before[s], book.Marks[s]);
        }
        Assert.Equal(123.45, book.Prices[3]);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    public void A_bad_price_is_refused_and_changes_nothing(double price)
    {
        var book = DriftSweepTests.RandomBook(50, seed: 9);
        var index = new HoldingsIndex(book);
        var marks = book.Marks.ToArray();

        Assert.Throws<ArgumentException>(() => book.UpdatePrice(2, price, index));

        Assert.Equal(marks, book.Marks.ToArray());
    }

    [Fact]
    public void Sweeping_a_list_of_accounts_gives_the_full_sweeps_figures_for_those_accounts_and_leaves_the_rest_alone()
    {
        Gen.Int[1, 400].Select(Gen.Int, Gen.Int[1, 60]).Sample((accounts, seed, picks) =>
        {
            var book = DriftSweepTests.RandomBook(accounts, seed);
            var full = new DriftReport(book);
            DriftSweep.Run(book, full, parallel: false);

            var random = new Random(seed);
            var list = Enumerable.Range(0, picks).Select(_ => random.Next(accounts)).Distinct().ToArray();
            var partial = new DriftReport(book);
            DriftSweep.RunAccounts(book, partial, list, list.Length);

            for (var a = 0; a < accounts; a++)
            {
                var swept = list.Contains(a);
                Assert.Equal(swept ? full.TotalValue[a] : 0, partial.TotalValue[a], 9);
                Assert.Equal(swept ? full.MaxAbsDrift[a] : 0, partial.MaxAbsDrift[a], 12);
                Assert.Equal(swept ? full.TotalDrift[a] : 0, partial.TotalDrift[a], 12);
                Assert.Equal(swept ? full.MaxExcess[a] : 0, partial.MaxExcess[a], 12);
            }
        }, iter: 60);
    }

    [Fact]
    public void Sweeping_an_account_index_outside_the_book_is_refused()
    {
        var book = DriftSweepTests.RandomBook(10, seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => DriftSweep.RunAccounts(book, new DriftReport(book), [3, 10], 2));
    }

    [Fact]
    public void A_policy_update_needs_a_higher_version_keeps_restrictions_and_applies_the_new_band()
    {
        var book = new TestBook()
            .Instrument("A", 10).Instrument("B", 10)
            .Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 0, positions: [("A", 120), ("B", 80)])
            .Load().Book;
        var current = book.Policy(0);

        Assert.Contains("version", book.UpdatePolicy(0, current with { BandWidth = 0.2 }));
        Assert.Contains("restrictedInstruments", book.UpdatePolicy(0, current with { Version = current.Version + 1, RestrictedInstruments = ["B"] }));
        Assert.Contains("bandWidth", book.UpdatePolicy(0, current with { Version = current.Version + 1, BandWidth = 1.5 }));
        Assert.Equal(current, book.Policy(0));

        Assert.Null(book.UpdatePolicy(0, current with { Version = current.Version + 1, BandWidth = 0.2, BandType = BandType.Relative }));
        Assert.Equal(0.2, book.BandWidths[0]);
        Assert.True(book.RelativeBands[0]);
    }
}
