using FastRebal.Engine.MarketData;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.State;

namespace FastRebal.Bench.Drift;

/// <summary>The book the sweep benchmarks run on: a generated firm of N accounts x 20 positions.</summary>
internal static class SweepBook
{
    /// <remarks>A seeded synthetic history keeps the benchmarks independent of the data folder; the sweep's cost does not depend on the prices.</remarks>
    public static AccountBook Generate(int accounts)
    {
        var history = MarketHistory.Synthetic(
            MarketHistory.EtfSymbols.Select(s => (s, 100.0, 0.05, 0.15)), FirmGenerator.DefaultAsOf, 600, seed: 1);
        return FirmGenerator.Generate(new FirmSpec(accounts, 20, Seed: 42), history).Book;
    }
}
