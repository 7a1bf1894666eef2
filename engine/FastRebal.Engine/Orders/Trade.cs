namespace FastRebal.Engine.Orders;

public enum TradeSide
{
    Buy,
    Sell,
}

/// <summary>A trade the engine wants for one account. Money is decimal from here on.</summary>
public sealed record Trade(string AccountId, string InstrumentId, TradeSide Side, decimal Quantity, decimal Price, string Reason)
{
    public decimal Notional => Quantity * Price;

    /// <summary>Cash the trade moves: negative for a buy, positive for a sell.</summary>
    public decimal CashEffect => Side == TradeSide.Buy ? -Notional : Notional;
}

/// <summary>The trades for one account with the outcome: released, held for approval, or blocked with a reason.</summary>
public sealed class TradePlan
{
    public List<Trade> Trades { get; } = [];

    public List<string> Warnings { get; } = [];

    /// <summary>Set when the account must not trade: nothing in <see cref="Trades"/> is released.</summary>
    public string? BlockedReason { get; set; }

    /// <summary>Set when the trades wait for an operator.</summary>
    public string? ApprovalReason { get; set; }

    public decimal CashBefore { get; init; }

    public decimal Reserve { get; init; }

    /// <summary>Cash once every trade in the plan has filled at its price.</summary>
    public decimal CashAfter => CashBefore + Trades.Sum(t => t.CashEffect);

    public bool IsBlocked => BlockedReason is not null;
}
