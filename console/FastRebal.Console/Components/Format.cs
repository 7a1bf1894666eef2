using System.Globalization;
using FastRebal.Engine.Tax;

namespace FastRebal.Console.Components;

/// <summary>How the pages write numbers: invariant culture, thousands separators, units spelled out.</summary>
public static class Format
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Count(long value) => value.ToString("N0", C);

    public static string Rate(double perSecond) => perSecond.ToString(perSecond is > 0 and < 10 ? "N1" : "N0", C);

    public static string Money(double value) => Math.Abs(value) >= 1e9
        ? (value / 1e9).ToString("N2", C) + " bn"
        : Math.Abs(value) >= 1e6 ? (value / 1e6).ToString("N1", C) + " m" : value.ToString("N0", C);

    public static string Money(decimal value) => value.ToString("#,0.00", C);

    public static string Percent(double fraction, int decimals = 2) => (fraction * 100).ToString("F" + decimals.ToString(C), C) + "%";

    public static string Millis(TimeSpan span) => span.TotalMilliseconds.ToString(span.TotalMilliseconds < 10 ? "0.00" : "0.0", C) + " ms";

    public static string Age(TimeSpan span) =>
        span == TimeSpan.MaxValue ? "never" : span.TotalSeconds < 1 ? "< 1 s" : span.TotalMinutes < 2 ? span.TotalSeconds.ToString("0", C) + " s" : span.TotalHours < 2 ? span.TotalMinutes.ToString("0", C) + " min"
        : span.TotalHours < 48 ? span.TotalHours.ToString("0.#", C) + " h" : span.TotalDays.ToString("0.#", C) + " days";

    public static string Quantity(decimal value) => value.ToString("#,0.######", C);

    public static string Price(double value) => value.ToString("#,0.00##", C);

    public static string Price(decimal value) => value.ToString("#,0.00##", C);

    /// <summary>How a sale picks lots, to follow "sales relieve lots".</summary>
    public static string Relief(LotMethod method) => method switch
    {
        LotMethod.Fifo => "oldest first",
        LotMethod.Lifo => "newest first",
        LotMethod.HighestCost => "highest cost first",
        LotMethod.LowestCost => "lowest cost first",
        LotMethod.TaxOptimal => "tax-optimally (losses first, then long-term gains, then short-term gains, smallest first)",
        LotMethod.SpecificLots => "as the account names them",
        _ => method.ToString(),
    };

    /// <summary>A market day, or a dash when it is not known.</summary>
    public static string Day(DateOnly? day) => day is { } d ? d.ToString("yyyy-MM-dd", C) : "-";

    public static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", C);
}
