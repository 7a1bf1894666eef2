using FastRebal.Engine.Model;

namespace FastRebal.Engine.State;

/// <summary>The instruments a book knows, each with a dense index the hot arrays use instead of its id.</summary>
public sealed class InstrumentTable
{
    private readonly Instrument[] instruments;
    private readonly Dictionary<string, int> indexById;

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
    }

    public int Count => instruments.Length;

    public Instrument this[int index] => instruments[index];

    public IReadOnlyList<Instrument> All => instruments;

    public bool TryGetIndex(string id, out int index) => indexById.TryGetValue(id, out index);

    public int IndexOf(string id) =>
        indexById.TryGetValue(id, out var index) ? index : throw new KeyNotFoundException($"unknown instrument '{id}'");
}
