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
    public TaxBook(LotTable lots, AccountTaxSettings[] settings)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(settings.Length, lots.Book.AccountCount, nameof(settings));
        Lots = lots;
        this.settings = settings;
    }

    /// <summary>One set of settings for every account.</summary>
    public TaxBook(LotTable lots, AccountTaxSettings every)
        : this(lots, Enumerable.Repeat(every, lots.Book.AccountCount).ToArray())
    {
    }

    public LotTable Lots { get; }

    public AccountTaxSettings Settings(int account) => settings[account];
}
