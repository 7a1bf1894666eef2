namespace FastRebal.Engine.Pipeline;

// Moving an account to another model: in its own row when it has a place for each of the model's instruments,
// otherwise into one of the book's free rows.
public sealed partial class EvaluationStage
{
    private CommandResult ApplyModelMove(JournaledCommand move)
    {
        var a = book.FindAccount(move.AccountId ?? "");
        var model = FindModel(move.Target);
        if (a < 0)
        {
            return CommandResult.Refused($"move to model '{Scenarios.TextLimit.Clip(move.Target, 80)}': unknown account '{Scenarios.TextLimit.Clip(move.AccountId, 80)}'");
        }
        if (model < 0)
        {
            return CommandResult.Refused($"move of {move.AccountId}: unknown model '{Scenarios.TextLimit.Clip(move.Target, 80)}'");
        }
        if (IsClosedOrClosing(a))
        {
            return CommandResult.Refused($"{move.AccountId} is closed, or closes once its trades in flight are done: it cannot move to model '{move.Target}'");
        }
        if (moving.TryGetValue(a, out var waiting))
        {
            return CommandResult.Refused($"{move.AccountId} already waits to move to {WaitingFor(waiting)} once its trades in flight are done");
        }
        // A held plan was sized against the old model's targets.
        if (awaitingApproval.ContainsKey(a))
        {
            return CommandResult.Refused($"{move.AccountId} has trades waiting for approval; approve or reject them, then move it to model '{move.Target}'");
        }
        if (gate.IsHalted(a, book.ModelIndex(a)))
        {
            return CommandResult.Refused($"{move.AccountId} is halted by a circuit breaker; release it, then move it to model '{move.Target}'");
        }
        if (book.CheckModelMove(a, model) is { } refused)
        {
            return CommandResult.Refused($"move to model '{move.Target}' refused: {refused}");
        }
        // Fills of trades planned for the old targets would land in a row the account may leave: it waits for them.
        if (openTrades[a] > 0)
        {
            moving[a] = move;
            return CommandResult.Ok($"{move.AccountId} has trades in flight: it moves to model '{move.Target}' once they are done, and trades nothing new meanwhile");
        }
        return MoveModel(a, move);
    }

    private CommandResult MoveModel(int a, JournaledCommand move)
    {
        var model = FindModel(move.Target);
        var from = book.Models[book.ModelIndex(a)].Id;
        if (book.CheckModelMove(a, model) is { } refused)
        {
            return CommandResult.Refused($"move to model '{move.Target}' refused: {refused}");
        }
        var b = MoveRow(a, model);
        rowChanges.Add(move);
        PolicyChanged(b);
        // Its drift moved by taking new targets, not by the market: the breakers measure from its next figure.
        gate.FillsApplied(b, model);
        var where = b == a ? "in its own row" : $"to a free row (it had no place for every instrument of the model; {book.FreeRows} free row(s) left)";
        return CommandResult.Ok($"{move.AccountId} moved from model '{from}' to model '{move.Target}' {where}; it keeps its IPS, holdings, lots and cash, and is decided again against the new targets");
    }

    /// <summary>
    /// Gives account <paramref name="a"/> the model's targets: in its own row when it covers the model, otherwise in the
    /// next free row, with its holdings, lots and decision state. Returns the row it is in after.
    /// </summary>
    private int MoveRow(int a, int model)
    {
        if (book.CoversModel(a, model))
        {
            book.ChangeModel(a, model);
            return a;
        }
        var b = book.Relocate(a, model);
        if (tax is not null)
        {
            tax.Lots.MoveAccount(a, b);
            // Kept as changed settings, so a restart gives the row the account's elections, not a free row's.
            changedTaxSettings.Remove(a);
            changedTaxSettings[b] = tax.Settings(a);
            tax.SetSettings(b, tax.Settings(a));
        }
        SetPendingFlow(b, pendingFlow[a]);
        SetPendingFlow(a, 0);
        (rebalancing[b], parkedOn[b]) = (rebalancing[a], parkedOn[a]);
        Volatile.Write(ref closed[b], false);
        Volatile.Write(ref closed[a], true);
        classBands.Refresh(a);
        // The near-band list names accounts by row.
        nearBandReady = false;
        return b;
    }
}
