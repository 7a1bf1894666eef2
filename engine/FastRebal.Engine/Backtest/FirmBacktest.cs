using FastRebal.Engine.Drift;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Backtest;

/// <summary>
/// A backtest of a whole firm: every account keeps its model, its IPS (or the one policy asked for) and its value
/// today, and starts the window at its target weights, so the firm's policies are measured on past markets.
/// </summary>
public static class FirmBacktest
{
    /// <summary>Builds the firm's accounts on the market of [from, to] and runs them.</summary>
    /// <param name="firm">The firm's book as loaded (its prices give each account's value).</param>
    /// <param name="policy">One policy for every account instead of each account's own IPS; null keeps theirs.</param>
    public static BacktestResult Run(AccountBook firm, MarketHistory history, DateOnly from, DateOnly to, BacktestPolicy? policy, BacktestOptions options, Action<double>? progress = null)
    {
        var (book, market, policies) = Build(firm, history, from, to, policy, options.Tax?.Relations);
        return new Backtester(book, market, policies, options).Run(progress);
    }

    /// <summary>
    /// The firm's accounts at their target weights on the first day of the window, each worth what it is worth in
    /// <paramref name="firm"/>; each also has an empty place for the substitutes (with history) of its instruments, so
    /// a taxed run's harvests can buy them.
    /// </summary>
    public static (AccountBook Book, BacktestMarket Market, IReadOnlyList<BacktestPolicy> Policies) Build(
        AccountBook firm, MarketHistory history, DateOnly from, DateOnly to, BacktestPolicy? policy, Tax.InstrumentRelations? substitutes = null)
    {
        // Only the instruments some model targets take part: what an account holds outside its model is sold on day one.
        var used = new SortedSet<int>();
        foreach (var model in firm.Models)
        {
            foreach (var w in model.ResolvedWeights())
            {
                used.Add(firm.Instruments.IndexOf(w.InstrumentId));
            }
        }
        string SymbolOf(Instrument i) => history.Contains(i.Symbol) ? i.Symbol : i.Id;
        var standIns = new SortedSet<int>();
        foreach (var i in used)
        {
            foreach (var id in substitutes?.Substitutes(firm.Instruments[i].Id) ?? [])
            {
                if (firm.Instruments.TryGetIndex(id, out var s) && !used.Contains(s) && history.Contains(SymbolOf(firm.Instruments[s])))
                {
                    standIns.Add(s);
                }
            }
        }
        var instruments = used.Concat(standIns).Select(i => firm.Instruments[i]).ToList();
        var symbols = instruments.Select(SymbolOf).ToList();
        var market = BacktestMarket.Of(history, symbols, from, to);
        var table = new InstrumentTable(instruments);
        var first = new double[instruments.Count];
        for (var i = 0; i < first.Length; i++)
        {
            first[i] = market.Levels(i)[0];
        }

        var report = new DriftReport(firm);
        DriftSweep.Run(firm, report);
        var builder = new BookBuilder(table, firm.Models, first, firm.AccountCount);
        var policies = new List<BacktestPolicy>(firm.AccountCount);
        var held = new List<int>();
        var quantities = new List<double>();
        for (var a = 0; a < firm.AccountCount; a++)
        {
            if (firm.IsFreeRow(a))
            {
                continue;
            }
            var ips = policy?.Policy ?? firm.Policy(a);
            var value = report.TotalValue[a];
            held.Clear();
            quantities.Clear();
            var cash = value;
            for (int s = firm.SlotStart[a], end = firm.SlotStart[a + 1]; s < end; s++)
            {
                var target = firm.Targets[s];
                if (target <= 0)
                {
                    continue;
                }
                var instrument = table.IndexOf(firm.Instruments[firm.InstrumentIndices[s]].Id);
                var step = (double)Orders.AccountSnapshot.StepOf(ips, table[instrument]);
                var quantity = Math.Floor(value * target / first[instrument] / step) * step;
                held.Add(instrument);
                quantities.Add(quantity);
                cash -= quantity * first[instrument];
                foreach (var standInId in substitutes?.Substitutes(table[instrument].Id) ?? [])
                {
                    if (table.TryGetIndex(standInId, out var standIn) && !held.Contains(standIn) && firm.SlotOf(a, firm.Instruments.IndexOf(standInId)) is var own && (own < 0 || firm.Targets[own] <= 0))
                    {
                        held.Add(standIn);
                        quantities.Add(0);
                    }
                }
            }
            var id = firm.AccountId(a);
            if (builder.TryAddAccount(id, firm.HouseholdId(a), firm.ModelIndex(a), Math.Max(0, cash), ips, market.Days[0], held.ToArray(), quantities.ToArray()) is { } problem)
            {
                throw new ArgumentException($"account {id}: {problem}");
            }
            policies.Add(policy is null ? new BacktestPolicy(id, ips) : policy with { Name = id });
        }
        return (builder.Build(), market, policies);
    }
}
