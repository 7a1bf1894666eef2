using System.Globalization;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Orders.Slicing;

/// <summary>
/// Each instrument's average daily volume for the slicer's %ADV cap: a market-data file's figure when one is given,
/// else the security master's (<see cref="Instrument.AverageDailyVolume"/>), else a stated default. The instruments
/// sliced by the default are flagged (<see cref="UsingDefault"/>), since their cap is a guess.
/// </summary>
public sealed class AverageDailyVolumes
{
    /// <summary>The default when nothing else is given: one million shares a day.</summary>
    public const decimal StandardDefault = 1_000_000m;

    /// <summary>
    /// The most accepted, far above any listed security's volume: it keeps the slicer's arithmetic (cap over the
    /// block's step) inside what a decimal holds.
    /// </summary>
    public const decimal Max = 1e12m;

    private readonly decimal[] volumes;
    private readonly bool[] defaulted;

    /// <param name="overrides">ADV by instrument id (a market-data file), ahead of the instruments' own; every id must be one of <paramref name="instruments"/>.</param>
    /// <param name="defaultVolume">For an instrument with neither.</param>
    public AverageDailyVolumes(InstrumentTable instruments, IReadOnlyDictionary<string, decimal>? overrides = null, decimal defaultVolume = StandardDefault)
    {
        if (Problem(defaultVolume) is { } bad)
        {
            throw new ArgumentOutOfRangeException(nameof(defaultVolume), $"the default average daily volume {bad}");
        }
        Default = defaultVolume;
        volumes = new decimal[instruments.Count];
        defaulted = new bool[instruments.Count];
        for (var i = 0; i < instruments.Count; i++)
        {
            var own = instruments[i].AverageDailyVolume;
            if (own is { } value && Problem(value) is { } problem)
            {
                throw new ArgumentException($"instrument {instruments[i].Id}: averageDailyVolume {problem}", nameof(instruments));
            }
            (volumes[i], defaulted[i]) = own is { } known ? (known, false) : (defaultVolume, true);
        }
        foreach (var (id, value) in overrides ?? new Dictionary<string, decimal>())
        {
            if (!instruments.TryGetIndex(id, out var i))
            {
                throw new ArgumentException($"average daily volume given for '{id}', which is not an instrument of the book", nameof(overrides));
            }
            if (Problem(value) is { } problem)
            {
                throw new ArgumentException($"instrument {id}: average daily volume {problem}", nameof(overrides));
            }
            (volumes[i], defaulted[i]) = (value, false);
        }
        UsingDefault = [.. Enumerable.Range(0, instruments.Count).Where(i => defaulted[i]).Select(i => instruments[i])];
        Count = instruments.Count;
    }

    /// <summary>What an instrument without a volume of its own is sliced by.</summary>
    public decimal Default { get; }

    /// <summary>How many instruments the table covers (the book's).</summary>
    public int Count { get; }

    /// <summary>The instruments sliced by <see cref="Default"/>, in the book's order.</summary>
    public IReadOnlyList<Instrument> UsingDefault { get; }

    /// <summary>The volume the slicer uses for an instrument (by its index in the book).</summary>
    public decimal this[int instrument] => volumes[instrument];

    public bool UsesDefault(int instrument) => defaulted[instrument];

    /// <summary>Why a volume cannot be used, or null when it can.</summary>
    public static string? Problem(decimal volume) => volume is > 0 and <= Max
        ? null
        : string.Create(CultureInfo.InvariantCulture, $"must be positive (shares per day) and at most {Max:0e0}, got {volume}");

    /// <summary>
    /// One line for an operator: how many instruments are sliced by the default, and which (the first
    /// <paramref name="shown"/> ids, then how many more); or that none is.
    /// </summary>
    public string Describe(int shown = 5)
    {
        var c = CultureInfo.InvariantCulture;
        if (UsingDefault.Count == 0)
        {
            return string.Create(c, $"average daily volume: known for all {Count} instruments; none is sliced by the default");
        }
        var ids = string.Join(", ", UsingDefault.Take(shown).Select(i => i.Id));
        var more = UsingDefault.Count > shown ? string.Create(c, $" and {UsingDefault.Count - shown} more") : "";
        return string.Create(c, $"average daily volume: {UsingDefault.Count} of {Count} instruments {(UsingDefault.Count == 1 ? "has none and is" : "have none and are")} sliced by the default {Default:#,0.##} shares/day: {ids}{more}");
    }
}
