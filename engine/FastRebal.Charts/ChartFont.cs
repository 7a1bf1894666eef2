using SkiaSharp;

namespace FastRebal.Charts;

/// <summary>
/// The font every chart's text is drawn in: the first of a few common sans-serif families installed here. On Linux
/// SkiaSharp's native library (the NoDependencies build) reads the fonts under /usr/share/fonts itself; with none
/// there it would draw charts without a word on them, so a chart fails instead, saying what to install.
/// </summary>
internal static class ChartFont
{
    internal const string NoFont =
        "A chart's text needs a font, and none is installed (on Linux, SkiaSharp looks under /usr/share/fonts). "
        + "Install one, e.g. 'apt-get install fonts-dejavu-core' on Debian or Ubuntu.";

    private static readonly string[] Preferred = ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Segoe UI", "Noto Sans", "FreeSans"];

    private static string? family;

    /// <summary>The family found on this machine (looked up once it is found; a missing font is looked for again).</summary>
    internal static string Family => family ??= Choose(SKFontManager.Default.FontFamilies);

    /// <summary>A preferred family, else any other sans-serif one, else any one; none at all is an error.</summary>
    internal static string Choose(IEnumerable<string> installed)
    {
        var names = installed.Where(n => !string.IsNullOrWhiteSpace(n)).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var preferred in Preferred)
        {
            var match = names.Find(n => n.Equals(preferred, StringComparison.OrdinalIgnoreCase));
            if (match is not null)
            {
                return match;
            }
        }

        return names.Find(n => n.Contains("Sans", StringComparison.OrdinalIgnoreCase) && !n.Contains("Mono", StringComparison.OrdinalIgnoreCase))
            ?? names.FirstOrDefault()
            ?? throw new InvalidOperationException(NoFont);
    }
}
