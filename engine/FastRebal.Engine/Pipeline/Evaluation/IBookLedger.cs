namespace FastRebal.Engine.Pipeline;

/// <summary>What moved an account's positions or cash.</summary>
public enum BookMovementKind
{
    /// <summary>A fill of one of the account's trades.</summary>
    Fill,

    /// <summary>Money in (as it arrives) or out (as the account's cash covers it): deposits, dividends, withdrawals, fees.</summary>
    CashFlow,

    /// <summary>The custodian's figure taken after a holdings sync.</summary>
    Custodian,

    /// <summary>Holdings and cash leaving the book in kind when the account is closed.</summary>
    TransferOut,

    /// <summary>A split: the shares it adds (or, a reverse split, takes), and a fraction of a share paid out as cash in lieu.</summary>
    Split,
}

/// <summary>
/// Told of every change the evaluation stage makes to the book's positions and cash, as it makes it, on the
/// evaluation thread: the book at any point is the loaded book plus these movements, which a firm (or a test) can
/// check independently. Not told during a recovery's replay.
/// </summary>
public interface IBookLedger
{
    /// <param name="instrument">The instrument index; -1 for a movement of cash alone.</param>
    /// <param name="quantity">Shares added (negative: taken).</param>
    /// <param name="cash">Cash added (negative: taken).</param>
    void Record(DateOnly day, int account, BookMovementKind kind, int instrument, decimal quantity, decimal cash);
}
