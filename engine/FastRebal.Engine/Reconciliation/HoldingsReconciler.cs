using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Reconciliation;

/// <summary>How the book and the custodian differ for one account (and instrument).</summary>
public enum BreakKind
{
    /// <summary>Both hold the instrument, in different quantities.</summary>
    QuantityDiffers,

    /// <summary>The custodian holds it; the book has none.</summary>
    MissingInBook,

    /// <summary>The book holds it; the custodian has none.</summary>
    MissingAtCustodian,

    /// <summary>The cash balances differ.</summary>
    CashDiffers,

    /// <summary>The file lists an account the book does not have.</summary>
    UnknownAccount,

    /// <summary>The file lists an instrument the security master does not have.</summary>
    UnknownInstrument,

    /// <summary>The book has an account the file does not list.</summary>
    AccountNotInFile,
}

/// <summary>
/// One difference between the book and the custodian. <see cref="Acceptable"/> tells whether an operator can take the
/// custodian's figure for it (<see cref="Pipeline.AcceptCustodianHoldings"/>); if not, <see cref="Why"/> says why.
/// </summary>
public sealed record ReconciliationBreak(string AccountId, BreakKind Kind, string? InstrumentId, decimal BookQuantity, decimal CustodianQuantity, bool Acceptable, string? Why = null)
{
    /// <summary>Custodian minus book.</summary>
    public decimal Difference => CustodianQuantity - BookQuantity;
}

/// <summary>The outcome of one holdings sync: what was compared and every break, by account.</summary>
public sealed class ReconciliationReport
{
    public required string Source { get; init; }

    public required DateOnly AsOf { get; init; }

    /// <summary>Accounts both the book and the file hold.</summary>
    public required int AccountsCompared { get; init; }

    public required IReadOnlyList<ReconciliationBreak> Breaks { get; init; }

    /// <summary>The file's rows that could not be read (their accounts were not compared).</summary>
    public IReadOnlyList<InputError> Errors { get; init; } = [];

    /// <summary>The custodian's figures, kept so an operator can accept them for an account later.</summary>
    internal IReadOnlyDictionary<string, CustodianAccount> Custodian { get; init; } = new Dictionary<string, CustodianAccount>();

    public int AccountsWithBreaks => Breaks.Select(b => b.AccountId).Distinct(StringComparer.Ordinal).Count();

    public IEnumerable<ReconciliationBreak> For(string accountId) => Breaks.Where(b => b.AccountId == accountId);

    /// <summary>The same report without the breaks of <paramref name="accountId"/> (accepted, or matched since).</summary>
    internal ReconciliationReport Without(string accountId) => new()
    {
        Source = Source,
        AsOf = AsOf,
        AccountsCompared = AccountsCompared,
        Breaks = [.. Breaks.Where(b => b.AccountId != accountId)],
        Errors = Errors,
        Custodian = Custodian,
    };
}

/// <summary>
/// Compares a custodian's end-of-day holdings with the book: every instrument of every account both hold, the cash,
/// and the accounts and instruments only one side knows. Differences within a millionth of a share, or half a cent
/// of cash, are rounding, not breaks.
/// </summary>
public static class HoldingsReconciler
{
    public const decimal QuantityTolerance = 0.000001m;

    public const decimal CashTolerance = 0.005m;

    /// <param name="inFlight">Whether an account has trades not yet done: its breaks may only be fills the custodian has not booked yet, and cannot be accepted now.</param>
    public static ReconciliationReport Compare(AccountBook book, CustodianHoldings holdings, Func<int, bool>? inFlight = null)
    {
        var breaks = new List<ReconciliationBreak>();
        var compared = 0;
        foreach (var (accountId, held) in holdings.Accounts.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var a = book.FindAccount(accountId);
            if (a < 0)
            {
                breaks.Add(new ReconciliationBreak(accountId, BreakKind.UnknownAccount, null, 0, 0, false, "the book has no such account (opening an account is not built yet)"));
                continue;
            }
            compared++;
            var busy = inFlight?.Invoke(a) == true;
            var start = book.SlotStart[a];
            var end = book.SlotStart[a + 1];
            var inBook = new Dictionary<string, decimal>(StringComparer.Ordinal);
            for (var s = start; s < end; s++)
            {
                var quantity = (decimal)book.Quantities[s];
                inBook[book.Instruments[book.InstrumentIndices[s]].Id] = quantity;
            }
            foreach (var (instrumentId, custodian) in held.Positions.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (!book.Instruments.TryGetIndex(instrumentId, out _))
                {
                    breaks.Add(new ReconciliationBreak(accountId, BreakKind.UnknownInstrument, instrumentId, 0, custodian, false, "not in the firm's security master"));
                    continue;
                }
                var hasSlot = inBook.Remove(instrumentId, out var own);
                if (Math.Abs(custodian - own) <= QuantityTolerance)
                {
                    continue;
                }
                var kind = own == 0 ? BreakKind.MissingInBook : custodian == 0 ? BreakKind.MissingAtCustodian : BreakKind.QuantityDiffers;
                var why = !hasSlot ? "the account's book has no place for this instrument (only its model's and what it held when loaded); reload the account with it"
                    : busy ? "the account has trades in flight; accept once they are done" : null;
                breaks.Add(new ReconciliationBreak(accountId, kind, instrumentId, own, custodian, why is null, why));
            }
            foreach (var (instrumentId, own) in inBook.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (Math.Abs(own) > QuantityTolerance)
                {
                    breaks.Add(new ReconciliationBreak(accountId, BreakKind.MissingAtCustodian, instrumentId, own, 0, !busy, busy ? "the account has trades in flight; accept once they are done" : null));
                }
            }
            if (held.Cash is { } cash && Math.Abs(cash - (decimal)book.Cash[a]) > CashTolerance)
            {
                breaks.Add(new ReconciliationBreak(accountId, BreakKind.CashDiffers, null, decimal.Round((decimal)book.Cash[a], 2), cash, !busy && cash >= 0,
                    cash < 0 ? "the custodian shows an overdraft, which a holdings file may not set (only fills take cash below zero)" : busy ? "the account has trades in flight; accept once they are done" : null));
            }
        }
        for (var a = 0; a < book.AccountCount; a++)
        {
            var id = book.AccountId(a);
            if (!book.IsFreeRow(a) && !holdings.Accounts.ContainsKey(id) && !holdings.NotReconciled.Contains(id))
            {
                breaks.Add(new ReconciliationBreak(id, BreakKind.AccountNotInFile, null, 0, 0, false, "the custodian's file does not list it (closed there, or held at another custodian)"));
            }
        }
        return new ReconciliationReport
        {
            Source = holdings.Source,
            AsOf = holdings.AsOf,
            AccountsCompared = compared,
            Breaks = breaks,
            Errors = holdings.Errors,
            Custodian = holdings.Accounts,
        };
    }
}
