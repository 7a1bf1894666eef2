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
}
