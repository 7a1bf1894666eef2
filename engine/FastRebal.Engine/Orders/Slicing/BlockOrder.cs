namespace FastRebal.Engine.Orders.Slicing;

/// <summary>One account's part of a block: what it is owed and what it has received so far.</summary>
public sealed class Allocation(string accountId, decimal requested, decimal step, decimal price)
{
    public string AccountId { get; } = accountId;

    /// <summary>The quantity of the account's own trade.</summary>
    public decimal Requested { get; } = requested;

    /// <summary>The smallest quantity it can be given: the lot size, or the fractional step for accounts that trade fractions.</summary>
    public decimal Step { get; } = step;

    /// <summary>The price the account's trade was sized at.</summary>
    public decimal Price { get; } = price;

    public decimal Filled { get; internal set; }

    /// <summary>Sum of quantity × price over the fills it received.</summary>
    public decimal FilledNotional { get; internal set; }

    public decimal Remaining => Requested - Filled;

    public bool IsComplete => Filled >= Requested;

    public decimal AveragePrice => Filled == 0 ? 0 : FilledNotional / Filled;
}

/// <summary>
/// The trades of many accounts in one instrument and direction, sent to the market as one order and sliced over
/// time. Its id is deterministic (the engine batch that produced it, the instrument and the side), so a replay of the
/// same inputs makes the same ids and an order sink can refuse a duplicate.
/// </summary>
public sealed class BlockOrder
{
    internal BlockOrder(long batchSequence, string instrumentId, TradeSide side, IReadOnlyList<Allocation> allocations)
    {
        BatchSequence = batchSequence;
        Id = $"B{batchSequence:D8}-{instrumentId}-{(side == TradeSide.Buy ? 'B' : 'S')}";
        InstrumentId = instrumentId;
        Side = side;
        Allocations = allocations;
        if (allocations.Count == 0)
        {
            throw new ArgumentException($"block {Id} has no allocations", nameof(allocations));
        }
        // Loops, not LINQ: the order stage forms a block every few hundred accounts.
        var quantity = 0m;
        var step = decimal.MaxValue;
        for (var i = 0; i < allocations.Count; i++)
        {
            quantity += allocations[i].Requested;
            step = Math.Min(step, allocations[i].Step);
        }
        Quantity = quantity;
        Step = step;
    }

    public string Id { get; }

    /// <summary>The engine batch whose trades the block gathers.</summary>
    public long BatchSequence { get; }

    public string InstrumentId { get; }

    public TradeSide Side { get; }

    public decimal Quantity { get; }

    /// <summary>The finest step any account in the block trades in; children are sized in it.</summary>
    public decimal Step { get; }

    public IReadOnlyList<Allocation> Allocations { get; }

    /// <summary>Quantity filled by the market so far.</summary>
    public decimal Filled { get; private set; }

    public decimal FilledNotional { get; private set; }

    public decimal AveragePrice => Filled == 0 ? 0 : FilledNotional / Filled;

    public bool IsComplete => Filled >= Quantity;

    /// <summary>Set once <see cref="FillAllocator.Allocate"/> has shared the fills among the accounts.</summary>
    public bool IsAllocated { get; internal set; }

    /// <summary>Filled quantity too small for any account's step when the block closed part-filled; held by the firm.</summary>
    public decimal Unallocated { get; internal set; }

    /// <summary>Puts back what a block had filled before a restart (its allocations carry their own fills).</summary>
    internal void RestoreFills(decimal filled, decimal filledNotional)
    {
        Filled = filled;
        FilledNotional = filledNotional;
    }

    /// <summary>Records a fill from the market against the block.</summary>
    public void RecordFill(decimal quantity, decimal price)
    {
        if (quantity <= 0 || quantity > Quantity - Filled)
        {
            throw new ArgumentOutOfRangeException(nameof(quantity), $"block {Id}: fill of {quantity} does not fit the {Quantity - Filled} still open");
        }
        if (price <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(price), $"block {Id}: fill price must be positive, got {price}");
        }
        if (IsAllocated)
        {
            throw new InvalidOperationException($"block {Id} is closed and allocated; a late fill of {quantity} cannot be taken");
        }
        Filled += quantity;
        FilledNotional += quantity * price;
    }
}
