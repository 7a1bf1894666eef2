namespace FastRebal.Engine.Tax;

/// <summary>How a sell picks the lots it relieves; the account elects one with its custodian.</summary>
public enum LotMethod
{
    /// <summary>Oldest acquisition first.</summary>
    Fifo,

    /// <summary>Newest acquisition first.</summary>
    Lifo,

    /// <summary>Highest cost per share first (smallest gains, largest losses).</summary>
    HighestCost,

    /// <summary>Lowest cost per share first.</summary>
    LowestCost,

    /// <summary>Losses first (largest per share first), then long-term gains smallest first, then short-term gains smallest first.</summary>
    TaxOptimal,

    /// <summary>Only the lots named, in the order named.</summary>
    SpecificLots,
}

/// <summary>Short-term (held one year or less) or long-term (held more than one year).</summary>
public enum HoldingTerm
{
    ShortTerm,
    LongTerm,
}

/// <summary>
/// A tax lot: shares of one instrument bought together. <see cref="CostBasis"/> is the whole lot's basis (not per
/// share), so relieving part of a lot and keeping the rest conserves the basis exactly in decimal.
/// </summary>
/// <param name="Id">Stable within the account; sells and specific-lot elections name it.</param>
/// <param name="Acquired">Trade date of the purchase.</param>
/// <param name="HoldingSince">
/// Where the holding period starts when it is not the trade date: a wash-sale replacement lot carries over the
/// holding period of the shares whose loss was disallowed.
/// </param>
/// <param name="WashSaleAdjustment">Disallowed loss already added to <see cref="CostBasis"/> (for reports).</param>
public sealed record TaxLot(
    string Id,
    string InstrumentId,
    DateOnly Acquired,
    decimal Quantity,
    decimal CostBasis,
    DateOnly? HoldingSince = null,
    decimal WashSaleAdjustment = 0)
{
    public DateOnly HoldingPeriodStart => HoldingSince ?? Acquired;

    public decimal UnitCost => Quantity == 0 ? 0 : CostBasis / Quantity;

    public decimal UnrealizedGain(decimal price) => (Quantity * price) - CostBasis;

    public HoldingTerm TermOn(DateOnly saleDate) => TaxCalendar.Term(HoldingPeriodStart, saleDate);
}

/// <summary>Holding-period arithmetic.</summary>
public static class TaxCalendar
{
    /// <summary>The wash-sale window: 30 days before and after a loss sale.</summary>
    public const int WashSaleWindowDays = 30;

    /// <summary>
    /// Long-term means held more than one year: the holding period starts the day after the purchase, so shares
    /// bought on 2024-03-15 are short-term when sold on 2025-03-15 and long-term from 2025-03-16.
    /// </summary>
    public static HoldingTerm Term(DateOnly holdingStart, DateOnly saleDate) =>
        saleDate > holdingStart.AddYears(1) ? HoldingTerm.LongTerm : HoldingTerm.ShortTerm;

    /// <summary>Days from <paramref name="day"/> until the first day a sale would be long-term (0 when it already is).</summary>
    public static int DaysUntilLongTerm(DateOnly holdingStart, DateOnly day) =>
        Math.Max(0, holdingStart.AddYears(1).AddDays(1).DayNumber - day.DayNumber);

    /// <summary>Whether two dates are within the 30-day wash-sale window of each other (either side, inclusive).</summary>
    public static bool WithinWashWindow(DateOnly a, DateOnly b) => Math.Abs(a.DayNumber - b.DayNumber) <= WashSaleWindowDays;
}
