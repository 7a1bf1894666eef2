namespace FastRebal.Engine.Risk;

/// <summary>
/// Pre-trade limits in the spirit of SEC Rule 15c3-5: caps per order, per account and per firm over an interval, a
/// cap on the number of orders per interval (a runaway loop must stop itself), and a price collar around the
/// verified price. The defaults suit a firm of about 100k accounts rebalancing in a day; set your own.
/// </summary>
public sealed record PreTradeLimits
{
    public decimal MaxOrderNotional { get; init; } = 5_000_000m;

    public decimal MaxAccountNotionalPerInterval { get; init; } = 20_000_000m;

    public decimal MaxFirmNotionalPerInterval { get; init; } = 2_000_000_000m;

    /// <summary>Orders accepted per interval before the gate engages the kill switch itself.</summary>
    public int MaxOrdersPerInterval { get; init; } = 1_000_000;

    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How far a limit price may sit from the verified price, in basis points.</summary>
    public double PriceCollarBps { get; init; } = 500;

    public void Validate()
    {
        if (MaxOrderNotional <= 0)
        {
            throw new ArgumentException($"limits.maxOrderNotional must be positive, got {MaxOrderNotional}");
        }
        if (MaxAccountNotionalPerInterval <= 0)
        {
            throw new ArgumentException($"limits.maxAccountNotionalPerInterval must be positive, got {MaxAccountNotionalPerInterval}");
        }
        if (MaxFirmNotionalPerInterval <= 0)
        {
            throw new ArgumentException($"limits.maxFirmNotionalPerInterval must be positive, got {MaxFirmNotionalPerInterval}");
        }
        if (MaxOrdersPerInterval < 1)
        {
            throw new ArgumentException($"limits.maxOrdersPerInterval must be at least 1, got {MaxOrdersPerInterval}");
        }
        if (Interval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"limits.interval must be positive, got {Interval}");
        }
        if (!(PriceCollarBps > 0) || !double.IsFinite(PriceCollarBps))
        {
            throw new ArgumentException($"limits.priceCollarBps must be a positive number, got {PriceCollarBps}");
        }
    }
}
