using System.Globalization;
using System.Text;
using CsCheck;
using FastRebal.Engine.Audit;

namespace FastRebal.Engine.Tests.Audit;

public sealed class DecimalTextTests
{
    private static string Written(decimal value)
    {
        Span<byte> text = stackalloc byte[DecimalText.MaxLength];
        Assert.True(DecimalText.TryFormat(value, text, out var written));
        return Encoding.UTF8.GetString(text[..written]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.000")]
    [InlineData("-0.0")]
    [InlineData("1.50")]
    [InlineData("-1.50")]
    [InlineData("0.0000000000000000000000000001")]
    [InlineData("-0.0012")]
    [InlineData("14649.042367174147481712589568")]
    [InlineData("79228162514264337593543950335")]
    [InlineData("-79228162514264337593543950335")]
    [InlineData("7.9228162514264337593543950335")]
    [InlineData("10000000000000000000")]
    [InlineData("18446744073709551615")]
    [InlineData("18446744073709551616")]
    public void A_decimal_is_written_as_the_runtime_spells_it(string text)
    {
        var value = decimal.Parse(text, CultureInfo.InvariantCulture);
        Assert.Equal(value.ToString(CultureInfo.InvariantCulture), Written(value));
    }

    [Fact]
    public void Any_decimal_is_written_as_the_runtime_spells_it()
    {
        var bits = Gen.Select(Gen.Int, Gen.Int, Gen.Int, Gen.Bool, Gen.Byte[0, 28]);
        // Small magnitudes too: most figures have few digits, and a scale past their count puts zeros after the point.
        var small = Gen.Select(Gen.Int[0, 99_999], Gen.Bool, Gen.Byte[0, 28]);
        Gen.OneOf(
                bits.Select((lo, mid, hi, negative, scale) => new decimal(lo, mid, hi, negative, scale)),
                small.Select((n, negative, scale) => new decimal(n, 0, 0, negative, scale)))
            .Sample(value => Assert.Equal(value.ToString(CultureInfo.InvariantCulture), Written(value)), iter: 100_000);
    }
}
