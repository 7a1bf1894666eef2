namespace FastRebal.Engine.Orders.Execution;

/// <summary>What the engine does with the rest of a child order that traded only in part.</summary>
public enum PartialFillPolicy
{
    /// <summary>The rest stays working at the venue until it trades, expires or is cancelled there.</summary>
    KeepOpen,

    /// <summary>The engine cancels the rest at once; the account is then decided again from what it really holds.</summary>
    CancelRest,
}
