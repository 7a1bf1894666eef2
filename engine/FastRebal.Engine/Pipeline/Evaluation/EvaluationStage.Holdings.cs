using System.Globalization;
using FastRebal.Engine.Reconciliation;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

// Holdings sync: the custodian's end-of-day figures against the book, and an operator taking the custodian's figures.
public sealed partial class EvaluationStage
{
    private ReconciliationReport? reconciliation;

    /// <summary>The latest holdings sync and the breaks still open (accepted accounts drop out); null before the first. Safe from any thread.</summary>
    public ReconciliationReport? Reconciliation => Volatile.Read(ref reconciliation);

    private static void ResolveSync(ReconcileHoldings sync, JournaledCommand resolved)
    {
        resolved.Kind = CommandKind.HoldingsSync;
        resolved.Holdings = HoldingsImage.From(sync.Holdings);
        resolved.Target = sync.Holdings.Source;
        resolved.Approve = sync.AcceptAll;
    }

    /// <summary>Puts the custodian's figures for the account's breaks into the command, so a replay needs no sync report.</summary>
    private void ResolveAcceptance(AcceptCustodianHoldings accept, JournaledCommand resolved)
    {
        resolved.Kind = CommandKind.Refused;
        resolved.AccountId = accept.AccountId;
        var report = Reconciliation;
        if (report is null)
        {
            resolved.Refusal = "no holdings sync has run yet";
            return;
        }
        resolved.Target = report.Source;
        var breaks = report.For(accept.AccountId).ToList();
        if (breaks.Count == 0)
        {
            resolved.Refusal = $"account '{Scenarios.TextLimit.Clip(accept.AccountId, 80)}' has no open break in the sync of {report.Source}";
            return;
        }
        if (breaks.FirstOrDefault(b => !b.Acceptable) is { } blocked)
        {
            resolved.Refusal = $"{accept.AccountId}: the break in {blocked.InstrumentId ?? blocked.Kind.ToString()} cannot be accepted: {blocked.Why}; nothing was changed";
            return;
        }
        resolved.Kind = CommandKind.AcceptHoldings;
        (resolved.Instruments, resolved.Quantities, resolved.CashBalance) = CustodianFigures(breaks);
    }

    /// <summary>What an account's breaks say the custodian holds: each instrument's quantity, and its cash when that differed.</summary>
    private static (string[] Instruments, decimal[] Quantities, decimal? Cash) CustodianFigures(List<ReconciliationBreak> breaks)
    {
        var positions = breaks.Where(b => b.InstrumentId is not null).ToList();
        return ([.. positions.Select(b => b.InstrumentId!)], [.. positions.Select(b => b.CustodianQuantity)],
            breaks.FirstOrDefault(b => b.Kind == BreakKind.CashDiffers)?.CustodianQuantity);
    }

