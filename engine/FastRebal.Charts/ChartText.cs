using System.Globalization;

namespace FastRebal.Charts;

/// <summary>Tick labels: numbers and percentages, the same on every machine (invariant culture).</summary>
internal static class ChartText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A value: thousands separated, and millions, billions and trillions shortened (1.5M).</summary>
    internal static string Number(double value)
    {
        var magnitude = Math.Abs(value);
        return magnitude switch
        {
            >= 1e12 => (value / 1e12).ToString("0.##", Invariant) + "T",
            >= 1e9 => (value / 1e9).ToString("0.##", Invariant) + "B",
            >= 1e6 => (value / 1e6).ToString("0.##", Invariant) + "M",
            >= 1 => value.ToString("#,0.##", Invariant),
            0 => "0",
            _ => value.ToString("0.####", Invariant),
        };
    }

    /// <summary>A fraction as a percentage: 0.05 is "5%", 0.0025 is "0.25%", 3.5 is "350%".</summary>
    internal static string Percent(double fraction)
    {
        var percent = Math.Round(fraction * 100, 4);
        if (percent == 0)
        {
            return "0%";
        }

        return percent.ToString("#,0.###", Invariant) + "%";
    }

    /// <summary>1, 2 or 5 times a power of ten, at least the given step.</summary>
    internal static double NiceStep(double rough)
    {
        if (!(rough > 0) || !double.IsFinite(rough))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var scaled = rough / power;
        var nice = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10;
        return nice * power;
    }
}
