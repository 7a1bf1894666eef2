using FastRebal.Engine.Drift;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Decisions;

/// <summary>
/// The per-asset-class bands of every account, compiled once into numbers (a class ordinal per instrument, a list of
/// class and width per account), so the live path can ask "is any class out of its band?" for thousands of accounts
/// per batch without a dictionary, a string or an allocation. <see cref="RebalanceRules.FindAssetClassBreach"/> stays the
/// reference that also says which class and by how much; the two are property-tested to agree.
/// </summary>
public sealed class AssetClassBandIndex
{
    private readonly AccountBook book;
    private readonly int[] classOfInstrument;
    private readonly Dictionary<string, int> classOrdinal = new(StringComparer.Ordinal);
    private readonly (int Class, double Width)[]?[] bands;

    // Per account: the narrowest class band that can break, and the sum of the slots' targets (for the cheap bound).
    private readonly double[] narrowest;
    private readonly double[] targetSum;

    public AssetClassBandIndex(AccountBook book)
    {
        this.book = book;
        classOfInstrument = new int[book.Instruments.Count];
        for (var i = 0; i < classOfInstrument.Length; i++)
        {
            classOfInstrument[i] = Ordinal(book.Instruments[i].AssetClass);
        }
        bands = new (int, double)[]?[book.AccountCount];
        narrowest = new double[book.AccountCount];
        targetSum = new double[book.AccountCount];
        var targets = book.Targets;
        for (var a = 0; a < bands.Length; a++)
        {
            for (int s = book.SlotStart[a], end = book.SlotStart[a + 1]; s < end; s++)
            {
                targetSum[a] += targets[s];
            }
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
            // No class band can break: the bound never reaches infinity (see MayBreachBound).
            narrowest[account] = double.PositiveInfinity;
            return;
        }
        var compiled = new (int, double)[classBands.Count];
        var i = 0;
        narrowest[account] = double.PositiveInfinity;
        foreach (var (assetClass, width) in classBands)
        {
            // A class no instrument belongs to has no drift: its band can never break, as in the reference.
            var ordinal = classOrdinal.TryGetValue(assetClass, out var known) ? known : -1;
            compiled[i++] = (ordinal, width);
            if (ordinal >= 0)
            {
                narrowest[account] = Math.Min(narrowest[account], width);
            }
        }
        bands[account] = compiled;
    }

    /// <summary>
    /// Per account, the narrowest class band (infinite without class bands) and the sum of its slots' targets: what
    /// the cheap bound needs, for a screen that applies it to many accounts at once (the live pass). An account
    /// whose total drift plus half its gap between invested weight and target sum stays below its narrowest band
    /// cannot have a class out of band.
    /// </summary>
    internal (double[] Narrowest, double[] TargetSum) MayBreachBound => (narrowest, targetSum);

    /// <summary>True when some asset class's summed drift is outside its band (the same rule as <see cref="RebalanceRules.FindAssetClassBreach"/>).</summary>
    /// <remarks>Inlined where it is asked for every account of a pass: most accounts have no class bands, and say so in one load.</remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public bool IsBreached(DriftReport report, int account) => bands[account] is { } classBands && IsBreached(report, account, classBands);

    private bool IsBreached(DriftReport report, int account, (int Class, double Width)[] classBands)
    {
        if (!report.HasInvestableValue(account) || !MayBreach(report, account))
        {
            return false;
        }
        // One walk over the account's slots sums every class at once (in slot order, as the reference does, so the
        // sums are bit for bit the same); a walk per banded class cost a full pass over 100k accounts about a millisecond.
        Span<double> classDrift = stackalloc double[classOrdinal.Count];
        classDrift.Clear();
        var instruments = book.InstrumentIndices;
        var drift = report.Drift;
        for (int s = book.SlotStart[account], end = book.SlotStart[account + 1]; s < end; s++)
        {
            classDrift[classOfInstrument[instruments[s]]] += drift[s];
        }
        foreach (var (assetClass, width) in classBands)
        {
            // A class no instrument belongs to (-1) has no drift: its band can never break, as in the reference.
            if (assetClass >= 0 && Math.Abs(classDrift[assetClass]) > width)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A bound that needs no walk over the slots. The slots' drifts sum to δ (the invested weight less the targets'
    /// sum), so their positive part is TotalDrift + δ/2 and their negative part TotalDrift − δ/2; any class's summed
    /// drift lies between the two. When even that bound is inside the narrowest band, no class can be out of its band.
    /// </summary>
    private bool MayBreach(DriftReport report, int account)
    {
        var invested = (report.TotalValue[account] - book.Cash[account]) / report.InvestableValue[account];
        var bound = report.TotalDrift[account] + (Math.Abs(invested - targetSum[account]) / 2);
        // The slack keeps rounding in the two sums from ever hiding a class right at its band's edge.
        return bound > narrowest[account] - 1e-9;
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
