namespace FastRebal.Engine.Orders.Slicing;

/// <summary>How blocks are cut into child orders.</summary>
public sealed record SlicingPolicy
{
    /// <summary>Largest child as a share of the instrument's average daily volume (0.01 = 1% of ADV).</summary>
    public decimal MaxAdvFraction { get; init; } = 0.01m;

    /// <summary>Largest child by value.</summary>
    public decimal MaxChildNotional { get; init; } = 1_000_000m;

    /// <summary>Time between children (TWAP): a block of n children takes (n - 1) intervals.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);

    public void Validate()
    {
        if (MaxAdvFraction <= 0 || MaxAdvFraction > 1)
        {
            throw new ArgumentException($"slicing.maxAdvFraction must be in (0, 1], got {MaxAdvFraction}");
        }
        if (MaxChildNotional <= 0)
        {
            throw new ArgumentException($"slicing.maxChildNotional must be positive, got {MaxChildNotional}");
        }
        if (Interval < TimeSpan.Zero)
        {
            throw new ArgumentException($"slicing.interval must not be negative, got {Interval}");
        }
    }
}

/// <summary>A slice of a block: what actually goes to the market. Its id is the block's id plus its leg number.</summary>
public sealed record ChildOrder(string Id, string BlockId, string InstrumentId, TradeSide Side, decimal Quantity, decimal LimitPrice, DateTimeOffset ScheduledAt, int Leg)
{
    public decimal Notional => Quantity * LimitPrice;
}

/// <summary>Cuts blocks into equal children under the ADV and notional caps, spread evenly over time.</summary>
public sealed class Slicer
{
    private readonly SlicingPolicy policy;

    public Slicer(SlicingPolicy policy)
    {
        policy.Validate();
        this.policy = policy;
    }

    /// <summary>
    /// The fewest children that respect both caps, sized as evenly as the block's step allows (they differ by one step
    /// at most) and summing exactly to the block. If a single step alone exceeds a cap, children are one step each.
    /// </summary>
    public List<ChildOrder> Slice(BlockOrder block, decimal averageDailyVolume, decimal referencePrice, DateTimeOffset start)
    {
        if (averageDailyVolume <= 0)
        {
            throw new ArgumentException($"{block.InstrumentId}: average daily volume must be positive, got {averageDailyVolume}", nameof(averageDailyVolume));
        }
        if (referencePrice <= 0)
        {
            throw new ArgumentException($"{block.InstrumentId}: reference price must be positive, got {referencePrice}", nameof(referencePrice));
        }
        var step = block.Step;
        var cap = Math.Min(policy.MaxAdvFraction * averageDailyVolume, policy.MaxChildNotional / referencePrice);
        var capSteps = Math.Max(1m, decimal.Floor(cap / step));
        var totalSteps = decimal.Round(block.Quantity / step);
        var children = (int)decimal.Ceiling(totalSteps / capSteps);
        var baseSteps = decimal.Floor(totalSteps / children);
        var extra = (int)(totalSteps - (baseSteps * children));
        var list = new List<ChildOrder>(children);
        for (var leg = 0; leg < children; leg++)
        {
            var quantity = (baseSteps + (leg < extra ? 1 : 0)) * step;
            list.Add(new ChildOrder($"{block.Id}-C{leg + 1:D4}", block.Id, block.InstrumentId, block.Side, quantity, referencePrice, start + (policy.Interval * leg), leg + 1));
        }
        return list;
    }
}
