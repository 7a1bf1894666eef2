using System.Globalization;
using MemoryPack;

namespace FastRebal.Engine.Tax;

/// <summary>Where a purchase came from: the wash-sale rule counts them all, not only the engine's own trades.</summary>
public enum TradeSource
{
    Rebalance,
    CashFlow,
    Harvest,
    SwapBack,
    DividendReinvestment,
    Manual,
}

/// <summary>One wash sale: shares sold at a loss matched with replacement shares bought within 30 days either side.</summary>
/// <param name="PermanentlyDisallowed">The replacement is in a tax-deferred account, so the loss is lost, not deferred into a basis.</param>
public sealed record WashSale(
    string HouseholdId,
    DateOnly SaleDate,
    string SaleAccountId,
    string SoldInstrumentId,
    string SoldLotId,
    DateOnly ReplacementDate,
    string ReplacementAccountId,
    string ReplacementInstrumentId,
    string? ReplacementLotId,
    TradeSource ReplacementSource,
    decimal Quantity,
    decimal DisallowedLoss,
    bool PermanentlyDisallowed,
    string Reason);

/// <summary>
/// The household's purchases and loss sales over the wash-sale window, across every account of the household
/// (tax-deferred ones included) and every source of purchase. It answers the two questions a trade asks first
/// (was a substantially identical instrument bought in the 30 days before this loss sale; was one sold at a loss in
/// the 30 days before this purchase) and, when a wash sale happens anyway, matches replacement shares to loss shares
/// in date order, each share once, and moves the disallowed loss into the replacement lot's basis with the sold
/// shares' holding period.
/// </summary>
public sealed class WashSaleLedger(InstrumentRelations relations, ILotStore lots)
{
    private sealed class Buy
    {
        public required string HouseholdId { get; init; }
        public required string AccountId { get; init; }
        public required bool TaxDeferred { get; init; }
        public required string InstrumentId { get; init; }
        public required DateOnly Date { get; init; }
        public required TradeSource Source { get; init; }
        public string? LotId { get; set; }
        public decimal Unmatched { get; set; }
    }

    private sealed class LossSale
    {
        public required string HouseholdId { get; init; }
        public required string AccountId { get; init; }
        public required string InstrumentId { get; init; }
        public required string LotId { get; init; }
        public required DateOnly Date { get; init; }
        public required decimal LossPerShare { get; set; }
        public required int HeldDays { get; init; }
        public decimal Open { get; set; }
    }

    // By household: every question is about one household, and a firm has many.
    private readonly Dictionary<string, List<Buy>> buysByHousehold = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<LossSale>> lossSalesByHousehold = new(StringComparer.Ordinal);

    private List<Buy> Buys(string householdId) =>
        buysByHousehold.TryGetValue(householdId, out var list) ? list : buysByHousehold[householdId] = [];

    private List<LossSale> LossSales(string householdId) =>
        lossSalesByHousehold.TryGetValue(householdId, out var list) ? list : lossSalesByHousehold[householdId] = [];
    private readonly List<WashSale> washSales = [];

    public InstrumentRelations Relations => relations;

    /// <summary>Every wash sale this ledger found, in the order found.</summary>
    public IReadOnlyList<WashSale> WashSales => washSales;

    /// <summary>
    /// A purchase of a substantially identical instrument in the household in the 30 days up to <paramref name="saleDate"/>
    /// that could still replace loss shares, ignoring the lots being sold (selling part of the lot you bought is
    /// not a wash sale). Returns a description of it, or null when a loss sale would not be washed by an earlier buy.
    /// </summary>
    public string? RecentReplacementBuy(string householdId, string accountId, string instrumentId, DateOnly saleDate, IReadOnlyCollection<string>? soldLotIds = null)
    {
        var buy = Buys(householdId).FirstOrDefault(b => b.Unmatched > 0 && relations.AreIdentical(b.InstrumentId, instrumentId)
            && b.Date <= saleDate && TaxCalendar.WithinWashWindow(b.Date, saleDate)
            && !(b.AccountId == accountId && b.LotId is not null && (soldLotIds?.Contains(b.LotId) ?? false)));
        return buy is null ? null : Text($"{buy.InstrumentId} was bought in {buy.AccountId} on {buy.Date:yyyy-MM-dd} ({buy.Source})");
    }

