using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Kpi;

/// <summary>
/// The book at one moment, as the KPIs over time need it: for the firm and for each model, the value, the weight of
/// each instrument held and of each instrument in the target (each account's targets weighted by its value), and the
/// realized gains so far; with every position's quantity and the prices, so the next snapshot can tell what traded.
/// Group 0 is the firm; group 1 + m is model m.
/// </summary>
public sealed class KpiSnapshot
{
    private KpiSnapshot(DateOnly day, string[] groups, double[] prices, double[] quantities, double[] values, double[][] held, double[][] target, decimal[] shortTerm, decimal[] longTerm, int[] groupOfSlot, int[] instrumentOfSlot)
    {
        (Day, Groups, Prices, Quantities, Values, Held, Target, RealizedShortTerm, RealizedLongTerm, GroupOfSlot, InstrumentOfSlot) =
            (day, groups, prices, quantities, values, held, target, shortTerm, longTerm, groupOfSlot, instrumentOfSlot);
    }

    public const string Firm = "firm";

    public DateOnly Day { get; }

    /// <summary>"firm", then each model's id.</summary>
    public string[] Groups { get; }

    public double[] Prices { get; }

    public double[] Quantities { get; }

    /// <summary>The model (group 1 + m) of each position slot.</summary>
    public int[] GroupOfSlot { get; }

    /// <summary>The instrument of each position slot.</summary>
    public int[] InstrumentOfSlot { get; }

    public double[] Values { get; }

    /// <summary>Per group, the weight of each instrument held (cash is the rest).</summary>
    public double[][] Held { get; }

    /// <summary>Per group, the weight of each instrument in the accounts' targets, weighted by account value.</summary>
    public double[][] Target { get; }

    /// <summary>Per group, the realized gains since the lots began (the lots keep them across restarts); zero without lots.</summary>
    public decimal[] RealizedShortTerm { get; }

    public decimal[] RealizedLongTerm { get; }

    /// <summary>Takes a snapshot; call it where the book does not move (between two of the engine's batches).</summary>
    public static KpiSnapshot Take(AccountBook book, LotTable? lots, DateOnly day)
    {
        var groups = new string[book.Models.Count + 1];
        groups[0] = Firm;
        for (var m = 0; m < book.Models.Count; m++)
        {
            groups[m + 1] = book.Models[m].Id;
        }
        var instruments = book.Instruments.Count;
        var prices = book.Prices.ToArray();
        var values = new double[groups.Length];
        var held = new double[groups.Length][];
        var target = new double[groups.Length][];
        for (var g = 0; g < groups.Length; g++)
        {
            (held[g], target[g]) = (new double[instruments], new double[instruments]);
        }
        var shortTerm = new decimal[groups.Length];
        var longTerm = new decimal[groups.Length];
        var quantities = book.Quantities.ToArray();
        var groupOfSlot = new int[quantities.Length];
        for (var a = 0; a < book.AccountCount; a++)
        {
            var g = book.ModelIndex(a) + 1;
            var value = book.Cash[a];
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                var i = book.InstrumentIndices[s];
                var holding = quantities[s] * prices[i];
                value += holding;
                held[g][i] += holding;
                held[0][i] += holding;
                groupOfSlot[s] = g;
            }
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                var i = book.InstrumentIndices[s];
                target[g][i] += book.Targets[s] * value;
                target[0][i] += book.Targets[s] * value;
            }
            values[g] += value;
            values[0] += value;
            if (lots is not null)
            {
                var (st, lt) = lots.Realized(a);
                (shortTerm[g], longTerm[g]) = (shortTerm[g] + st, longTerm[g] + lt);
                (shortTerm[0], longTerm[0]) = (shortTerm[0] + st, longTerm[0] + lt);
            }
        }
        for (var g = 0; g < groups.Length; g++)
        {
            if (values[g] > 0)
            {
                for (var i = 0; i < instruments; i++)
                {
                    held[g][i] /= values[g];
                    target[g][i] /= values[g];
                }
            }
        }
        return new KpiSnapshot(day, groups, prices, quantities, values, held, target, shortTerm, longTerm, groupOfSlot, book.InstrumentIndices.ToArray());
    }
}
