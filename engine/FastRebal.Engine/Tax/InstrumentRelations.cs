namespace FastRebal.Engine.Tax;

/// <summary>
/// Which instruments are substantially identical (the wash-sale rule treats them as one) and which are substitutes
/// (similar exposure, not substantially identical: two total-market funds tracking different indexes). Every
/// instrument is identical to itself; the firm adds identical groups (e.g. share classes of one fund) and
/// substitute groups.
/// </summary>
public sealed class InstrumentRelations
{
    private readonly Dictionary<string, int> identicalGroup = new(StringComparer.Ordinal);
    private readonly List<IReadOnlyList<string>> substituteGroups = [];
    private readonly Dictionary<string, string[]> substitutesOf = new(StringComparer.Ordinal);

    public InstrumentRelations(IEnumerable<IReadOnlyList<string>>? substitutes = null, IEnumerable<IReadOnlyList<string>>? identical = null)
    {
        var group = 0;
        foreach (var members in identical ?? [])
        {
            foreach (var id in members)
            {
                identicalGroup[id] = group;
            }
            group++;
        }
        substituteGroups.AddRange(substitutes ?? []);
    }

    public static InstrumentRelations None { get; } = new();

    public IReadOnlyList<IReadOnlyList<string>> SubstituteGroups => substituteGroups;

    public bool AreIdentical(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal)
        || (identicalGroup.TryGetValue(a, out var ga) && identicalGroup.TryGetValue(b, out var gb) && ga == gb);

    /// <summary>Substitutes for an instrument in the order the firm listed them, never one identical to it.</summary>
    public IReadOnlyList<string> Substitutes(string instrumentId)
    {
        lock (substitutesOf)
        {
            if (!substitutesOf.TryGetValue(instrumentId, out var found))
            {
                substitutesOf[instrumentId] = found = [.. substituteGroups
                    .Where(g => g.Contains(instrumentId, StringComparer.Ordinal))
                    .SelectMany(g => g)
                    .Where(id => !AreIdentical(id, instrumentId))
                    .Distinct(StringComparer.Ordinal)];
            }
            return found;
        }
    }
}
