using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Firms;

/// <summary>
/// A firm's own book, loaded from its files (a firm folder or one scenario JSON file) and validated by the scenario
/// loader: the good accounts in a book, every bad one reported and left out.
/// </summary>
public sealed class ImportedFirm
{
    public required TaxScenario Scenario { get; init; }

    /// <summary>The named policies of a firm folder's <c>firm.json</c> (the first of each id), which a live move to another IPS names; none for a scenario file.</summary>
    public IReadOnlyList<NamedPolicy> Policies { get; init; } = [];

    /// <summary>The file or folder it was read from.</summary>
    public required string Source { get; init; }

    public AccountBook Book => withFreeRows ?? Scenario.Scenario.Book;

    private AccountBook? withFreeRows;

    /// <summary>
    /// Keeps <paramref name="count"/> rows free after the firm's accounts, to open accounts in while running (see
    /// <see cref="AccountBook.WithFreeRows"/>). Call it before <see cref="LiveTax"/>, which then covers them.
    /// </summary>
    public void KeepFreeRows(int count)
    {
        var book = Scenario.Scenario.Book;
        withFreeRows = count == 0 ? null : AccountBook.WithFreeRows(book, count, book.AccountCount > 0 ? book.Policy(0) : new Model.InvestmentPolicy { Id = "free-row" });
    }

    /// <summary>The day its holdings and prices are as of: a live run opens on it.</summary>
    public DateOnly AsOf => Scenario.Scenario.AsOf;

    public IReadOnlyList<PendingCashFlow> CashFlows => Scenario.Scenario.CashFlows;

    /// <summary>Every problem found, each naming its file (or account), row and field; each left out only what it names.</summary>
    public IReadOnlyList<InputError> Errors => Scenario.Errors;

    /// <summary>How many accounts the files listed, good and bad.</summary>
    public int AccountsInInput => Scenario.Scenario.AccountsInInput;

    /// <summary>
    /// Reads a firm folder (<see cref="FirmFolder"/>: <c>firm.json</c> and its CSV files) or a scenario JSON file. A
    /// file that cannot be used at all throws <see cref="ScenarioFormatException"/>; a bad item or row is in <see cref="Errors"/>.
    /// </summary>
    public static ImportedFirm Load(string path)
    {
        if (File.Exists(path))
        {
            return new ImportedFirm { Scenario = TaxScenario.Load(path), Source = path };
        }
        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"{TextLimit.Clip(path, 200)}: no such firm folder or scenario file");
        }
        var read = FirmFolder.Read(path);
        var policies = (read.Policies ?? []).Where(p => !string.IsNullOrWhiteSpace(p.Policy.Id)).DistinctBy(p => p.Policy.Id, StringComparer.Ordinal).ToList();
        return new ImportedFirm { Scenario = TaxScenario.Build(read.Document, read.Tax, path, read.Problems), Source = path, Policies = policies };
    }

    /// <summary>
    /// The live engine's tax side of the firm: each taxable account's lots, each account's elections (lot method,
    /// gains budget, deferral, harvesting and its schedule), the instrument relations, and the household trades of
    /// the last 30 days in the wash-sale ledger. Null when the files give no tax field at all: the engine then sells
    /// without regard to basis, as it does for a generated firm without lots.
    /// </summary>
    public TaxBook? LiveTax()
    {
        if (!Scenario.UsesTaxFeatures)
        {
            return null;
        }
        var book = Book;
        var table = LotTable.From(book, Scenario.Lots, leaveOutUnknown: true);
        var settings = new AccountTaxSettings[book.AccountCount];
        for (var a = 0; a < settings.Length; a++)
        {
            settings[a] = Scenario.SettingsFor(book.AccountId(a));
        }
        table.TrimExcess();
        return new TaxBook(table, settings, Scenario.Relations, Scenario.NewLedger(table.Store));
    }
}
