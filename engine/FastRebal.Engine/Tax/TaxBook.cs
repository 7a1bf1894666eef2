namespace FastRebal.Engine.Tax;

/// <summary>
/// The live engine's tax side of the book: every taxable account's lots (<see cref="LotTable"/>) and each account's
/// tax settings (lot method, gains budget, deferral, named lots, cash-only). The evaluation stage makes its plans
/// tax-aware with <see cref="TaxPlanAdjuster"/> and relieves or opens lots as fills arrive.
/// </summary>
public sealed class TaxBook
{
    private readonly AccountTaxSettings[] settings;

    /// <param name="settings">Each account's settings, by account index (accounts without lots may share one object).</param>
    /// <param name="relations">Which instruments are substantially identical and which substitute for each other (none when null).</param>
    /// <param name="ledger">
    /// The household wash-sale ledger, with any history it must know (<see cref="TaxScenario.NewLedger"/> over
    /// <see cref="LotTable.Store"/>); an empty one over <paramref name="relations"/> when null.
    /// </param>
    public TaxBook(LotTable lots, AccountTaxSettings[] settings, InstrumentRelations? relations = null, WashSaleLedger? ledger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(settings.Length, lots.Book.AccountCount, nameof(settings));
        Lots = lots;
        this.settings = settings;
        Ledger = ledger ?? new WashSaleLedger(relations ?? InstrumentRelations.None, lots.Store);
    }

    /// <summary>One set of settings for every account.</summary>
    public TaxBook(LotTable lots, AccountTaxSettings every, InstrumentRelations? relations = null)
        : this(lots, Enumerable.Repeat(every, lots.Book.AccountCount).ToArray(), relations)
    {
    }

    public LotTable Lots { get; }

    /// <summary>
    /// Every household's purchases and loss sales of the last 30 days, across all its accounts (tax-deferred ones
    /// included): buys that would wash a loss buy a substitute instead or wait, and fills that wash one move the
    /// disallowed loss into the replacement lot.
    /// </summary>
    public WashSaleLedger Ledger { get; }

    public AccountTaxSettings Settings(int account) => settings[account];

    /// <summary>Gives the account other settings (a move to another IPS); the live engine's evaluation thread only.</summary>
    internal void SetSettings(int account, AccountTaxSettings accountSettings) => settings[account] = accountSettings;
}