    /// <summary>
    /// A loss sale of a substantially identical instrument in the household in the 30 days up to <paramref name="buyDate"/>
    /// whose loss is not yet matched. Buying now would be a wash sale; returns a description, or null when a buy is clean.
    /// </summary>
    public string? RecentLossSale(string householdId, string instrumentId, DateOnly buyDate)
    {
        var sale = LossSales(householdId).FirstOrDefault(s => s.Open > 0 && relations.AreIdentical(s.InstrumentId, instrumentId)
            && s.Date <= buyDate && TaxCalendar.WithinWashWindow(s.Date, buyDate));
        if (sale is not null)
        {
            return Text($"{sale.InstrumentId} was sold at a loss in {sale.AccountId} on {sale.Date:yyyy-MM-dd}; no repurchase before {sale.Date.AddDays(TaxCalendar.WashSaleWindowDays + 1):yyyy-MM-dd}");
        }
        var planned = plannedByHousehold.TryGetValue(householdId, out var list)
            ? list.FirstOrDefault(p => relations.AreIdentical(p.InstrumentId, instrumentId) && p.Date <= buyDate && TaxCalendar.WithinWashWindow(p.Date, buyDate))
            : null;
        return planned is null ? null : Text($"{planned.InstrumentId} is being sold at a loss in {planned.AccountId} since {planned.Date:yyyy-MM-dd}; no repurchase before {planned.Date.AddDays(TaxCalendar.WashSaleWindowDays + 1):yyyy-MM-dd}");
    }

    /// <summary>A sale expected to realize a loss, released but not yet filled (a live engine's orders in flight).</summary>
    private sealed record PlannedLossSale(string AccountId, string InstrumentId, DateOnly Date);

    private readonly Dictionary<string, List<PlannedLossSale>> plannedByHousehold = new(StringComparer.Ordinal);

    /// <summary>
    /// A sale released that is expected to realize a loss: until its account's trades are done
    /// (<see cref="ClearPlanned"/>), <see cref="RecentLossSale"/> counts it, so another account of the household decided
    /// before the fill does not buy the instrument back (the fill then records the sale itself).
    /// </summary>
    public void PlanLossSale(string householdId, string accountId, string instrumentId, DateOnly date)
    {
        if (!plannedByHousehold.TryGetValue(householdId, out var list))
        {
            plannedByHousehold[householdId] = list = [];
        }
        list.Add(new PlannedLossSale(accountId, instrumentId, date));
    }

    /// <summary>The account's trades are done: its planned loss sales are filled (and recorded) or cancelled.</summary>
    public void ClearPlanned(string householdId, string accountId)
    {
        if (plannedByHousehold.TryGetValue(householdId, out var list) && list.RemoveAll(p => p.AccountId == accountId) > 0 && list.Count == 0)
        {
            plannedByHousehold.Remove(householdId);
        }
    }

    /// <summary>Whether the household has a loss sale that could still be washed (a cheap test before the questions above).</summary>
    public bool HasLossSales(string householdId) =>
        (lossSalesByHousehold.TryGetValue(householdId, out var sales) && sales.Count > 0) || plannedByHousehold.ContainsKey(householdId);

