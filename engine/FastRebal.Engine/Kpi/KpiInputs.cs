using FastRebal.Engine.Decisions;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Orders;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Kpi;

/// <summary>Gathers each account's KPI inputs from the book, a tax-aware run, the household history and the real price history.</summary>
public static class KpiInputs
{
    public static List<AccountKpiInput> From(AccountBook book, DateOnly asOf, TaxRunResult run, IReadOnlyList<HouseholdTradeInput> pastTrades, MarketHistory? history)
    {
        var series = history is null ? null : new ReturnSeries(history, asOf);
        var summaries = run.Accounts.ToDictionary(s => s.AccountId, StringComparer.Ordinal);
        var tradesByAccount = run.Run.Trades.ToLookup(t => t.AccountId, StringComparer.Ordinal);
        var pastByAccount = pastTrades.ToLookup(t => t.AccountId!, StringComparer.Ordinal);
        var inputs = new List<AccountKpiInput>(book.AccountCount);
        for (var a = 0; a < book.AccountCount; a++)
        {
            var id = book.AccountId(a);
            var holdings = new List<(string Symbol, double Quantity)>();
            var weights = new List<(string Symbol, double Weight)>();
            var value = (decimal)book.Cash[a];
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                var instrument = book.Instruments[book.InstrumentIndices[s]];
                value += (decimal)(book.Quantities[s] * book.Prices[book.InstrumentIndices[s]]);
                if (book.Quantities[s] > 0)
                {
                    holdings.Add((instrument.Symbol, book.Quantities[s]));
                }
                if (book.Targets[s] > 0)
                {
                    weights.Add((instrument.Symbol, book.Targets[s]));
                }
            }
            double[]? accountReturns = null;
            double[]? modelReturns = null;
            decimal? totalReturn = null;
            string? note = null;
            var missing = holdings.Select(h => h.Symbol).Concat(weights.Select(w => w.Symbol)).Where(sym => series?.Has(sym) != true).Distinct(StringComparer.Ordinal).ToList();
            if (series is null)
            {
                note = "no price history: tracking error and total return not computed";
            }
            else if (missing.Count > 0)
            {
                note = $"no price history for {string.Join(", ", missing)}: tracking error and total return not computed";
            }
            else
            {
                (accountReturns, totalReturn) = series.Holdings(holdings, book.Cash[a]);
                modelReturns = series.Model(weights);
            }
            var past = pastByAccount[id].ToList();
            var summary = summaries.GetValueOrDefault(id);
            var realizedPast = past.Where(t => t.Side == TradeSide.Sell && t.RealizedGain is not null).ToList();
            inputs.Add(new AccountKpiInput
            {
                AccountId = id,
                ModelId = book.Models[book.ModelIndex(a)].Id,
                Value = value,
                AccountReturns = accountReturns,
                ModelReturns = modelReturns,
                TotalReturn = totalReturn,
                Trades = [.. tradesByAccount[id].Select(t => new TurnoverTrade(asOf, t.Side == TradeSide.Buy, t.Notional))
                    .Concat(past.Where(t => t.Price is not null).Select(t => new TurnoverTrade(t.Date!.Value, t.Side == TradeSide.Buy, t.Quantity * t.Price!.Value)))],
                RealizedShortTerm = (summary?.RealizedShortTerm ?? 0) + realizedPast.Where(t => t.Term != HoldingTerm.LongTerm).Sum(t => t.RealizedGain!.Value),
                RealizedLongTerm = (summary?.RealizedLongTerm ?? 0) + realizedPast.Where(t => t.Term == HoldingTerm.LongTerm).Sum(t => t.RealizedGain!.Value),
                HarvestedLosses = (summary?.HarvestedLosses ?? 0) - realizedPast.Where(t => t.Source == TradeSource.Harvest && t.RealizedGain < 0).Sum(t => t.RealizedGain!.Value),
                Rebalances = past.Where(t => t.Source == TradeSource.Rebalance).Select(t => t.Date).Distinct().Count()
                    + (run.Run.Decisions[a].Action == DecisionAction.Rebalance && run.Run.Decisions[a].TradeCount > 0 ? 1 : 0),
                Note = note,
            });
        }
        return inputs;
    }
}
