using System.Buffers.Binary;
using System.Text;
using System.Xml.Linq;
using FastRebal.Charts;

namespace FastRebal.Engine.Tests.Charts;

public class BacktestChartsTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A deterministic walk: a value that grows by about <paramref name="growth"/> a step, from 100.</summary>
    private static ChartSeries Walk(string label, DateOnly first, int count, int stepDays = 1, double growth = 0.0003, int seed = 1)
    {
        var random = new Random(seed);
        var days = new DateOnly[count];
        var values = new double[count];
        var value = 100.0;
        for (var i = 0; i < count; i++)
        {
            days[i] = first.AddDays(i * stepDays);
            value *= 1 + growth + ((random.NextDouble() - 0.5) * 0.02);
            values[i] = value;
        }

        return new ChartSeries(label, days, values);
    }

    private static ChartSeries Drift(int count)
    {
        var days = new DateOnly[count];
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            days[i] = new DateOnly(2020, 1, 1).AddDays(i);
            values[i] = 0.06 * Math.Sin(i / 20.0);
        }

        return new ChartSeries("equities", days, values);
    }

    private static readonly SweepPoint[] SweepPoints =
    [
        new("band 1%", 0.45, 0.002), new("band 5%", 0.08, 0.011, Highlight: true), new("never", 0, 0.061),
    ];

    /// <summary>Each of the four charts, by name, drawn in a format at a size, with the labels it should show.</summary>
    private static (byte[] Bytes, string[] Labels) Draw(string chart, ChartFormat format, int width, int height)
    {
        var a = Walk("threshold 5%", new DateOnly(2020, 1, 1), 500, seed: 1);
        var b = Walk("never rebalanced", new DateOnly(2020, 1, 1), 500, seed: 2);
        var drift = Drift(500);
        return chart switch
        {
            "value" => (BacktestCharts.Value("Portfolio value", [a, b], false, format, width, height), ["Portfolio value", "threshold 5%", "never rebalanced"]),
            "value-log" => (BacktestCharts.Value("Value, log", [a, b], true, format, width, height), ["Value, log", "threshold 5%", "never rebalanced"]),
            "drift" => (BacktestCharts.Drift("Equity drift", drift, 0.05, [drift.Days[30], drift.Days[155]], format, width, height), ["Equity drift", "equities", "band ±5%", "rebalances (2)"]),
            "turnover" => (BacktestCharts.Turnover("Cumulative turnover", [a with { Label = "calendar" }], format, width, height), ["Cumulative turnover", "calendar"]),
            "sweep" => (BacktestCharts.Sweep("Band sweep", SweepPoints, format, width, height), ["Band sweep", "band 1%", "band 5%", "never"]),
            _ => throw new ArgumentOutOfRangeException(nameof(chart)),
        };
    }

    public static TheoryData<string> Charts => ["value", "value-log", "drift", "turnover", "sweep"];

    private static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.True(png.Length > 33, "too short for a PNG header");
        Assert.Equal(PngSignature, png[..8]);
        // The first chunk is IHDR: length (4 bytes), "IHDR", then width and height as big-endian 32-bit numbers.
        Assert.Equal("IHDR", Encoding.ASCII.GetString(png, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
    }

    /// <summary>The SVG's text: every text element's content, trimmed, in document order.</summary>
    private static List<string> SvgTexts(byte[] svg, out XDocument document)
    {
        document = XDocument.Parse(Encoding.UTF8.GetString(svg));
        return [.. document.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim())];
    }

    [Theory]
    [MemberData(nameof(Charts))]
    public void A_png_has_the_signature_and_the_asked_size(string chart)
    {
        var (png, _) = Draw(chart, ChartFormat.Png, 640, 360);

        Assert.Equal((640, 360), PngSize(png));
    }

    [Theory]
    [MemberData(nameof(Charts))]
    public void An_svg_is_well_formed_with_the_title_and_the_legend_labels(string chart)
    {
        var (svg, labels) = Draw(chart, ChartFormat.Svg, 800, 400);

        var texts = SvgTexts(svg, out var document);
        Assert.Equal("svg", document.Root!.Name.LocalName);
        Assert.Equal("800", document.Root.Attribute("width")?.Value);
        Assert.Equal("400", document.Root.Attribute("height")?.Value);
        foreach (var label in labels)
        {
            Assert.Contains(label, texts);
        }
    }

    [Theory]
    [InlineData(ChartFormat.Png)]
    [InlineData(ChartFormat.Svg)]
    public void The_same_chart_is_the_same_bytes(ChartFormat format)
    {
        var (first, _) = Draw("drift", format, 900, 450);
        var (second, _) = Draw("drift", format, 900, 450);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Two_different_svgs_have_different_clip_ids_so_a_page_can_inline_both()
    {
        static HashSet<string> Ids(byte[] svg)
        {
            SvgTexts(svg, out var document);
            return [.. document.Descendants().Select(e => e.Attribute("id")?.Value).OfType<string>()];
        }

        var value = Ids(Draw("value", ChartFormat.Svg, 900, 450).Bytes);
        var drift = Ids(Draw("drift", ChartFormat.Svg, 900, 450).Bytes);

        Assert.NotEmpty(value);
        Assert.Empty(value.Intersect(drift));
    }

    [Fact]
    public void A_century_of_daily_values_renders_on_a_log_scale_with_year_ticks()
    {
        // 25,000 points from 1875 every ~2.2 days: 150 years, as a daily backtest of a century would be.
        var days = new DateOnly[25_000];
        var start = new DateOnly(1875, 1, 4);
        for (var i = 0; i < days.Length; i++)
        {
            days[i] = start.AddDays((int)(i * 2.19));
        }

        var growth = Walk("threshold 5%", start, days.Length, growth: 0.0004) with { Days = days };
        var never = Walk("never rebalanced", start, days.Length, growth: 0.0003, seed: 7) with { Days = days };

        var png = BacktestCharts.Value("A century", [growth, never], true, ChartFormat.Png);
        var svg = BacktestCharts.Value("A century", [growth, never], true, ChartFormat.Svg);

        Assert.Equal((900, 450), PngSize(png));
        var texts = SvgTexts(svg, out _);
        Assert.Contains("1900", texts);
        Assert.Contains("2000", texts);
        Assert.Contains("never rebalanced", texts);
        // Powers of ten on the log axis: the values run from about 100 to far above 10,000.
        Assert.Contains("100", texts);
        Assert.Contains("10,000", texts);
    }

    [Fact]
    public void A_log_scale_refuses_a_value_that_is_not_positive_and_names_the_series_and_the_day()
    {
        var good = Walk("threshold 5%", new DateOnly(1929, 1, 2), 1000);
        var bad = Walk("leveraged", new DateOnly(1929, 1, 2), 1000);
        bad.Values[800] = -3.5;

        var error = Assert.Throws<ArgumentException>(() => BacktestCharts.Value("Crash", [good, bad], true, ChartFormat.Png));

        Assert.Equal("series", error.ParamName);
        Assert.Contains("series 1 ('leveraged')", error.Message);
        Assert.Contains("-3.5", error.Message);
        Assert.Contains(bad.Days[800].ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Contains("log scale", error.Message);
        // The same values draw on a linear scale.
        Assert.Equal(PngSignature, BacktestCharts.Value("Crash", [good, bad], false, ChartFormat.Png)[..8]);
    }

    [Fact]
    public void A_zero_is_refused_on_a_log_scale_too()
    {
        var flat = Walk("cash", new DateOnly(2020, 1, 1), 10);
        flat.Values[0] = 0;

        var error = Assert.Throws<ArgumentException>(() => BacktestCharts.Value("Cash", [flat], true, ChartFormat.Svg));

        Assert.Contains("series 'cash' has 0 on 2020-01-01 (day 0)", error.Message);
    }

    public static TheoryData<string, string> BadSeries => new()
    {
        { "empty", "series 1 ('b') is empty" },
        { "lengths", "series 1 ('b') has 3 days but 2 values" },
        { "order", "series 1 ('b') is not in date order: day 2 (2020-01-01) comes after day 1 (2020-01-02)" },
        { "nan", "series 1 ('b') has NaN on 2020-01-02 (day 1)" },
        { "infinity", "series 1 ('b') has Infinity on 2020-01-02 (day 1)" },
        { "no label", "series 1 has no label" },
        { "null days", "series 1 ('b') has no days" },
    };

    [Theory]
    [MemberData(nameof(BadSeries))]
    public void Bad_series_are_refused_with_the_series_and_what_is_wrong(string what, string message)
    {
        var good = new ChartSeries("a", [new(2020, 1, 1), new(2020, 1, 2)], [1.0, 2.0]);
        ChartSeries bad = what switch
        {
            "empty" => new("b", [], []),
            "lengths" => new("b", [new(2020, 1, 1), new(2020, 1, 2), new(2020, 1, 3)], [1.0, 2.0]),
            "order" => new("b", [new(2020, 1, 1), new(2020, 1, 2), new(2020, 1, 1)], [1.0, 2.0, 3.0]),
            "nan" => new("b", [new(2020, 1, 1), new(2020, 1, 2)], [1.0, double.NaN]),
            "infinity" => new("b", [new(2020, 1, 1), new(2020, 1, 2)], [1.0, double.PositiveInfinity]),
            "no label" => new(" ", [new(2020, 1, 1)], [1.0]),
            "null days" => new("b", null!, [1.0]),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };

        var value = Assert.Throws<ArgumentException>(() => BacktestCharts.Value("V", [good, bad], false, ChartFormat.Png));
        var turnover = Assert.Throws<ArgumentException>(() => BacktestCharts.Turnover("T", [good, bad], ChartFormat.Svg));

        Assert.Contains(message, value.Message);
        Assert.Contains(message, turnover.Message);
        Assert.Equal("series", value.ParamName);
    }

    [Fact]
    public void No_series_at_all_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => BacktestCharts.Value("V", [], false, ChartFormat.Png));

        Assert.Contains("at least one series", error.Message);
        Assert.Throws<ArgumentNullException>(() => BacktestCharts.Turnover("T", null!, ChartFormat.Png));
    }

    [Fact]
    public void A_drift_chart_checks_its_series_band_and_rebalance_days()
    {
        var drift = Drift(100);

        var empty = Assert.Throws<ArgumentException>(() => BacktestCharts.Drift("D", drift with { Days = [], Values = [] }, 0.05, [], ChartFormat.Png));
        var band = Assert.Throws<ArgumentOutOfRangeException>(() => BacktestCharts.Drift("D", drift, 0, [], ChartFormat.Png));
        var outside = Assert.Throws<ArgumentException>(() => BacktestCharts.Drift("D", drift, 0.05, [drift.Days[5], new DateOnly(2019, 12, 31)], ChartFormat.Png));

        Assert.Contains("series 'equities' is empty", empty.Message);
        Assert.Contains("band of 'equities'", band.Message);
        Assert.Equal("rebalances", outside.ParamName);
        Assert.Contains("rebalances[1] is 2019-12-31, outside series 'equities', which runs from 2020-01-01 to 2020-04-09", outside.Message);
    }

    [Fact]
    public void A_rebalance_on_a_day_the_series_skips_is_marked_on_the_day_before()
    {
        // A value every third day: a rebalance on a day between two is drawn at the drift of the day before it.
        var series = Walk("equities", new DateOnly(2024, 1, 5), 3, stepDays: 3);

        var svg = BacktestCharts.Drift("D", series with { Values = [0.01, 0.02, 0.03] }, 0.05, [new DateOnly(2024, 1, 7)], ChartFormat.Svg);

        Assert.Contains("rebalance (1)", SvgTexts(svg, out _));
    }

    [Fact]
    public void A_sweep_checks_its_points()
    {
        var empty = Assert.Throws<ArgumentException>(() => BacktestCharts.Sweep("S", [], ChartFormat.Png));
        var negative = Assert.Throws<ArgumentException>(() => BacktestCharts.Sweep("S", [SweepPoints[0], new("band 3%", 0.1, -0.01)], ChartFormat.Png));
        var nan = Assert.Throws<ArgumentException>(() => BacktestCharts.Sweep("S", [new("band 3%", double.NaN, 0.01)], ChartFormat.Png));

        Assert.Contains("at least one point", empty.Message);
        Assert.Contains("point 1 ('band 3%') has a tracking error of -0.01", negative.Message);
        Assert.Contains("point 0 ('band 3%') has a turnover of NaN", nan.Message);
    }

    [Fact]
    public void Sizes_outside_the_limits_are_refused()
    {
        var series = Walk("a", new DateOnly(2020, 1, 1), 10);

        Assert.Throws<ArgumentOutOfRangeException>(() => BacktestCharts.Value("V", [series], false, ChartFormat.Png, width: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BacktestCharts.Value("V", [series], false, ChartFormat.Png, height: 100_000));
    }

    [Fact]
    public void Save_picks_the_format_from_the_extension_and_makes_the_folder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fastrebal-charts-" + Guid.NewGuid().ToString("N"));
        try
        {
            var series = Walk("a", new DateOnly(2020, 1, 1), 30);
            var asked = new List<ChartFormat>();
            byte[] Draw(ChartFormat f)
            {
                asked.Add(f);
                return BacktestCharts.Turnover("T", [series], f, 300, 200);
            }

            var png = BacktestCharts.Save(Path.Combine(folder, "deep", "turnover.png"), Draw);
            var svg = BacktestCharts.Save(Path.Combine(folder, "turnover.SVG"), Draw);

            Assert.Equal([ChartFormat.Png, ChartFormat.Svg], asked);
            Assert.Equal((300, 200), PngSize(File.ReadAllBytes(png)));
            Assert.Contains("T", SvgTexts(File.ReadAllBytes(svg), out _));
            var wrong = Assert.Throws<ArgumentException>(() => BacktestCharts.Save(Path.Combine(folder, "turnover.jpg"), Draw));
            Assert.Contains(".png or .svg", wrong.Message);
            Assert.False(File.Exists(Path.Combine(folder, "turnover.jpg")));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void With_no_font_installed_a_chart_fails_saying_what_to_install()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ChartFont.Choose([]));

        Assert.Contains("fonts-dejavu-core", error.Message);
    }

    [Fact]
    public void The_font_is_a_common_sans_serif_one_when_there_is_one()
    {
        Assert.Equal("DejaVu Sans", ChartFont.Choose(["DejaVu Serif", "Liberation Sans", "DejaVu Sans"]));
        Assert.Equal("Liberation Sans", ChartFont.Choose(["DejaVu Serif", "Liberation Sans"]));
        Assert.Equal("Noto Sans CJK", ChartFont.Choose(["Noto Serif", "Noto Sans Mono", "Noto Sans CJK"]));
        Assert.Equal("Noto Serif", ChartFont.Choose(["Noto Serif"]));
    }

    public static TheoryData<string, string, string[]> DateRanges => new()
    {
        // A few days: each day. Two months: every other week. Three years: every six months. 150 years: every 20 years.
        { "2024-02-27", "2024-03-02", ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"] },
        { "2024-02-01", "2024-03-31", ["2024-02-12", "2024-02-26", "2024-03-11", "2024-03-25"] },
        { "2021-03-01", "2024-03-01", ["Jul 2021", "Jan 2022", "Jul 2022", "Jan 2023", "Jul 2023", "Jan 2024"] },
        { "1875-01-04", "2025-12-31", ["1880", "1900", "1920", "1940", "1960", "1980", "2000", "2020"] },
    };

    [Theory]
    [MemberData(nameof(DateRanges))]
    public void Date_ticks_fall_on_round_days_months_or_years(string from, string to, string[] labels)
    {
        static double X(string day) => ChartInput.X(DateOnly.ParseExact(day, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));

        var ticks = ChartAxes.DateTicks(X(from), X(to), 780);

        Assert.Equal(labels, ticks.Where(t => t.IsMajor).Select(t => t.Label).ToArray());
    }

    [Fact]
    public void Fractions_are_labelled_as_percentages_and_large_values_shortened()
    {
        Assert.Equal("5%", ChartText.Percent(0.05));
        Assert.Equal("0.25%", ChartText.Percent(0.0025));
        Assert.Equal("-7%", ChartText.Percent(-0.07));
        Assert.Equal("350%", ChartText.Percent(3.5));
        Assert.Equal("0%", ChartText.Percent(-1e-12));
        Assert.Equal("10,000", ChartText.Number(10_000));
        Assert.Equal("1.5M", ChartText.Number(1_500_000));
        Assert.Equal("2B", ChartText.Number(2e9));
        Assert.Equal("0.5", ChartText.Number(0.5));
    }

    [Fact]
    public void Log_ticks_are_powers_of_ten_over_decades_and_plain_values_within_one()
    {
        static string[] Majors(ScottPlot.Tick[] t) => [.. t.Where(x => x.IsMajor).Select(x => x.Label)];

        var century = Majors(BacktestCharts.LogTicks(1e4, 2e8));
        var decade = Majors(BacktestCharts.LogTicks(3, 90));
        var narrow = Majors(BacktestCharts.LogTicks(100, 105));

        Assert.Equal(["1,000", "10,000", "100,000", "1M", "10M", "100M", "1B", "10B"], century);
        Assert.Contains("5", decade);
        Assert.Contains("20", decade);
        Assert.Contains("50", decade);
        Assert.Contains("101", narrow);
        Assert.Contains("104", narrow);
    }
}
