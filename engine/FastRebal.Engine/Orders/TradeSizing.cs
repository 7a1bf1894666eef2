namespace FastRebal.Engine.Orders;

/// <summary>Quantity rounding to lot sizes. Pure functions with table-driven tests.</summary>
public static class TradeSizing
{
    /// <summary>Largest multiple of <paramref name="step"/> not above <paramref name="quantity"/> (buys: never overspend).</summary>
    public static decimal FloorToStep(decimal quantity, decimal step) =>
        quantity <= 0 ? 0 : Math.Floor(quantity / step) * step;

    /// <summary>Smallest multiple of <paramref name="step"/> not below <paramref name="quantity"/> (raising cash: never fall short).</summary>
    public static decimal CeilingToStep(decimal quantity, decimal step) =>
        quantity <= 0 ? 0 : Math.Ceiling(quantity / step) * step;

    /// <summary>Nearest multiple of <paramref name="step"/>, halves away from zero (rebalancing sells: closest to target).</summary>
    public static decimal RoundToStep(decimal quantity, decimal step) =>
        quantity <= 0 ? 0 : Math.Round(quantity / step, MidpointRounding.AwayFromZero) * step;

    /// <summary>
    /// The quantity to sell: everything when the position is being closed, otherwise the rounded quantity capped
    /// at what is held (never short).
    /// </summary>
    public static decimal SellQuantity(decimal wanted, decimal held, decimal step, bool closePosition, bool roundUp)
    {
        if (held <= 0)
        {
            return 0;
        }
        if (closePosition)
        {
            return held;
        }
        var rounded = roundUp ? CeilingToStep(wanted, step) : RoundToStep(wanted, step);
        return Math.Min(held, rounded);
    }
}
