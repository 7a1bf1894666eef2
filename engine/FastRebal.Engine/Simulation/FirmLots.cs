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
                var bought = book.Targets[s] > 0 ? book.LastRebalanced(a) ?? firm.AsOf.AddYears(-1) : firm.AsOf.AddYears(-3);
                var price = Price(firm.History, instrument.Symbol, bought);
                accountLots.Add(new TaxLot($"{instrument.Id}-1", instrument.Id, bought, quantity, decimal.Round(quantity * price, 2)));
            }
            lots.AddAccount(book.AccountId(a), accountLots);
        }
        return lots;
    }

    private static decimal Price(MarketHistory history, string symbol, DateOnly day) => history.Contains(symbol) ? (decimal)history[symbol].On(day) : 0m;
}
