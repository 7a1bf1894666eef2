using MemoryPack;

namespace FastRebal.Engine.Orders.Execution;

/// <summary>What a venue says happened to a child order.</summary>
public enum ExecutionReportKind : byte
{
    /// <summary>The venue accepted the order; it is working.</summary>
    Acknowledged,

    /// <summary>Part or all of the order traded. Carries a fill id, a quantity and a price.</summary>
    Fill,

    /// <summary>The venue refused the order; nothing of it traded.</summary>
    Rejected,

    /// <summary>The rest of the order is cancelled (asked for by the engine, or by the venue).</summary>
    Cancelled,

    /// <summary>The order's time in force ran out; its rest will not trade.</summary>
    Expired,
}

/// <summary>
/// One execution report from the venue about a child order (the FIX ExecutionReport, reduced to what the book
/// needs). Reports are idempotent: a fill whose id was already applied, or any report for an order that has already
/// ended, is ignored and counted, so a gateway may deliver again whatever it is unsure the engine received.
/// </summary>
[MemoryPackable]
public sealed partial record ExecutionReport(
    string OrderId,
    ExecutionReportKind Kind,
    string? FillId = null,
    decimal Quantity = 0,
    decimal Price = 0,
    string? Reason = null)
{
    public static ExecutionReport Ack(string orderId) => new(orderId, ExecutionReportKind.Acknowledged);

    public static ExecutionReport Filled(string orderId, string fillId, decimal quantity, decimal price) =>
        new(orderId, ExecutionReportKind.Fill, fillId, quantity, price);

    public static ExecutionReport Reject(string orderId, string reason) => new(orderId, ExecutionReportKind.Rejected, Reason: reason);

    public static ExecutionReport Cancel(string orderId, string reason) => new(orderId, ExecutionReportKind.Cancelled, Reason: reason);

    public static ExecutionReport Expire(string orderId) => new(orderId, ExecutionReportKind.Expired, Reason: "time in force ended");

    /// <summary>Why a report cannot be taken at all, or null: it is refused when it is handed in, before it is journaled.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(OrderId))
        {
            return "an execution report needs the order id";
        }
        if (!Enum.IsDefined(Kind))
        {
            return $"order {OrderId}: unknown report kind {(int)Kind}";
        }
        if (Kind != ExecutionReportKind.Fill)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(FillId))
        {
            return $"order {OrderId}: a fill needs its fill id (the venue's execution id), which makes a repeated delivery harmless";
        }
        if (Quantity <= 0)
        {
            return $"order {OrderId}, fill {FillId}: quantity must be positive, got {Quantity}";
        }
        return Price <= 0 ? $"order {OrderId}, fill {FillId}: price must be positive, got {Price}" : null;
    }
}
