using MemoryPack;

namespace FastRebal.Engine.Ingestion;

/// <summary>The price verifier's state for some instruments: what one read of the feed changed.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class VerifierDelta
{
    [MemoryPackOrder(0)] public int[] Instruments { get; set; } = [];

    /// <summary>Each instrument's row of source quotes, one after another.</summary>
    [MemoryPackOrder(1)] public double[] Quote { get; set; } = [];
    [MemoryPackOrder(2)] public long[] QuoteTime { get; set; } = [];
    [MemoryPackOrder(3)] public double[] Verified { get; set; } = [];
    [MemoryPackOrder(4)] public long[] VerifiedTime { get; set; } = [];
    [MemoryPackOrder(5)] public byte[] Freeze { get; set; } = [];
    [MemoryPackOrder(6)] public double[] JumpCandidate { get; set; } = [];
    [MemoryPackOrder(7)] public int[] JumpConfirmations { get; set; } = [];
}

/// <summary>Everything the price verifier knows, so it continues exactly where it was.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class VerifierImage
{
    [MemoryPackOrder(0)] public double[] Quote { get; set; } = [];
    [MemoryPackOrder(1)] public long[] QuoteTime { get; set; } = [];
    [MemoryPackOrder(2)] public long[] StaleTicks { get; set; } = [];
    [MemoryPackOrder(3)] public double[] Verified { get; set; } = [];
    [MemoryPackOrder(4)] public long[] VerifiedTime { get; set; } = [];
    [MemoryPackOrder(5)] public byte[] Freeze { get; set; } = [];
    [MemoryPackOrder(6)] public double[] JumpCandidate { get; set; } = [];
    [MemoryPackOrder(7)] public int[] JumpConfirmations { get; set; } = [];

    /// <summary>The feed position of the last tick the verifier had seen.</summary>
    [MemoryPackOrder(8)] public long FeedPosition { get; set; }

    /// <summary>Prices verified but not yet published (a lockstep replay holds a day's prices until the day is read).</summary>
    [MemoryPackOrder(9)] public PriceEvent[] Unpublished { get; set; } = [];

    /// <summary>The trading day (UTC day number of ticks) of the last tick offered, -1 for none: lockstep continues the same day.</summary>
    [MemoryPackOrder(10)] public long LastDay { get; set; } = -1;
}