    /// <summary>
    /// Records a sale. Every relieved lot with a loss is matched with earlier replacement purchases (oldest first);
    /// what is matched is disallowed, what is not stays open for purchases in the next 30 days.
    /// <paramref name="adjustLots"/> is false for history the custodian already settled: it only consumes the matches.
    /// </summary>
    public IReadOnlyList<WashSale> RecordSale(string householdId, string accountId, string instrumentId, DateOnly date, IEnumerable<LotRelief> reliefs, bool adjustLots = true)
    {
        var found = new List<WashSale>();
        var reliefList = reliefs.ToList();
        var soldLots = reliefList.Select(r => r.LotId).ToHashSet(StringComparer.Ordinal);
        foreach (var relief in reliefList.Where(r => r.Gain < 0 && r.Quantity > 0))
        {
            var sale = new LossSale
            {
                HouseholdId = householdId, AccountId = accountId, InstrumentId = instrumentId, LotId = relief.LotId, Date = date,
                LossPerShare = -relief.Gain / relief.Quantity, HeldDays = date.DayNumber - relief.HoldingStart.DayNumber, Open = relief.Quantity,
            };
            foreach (var buy in Buys(householdId).Where(b => b.Unmatched > 0 && relations.AreIdentical(b.InstrumentId, instrumentId)
                && b.Date <= date && TaxCalendar.WithinWashWindow(b.Date, date)
                && !(b.AccountId == accountId && b.LotId is not null && soldLots.Contains(b.LotId))).OrderBy(b => b.Date).ToList())
            {
                if (sale.Open <= 0)
                {
                    break;
                }
                if (Match(sale, buy, adjustLots) is { } wash)
                {
                    found.Add(wash);
                }
            }
            LossSales(householdId).Add(sale);
        }
        washSales.AddRange(found);
        return found;
    }

    /// <summary>
    /// Records a purchase (any account of the household, any source). It is matched with open loss sales of the 30 days
    /// before (oldest first); matched shares of its lot take the disallowed loss into their basis.
    /// </summary>
    public IReadOnlyList<WashSale> RecordBuy(string householdId, string accountId, bool taxDeferred, string instrumentId, DateOnly date, decimal quantity, string? lotId, TradeSource source, bool adjustLots = true)
    {
        var buy = new Buy
        {
            HouseholdId = householdId, AccountId = accountId, TaxDeferred = taxDeferred, InstrumentId = instrumentId, Date = date,
            Source = source, LotId = lotId, Unmatched = quantity,
        };
        var found = new List<WashSale>();
        foreach (var sale in LossSales(householdId).Where(s => s.Open > 0 && relations.AreIdentical(s.InstrumentId, instrumentId)
            && s.Date <= date && TaxCalendar.WithinWashWindow(s.Date, date)).OrderBy(s => s.Date).ToList())
        {
            if (buy.Unmatched <= 0)
            {
                break;
            }
            if (Match(sale, buy, adjustLots) is { } wash)
            {
                found.Add(wash);
            }
        }
        Buys(householdId).Add(buy);
        washSales.AddRange(found);
        return found;
    }

    /// <summary>
    /// A split of <paramref name="instrumentId"/>: the shares of its open purchases and loss sales are counted in new
    /// shares (times <paramref name="ratio"/>), and a loss per share is divided by it, so each keeps its whole loss and
    /// matches what the split lots now hold.
    /// </summary>
    public void Split(string instrumentId, decimal ratio)
    {
        foreach (var buy in buysByHousehold.Values.SelectMany(b => b).Where(b => b.InstrumentId == instrumentId))
        {
            buy.Unmatched *= ratio;
        }
        foreach (var sale in lossSalesByHousehold.Values.SelectMany(s => s).Where(s => s.InstrumentId == instrumentId))
        {
            sale.Open *= ratio;
            sale.LossPerShare /= ratio;
        }
    }

