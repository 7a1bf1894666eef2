namespace FastRebal.Engine.Ingestion;

/// <summary>The rules a price passes before it reaches the book.</summary>
public sealed record VerificationPolicy
{
    /// <summary>Fresh sources that must agree (within <see cref="MaxDivergenceBps"/> of their median) for a price to count.</summary>
    public int MinSources { get; init; } = 2;

    /// <summary>A quote further than this from the median of the fresh quotes is outvoted.</summary>
    public double MaxDivergenceBps { get; init; } = 50;

    /// <summary>A consensus this far from the last verified price is not believed until the sources confirm it.</summary>
    public double MaxJumpBps { get; init; } = 1500;

    /// <summary>How many agreeing consensus prices in a row confirm a jump (a real crash) and unfreeze the instrument.</summary>
    public int JumpConfirmations { get; init; } = 3;

    /// <summary>
    /// How old a quote or a verified price may be, per asset class; <see cref="DefaultStaleness"/> for the rest.
    /// The default of four days suits a daily feed (a weekend plus a holiday); a live feed wants seconds.
    /// </summary>
    public IReadOnlyDictionary<string, TimeSpan> StalenessByAssetClass { get; init; } = new Dictionary<string, TimeSpan>();

    public TimeSpan DefaultStaleness { get; init; } = TimeSpan.FromDays(4);

    public TimeSpan StalenessOf(string assetClass) => StalenessByAssetClass.TryGetValue(assetClass, out var limit) ? limit : DefaultStaleness;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first field that is out of range.</summary>
    public void Validate()
    {
        if (MinSources < 1)
        {
            throw new ArgumentException($"verification.minSources must be at least 1, got {MinSources}");
        }
        if (!(MaxDivergenceBps > 0) || !double.IsFinite(MaxDivergenceBps))
        {
            throw new ArgumentException($"verification.maxDivergenceBps must be a positive number, got {MaxDivergenceBps}");
        }
        if (!(MaxJumpBps > 0) || !double.IsFinite(MaxJumpBps))
        {
            throw new ArgumentException($"verification.maxJumpBps must be a positive number, got {MaxJumpBps}");
        }
        if (JumpConfirmations < 1)
        {
            throw new ArgumentException($"verification.jumpConfirmations must be at least 1, got {JumpConfirmations}");
        }
        if (DefaultStaleness <= TimeSpan.Zero)
        {
            throw new ArgumentException($"verification.defaultStaleness must be positive, got {DefaultStaleness}");
        }
        foreach (var (assetClass, limit) in StalenessByAssetClass)
        {
            if (limit <= TimeSpan.Zero)
            {
                throw new ArgumentException($"verification.stalenessByAssetClass.{assetClass} must be positive, got {limit}");
            }
        }
    }
}
