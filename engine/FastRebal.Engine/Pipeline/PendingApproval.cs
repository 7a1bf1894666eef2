using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// An account whose trades wait for an operator (the console's approval queue): the decision that held them and the
/// trades an approval would release. A copy made when the account was parked, so any thread may read it.
/// </summary>
public sealed record PendingApproval(Decision Decision, IReadOnlyList<Trade> Trades, DateOnly Since);
