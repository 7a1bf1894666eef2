namespace FastRebal.Engine.MarketData;

/// <summary>
/// Constant-maturity bond returns from a yield series: each step holds a par bond bought at the previous yield, the
/// standard way to turn a quoted yield (FRED DGS10, Shiller's long rate) into a total return when no bond prices exist.
/// Yields and coupons are fractions (0.05 = 5 %), compounded semiannually as Treasury yields are quoted.
/// </summary>
public static class BondReturns
{
    /// <summary>The maturity of the constant-maturity bond the 10-year series hold.</summary>
    public const double TenYears = 10.0;

    /// <summary>Calendar days in a year on average, for the elapsed time between two dates.</summary>
    public const double DaysPerYear = 365.25;

    /// <summary>
    /// The price per 1 of face of a bond paying <paramref name="coupon"/> a year in two halves, <paramref name="years"/>
    /// to maturity, at <paramref name="yield"/>: c/y·(1 − v) + v with v = (1 + y/2)^(−2·years).
    /// </summary>
    /// <remarks>
    /// The annuity formula with a fractional number of half-years: the usual approximation for a bond between coupon
    /// dates, and exactly 1 for any maturity when the coupon equals the yield (so an unchanged yield earns the coupon only).
    /// </remarks>
    public static double Price(double coupon, double yield, double years)
    {
        var periods = 2 * years;
        if (Math.Abs(yield) < 1e-12)
        {
            // The limit as y → 0: every coupon and the face undiscounted.
            return 1 + (coupon * years);
        }
        var discount = Math.Pow(1 + (yield / 2), -periods);
        return (coupon / yield * (1 - discount)) + discount;
    }

    /// <summary>
    /// The gross return (new value over par) of a <paramref name="maturity"/>-year par bond bought at
    /// <paramref name="previousYield"/> and held <paramref name="elapsedYears"/>: repriced at <paramref name="yield"/>
    /// with maturity − elapsed left, plus the coupon accrued over the holding (previousYield · elapsed).
    /// </summary>
    public static double Growth(double previousYield, double yield, double elapsedYears, double maturity = TenYears) =>
        Price(previousYield, yield, maturity - elapsedYears) + (previousYield * elapsedYears);

    /// <summary>The gross return between two dates, the elapsed time counted in calendar days over 365.25.</summary>
    public static double Growth(double previousYield, double yield, DateOnly from, DateOnly to, double maturity = TenYears) =>
        Growth(previousYield, yield, (to.DayNumber - from.DayNumber) / DaysPerYear, maturity);
}
