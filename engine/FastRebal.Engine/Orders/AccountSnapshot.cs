using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Orders;

/// <summary>One slot of an account, converted to decimal for trade sizing.</summary>
public readonly record struct Holding(
    int InstrumentIndex,
    Instrument Instrument,
    decimal Quantity,
    decimal Price,
    decimal Target,
    decimal Step,
    bool Restricted)
{
    public decimal Value => Quantity * Price;

    /// <summary>Bought only if liquid, not restricted and wanted by the model.</summary>
    public bool CanBuy => Instrument.Liquid && !Restricted && Target > 0;

    /// <summary>Sold automatically only if liquid.</summary>
    public bool CanSell => Instrument.Liquid;
}

/// <summary>
/// An account as trade sizing sees it: its holdings in decimal, its cash (after pending cash flows) and its IPS.
/// Built only for the accounts that trade, so the hot sweep never allocates one.
/// </summary>
public sealed class AccountSnapshot
{
    /// <summary>Quantity step for fractional trading.</summary>
    public const decimal FractionalStep = 0.000001m;

    public required string AccountId { get; init; }

    public required InvestmentPolicy Policy { get; init; }

    public required decimal Cash { get; init; }

    public required IReadOnlyList<Holding> Holdings { get; init; }

    public decimal TotalValue
    {
        get
        {
            var total = Cash;
            for (var i = 0; i < Holdings.Count; i++)
            {
                total += Holdings[i].Value;
            }
            return total;
        }
    }

    /// <summary>Cash the IPS keeps aside at a given account value.</summary>
    public decimal ReserveAt(decimal totalValue) =>
        Policy.CashReserveAmount + ((decimal)Policy.CashReservePercent * totalValue);

    public static AccountSnapshot From(AccountBook book, int account, decimal cash)
    {
        var holdings = new Holding[book.SlotStart[account + 1] - book.SlotStart[account]];
        Fill(book, account, holdings);
        return new AccountSnapshot { AccountId = book.AccountId(account), Policy = book.Policy(account), Cash = cash, Holdings = holdings };
    }

    /// <summary>
    /// A snapshot for a decision that keeps none of it: its holdings live in a buffer this thread reuses, so it is
    /// valid only until the thread borrows the next one. Deciding a large book would otherwise allocate a holdings
    /// array (about 1.8 KB at 20 positions) for every account that trades.
    /// </summary>
    internal static AccountSnapshot Borrow(AccountBook book, int account, decimal cash)
    {
        var count = book.SlotStart[account + 1] - book.SlotStart[account];
        if (borrowed is null || borrowed.Length < count)
        {
            borrowed = new Holding[Math.Max(count, 64)];
        }
        Fill(book, account, borrowed.AsSpan(0, count));
        return new AccountSnapshot { AccountId = book.AccountId(account), Policy = book.Policy(account), Cash = cash, Holdings = new ArraySegment<Holding>(borrowed, 0, count) };
    }

    [ThreadStatic]
    private static Holding[]? borrowed;

    private static void Fill(AccountBook book, int account, Span<Holding> holdings)
    {
        var policy = book.Policy(account);
        var start = book.SlotStart[account];
        for (var s = start; s < start + holdings.Length; s++)
        {
            var index = book.InstrumentIndices[s];
            var instrument = book.Instruments[index];
            var restricted = instrument.Restricted || IsRestrictedBy(policy, instrument.Id);
            var step = StepOf(policy, instrument);
            holdings[s - start] = new Holding(index, instrument, (decimal)book.Quantities[s], (decimal)book.Marks[s], (decimal)book.Targets[s], step, restricted);
        }
    }

    /// <summary>Whether the IPS names the instrument as restricted (by index: a LINQ Contains boxes an enumerator per holding).</summary>
    private static bool IsRestrictedBy(InvestmentPolicy policy, string instrumentId)
    {
        if (policy.RestrictedInstruments is not { } restricted)
        {
            return false;
        }
        for (var i = 0; i < restricted.Count; i++)
        {
            if (string.Equals(restricted[i], instrumentId, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    public static AccountSnapshot From(AccountBook book, int account) => From(book, account, (decimal)book.Cash[account]);

    /// <summary>The quantity step an account trades an instrument in: a millionth where both it and its IPS allow fractions, else the lot.</summary>
    public static decimal StepOf(InvestmentPolicy policy, Instrument instrument) =>
        policy.FractionalShares && instrument.FractionalAllowed ? FractionalStep : instrument.LotSize;
}
