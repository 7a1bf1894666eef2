using FastRebal.Engine.Drift;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Decisions;

/// <summary>
/// The per-asset-class bands of every account, compiled once into numbers (a class ordinal per instrument, a list of
/// class and width per account), so the live path can ask "is any class out of its band?" for thousands of accounts
/// per batch without a dictionary, a string or an allocation. <see cref="RebalanceRules.AssetClassBreach"/> stays the
/// reference that also says which class and by how much; the two are property-tested to agree.
/// </summary>
public sealed class AssetClassBandIndex
{
    private readonly AccountBook book;
    private readonly int[] classOfInstrument;
    private readonly Dictionary<string, int> classOrdinal = new(StringComparer.Ordinal);
    private readonly (int Class, double Width)[]?[] bands;

    public AssetClassBandIndex(AccountBook book)
    {
        this.book = book;
        classOfInstrument = new int[book.Instruments.Count];
        for (var i = 0; i < classOfInstrument.Length; i++)
        {
            classOfInstrument[i] = Ordinal(book.Instruments[i].AssetClass);
        }
        bands = new (int, double)[]?[book.AccountCount];
        for (var a = 0; a < bands.Length; a++)
        {
            Refresh(a);
        }
    }

    /// <summary>Whether the account's IPS sets any asset-class band.</summary>
    public bool HasBands(int account) => bands[account] is not null;

    /// <summary>Compiles the account's bands again after its policy changed.</summary>
    public void Refresh(int account)
    {
        var classBands = book.Policy(account).AssetClassBands;
        if (classBands is null || classBands.Count == 0)
        {
            bands[account] = null;
            return;
        }
        var compiled = new (int, double)[classBands.Count];
        var i = 0;
        foreach (var (assetClass, width) in classBands)
        {
            // A class no instrument belongs to has no drift: its band can never break, as in the reference.
            compiled[i++] = (classOrdinal.TryGetValue(assetClass, out var ordinal) ? ordinal : -1, width);
        }
        bands[account] = compiled;
    }

    /// <summary>True when some asset class's summed drift is outside its band (the same rule as <see cref="RebalanceRules.AssetClassBreach"/>).</summary>
    public bool IsBreached(DriftReport report, int account)
    {
        if (bands[account] is not { } classBands || !report.HasInvestableValue(account))
        {
            return false;
        }
        var start = book.SlotStart[account];
        var end = book.SlotStart[account + 1];
        var instruments = book.InstrumentIndices;
        foreach (var (assetClass, width) in classBands)
        {
            var drift = 0.0;
            for (var s = start; s < end; s++)
            {
                if (classOfInstrument[instruments[s]] == assetClass)
                {
                    drift += report.Drift[s];
                }
            }
            if (Math.Abs(drift) > width)
            {
                return true;
            }
        }
        return false;
    }

    private int Ordinal(string assetClass)
    {
        if (!classOrdinal.TryGetValue(assetClass, out var ordinal))
        {
            classOrdinal[assetClass] = ordinal = classOrdinal.Count;
        }
        return ordinal;
    }
}
