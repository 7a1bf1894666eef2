using FastRebal.Engine.Model;

namespace FastRebal.Engine.State;

/// <summary>The instruments a book knows, each with a dense index the hot arrays use instead of its id.</summary>
/// <remarks>
/// An instrument's id never changes; a corporate action changes what is said of it while the engine runs: a symbol
/// change replaces its ticker, a split multiplies its shares (<see cref="SplitFactor"/>). Both are made on the
/// evaluation thread; a reader on another thread sees the instrument before or after, never half of it (one
/// reference, or one double, is written).
/// </remarks>
public sealed class InstrumentTable
{
    private readonly Instrument[] instruments;
    private readonly Dictionary<string, int> indexById;
    private readonly double[] splitFactor;

    public InstrumentTable(IEnumerable<Instrument> instruments)
    {
        this.instruments = [.. instruments];
        indexById = new Dictionary<string, int>(this.instruments.Length, StringComparer.Ordinal);
        for (var i = 0; i < this.instruments.Length; i++)
        {
            if (!indexById.TryAdd(this.instruments[i].Id, i))
            {
                throw new ArgumentException($"duplicate instrument id '{this.instruments[i].Id}'", nameof(instruments));
            }
        }
        splitFactor = new double[this.instruments.Length];
        Array.Fill(splitFactor, 1.0);
    }

    public int Count => instruments.Length;

    public Instrument this[int index] => instruments[index];

    public IReadOnlyList<Instrument> All => instruments;

    public bool TryGetIndex(string id, out int index) => indexById.TryGetValue(id, out index);

    /// <summary>
    /// The shares one share of the instrument became through the splits applied since the firm's files were read
    /// (1 when none): figures given per share in those files, such as the average daily volume, are scaled by it.
    /// </summary>
    public double SplitFactor(int index) => Volatile.Read(ref splitFactor[index]);

    /// <summary>Gives the instrument a new ticker (a symbol change); its id stays.</summary>
    internal void ChangeSymbol(int index, string symbol) => Volatile.Write(ref instruments[index], instruments[index] with { Symbol = symbol });

    /// <summary>Records a split of <paramref name="ratio"/> new shares per old share.</summary>
    internal void Split(int index, double ratio) => Volatile.Write(ref splitFactor[index], splitFactor[index] * ratio);

    /// <summary>Sets the split factor a checkpoint kept (a restart builds the table from the firm's files again).</summary>
    internal void SetSplitFactor(int index, double factor) => Volatile.Write(ref splitFactor[index], factor);

    /// <summary>The index of the instrument whose ticker is <paramref name="symbol"/>, or -1.</summary>
    public int FindSymbol(string symbol) => Array.FindIndex(instruments, i => string.Equals(i.Symbol, symbol, StringComparison.Ordinal));

    public int IndexOf(string id) =>
        indexById.TryGetValue(id, out var index) ? index : throw new KeyNotFoundException($"unknown instrument '{id}'");
}
