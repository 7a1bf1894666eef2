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

    public decimal TotalValue => Cash + Holdings.Sum(h => h.Value);

    /// <summary>Cash the IPS keeps aside at a given account value.</summary>
    public decimal ReserveAt(decimal totalValue) =>
        Policy.CashReserveAmount + ((decimal)Policy.CashReservePercent * totalValue);

    public static AccountSnapshot From(AccountBook book, int account, decimal cash)
    {
        var policy = book.Policy(account);
        var start = book.SlotStart[account];
        var end = book.SlotStart[account + 1];
        var holdings = new Holding[end - start];
        for (var s = start; s < end; s++)
        {
            var index = book.InstrumentIndices[s];
            var instrument = book.Instruments[index];
            var restricted = instrument.Restricted || (policy.RestrictedInstruments?.Contains(instrument.Id, StringComparer.Ordinal) ?? false);
            var step = policy.FractionalShares && instrument.FractionalAllowed ? FractionalStep : instrument.LotSize;
            holdings[s - start] = new Holding(index, instrument, (decimal)book.Quantities[s], (decimal)book.Marks[s], (decimal)book.Targets[s], step, restricted);
        }
        return new AccountSnapshot { AccountId = book.AccountId(account), Policy = policy, Cash = cash, Holdings = holdings };
    }

    public static AccountSnapshot From(AccountBook book, int account) => From(book, account, (decimal)book.Cash[account]);
}
