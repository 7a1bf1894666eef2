using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Tax;

/// <summary>Part (or all) of one lot relieved by a sale, with its gain and term.</summary>
public sealed record LotRelief(string LotId, DateOnly Acquired, DateOnly HoldingStart, decimal Quantity, decimal Proceeds, decimal Basis, HoldingTerm Term)
{
    public decimal Gain => Proceeds - Basis;
}

/// <summary>What a sell relieves: the lots and quantities in order, and any quantity it could not place.</summary>
public sealed record LotSelection(IReadOnlyList<LotRelief> Reliefs, decimal Requested, string? Note = null)
{
    public decimal Quantity => Reliefs.Sum(r => r.Quantity);

    public decimal Shortfall => Requested - Quantity;

    public decimal Gain => Reliefs.Sum(r => r.Gain);

    public decimal ShortTermGain => Reliefs.Where(r => r.Term == HoldingTerm.ShortTerm).Sum(r => r.Gain);

    public decimal LongTermGain => Reliefs.Where(r => r.Term == HoldingTerm.LongTerm).Sum(r => r.Gain);
}

/// <summary>Limits a sell must respect while picking lots.</summary>
/// <param name="GainsBudget">Net gain the sale may realize at most (null: no limit); the sale stops at the lot that would exceed it.</param>
/// <param name="DeferWithinDays">Short-term lots with a gain that turn long-term within this many days are not sold (0: off).</param>
/// <param name="Step">Quantity step for a partly relieved lot (lot size or fractional step).</param>
public sealed record SellLimits(decimal? GainsBudget = null, int DeferWithinDays = 0, decimal Step = 1m)
{
    public static SellLimits None { get; } = new();
}

/// <summary>
/// Picks the lots a sell relieves. Pure function over a lot list: the caller applies the result to its lots, so a
/// rejected or trimmed sale never half-changes state.
/// </summary>
public static class LotSelector
{
    /// <summary>The lots in the order the method relieves them.</summary>
    public static IEnumerable<TaxLot> Order(IEnumerable<TaxLot> lots, LotMethod method, decimal price, DateOnly saleDate, IReadOnlyList<string>? specificLots = null) => method switch
    {
        LotMethod.Fifo => lots.OrderBy(l => l.Acquired).ThenBy(l => l.Id, StringComparer.Ordinal),
        LotMethod.Lifo => lots.OrderByDescending(l => l.Acquired).ThenByDescending(l => l.Id, StringComparer.Ordinal),
        LotMethod.HighestCost => lots.OrderByDescending(l => l.UnitCost).ThenBy(l => l.Acquired),
        LotMethod.LowestCost => lots.OrderBy(l => l.UnitCost).ThenBy(l => l.Acquired),
        // Losses (gain per share < 0), biggest first; then long-term gains, smallest first; then short-term gains, smallest first.
        LotMethod.TaxOptimal => lots
            .OrderBy(l => price - l.UnitCost < 0 ? 0 : l.TermOn(saleDate) == HoldingTerm.LongTerm ? 1 : 2)
            .ThenBy(l => price - l.UnitCost)
            .ThenBy(l => l.Acquired),
        LotMethod.SpecificLots => (specificLots ?? []).Select(id => lots.FirstOrDefault(l => l.Id == id)).OfType<TaxLot>(),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown lot method"),
    };

    /// <summary>
    /// Relieves <paramref name="quantity"/> from <paramref name="lots"/> by <paramref name="method"/> at
    /// <paramref name="price"/>, within <paramref name="limits"/>. Whatever the limits keep back is the selection's
    /// shortfall, with a note saying why.
    /// </summary>
    public static LotSelection Select(
        IReadOnlyList<TaxLot> lots,
        decimal quantity,
        decimal price,
        DateOnly saleDate,
        LotMethod method,
        SellLimits? limits = null,
        IReadOnlyList<string>? specificLots = null)
    {
        limits ??= SellLimits.None;
        var reliefs = new List<LotRelief>();
        var left = quantity;
        var gainRoom = limits.GainsBudget;
        string? note = null;
        var deferred = 0m;
        foreach (var lot in Order(lots, method, price, saleDate, specificLots))
        {
            if (left <= 0)
            {
                break;
            }
            if (lot.Quantity <= 0)
            {
                continue;
            }
            var term = lot.TermOn(saleDate);
            var gainPerShare = price - lot.UnitCost;
            if (limits.DeferWithinDays > 0 && term == HoldingTerm.ShortTerm && gainPerShare > 0
                && TaxCalendar.DaysUntilLongTerm(lot.HoldingPeriodStart, saleDate) <= limits.DeferWithinDays)
            {
                deferred += lot.Quantity;
                continue;
            }
            var take = Math.Min(left, lot.Quantity);
            if (gainRoom is { } room && gainPerShare > 0 && take * gainPerShare > room)
            {
                take = TradeSizing.FloorToStep(Math.Max(room, 0) / gainPerShare, limits.Step);
                note = $"the gains budget stopped the sale at lot {lot.Id}";
                if (take <= 0)
                {
                    break;
                }
            }
            var relief = Relieve(lot, take, price, saleDate);
            reliefs.Add(relief);
            left -= take;
            if (gainRoom is not null)
            {
                gainRoom -= relief.Gain;
            }
            if (note is not null)
            {
                break;
            }
        }
        if (left > 0 && note is null)
        {
            note = deferred > 0
                ? $"{deferred:0.######} short-term shares with a gain turn long-term within {limits.DeferWithinDays} days and were kept"
                : method == LotMethod.SpecificLots ? "the named lots do not hold enough shares" : "the lots do not hold enough shares";
        }
        return new LotSelection(reliefs, quantity, note);
    }

    /// <summary>Relieves part of a lot: the basis relieved is pro rata, and the lot keeps exactly the rest.</summary>
    public static LotRelief Relieve(TaxLot lot, decimal quantity, decimal price, DateOnly saleDate)
    {
        var basis = quantity == lot.Quantity ? lot.CostBasis : lot.CostBasis * quantity / lot.Quantity;
        return new LotRelief(lot.Id, lot.Acquired, lot.HoldingPeriodStart, quantity, quantity * price, basis, lot.TermOn(saleDate));
    }

    /// <summary>The lots left after a selection: relieved lots shrink (basis by exactly what was relieved) or go.</summary>
    public static List<TaxLot> Apply(IReadOnlyList<TaxLot> lots, LotSelection selection)
    {
        var result = new List<TaxLot>(lots.Count);
        foreach (var lot in lots)
        {
            var relieved = selection.Reliefs.Where(r => r.LotId == lot.Id).ToList();
            if (relieved.Count == 0)
            {
                result.Add(lot);
                continue;
            }
            var quantity = lot.Quantity - relieved.Sum(r => r.Quantity);
            if (quantity > 0)
            {
                var basis = lot.CostBasis - relieved.Sum(r => r.Basis);
                var adjustment = lot.WashSaleAdjustment == 0 ? 0 : lot.WashSaleAdjustment * quantity / lot.Quantity;
                result.Add(lot with { Quantity = quantity, CostBasis = basis, WashSaleAdjustment = adjustment });
            }
        }
        return result;
    }
}
