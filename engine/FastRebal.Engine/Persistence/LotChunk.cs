using MemoryPack;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// The tax lots of the accounts of one <see cref="AccountChunk"/>, as flat columns: per slot how many lots it holds
/// (they follow in slot order), per lot its figures, per account whether it keeps lots and what its sales realized.
/// Member order is the schema (MemoryPack, version-tolerant): add members at the end, never reorder.
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class LotChunk
{
    /// <summary>Per account of the chunk: whether its lots are kept (a taxable account whose lots were loaded).</summary>
    [MemoryPackOrder(0)] public bool[] Tracked { get; set; } = [];

    [MemoryPackOrder(1)] public decimal[] RealizedShortTerm { get; set; } = [];
    [MemoryPackOrder(2)] public decimal[] RealizedLongTerm { get; set; } = [];

    /// <summary>Per slot of the chunk: lots held, then the day the engine last opened a lot there and how many it opened that day (lot ids).</summary>
    [MemoryPackOrder(3)] public int[] LotsPerSlot { get; set; } = [];
    [MemoryPackOrder(4)] public int[] OpenedDay { get; set; } = [];
    [MemoryPackOrder(5)] public int[] OpenedCount { get; set; } = [];

    /// <summary>Per lot, slot by slot, each slot's lots in the order it keeps them (the order they were bought or loaded).</summary>
    [MemoryPackOrder(6)] public decimal[] Quantity { get; set; } = [];
    [MemoryPackOrder(7)] public decimal[] CostBasis { get; set; } = [];
    [MemoryPackOrder(8)] public int[] Acquired { get; set; } = [];

    /// <summary>Day number the holding period starts when it is not the acquisition day; <see cref="int.MinValue"/> when it is.</summary>
    [MemoryPackOrder(9)] public int[] HoldingSince { get; set; } = [];
    [MemoryPackOrder(10)] public decimal[] WashSaleAdjustment { get; set; } = [];
    [MemoryPackOrder(11)] public int[] Number { get; set; } = [];

    /// <summary>The lot's own id when it came from outside (a custodian's lot id); null when the engine names it from its number.</summary>
    [MemoryPackOrder(12)] public string?[] Name { get; set; } = [];
}
