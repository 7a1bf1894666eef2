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

    // Fields rather than auto-properties so that a borrowed snapshot can be set again for the next account (see Borrow).
    private string accountId = "";
    private InvestmentPolicy policy = null!;
    private decimal cash;
    private IReadOnlyList<Holding> holdings = [];

    public required string AccountId { get => accountId; init => accountId = value; }

    public required InvestmentPolicy Policy { get => policy; init => policy = value; }

    public required decimal Cash { get => cash; init => cash = value; }

    public required IReadOnlyList<Holding> Holdings { get => holdings; init => holdings = value; }

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
    /// A snapshot for a decision that keeps none of it: the snapshot and its holdings are one object and one buffer
    /// this thread reuses, so it is valid only until the thread borrows the next one. Deciding a large book would
    /// otherwise allocate a snapshot and a holdings array (about 1.8 KB at 20 positions) for every account that trades.
    /// </summary>
    internal static AccountSnapshot Borrow(AccountBook book, int account, decimal cash)
    {
        var snapshot = borrowed ??= new AccountSnapshot { AccountId = "", Policy = null!, Cash = 0, Holdings = new BorrowedHoldings() };
        var view = (BorrowedHoldings)snapshot.holdings;
        view.Fill(book, account);
        (snapshot.accountId, snapshot.policy, snapshot.cash) = (book.AccountId(account), book.Policy(account), cash);
        return snapshot;
    }

    [ThreadStatic]
    private static AccountSnapshot? borrowed;

    /// <summary>The holdings of a borrowed snapshot: the first <see cref="Count"/> places of a buffer kept for the next account.</summary>
    private sealed class BorrowedHoldings : IReadOnlyList<Holding>
    {
        private Holding[] items = new Holding[64];

        public int Count { get; private set; }

        public Holding this[int index] => (uint)index < (uint)Count ? items[index] : throw new ArgumentOutOfRangeException(nameof(index));

        public void Fill(AccountBook book, int account)
        {
            var count = book.SlotStart[account + 1] - book.SlotStart[account];
            if (items.Length < count)
            {
                items = new Holding[count];
            }
            Count = count;
            AccountSnapshot.Fill(book, account, items.AsSpan(0, count));
        }

        public IEnumerator<Holding> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return items[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

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
