using FastRebal.Console.Components;
using FastRebal.Engine.Tax;

namespace FastRebal.Console.Tests.Components;

public class FormatTests
{
    [Theory]
    [InlineData(LotMethod.Fifo, "oldest first")]
    [InlineData(LotMethod.Lifo, "newest first")]
    [InlineData(LotMethod.HighestCost, "highest cost first")]
    [InlineData(LotMethod.LowestCost, "lowest cost first")]
    [InlineData(LotMethod.TaxOptimal, "tax-optimally (losses first, then long-term gains, then short-term gains, smallest first)")]
    [InlineData(LotMethod.SpecificLots, "as the account names them")]
    public void Each_lot_method_is_put_in_words(LotMethod method, string words) => Assert.Equal(words, Format.Relief(method));

    [Fact]
    public void Every_lot_method_has_words_of_its_own()
    {
        var words = Enum.GetValues<LotMethod>().Select(Format.Relief).ToList();
        Assert.Equal(words.Count, words.Distinct().Count());
        Assert.DoesNotContain(words, w => Enum.GetNames<LotMethod>().Contains(w));
    }
}
