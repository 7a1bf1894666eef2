using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests;

public class AccountBookTests
{
    [Fact]
    public void Execution_that_would_go_short_is_refused_whole_and_changes_nothing()
    {
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 100, positions: [("A", 5), ("B", 5)]).Load().Book;

        var error = Assert.Throws<ArgumentException>(() => book.ApplyExecution(0, [(0, 3.0), (1, -6.0)], 30, null));

        Assert.Contains("short", error.Message, StringComparison.Ordinal);
        Assert.Equal([5.0, 5.0], book.Quantities.ToArray());
        Assert.Equal(100, book.Cash[0]);
    }

    [Fact]
    public void A_fill_is_applied_even_below_zero_cash_and_one_that_would_go_short_or_has_no_slot_changes_nothing()
    {
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Instrument("C", 10).Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 20, positions: [("A", 5), ("B", 5)]).Load().Book;
        var day = new DateOnly(2025, 7, 1);

        Assert.Equal(FillOutcome.AppliedOnDebit, book.ApplyFill(0, 0, 3, -30, null));
        Assert.Equal((8.0, -10.0), (book.Quantities[0], book.Cash[0]));
        Assert.Equal(FillOutcome.Applied, book.ApplyFill(0, 1, -2, 20, day));
        Assert.Equal((3.0, 10.0, day), (book.Quantities[1], book.Cash[0], book.LastRebalanced(0)));

        Assert.Equal(FillOutcome.WouldGoShort, book.ApplyFill(0, 1, -3.5, 35, null));
        Assert.Equal(FillOutcome.NoSlot, book.ApplyFill(0, 2, 1, -10, null));
        Assert.Equal([8.0, 3.0], book.Quantities.ToArray());
        Assert.Equal(10, book.Cash[0]);
    }

    [Fact]
    public void Price_batch_with_one_bad_price_is_refused_whole()
    {
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("M", ("A", 0.5), ("B", 0.5)).Load().Book;

        Assert.Throws<ArgumentException>(() => book.SetPrices([(0, 12.0), (1, double.NaN)]));

        Assert.Equal([10.0, 10.0], book.Prices.ToArray());
    }

    [Fact]
    public void New_prices_reach_the_marks_the_sweep_reads()
    {
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("M", ("A", 0.5), ("B", 0.5))
            .Account("X", "M", 0, positions: [("A", 1), ("B", 1)]).Load().Book;

        book.SetPrices([(1, 12.5)]);

        Assert.Equal([10.0, 12.5], book.Marks.ToArray());
    }

    [Theory]
    [InlineData(0, 15)]
    [InlineData(1, 14)]
    [InlineData(3, 8)]
    [InlineData(5, 6)]
    [InlineData(7, 7)]
    public void A_range_of_marks_is_refreshed_exactly_slot_for_slot_and_nothing_outside_it(int from, int to)
    {
        // Five accounts of three slots each: 15 slots, not a multiple of four, so both the four-slot stores and the
        // tail are used.
        var builder = new TestBook().Instrument("A", 10).Instrument("B", 20).Instrument("C", 30).Model("M", ("A", 0.3), ("B", 0.3), ("C", 0.4));
        for (var a = 0; a < 5; a++)
        {
            builder.Account($"X{a}", "M", 0, positions: [("A", 1), ("B", 1), ("C", 1)]);
        }
        var book = builder.Load().Book;
        var before = book.Marks.ToArray();

        book.SetInstrumentPrices([(0, 11), (1, 22), (2, 33)]);
        book.RefreshMarks(from, to, parallel: false);

        for (var s = 0; s < book.SlotCount; s++)
        {
            var expected = s >= from && s < to ? book.Prices[book.InstrumentIndices[s]] : before[s];
            Assert.Equal(expected, book.Marks[s]);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => book.RefreshMarks(0, book.SlotCount + 1, parallel: false));
    }
}
