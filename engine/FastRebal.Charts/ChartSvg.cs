using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace FastRebal.Charts;

/// <summary>Two fixes to the SVG that Skia writes, so the same chart is the same text and sits well in a page.</summary>
internal static partial class ChartSvg
{
    /// <summary>
    /// Skia numbers its clip paths from a counter shared by the whole process (cl_4 in one chart, cl_b in the next: hexadecimal),
    /// so the same chart came out different each time. They are numbered again from 0, under a prefix taken from a
    /// hash of the chart, so two different charts inlined in one page (the console) still have distinct ids.
    /// Skia also ends each glyph position list with ", ", which strict SVG readers refuse; the last comma goes.
    /// </summary>
    internal static string Tidy(string svg)
    {
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        var text = SkiaClipId().Replace(svg, m =>
        {
            if (!numbers.TryGetValue(m.Groups[1].Value, out var n))
            {
                n = numbers.Count;
                numbers[m.Groups[1].Value] = n;
            }

            return "clip-" + n.ToString(CultureInfo.InvariantCulture);
        });
        text = TrailingComma().Replace(text, "$1$2\"");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..10];
        return OurClipId().Replace(text, "fr" + hash + "-$1");
    }

    [GeneratedRegex(@"(?<=id=""|url\(#)cl_([0-9a-fA-F]+)")]
    private static partial Regex SkiaClipId();

    [GeneratedRegex(@"(?<=id=""|url\(#)clip-(\d+)")]
    private static partial Regex OurClipId();

    [GeneratedRegex(@"( [xy]="")([^""]*?)[,\s]+""")]
    private static partial Regex TrailingComma();
}
