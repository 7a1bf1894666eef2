using System.Globalization;

namespace FastRebal.Engine.Pipeline;

// Closing a client account: its holdings and cash leave the book in kind, and it is never decided again.
public sealed partial class EvaluationStage
{
    /// <summary>Accounts closed while running (kept in the checkpoint): skipped by every decision and harvest scan.</summary>
    private readonly bool[] closed;

    /// <summary>
    /// Accounts whose close waits for their trades in flight, with who asked and why (kept in the checkpoint): they
    /// are not decided meanwhile, and close in the first batch that finds them with nothing in flight.
    /// </summary>
    private readonly SortedDictionary<int, (string Who, string Why)> closing = [];

    /// <summary>Whether the account was closed. Safe from any thread (a flag set once, on the evaluation thread).</summary>
    public bool IsClosed(int account) => Volatile.Read(ref closed[account]);

    /// <summary>Whether the account is closed, or closes once its trades in flight are done (no new trade either way).</summary>
    private bool IsClosedOrClosing(int a) => closed[a] || (closing.Count > 0 && closing.ContainsKey(a));

    /// <summary>
    /// Closes an account: every holding and the cash are transferred out (recorded as book movements, lots leaving
    /// with their shares and realizing nothing, since nothing was sold), an item it had waiting for approval is
    /// dropped, and it is never decided again. An account with trades in flight is not decided from here on and
    /// closes once they are done, so no fill lands in a closed account.
    /// </summary>
    private CommandResult ApplyClose(JournaledCommand command)
    {
        var a = book.FindAccount(command.AccountId ?? "");
        if (a < 0)
        {
            return CommandResult.Refused($"close: unknown account '{Scenarios.TextLimit.Clip(command.AccountId, 80)}'");
        }
        if (IsClosedOrClosing(a))
        {
            return CommandResult.Refused($"{command.AccountId} is closed already, or closes once its trades in flight are done");
        }
        if (openTrades[a] > 0)
        {
            closing[a] = (command.Who, command.Why);
            return CommandResult.Ok($"{command.AccountId} has trades in flight: it closes once they are done, and trades nothing new meanwhile");
        }
        return Close(a, command.Who);
    }

    /// <summary>Closes the accounts that waited for their trades in flight and have none left; each close is audited.</summary>
    private void FinishCloses()
    {
        foreach (var (a, (who, why)) in closing.Where(c => openTrades[c.Key] == 0).ToList())
        {
            closing.Remove(a);
            var result = Close(a, who);
            audit?.Add(Audit.AuditEntries.OperatorAction(nameof(CloseAccount), who, why,
                $"{(result.Applied ? "applied" : "refused")} once its trades in flight were done: {result.Detail}"));
        }
    }

    private CommandResult Close(int a, string who)
    {
        var account = book.AccountId(a);
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
            return CommandResult.Refused($"close of {account} refused: {refused}");
        }
        var dropped = "";
        if (awaitingApprovalCount > 0 && awaitingApproval.ContainsKey(a))
        {
            Unhold(a);
            harvesting.Remove(a);
            dropped = "; its trades waiting for approval were dropped";
        }
        if (moving.Remove(a, out var move))
        {
            dropped += $"; its move to {WaitingFor(move)} was dropped";
        }
        SetPendingFlow(a, 0);
        Volatile.Write(ref closed[a], true);
        return CommandResult.Ok(string.Create(CultureInfo.InvariantCulture,
            $"{account} closed by {who}: {value:#,0.00} transferred out in kind ({(detail.Length > 0 ? detail : "nothing held")}){dropped}"));
    }
}