    private WashSale? Match(LossSale sale, Buy buy, bool adjustLots)
    {
        var quantity = Math.Min(sale.Open, buy.Unmatched);
        if (adjustLots && !buy.TaxDeferred && buy.LotId is not null && lots.HasAccount(buy.AccountId))
        {
            // Only shares still held can carry the disallowed loss: a replacement lot already sold replaces nothing now.
            var held = lots.Lots(buy.AccountId, buy.InstrumentId).FirstOrDefault(l => l.Id == buy.LotId)?.Quantity ?? 0;
            if (held < buy.Unmatched)
            {
                buy.Unmatched = held;
            }
            quantity = Math.Min(quantity, held);
            if (quantity <= 0)
            {
                return null;
            }
        }
        var disallowed = quantity * sale.LossPerShare;
        sale.Open -= quantity;
        buy.Unmatched -= quantity;
        var replacementLot = buy.LotId;
        string reason;
        if (buy.TaxDeferred)
        {
            reason = "replacement bought in a tax-deferred account: the loss is disallowed and cannot be added to any basis";
        }
        else if (!adjustLots)
        {
            reason = "settled history: the custodian's lots already carry the adjustment";
        }
        else if (buy.LotId is not null && lots.AdjustForWashSale(buy.AccountId, buy.InstrumentId, buy.LotId, quantity, disallowed, sale.HeldDays) is { } adjusted)
        {
            // The unmatched rest of the purchase (if any) is now its own lot; later matches go there.
            buy.LotId = adjusted.RemainderLotId ?? buy.LotId;
            reason = Text($"disallowed loss {disallowed:N2} added to lot {replacementLot}'s basis; holding period carried over ({sale.HeldDays} days)");
        }
        else
        {
            reason = "replacement lot not found in the lot book: the loss is disallowed and the basis adjustment must be made by hand";
        }
        return new WashSale(sale.HouseholdId, sale.Date, sale.AccountId, sale.InstrumentId, sale.LotId, buy.Date, buy.AccountId, buy.InstrumentId,
            replacementLot, buy.Source, quantity, disallowed, buy.TaxDeferred, reason);
    }

    /// <summary>
    /// Forgets what can no longer match anything from <paramref name="today"/> on: purchases and loss sales more than 30
    /// days back or fully matched, and the wash sales found so far (a live engine has recorded them as it found them).
    /// A ledger that runs for months then stays the size of its window.
    /// </summary>
    public void ForgetBefore(DateOnly today)
    {
        var oldest = today.AddDays(-TaxCalendar.WashSaleWindowDays);
        foreach (var (household, list) in buysByHousehold.ToList())
        {
            list.RemoveAll(b => b.Date < oldest || b.Unmatched <= 0);
            if (list.Count == 0)
            {
                buysByHousehold.Remove(household);
            }
        }
        foreach (var (household, list) in lossSalesByHousehold.ToList())
        {
            list.RemoveAll(s => s.Date < oldest || s.Open <= 0);
            if (list.Count == 0)
            {
                lossSalesByHousehold.Remove(household);
            }
        }
        washSales.Clear();
    }

    /// <summary>The open purchases, loss sales and planned loss sales, households in ordinal order, for a checkpoint (wash sales already found are not kept).</summary>
    public WashSaleLedgerImage Capture()
    {
        var buys = buysByHousehold.OrderBy(h => h.Key, StringComparer.Ordinal).SelectMany(h => h.Value).ToList();
        var sales = lossSalesByHousehold.OrderBy(h => h.Key, StringComparer.Ordinal).SelectMany(h => h.Value).ToList();
        var planned = plannedByHousehold.OrderBy(h => h.Key, StringComparer.Ordinal).SelectMany(h => h.Value.Select(p => (Household: h.Key, Sale: p))).ToList();
        return new WashSaleLedgerImage
        {
            BuyHousehold = [.. buys.Select(b => b.HouseholdId)],
            BuyAccount = [.. buys.Select(b => b.AccountId)],
            BuyTaxDeferred = [.. buys.Select(b => b.TaxDeferred)],
            BuyInstrument = [.. buys.Select(b => b.InstrumentId)],
            BuyDate = [.. buys.Select(b => b.Date.DayNumber)],
            BuySource = [.. buys.Select(b => (int)b.Source)],
            BuyLot = [.. buys.Select(b => b.LotId)],
            BuyUnmatched = [.. buys.Select(b => b.Unmatched)],
            SaleHousehold = [.. sales.Select(x => x.HouseholdId)],
            SaleAccount = [.. sales.Select(x => x.AccountId)],
            SaleInstrument = [.. sales.Select(x => x.InstrumentId)],
            SaleLot = [.. sales.Select(x => x.LotId)],
            SaleDate = [.. sales.Select(x => x.Date.DayNumber)],
            SaleLossPerShare = [.. sales.Select(x => x.LossPerShare)],
            SaleHeldDays = [.. sales.Select(x => x.HeldDays)],
            SaleOpen = [.. sales.Select(x => x.Open)],
            PlannedHousehold = [.. planned.Select(p => p.Household)],
            PlannedAccount = [.. planned.Select(p => p.Sale.AccountId)],
            PlannedInstrument = [.. planned.Select(p => p.Sale.InstrumentId)],
            PlannedDate = [.. planned.Select(p => p.Sale.Date.DayNumber)],
        };
    }