    private CommandResult ApplySync(JournaledCommand command)
    {
        var holdings = command.Holdings!.ToHoldings();
        var report = HoldingsReconciler.Compare(book, holdings, a => openTrades[a] > 0);
        var accepted = 0;
        var refused = 0;
        if (command.Approve)
        {
            foreach (var account in report.Breaks.Select(b => b.AccountId).Distinct(StringComparer.Ordinal).ToList())
            {
                var breaks = report.For(account).ToList();
                if (!breaks.All(b => b.Acceptable))
                {
                    continue;
                }
                var (instruments, quantities, cash) = CustodianFigures(breaks);
                var problem = TakeCustodianFigures(book.FindAccount(account), instruments, quantities, cash, out _);
                if (problem is null)
                {
                    report = report.Without(account);
                    accepted++;
                }
                else
                {
                    refused++;
                }
            }
        }
        Volatile.Write(ref reconciliation, report);
        Counters.HoldingsSyncs++;
        return CommandResult.Ok(string.Create(CultureInfo.InvariantCulture,
            $"holdings sync of {report.Source} (as of {report.AsOf:yyyy-MM-dd}): {report.AccountsCompared:N0} account(s) compared, {report.Breaks.Count:N0} break(s) open in {report.AccountsWithBreaks:N0} account(s){(command.Approve ? $"; the custodian's figures taken for {accepted:N0} account(s){(refused > 0 ? $", refused for {refused:N0}" : "")}" : "")}{(report.Errors.Count > 0 ? $"; {report.Errors.Count:N0} row(s) of the file could not be read" : "")}"));
    }

    private CommandResult ApplyAcceptance(JournaledCommand command)
    {
        var a = book.FindAccount(command.AccountId ?? "");
        if (a < 0)
        {
            return CommandResult.Refused($"unknown account '{command.AccountId}'");
        }
        var problem = TakeCustodianFigures(a, command.Instruments ?? [], command.Quantities ?? [], command.CashBalance, out var detail);
        if (problem is not null)
        {
            return CommandResult.Refused(problem);
        }
        if (Reconciliation is { } report)
        {
            Volatile.Write(ref reconciliation, report.Without(command.AccountId!));
        }
        return CommandResult.Ok($"{command.AccountId} takes the custodian's figures of {command.Target}: {detail}");
    }

    /// <summary>
    /// Sets the account's quantities of <paramref name="instruments"/> and its cash to the custodian's, all or nothing.
    /// Lots follow: shares the custodian has more of open a lot at the day's price (its real basis is the
    /// custodian's to supply); shares it has fewer of leave the newest lots first, realizing nothing, since no sale
    /// happened in the book.
    /// </summary>
    private string? TakeCustodianFigures(int a, string[] instruments, decimal[] quantities, decimal? cash, out string detail, BookMovementKind movement = BookMovementKind.Custodian)
    {
        detail = "";
        if (openTrades[a] > 0)
        {
            return $"{book.AccountId(a)} has trades in flight; accept once they are done";
        }
        if (cash is < 0)
        {
            return $"{book.AccountId(a)}: the custodian's cash {cash:0.00} is negative, which a holdings file may not set (only fills take cash below zero)";
        }
        var changes = new (int Instrument, double Change)[instruments.Length];
        var slots = new int[instruments.Length];
        var words = new List<string>();
        for (var i = 0; i < instruments.Length; i++)
        {
            var known = book.Instruments.TryGetIndex(instruments[i], out var instrument);
            slots[i] = known ? book.SlotOf(a, instrument) : -1;
            if (slots[i] < 0 || quantities[i] < 0)
            {
                return $"{book.AccountId(a)}: {instruments[i]} cannot take the custodian's quantity {quantities[i]} (no place for it in the account's book); nothing was changed";
            }
            var own = (decimal)book.Quantities[slots[i]];
            changes[i] = (instrument, (double)(quantities[i] - own));
            words.Add(string.Create(CultureInfo.InvariantCulture, $"{instruments[i]} {own:0.######} -> {quantities[i]:0.######}"));
        }
        book.ApplyExecution(a, changes, 0, null);
        foreach (var (instrument, change) in changes)
        {
            Moved(a, movement, instrument, (decimal)change, 0);
        }
        if (cash is { } balance)
        {
            words.Add(string.Create(CultureInfo.InvariantCulture, $"cash {book.Cash[a]:0.00} -> {balance:0.00}"));
            var before = (decimal)book.Cash[a];
            book.ApplyCashFlow(a, (double)balance - book.Cash[a]);
            Moved(a, movement, -1, 0, (decimal)book.Cash[a] - before);
        }
        if (tax is not null && tax.Lots.IsTracked(a) && book.Policy(a).TaxStatus == Model.TaxStatus.Taxable)
        {
            for (var i = 0; i < instruments.Length; i++)
            {
                var slot = tax.Lots.SlotOf(a, changes[i].Instrument);
                var change = (decimal)changes[i].Change;
                if (change > 0)
                {
                    tax.Lots.Open(slot, day, change, (decimal)book.Prices[changes[i].Instrument]);
                    words.Add($"a lot of {change:0.######} {instruments[i]} opened at the day's price (basis to confirm with the custodian)");
                }
                else if (change < 0 && tax.Lots.LotCount(slot) > 0)
                {
                    tax.Lots.Remove(slot, LotSelector.Select(tax.Lots.Lots(slot), -change, (decimal)book.Prices[changes[i].Instrument], day, LotMethod.Lifo));
                }
            }
        }
        MarkDirty(a);
        detail = string.Join("; ", words);
        return null;
    }
}
