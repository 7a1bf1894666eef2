using System.Globalization;

namespace FastRebal.Engine.Pipeline;

// Closing a client account: its holdings and cash leave the book in kind, and it is never decided again.
public sealed partial class EvaluationStage
{
    /// <summary>Accounts closed while running (kept in the checkpoint): skipped by every decision and harvest scan.</summary>
    private readonly bool[] closed;

    /// <summary>Whether the account was closed. Safe from any thread (a flag set once, on the evaluation thread).</summary>
    public bool IsClosed(int account) => Volatile.Read(ref closed[account]);

    /// <summary>
    /// Closes an account: every holding and the cash are transferred out (recorded as book movements, lots leaving
    /// with their shares and realizing nothing, since nothing was sold), an item it had waiting for approval is
    /// dropped, and it is never decided again. Refused while it has trades in flight, since their fills would land in
    /// a closed account.
    /// </summary>
    private CommandResult ApplyClose(JournaledCommand command)
    {
        var a = book.FindAccount(command.AccountId ?? "");
        if (a < 0)
        {
            return CommandResult.Refused($"close: unknown account '{Scenarios.TextLimit.Clip(command.AccountId, 80)}'");
        }
        if (closed[a])
        {
            return CommandResult.Refused($"{command.AccountId} is closed already");
        }
        if (openTrades[a] > 0)
        {
            return CommandResult.Refused($"{command.AccountId} has trades in flight; close it once they are done");
        }
        var held = new List<string>();
        var quantities = new List<decimal>();
        var value = (decimal)book.Cash[a];
        for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
        {
            if (book.Quantities[s] != 0)
            {
                var instrument = book.InstrumentIndices[s];
                held.Add(book.Instruments[instrument].Id);
                quantities.Add(0);
                value += (decimal)(book.Quantities[s] * book.Prices[instrument]);
            }
        }
        if (TakeCustodianFigures(a, [.. held], [.. quantities], 0, out var detail, BookMovementKind.TransferOut) is { } refused)
        {
            return CommandResult.Refused($"close of {command.AccountId} refused: {refused}");
        }
        var dropped = "";
        if (awaitingApprovalCount > 0 && awaitingApproval.ContainsKey(a))
        {
            Unhold(a);
            harvesting.Remove(a);
            dropped = "; its trades waiting for approval were dropped";
        }
        SetPendingFlow(a, 0);
        Volatile.Write(ref closed[a], true);
        return CommandResult.Ok(string.Create(CultureInfo.InvariantCulture,
            $"{command.AccountId} closed by {command.Who}: {value:#,0.00} transferred out in kind ({(detail.Length > 0 ? detail : "nothing held")}){dropped}"));
    }
}
