using MemoryPack;

namespace FastRebal.Engine.Pipeline;

/// <summary>Open orders: blocks still working and the child orders scheduled for later.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class OrderStageImage
{
    [MemoryPackOrder(0)] public long MarketTime { get; set; }

    /// <summary>Working blocks.</summary>
    [MemoryPackOrder(1)] public OpenBlock[] Blocks { get; set; } = [];

    /// <summary>Scheduled child orders (JSON of <see cref="Orders.Slicing.ChildOrder"/>), in the order they were added.</summary>
    [MemoryPackOrder(2)] public string[] Children { get; set; } = [];

    [MemoryPackOrder(3)] public long[] Counters { get; set; } = [];

    /// <summary>Children sent to the venue that may still trade, by order id.</summary>
    [MemoryPackOrder(4)] public WorkingChildImage[] Working { get; set; } = [];

    /// <summary>The simulated venue's reports in flight and resting orders; null when it has none (or the venue is the firm's).</summary>
    [MemoryPackOrder(5)] public Orders.Execution.SimulatedVenueImage? Venue { get; set; }
}

/// <summary>A child order at the venue: the order (JSON of <see cref="Orders.Slicing.ChildOrder"/>), what it filled and the fill ids applied.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class WorkingChildImage
{
    [MemoryPackOrder(0)] public string Order { get; set; } = "";
    [MemoryPackOrder(1)] public decimal Filled { get; set; }
    [MemoryPackOrder(2)] public bool Acknowledged { get; set; }
    [MemoryPackOrder(3)] public bool CancelRequested { get; set; }
    [MemoryPackOrder(4)] public string[] FillIds { get; set; } = [];
}

/// <summary>
/// A working block as the checkpoint keeps it: its allocations as columns (a quarter's opening can put most of a
/// large firm's accounts into open blocks, so this is binary and per account index, not per account object).
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class OpenBlock
{
    [MemoryPackOrder(0)] public long BatchSequence { get; set; }
    [MemoryPackOrder(1)] public string InstrumentId { get; set; } = "";
    [MemoryPackOrder(2)] public Orders.TradeSide Side { get; set; }
    [MemoryPackOrder(3)] public decimal Filled { get; set; }
    [MemoryPackOrder(4)] public decimal FilledNotional { get; set; }
    [MemoryPackOrder(5)] public bool FirstChildSent { get; set; }
    [MemoryPackOrder(6)] public int[] Accounts { get; set; } = [];
    [MemoryPackOrder(7)] public decimal[] Requested { get; set; } = [];

    /// <summary>One value when every allocation has the same (the usual case: one lot size, one sizing price), else one per allocation.</summary>
    [MemoryPackOrder(8)] public decimal[] Step { get; set; } = [];
    [MemoryPackOrder(9)] public decimal[] Price { get; set; } = [];

    /// <summary>Empty while nothing is allocated yet (allocations are filled when the block closes), else one per allocation.</summary>
    [MemoryPackOrder(10)] public decimal[] AllocatedFilled { get; set; } = [];
    [MemoryPackOrder(11)] public decimal[] AllocatedNotional { get; set; } = [];

    /// <summary>Reads a column kept as one shared value, per allocation, or empty for zeros.</summary>
    public static decimal At(decimal[] column, int i) => column.Length switch
    {
        0 => 0m,
        1 => column[0],
        _ => column[i],
    };

    /// <summary>Keeps a column as one value when all are equal (and as nothing when all are zero and <paramref name="zeroIsEmpty"/>).</summary>
    public static decimal[] Compact(decimal[] column, bool zeroIsEmpty)
    {
        if (column.Length == 0 || column.AsSpan(1).ContainsAnyExcept(column[0]))
        {
            return column;
        }
        return zeroIsEmpty && column[0] == 0 ? [] : [column[0]];
    }
}
