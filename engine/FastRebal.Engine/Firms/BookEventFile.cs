using System.Globalization;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Firms;

/// <summary>
/// A file of book events for a live run: one CSV row per dated cash flow (<c>date,account_id,kind,amount[,note]</c>;
/// kinds deposit, withdrawal, dividend, fee). A bad row is an error naming its line and column, and only that event
/// is left out.
/// </summary>
public static class BookEventFile
{
    public static FirmCsvFile Columns { get; } = new("events.csv", ["date", "account_id", "kind", "amount", "note"], Required: 4, "the event is not applied");

    private enum Column { Date, AccountId, Kind, Amount, Note }

    /// <summary>Reads the events of the accounts <paramref name="book"/> holds, in file order (the engine applies them by date).</summary>
    /// <param name="asOf">The day the book is priced on: an event before it should already be in the holdings, and is an error.</param>
    public static (List<BookEvent> Events, List<InputError> Errors) Read(string path, AccountBook book, DateOnly asOf)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{TextLimit.Clip(path, 200)}: no such events file");
        }
        var file = Columns with { Name = Path.GetFileName(path) };
        var events = new List<BookEvent>();
        var errors = new List<InputError>();
        FirmCsv.Read(path, file, errors, row =>
        {
            var date = row.Date((int)Column.Date);
            var account = row.Text((int)Column.AccountId);
            var kind = row.Enum<CashFlowKind>((int)Column.Kind);
            var amount = row.Number((int)Column.Amount);
            var note = row.Text((int)Column.Note, optional: true);
            if (date is { } day && day < asOf)
            {
                row.Fail((int)Column.Date, $"{day:yyyy-MM-dd} is before the book's as-of date {asOf:yyyy-MM-dd}, whose holdings and cash already include it");
            }
            if (account is not null && book.FindAccount(account) < 0)
            {
                row.Fail((int)Column.AccountId, $"no account '{TextLimit.Clip(account, 80)}' in the book (unknown, or left out for its own errors)");
            }
            if (amount is { } value && (value <= 0 || (double)value > ScenarioLoader.MaxAmount))
            {
                row.Fail((int)Column.Amount, string.Create(CultureInfo.InvariantCulture, $"must be positive (the kind gives the direction) and at most {ScenarioLoader.MaxAmount:0e0}, got {value}"));
            }
            if (!row.Failed)
            {
                var source = string.Create(CultureInfo.InvariantCulture, $"{file.Name} line {row.Line}{(note is null ? "" : $": {TextLimit.Clip(note, 200)}")}");
                events.Add(new BookEvent(date!.Value, new CashFlow(account!, kind!.Value, amount!.Value), source));
            }
        });
        return (events, errors);
    }
}
