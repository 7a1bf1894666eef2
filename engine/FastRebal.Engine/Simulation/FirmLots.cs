using FastRebal.Engine.MarketData;
using FastRebal.Engine.Model;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Simulation;

/// <summary>
/// Tax lots for a generated firm, consistent with how <see cref="FirmGenerator"/> built it: a model holding was bought
/// on the account's last rebalance date at that day's real close, so it is one lot with that date and basis; a
/// holding outside the model (the legacy stock, the private REIT) is an old position, bought three years earlier.
/// </summary>
public static class FirmLots
{
    public static LotBook Build(GeneratedFirm firm)
    {
        var book = firm.Book;
        var lots = new LotBook();
        for (var a = 0; a < book.AccountCount; a++)
        {
            if (book.Policy(a).TaxStatus != TaxStatus.Taxable)
            {
                continue;
            }
            var accountLots = new List<TaxLot>();
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                var quantity = (decimal)book.Quantities[s];
                if (quantity <= 0)
                {
                    continue;
                }
                var instrument = book.Instruments[book.InstrumentIndices[s]];
                var bought = Bought(firm, a, s);
                var price = Price(firm.History, instrument.Symbol, bought);
                accountLots.Add(new TaxLot($"{instrument.Id}-1", instrument.Id, bought, quantity, decimal.Round(quantity * price, 2)));
            }
            lots.AddAccount(book.AccountId(a), accountLots);
        }
        return lots;
    }

    /// <summary>What the generated firm's accounts elect: tax-optimal relief and harvesting of lots down 5% and 500 or more.</summary>
    public static AccountTaxSettings GeneratedSettings { get; } = new()
    {
        LotMethod = LotMethod.TaxOptimal,
        Harvest = new HarvestSettings { Enabled = true, MinLossPercent = 0.05, MinLossAmount = 500 },
    };

    /// <summary>
    /// The live engine's tax side of a generated firm: the lots of <see cref="Table"/>, the elections of
    /// <see cref="GeneratedSettings"/> (harvesting, daily at the open, only when <paramref name="harvest"/> is set) and
    /// the substitutes of <see cref="Substitutes"/> for wash-sale buys and harvests.
    /// </summary>
    public static TaxBook LiveTax(GeneratedFirm firm, int seed, bool harvest)
    {
        var settings = harvest ? GeneratedSettings : GeneratedSettings with { Harvest = GeneratedSettings.Harvest with { Enabled = false } };
        return new TaxBook(Table(firm, seed), settings, Substitutes(firm));
    }

    /// <summary>
    /// Lots for the live engine: every position of a taxable account is 3 to 5 lots, the newest bought on the day
    /// <see cref="Build"/> dates the position and each earlier one about half a year before the next (some short-,
    /// most long-term), at that day's real close, so a sale realizes gains and losses of both terms. Seeded by account,
    /// so the same firm always has the same lots. Whole shares stay whole.
    /// </summary>
    public static LotTable Table(GeneratedFirm firm, int seed = 42)
    {
        var book = firm.Book;
        var positions = 0;
        for (var a = 0; a < book.AccountCount; a++)
        {
            if (book.Policy(a).TaxStatus == TaxStatus.Taxable)
            {
                for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
                {
                    positions += book.Quantities[s] > 0 ? 1 : 0;
                }
            }
        }
        // Room for four and a half lots a position: a position gets 3 to 5, 4 on average, and the half is room for the
        // lots the live engine's buys open before its sales free entries to reuse. The columns are made once at this
        // size; made at the most a position could have (5) and trimmed after, they held every lot twice while the trim
        // copied them. A small firm that draws more than that grows the columns, once.
        var table = new LotTable(book, positions * 9 / 2);
        for (var a = 0; a < book.AccountCount; a++)
        {
            if (book.Policy(a).TaxStatus != TaxStatus.Taxable)
            {
                continue;
            }
            table.Track(a);
            // Not HashCode.Combine: its hashes change from one process to the next, and the lots must not.
            var random = new Random(unchecked((seed * 1_000_003) + a));
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                var quantity = (decimal)book.Quantities[s];
                if (quantity <= 0)
                {
                    continue;
                }
                var instrument = book.Instruments[book.InstrumentIndices[s]];
                // Looked up once a position, not once a lot.
                var series = firm.History.Contains(instrument.Symbol) ? firm.History[instrument.Symbol] : null;
                var newest = Bought(firm, a, s);
                var whole = decimal.Truncate(quantity) == quantity;
                var count = whole ? (int)Math.Min(random.Next(3, 6), quantity) : random.Next(3, 6);
                var left = quantity;
                var bought = newest;
                for (var k = 0; k < count; k++)
                {
                    // Lots of about equal size, the oldest (the last one here) taking what is left.
                    var share = k == count - 1 ? left : quantity / count;
                    share = whole ? decimal.Truncate(share) : decimal.Round(share, 6, MidpointRounding.ToZero);
                    if (share <= 0)
                    {
                        continue;
                    }
                    var price = series is null ? 0m : (decimal)series.On(bought);
                    table.AddBought(s, bought, share, decimal.Round(share * price, 2));
                    left -= share;
                    bought = bought.AddDays(-(150 + random.Next(0, 60)));
                }
            }
        }
        return table;
    }

    /// <summary>
    /// The generated firm's funds of one asset class track the same market through different funds: each may stand in
    /// for another in a harvest or a wash-sale buy. The legacy stock and the private REIT are not funds and substitute for nothing.
    /// </summary>
    public static InstrumentRelations Substitutes(GeneratedFirm firm) => new(
        firm.Book.Instruments.All
            .Where(i => i.Liquid && i.Id != FirmGenerator.LegacyStock)
            .GroupBy(i => i.AssetClass, StringComparer.Ordinal)
            .Where(g => g.Count() >= 2)
            .Select(g => (IReadOnlyList<string>)[.. g.Select(i => i.Id)]));

    /// <summary>When the generator bought a position: a model holding on the account's last rebalance, an old one three years back.</summary>
    private static DateOnly Bought(GeneratedFirm firm, int a, int s) =>
        firm.Book.Targets[s] > 0 ? firm.Book.LastRebalanced(a) ?? firm.AsOf.AddYears(-1) : firm.AsOf.AddYears(-3);

    private static decimal Price(MarketHistory history, string symbol, DateOnly day) => history.Contains(symbol) ? (decimal)history[symbol].On(day) : 0m;
}
