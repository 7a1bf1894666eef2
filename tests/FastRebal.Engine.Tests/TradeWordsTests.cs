using System.Globalization;
using CsCheck;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Tests;

/// <summary>A trade's words spell its numbers without parsing a custom format; the text must be the custom format's.</summary>
public class TradeWordsTests
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    // Any digits at any scale, halfway points included (a 5 in the place after the last one kept).
    private static readonly Gen<decimal> Amounts = Gen.Frequency(
        (3, Gen.Select(Gen.Long[-999_999_999_999, 999_999_999_999], Gen.Byte[0, 12]).Select((units, scale) => new decimal(units) / (decimal)Math.Pow(10, scale))),
        (1, Gen.Select(Gen.Long[0, 99_999_999], Gen.Int[0, 9]).Select((units, last) => (units * 10m + last) / 10_000_000m + 0.0000005m)),
        (1, Gen.Long[0, 99_999_999].Select(units => units / 100m + 0.005m)));

    [Fact]
    public void A_quantity_reads_as_the_format_0_hashes_writes_it() =>
        Amounts.Sample(value => Assert.Equal(value.ToString("0.######", C), Words(new QuantityWords(value))), iter: 20_000);

    [Fact]
    public void A_notional_reads_as_the_format_grouped_with_two_places_writes_it() =>
        Amounts.Sample(value => Assert.Equal(value.ToString("#,0.00", C), Words(new NotionalWords(value))), iter: 20_000);

    [Fact]
    public void A_ratio_reads_as_the_format_of_a_percent_with_two_places_writes_it() =>
        Amounts.Sample(value => Assert.Equal((value / 1000).ToString("0.00%", C), Words(new PercentWords(value / 1000))), iter: 20_000);

    private static string Words<T>(T value) where T : ISpanFormattable
    {
        Span<char> text = stackalloc char[64];
        Assert.True(value.TryFormat(text, out var written, default, C));
        return new string(text[..written]);
    }
}
