using MemoryPack;

namespace FastRebal.Engine.Risk;

/// <summary>The risk gate's state in a checkpoint: the pre-trade limits' windows and counts, and the breakers.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class RiskImage
{
    [MemoryPackOrder(0)] public decimal[] AccountNotional { get; set; } = [];
    [MemoryPackOrder(1)] public long[] AccountWindow { get; set; } = [];
    [MemoryPackOrder(2)] public long[] Counts { get; set; } = [];
    [MemoryPackOrder(3)] public long Window { get; set; }
    [MemoryPackOrder(4)] public decimal FirmNotional { get; set; }
    [MemoryPackOrder(5)] public long OrdersInWindow { get; set; }
    [MemoryPackOrder(6)] public BreakerImage Accounts { get; set; } = new();
    [MemoryPackOrder(7)] public BreakerImage Models { get; set; } = new();
    [MemoryPackOrder(8)] public double MarketPreviousClose { get; set; }
    [MemoryPackOrder(9)] public int MarketDay { get; set; }
    [MemoryPackOrder(10)] public int MarketTripped { get; set; }
    [MemoryPackOrder(11)] public int MarketReleasedThrough { get; set; }
}

/// <summary>A set of drift breakers (per account or per model) in a checkpoint.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class BreakerImage
{
    [MemoryPackOrder(0)] public double[] Opening { get; set; } = [];
    [MemoryPackOrder(1)] public int[] OpenedOn { get; set; } = [];
    [MemoryPackOrder(2)] public bool[] Halted { get; set; } = [];
    [MemoryPackOrder(3)] public double[] DriftAtTrip { get; set; } = [];
    [MemoryPackOrder(4)] public double[] OpeningAtTrip { get; set; } = [];
    [MemoryPackOrder(5)] public int[] TrippedOn { get; set; } = [];
}
