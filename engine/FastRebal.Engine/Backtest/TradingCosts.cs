using System.Globalization;

namespace FastRebal.Engine.Backtest;

/// <summary>
/// What a backtest charges per trade: a fixed commission, a commission in basis points of the notional, and half the
/// bid-ask spread (a trade fills at the close; the spread paid is a cost, so value falls by exactly the costs).
/// </summary>
/// <param name="PerTrade">Fixed commission per trade, in money.</param>
/// <param name="CommissionBps">Commission in basis points of the trade's notional.</param>
/// <param name="SpreadBps">The full bid-ask spread in basis points; a trade pays half of it.</param>
public sealed record TradingCosts(double PerTrade = 0, double CommissionBps = 0, double SpreadBps = 0)
{
    public static TradingCosts None { get; } = new();

    /// <summary>The fraction of a trade's notional paid in commission and spread.</summary>
    public double Rate => (CommissionBps + (SpreadBps / 2)) / 10_000;

    /// <summary>The cost of one trade of <paramref name="notional"/>.</summary>
    public double Of(double notional) => notional <= 0 ? 0 : PerTrade + (notional * Rate);

    /// <summary>Checks the figures, naming the first that is wrong.</summary>
    public TradingCosts Validated()
    {
        Check(PerTrade, "commission per trade", 1e9);
        Check(CommissionBps, "commission (bps)", 10_000);
        Check(SpreadBps, "spread (bps)", 10_000);
        return this;
    }

    public override string ToString() => this == None
        ? "no trading costs"
        : string.Create(CultureInfo.InvariantCulture, $"{PerTrade:0.##} per trade + {CommissionBps:0.##} bps commission + half of a {SpreadBps:0.##} bps spread");

    private static void Check(double value, string what, double max)
    {
        if (!double.IsFinite(value) || value < 0 || value > max)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{what} must be 0 to {max:#,0}, got {value}"));
        }
    }
}
