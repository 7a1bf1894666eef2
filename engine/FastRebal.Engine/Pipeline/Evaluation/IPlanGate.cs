using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Pipeline;

/// <summary>What the evaluation stage asks of the risk layer: breakers watch drift, and a plan is released whole or not at all.</summary>
public interface IPlanGate
{
    /// <summary>Sees every evaluated account's total drift, so a breaker can trip on a sudden move.</summary>
    void ObserveDrift(int account, int model, double totalDrift, DateOnly day);

    /// <summary>Sees the total drift of accounts <paramref name="firstAccount"/> onwards, after a slice of a full sweep.</summary>
    void ObserveDrifts(int firstAccount, ReadOnlySpan<double> totalDrift, DateOnly day);

    /// <summary>
    /// Sees a model's mean total drift after each full sweep (the model-level breaker). It trips for the next batch:
    /// a model whose drift jumps ten points in a day has its accounts' own breakers tripping in the same slice.
    /// </summary>
    void ObserveModelDrift(int model, double meanTotalDrift, DateOnly day);

    /// <summary>
    /// An account's fills were applied: its drift, and its model's mean drift, moved by trading, not by the market, so
    /// their breakers measure the day's move from the next figure each sees.
    /// </summary>
    void FillsApplied(int account, int model)
    {
    }

    /// <summary>Sees every verified price applied to the book (the market-wide breaker watches its reference index).</summary>
    void ObservePrice(int instrument, double price, DateOnly day);

    /// <summary>
    /// An instrument split <paramref name="ratio"/> new shares for each old one: a gate that watches its price level
    /// measures from the split-adjusted level, so the split is not taken for a fall.
    /// </summary>
    void InstrumentSplit(int instrument, double ratio)
    {
    }

    /// <summary>Whether the account (or its model) is halted for review.</summary>
    bool IsHalted(int account, int model);

    /// <summary>
    /// Checks every trade of an account's plan; null when all pass (and are counted against the limits), otherwise
    /// the reason, with nothing counted: a plan whose sells fund its buys must never be released in part.
    /// </summary>
    string? Check(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime);

    /// <summary>
    /// What <see cref="Check"/> would answer now (null when the trades would pass), with nothing counted: shown beside
    /// trades held for an operator. A gate that keeps no limits passes everything.
    /// </summary>
    string? Preview(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime) => null;

    /// <summary>Releases a tripped breaker (index = account or model; ignored for the market-wide one); false when it was not tripped.</summary>
    bool Release(BreakerKind kind, int index, string who, string why);
}
