using System.Globalization;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.State;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>run --ledger FILE</c>: every change to the book's positions and cash, one CSV row each, in the order the engine
/// made them (<c>day,account_id,kind,instrument_id,quantity,cash</c>). The loaded book plus these rows is the book at
/// the end, which <c>--book-out</c> writes.
/// </summary>
public sealed class BookLedgerFile : IBookLedger, IDisposable
{
    public const string Header = "day,account_id,kind,instrument_id,quantity,cash";

    private readonly AccountBook book;
    private readonly StreamWriter writer;

    public BookLedgerFile(string path, AccountBook book)
    {
        this.book = book;
        writer = new StreamWriter(path, append: false);
        writer.WriteLine(Header);
    }

    public void Record(DateOnly day, int account, BookMovementKind kind, int instrument, decimal quantity, decimal cash) =>
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{day:yyyy-MM-dd},{book.AccountId(account)},{Kind(kind)},{(instrument < 0 ? "" : book.Instruments[instrument].Id)},{quantity},{cash}"));

    private static string Kind(BookMovementKind kind) => kind switch
    {
        BookMovementKind.Fill => "fill",
        BookMovementKind.CashFlow => "cash-flow",
        BookMovementKind.TransferOut => "transfer-out",
        BookMovementKind.Split => "split",
        _ => "custodian",
    };

    public void Dispose() => writer.Dispose();

    /// <summary>
    /// The book as a holdings file (<c>as_of,account_id,instrument_id,quantity</c>, a <c>CASH</c> row per account), the
    /// format a custodian's end-of-day file has, so the two can be compared line by line.
    /// </summary>
    public static void WriteBook(string path, AccountBook book, DateOnly asOf)
    {
        using var writer = new StreamWriter(path, append: false);
        writer.WriteLine("as_of,account_id,instrument_id,quantity");
        for (var a = 0; a < book.AccountCount; a++)
        {
            if (book.IsFreeRow(a))
            {
                continue;
            }
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                if (book.Quantities[s] != 0)
                {
                    writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{asOf:yyyy-MM-dd},{book.AccountId(a)},{book.Instruments[book.InstrumentIndices[s]].Id},{(decimal)book.Quantities[s]}"));
                }
            }
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{asOf:yyyy-MM-dd},{book.AccountId(a)},CASH,{decimal.Round((decimal)book.Cash[a], 2)}"));
        }
    }
}