    /// <summary>Replaces everything the ledger holds with a checkpoint's image.</summary>
    public void Restore(WashSaleLedgerImage image)
    {
        buysByHousehold.Clear();
        lossSalesByHousehold.Clear();
        plannedByHousehold.Clear();
        washSales.Clear();
        for (var i = 0; i < image.PlannedHousehold.Length; i++)
        {
            PlanLossSale(image.PlannedHousehold[i], image.PlannedAccount[i], image.PlannedInstrument[i], DateOnly.FromDayNumber(image.PlannedDate[i]));
        }
        for (var i = 0; i < image.BuyHousehold.Length; i++)
        {
            Buys(image.BuyHousehold[i]).Add(new Buy
            {
                HouseholdId = image.BuyHousehold[i], AccountId = image.BuyAccount[i], TaxDeferred = image.BuyTaxDeferred[i], InstrumentId = image.BuyInstrument[i],
                Date = DateOnly.FromDayNumber(image.BuyDate[i]), Source = (TradeSource)image.BuySource[i], LotId = image.BuyLot[i], Unmatched = image.BuyUnmatched[i],
            });
        }
        for (var i = 0; i < image.SaleHousehold.Length; i++)
        {
            LossSales(image.SaleHousehold[i]).Add(new LossSale
            {
                HouseholdId = image.SaleHousehold[i], AccountId = image.SaleAccount[i], InstrumentId = image.SaleInstrument[i], LotId = image.SaleLot[i],
                Date = DateOnly.FromDayNumber(image.SaleDate[i]), LossPerShare = image.SaleLossPerShare[i], HeldDays = image.SaleHeldDays[i], Open = image.SaleOpen[i],
            });
        }
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A wash-sale ledger's open purchases and loss sales, column by column, as a checkpoint keeps them.
/// Member order is the schema (MemoryPack, version-tolerant): add members at the end, never reorder.
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class WashSaleLedgerImage
{
    [MemoryPackOrder(0)] public string[] BuyHousehold { get; set; } = [];
    [MemoryPackOrder(1)] public string[] BuyAccount { get; set; } = [];
    [MemoryPackOrder(2)] public bool[] BuyTaxDeferred { get; set; } = [];
    [MemoryPackOrder(3)] public string[] BuyInstrument { get; set; } = [];
    [MemoryPackOrder(4)] public int[] BuyDate { get; set; } = [];
    [MemoryPackOrder(5)] public int[] BuySource { get; set; } = [];
    [MemoryPackOrder(6)] public string?[] BuyLot { get; set; } = [];
    [MemoryPackOrder(7)] public decimal[] BuyUnmatched { get; set; } = [];
    [MemoryPackOrder(8)] public string[] SaleHousehold { get; set; } = [];
    [MemoryPackOrder(9)] public string[] SaleAccount { get; set; } = [];
    [MemoryPackOrder(10)] public string[] SaleInstrument { get; set; } = [];
    [MemoryPackOrder(11)] public string[] SaleLot { get; set; } = [];
    [MemoryPackOrder(12)] public int[] SaleDate { get; set; } = [];
    [MemoryPackOrder(13)] public decimal[] SaleLossPerShare { get; set; } = [];
    [MemoryPackOrder(14)] public int[] SaleHeldDays { get; set; } = [];
    [MemoryPackOrder(15)] public decimal[] SaleOpen { get; set; } = [];

    /// <summary>Sales released and expected to realize a loss, not yet filled (see <see cref="WashSaleLedger.PlanLossSale"/>).</summary>
    [MemoryPackOrder(16)] public string[] PlannedHousehold { get; set; } = [];
    [MemoryPackOrder(17)] public string[] PlannedAccount { get; set; } = [];
    [MemoryPackOrder(18)] public string[] PlannedInstrument { get; set; } = [];
    [MemoryPackOrder(19)] public int[] PlannedDate { get; set; } = [];
}
