using MemoryPack;

namespace FastRebal.Engine.Persistence;

/// <summary>Per-account state of accounts [First, First + Count): holdings, cash, policy and what each stage keeps per account.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class AccountChunk
{
    [MemoryPackOrder(0)] public int First { get; set; }
    [MemoryPackOrder(1)] public int Count { get; set; }

    /// <summary>Quantities of the chunk's slots, in slot order.</summary>
    [MemoryPackOrder(2)] public double[] Quantity { get; set; } = [];
    [MemoryPackOrder(3)] public double[] Cash { get; set; } = [];

    /// <summary>Day number of the last rebalance, or -1 for never.</summary>
    [MemoryPackOrder(5)] public int[] LastRebalanced { get; set; } = [];
    [MemoryPackOrder(6)] public int[] OpenTrades { get; set; } = [];
    [MemoryPackOrder(7)] public bool[] Rebalancing { get; set; } = [];
    [MemoryPackOrder(8)] public decimal[] PendingFlow { get; set; } = [];
    [MemoryPackOrder(9)] public double[] ParkedExcess { get; set; } = [];
    [MemoryPackOrder(10)] public int[] ParkedOn { get; set; } = [];

    /// <summary>
    /// The slots' marks. Recovery puts them back while a rolling pass is under way (the accounts it has not reached
    /// yet still carry older prices than the book's) and otherwise refreshes them from the prices. Null in
    /// checkpoints of builds that kept them only mid-pass.
    /// </summary>
    [MemoryPackOrder(11)] public double[]? Marks { get; set; }

    /// <summary>The chunk's tax lots; null when the engine keeps none.</summary>
    [MemoryPackOrder(12)] public LotChunk? Lots { get; set; }
}

/// <summary>
/// The investment policies of accounts [First, First + Count). Kept apart from the holdings because they rarely
/// change: a checkpoint rewrites a policy chunk only when one of its policies was edited.
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class PolicyChunk
{
    [MemoryPackOrder(0)] public int First { get; set; }
    [MemoryPackOrder(1)] public PolicyImage[] Policies { get; set; } = [];
}
