using FastRebal.Engine.Orders;
using FastRebal.Engine.Pipeline;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>A plan gate that accepts every plan and never halts: tests of deciding, not of the risk gate.</summary>
internal sealed class OpenGate : IPlanGate
{
    /// <summary>Accounts swept one by one (dirty or near their bands), in the order they were swept.</summary>
    public List<int> SweptAlone { get; } = [];

    public void ObserveDrift(int account, int model, double totalDrift, DateOnly day) => SweptAlone.Add(account);

    public void ObserveDrifts(int firstAccount, ReadOnlySpan<double> totalDrift, DateOnly day)
    {
    }

    public void ObserveModelDrift(int model, double meanTotalDrift, DateOnly day)
    {
    }

    public void ObservePrice(int instrument, double price, DateOnly day)
    {
    }

    public bool IsHalted(int account, int model) => false;

    public bool Release(BreakerKind kind, int index, string who, string why) => false;

    public string? Check(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime) => null;
}
