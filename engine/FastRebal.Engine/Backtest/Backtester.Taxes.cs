using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Backtest;

// Taxes in a backtest: the starting lots, the yearly tax, and drift that counts a substitute toward its instrument.
public sealed partial class Backtester
{
    /// <summary>
    /// The account's largest drift and whether it is outside its band at the close: as the sweep measured it, except
    /// that in a taxed run a harvest's substitute counts toward the instrument it stands in for, as the tax rules
    /// count it when they decide (it is the same exposure, not a drift).
    /// </summary>
    private (double Drift, int Outside) DriftOf(int a)
    {
        if (tax?.Ledger.Relations is not { SubstituteGroups.Count: > 0 } relations || !HoldsStandIn(a))
        {
            return (report.MaxAbsDrift[a], report.Breaches(a) ? 1 : 0);
        }
        var (start, end) = (book.SlotStart[a], book.SlotStart[a + 1]);
        var weights = new double[end - start];
        var value = report.InvestableValue[a];
        for (var s = start; s < end; s++)
        {
            weights[s - start] += value > 0 ? book.Quantities[s] * book.Marks[s] / value : 0;
        }
        for (var s = start; s < end; s++)
        {
            if (book.Targets[s] > 0 || weights[s - start] == 0)
            {
                continue;
            }
            var standsFor = relations.Substitutes(book.Instruments[book.InstrumentIndices[s]].Id)
                .Select(id => book.Instruments.TryGetIndex(id, out var i) ? book.SlotOf(a, i) : -1)
                .FirstOrDefault(slot => slot >= 0 && book.Targets[slot] > 0, -1);
            if (standsFor >= 0)
            {
                weights[standsFor - start] += weights[s - start];
                weights[s - start] = 0;
            }
        }
        var (largest, outside) = (0.0, 0);
        var policy = book.Policy(a);
        for (var s = start; s < end; s++)
        {
            var drift = Math.Abs(weights[s - start] - book.Targets[s]);
            largest = Math.Max(largest, drift);
            outside |= drift > (double)TradeGenerator.Tolerance(policy, (decimal)book.Targets[s]) ? 1 : 0;
        }
        return (largest, outside);
    }

    private bool HoldsStandIn(int a)
    {
        for (int s = book.SlotStart[a], end = book.SlotStart[a + 1]; s < end; s++)
        {
            if (book.Targets[s] <= 0 && book.Quantities[s] > 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A taxable account's starting holdings become lots bought on the first day at its close.</summary>
    private void OpenStartingLots(DateOnly day)
    {
        if (tax is null)
        {
            return;
        }
        for (var a = 0; a < book.AccountCount; a++)
        {
            for (int s = book.SlotStart[a], end = book.SlotStart[a + 1]; tax.Lots.IsTracked(a) && s < end; s++)
            {
                if (book.Quantities[s] > 0)
                {
                    tax.Lots.Open(s, day, (decimal)book.Quantities[s], (decimal)book.Marks[s]);
                }
            }
        }
    }

    /// <summary>Last year's tax on the account's net realized gains, due on the first trading day of a new year.</summary>
    private double TaxDue(int a, DateOnly previous, DateOnly day)
    {
        if (tax is null || day.Year == previous.Year || !tax.Lots.IsTracked(a))
        {
            return 0;
        }
        var (shortTerm, longTerm) = tax.Lots.Realized(a);
        var (shortBefore, longBefore) = realizedAtYearStart[a];
        realizedAtYearStart[a] = (shortTerm, longTerm);
        var settings = tax.Settings(a);
        var (due, carry) = BacktestTax.YearTax((double)(shortTerm - shortBefore), (double)(longTerm - longBefore), carriedLoss[a],
            (double)settings.ShortTermTaxRate, (double)settings.LongTermTaxRate);
        carriedLoss[a] = carry;
        return Math.Round(due, 2);
    }
}
