using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>
/// The small taxable book the live book-event tests share: X holds 150 A and 50 B on a 30% band (in it), Y is in
/// balance, Z is out of its band in an illiquid C (its trades wait for an operator). Every position has an old cheap
/// lot and a new dear one of half its shares each; the accounts relieve lots first in, first out.
/// </summary>
internal static class ThreeAccountBook
{
    public static AccountBook Book() =>
        new TestBook().Instrument("A", 10).Instrument("B", 10).Instrument("C", 10, liquid: false).Model("AB", ("A", 0.5), ("B", 0.5)).Model("AC", ("A", 0.5), ("C", 0.5))
            .Account("X", "AB", 0, policy: TestBook.Policy(band: 0.3), positions: [("A", 150), ("B", 50)])
            .Account("Y", "AB", 0, policy: TestBook.Policy(band: 0.3), positions: [("A", 100), ("B", 100)])
            .Account("Z", "AC", 0, policy: TestBook.Policy(band: 0.05), positions: [("A", 150), ("C", 50)])
            .Load().Book;

    /// <summary>The lots: half of each position bought 400 days before <paramref name="day"/> at 5, half 10 days before at 12.</summary>
    public static TaxBook Lots(AccountBook book, DateOnly day)
    {
        var lots = new LotTable(book);
        for (var a = 0; a < book.AccountCount; a++)
        {
            lots.Track(a);
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                var half = (decimal)book.Quantities[s] / 2;
                lots.AddBought(s, day.AddDays(-400), half, half * 5);
                lots.AddBought(s, day.AddDays(-10), half, half * 12);
            }
        }
        return new TaxBook(lots, new AccountTaxSettings { LotMethod = LotMethod.Fifo });
    }
}
