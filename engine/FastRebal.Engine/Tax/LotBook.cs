using System.Globalization;

namespace FastRebal.Engine.Tax;

/// <summary>
/// Every taxable account's lots, by account and instrument. Buys open lots, sells relieve them through
/// <see cref="LotSelector"/>, and the wash-sale ledger adjusts replacement lots. Lots of a position always sum to the
/// position's quantity: the only writers are <see cref="Buy"/>, <see cref="Sell"/> and <see cref="AdjustForWashSale"/>,
/// and each keeps that true.
/// </summary>
public sealed class LotBook : ILotStore
{
    private readonly Dictionary<string, Dictionary<string, List<TaxLot>>> lots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> nextLotNumber = new(StringComparer.Ordinal);

    public IEnumerable<string> Accounts => lots.Keys;

    public bool HasAccount(string accountId) => lots.ContainsKey(accountId);

    /// <summary>The lots of every account started with none, until it gets one (<see cref="Mutable"/> gives it its own): a firm's taxable accounts without lots cost nothing each.</summary>
    private static readonly Dictionary<string, List<TaxLot>> NoLots = new(StringComparer.Ordinal);

    /// <summary>Starts an account's lots (positions without lots simply have none).</summary>
    public void AddAccount(string accountId, IEnumerable<TaxLot> accountLots)
    {
        if (accountLots is ICollection<TaxLot> { Count: 0 })
        {
            lots[accountId] = NoLots;
            return;
        }
        var byInstrument = new Dictionary<string, List<TaxLot>>(StringComparer.Ordinal);
        foreach (var lot in accountLots)
        {
            if (!byInstrument.TryGetValue(lot.InstrumentId, out var list))
            {
                byInstrument[lot.InstrumentId] = list = [];
            }
            list.Add(lot);
        }
        lots[accountId] = byInstrument;
    }

    public IReadOnlyList<TaxLot> Lots(string accountId, string instrumentId) =>
        lots.TryGetValue(accountId, out var byInstrument) && byInstrument.TryGetValue(instrumentId, out var list) ? list : [];

    public IEnumerable<TaxLot> AllLots(string accountId) =>
        lots.TryGetValue(accountId, out var byInstrument) ? byInstrument.Values.SelectMany(l => l) : [];

    /// <summary>One account's lots as the decision rules read them.</summary>
    public IAccountLots For(string accountId) => new AccountLots(this, accountId);

    private sealed class AccountLots(LotBook book, string accountId) : IAccountLots
    {
        public bool Tracked => book.HasAccount(accountId);

        public IReadOnlyList<TaxLot> Lots(string instrumentId) => book.Lots(accountId, instrumentId);
    }

    public bool HasLots(string accountId, string instrumentId) => Lots(accountId, instrumentId).Count > 0;

    public decimal Quantity(string accountId, string instrumentId) => Lots(accountId, instrumentId).Sum(l => l.Quantity);

    /// <summary>Opens a lot for a purchase; its id is the instrument, the date and a counter, unique within the account.</summary>
    public TaxLot Buy(string accountId, string instrumentId, DateOnly date, decimal quantity, decimal price)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"{accountId}|{instrumentId}|{date:yyyyMMdd}");
        string id;
        do
        {
            var n = nextLotNumber[key] = nextLotNumber.GetValueOrDefault(key) + 1;
            id = string.Create(CultureInfo.InvariantCulture, $"{instrumentId}-{date:yyyyMMdd}-{n}");
        }
        while (Lots(accountId, instrumentId).Any(l => l.Id == id));
        var lot = new TaxLot(id, instrumentId, date, quantity, quantity * price);
        Mutable(accountId, instrumentId).Add(lot);
        return lot;
    }

    /// <summary>Applies a selection made by <see cref="LotSelector.Select"/> on this book's lots.</summary>
    public void Sell(string accountId, string instrumentId, LotSelection selection)
    {
        var list = Mutable(accountId, instrumentId);
        var remaining = LotSelector.Apply(list, selection);
        list.Clear();
        list.AddRange(remaining);
    }

    /// <summary>
    /// A wash sale: <paramref name="quantity"/> shares of lot <paramref name="lotId"/> replaced shares sold at a loss.
    /// Those shares take the disallowed loss into their basis and the sold shares' holding period; when only part of
    /// the lot is a replacement it is split, so the rest keeps its own basis and date. Returns the adjusted lot, or null
    /// when the lot is not in the book. The remainder's id is returned when the lot was split.
    /// </summary>
    public (TaxLot Adjusted, string? RemainderLotId)? AdjustForWashSale(string accountId, string instrumentId, string lotId, decimal quantity, decimal disallowedLoss, int carriedHoldingDays)
    {
        var list = Mutable(accountId, instrumentId);
        var index = list.FindIndex(l => l.Id == lotId);
        if (index < 0 || quantity <= 0)
        {
            return null;
        }
        var lot = list[index];
        quantity = Math.Min(quantity, lot.Quantity);
        var movedBasis = quantity == lot.Quantity ? lot.CostBasis : lot.CostBasis * quantity / lot.Quantity;
        var adjusted = lot with
        {
            Quantity = quantity,
            CostBasis = movedBasis + disallowedLoss,
            HoldingSince = Earlier(lot.HoldingPeriodStart.AddDays(-carriedHoldingDays), lot.HoldingPeriodStart),
            WashSaleAdjustment = (quantity == lot.Quantity ? lot.WashSaleAdjustment : 0) + disallowedLoss,
        };
        list[index] = adjusted;
        if (quantity == lot.Quantity)
        {
            return (adjusted, null);
        }
        var remainderId = lot.Id + "b";
        while (list.Any(l => l.Id == remainderId))
        {
            remainderId += "b";
        }
        list.Insert(index + 1, lot with { Id = remainderId, Quantity = lot.Quantity - quantity, CostBasis = lot.CostBasis - movedBasis });
        return (adjusted, remainderId);
    }

    private static DateOnly Earlier(DateOnly a, DateOnly b) => a < b ? a : b;

    private List<TaxLot> Mutable(string accountId, string instrumentId)
    {
        if (!lots.TryGetValue(accountId, out var byInstrument) || byInstrument == NoLots)
        {
            lots[accountId] = byInstrument = new Dictionary<string, List<TaxLot>>(StringComparer.Ordinal);
        }
        if (!byInstrument.TryGetValue(instrumentId, out var list))
        {
            byInstrument[instrumentId] = list = [];
        }
        return list;
    }
}
