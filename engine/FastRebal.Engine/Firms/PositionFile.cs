using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Firms;

/// <summary>
/// A firm's positions.csv parsed on a thread of its own while firm.json and accounts.csv are read: every row, in file
/// order, as values in columns (account, instrument, quantity, line), with account and instrument ids as numbers
/// into tables of their own. A row that is not plainly good (a value missing or malformed, or values that do not line
/// up with the header) is kept whole instead, for <see cref="FirmFolder"/> to read in its turn like any other row:
/// the errors, and which accounts they leave out, are what reading the file in order gives.
/// </summary>
internal sealed class PositionFile : IDisposable
{
    private const int AccountColumn = 0;
    private const int InstrumentColumn = 1;
    private const int QuantityColumn = 2;

    private readonly Task reading;
    private readonly Dictionary<string, int> accountKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> instrumentKeys = new(StringComparer.Ordinal);

    // For each instrument key, the key of the instrument the row after it last named (-1: none yet).
    private readonly List<int> following = [];
    private volatile bool stop;

    private PositionFile(string path, FirmCsvFile file) =>
        reading = Task.Factory.StartNew(() => Parse(path, file), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Each row's account, as an index into <see cref="AccountIds"/>, or for a row kept whole the bitwise complement of its index in <see cref="Kept"/>.</summary>
    public BlockColumn<int> Account { get; } = new();

    /// <summary>Each row's instrument, as an index into <see cref="InstrumentIds"/>.</summary>
    public BlockColumn<int> Instrument { get; } = new();

    public BlockColumn<decimal> Quantity { get; } = new();

    /// <summary>The line of the file each row starts on.</summary>
    public BlockColumn<int> Line { get; } = new();

    /// <summary>The distinct account ids of the rows, in order of first appearance.</summary>
    public List<string> AccountIds { get; } = [];

    public List<string> InstrumentIds { get; } = [];

    /// <summary>The rows that are not plainly good, each as it was read.</summary>
    public List<Row> Kept { get; } = [];

    public int Rows => Account.Count;

    /// <summary>Starts parsing the file (a missing file has no rows).</summary>
    public static PositionFile Start(string path, FirmCsvFile file) => new(path, file);

    /// <summary>Waits for the parse; a file that cannot be used throws here what reading it in its turn would have thrown.</summary>
    public void Wait() => reading.GetAwaiter().GetResult();

    /// <summary>Stops a parse no one will wait for (another file refused the firm) and lets it end.</summary>
    public void Dispose()
    {
        stop = true;
        Task.WhenAny(reading).Wait();
    }

    private void Parse(string path, FirmCsvFile file)
    {
        // Errors of the rows kept whole are reported when they are read again; those found here are not used.
        var unused = new List<InputError>();
        var lastAccount = -1;
        var lastInstrument = -1;
        FirmCsv.Read(path, file, unused, row =>
        {
            if (stop)
            {
                throw new OperationCanceledException();
            }
            var account = row.Span(AccountColumn);
            var instrument = row.Span(InstrumentColumn);
            if (account.IsEmpty || instrument.IsEmpty || !Row.TryNumber(row.Span(QuantityColumn), out var quantity))
            {
                Keep(row, unused);
                return;
            }
            // Rows of one account usually follow each other.
            if (lastAccount < 0 || !account.SequenceEqual(AccountIds[lastAccount]))
            {
                lastAccount = Key(accountKeys, AccountIds, account);
            }
            Account.Add(lastAccount);
            Instrument.Add(lastInstrument = InstrumentKey(instrument, lastInstrument));
            Quantity.Add(quantity);
            Line.Add(row.Line);
        }, row => Keep(row, unused));
    }

    private void Keep(Row row, List<InputError> unused)
    {
        Account.Add(~Kept.Count);
        Instrument.Add(0);
        Quantity.Add(0);
        Line.Add(row.Line);
        Kept.Add(row.Copy(unused));
    }

    /// <summary>
    /// The key of a row's instrument. An export lists each account's positions in much the same order (by instrument,
    /// or as the model lists them), so the instrument that followed the previous row's instrument last time is
    /// compared first, and the table is searched only when it is another.
    /// </summary>
    private int InstrumentKey(ReadOnlySpan<char> id, int previous)
    {
        if (previous >= 0 && following[previous] is var guess and >= 0 && id.SequenceEqual(InstrumentIds[guess]))
        {
            return guess;
        }
        var key = Key(instrumentKeys, InstrumentIds, id);
        while (following.Count < InstrumentIds.Count)
        {
            following.Add(-1);
        }
        if (previous >= 0)
        {
            following[previous] = key;
        }
        return key;
    }

    private static int Key(Dictionary<string, int> keys, List<string> ids, ReadOnlySpan<char> id)
    {
        if (!keys.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(id, out var key))
        {
            key = ids.Count;
            ids.Add(new string(id));
            keys.Add(ids[key], key);
        }
        return key;
    }
}
