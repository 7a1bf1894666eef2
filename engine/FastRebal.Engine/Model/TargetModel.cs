namespace FastRebal.Engine.Model;

/// <summary>One instrument's share of a model (or of a sleeve), as a fraction of 1.</summary>
public sealed record ModelWeight(string InstrumentId, double Weight);

/// <summary>An asset-class sleeve: the class's share of the model, split across instruments of that class.</summary>
public sealed record AssetClassSleeve(string AssetClass, double Weight, IReadOnlyList<ModelWeight> Instruments);

/// <summary>
/// A target model. It is written either as flat instrument weights or as asset-class sleeves (each sleeve
/// weighted, and split across instruments inside it); both resolve to instrument weights summing to 1.
/// </summary>
public sealed record TargetModel(
    string Id,
    string? Name = null,
    IReadOnlyList<ModelWeight>? Targets = null,
    IReadOnlyList<AssetClassSleeve>? Sleeves = null)
{
    /// <summary>Tolerance for "weights sum to 1".</summary>
    public const double WeightSumTolerance = 1e-9;

    /// <summary>Instrument weights with sleeves multiplied out; flat targets first, then sleeve members.</summary>
    public IReadOnlyList<ModelWeight> ResolvedWeights()
    {
        var resolved = new List<ModelWeight>();
        if (Targets is not null)
        {
            resolved.AddRange(Targets);
        }
        if (Sleeves is not null)
        {
            foreach (var sleeve in Sleeves)
            {
                foreach (var member in sleeve.Instruments ?? [])
                {
                    resolved.Add(new ModelWeight(member.InstrumentId, sleeve.Weight * member.Weight));
                }
            }
        }
        return resolved;
    }
}
