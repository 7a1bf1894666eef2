using System.Globalization;
using System.Text.Json;
using CsCheck;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Tests.Decisions;

public sealed class PlanWarningTests
{
    // Quantities and amounts with any scale up to 12 places, as sizing makes them.
    private static readonly Gen<decimal> Amount = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 9], Gen.Int[0, 12]).Select((lo, mid, scale) => new decimal(lo, mid, 0, false, (byte)scale));

    private static readonly Gen<string> Symbol = Gen.String[Gen.Char.AlphaNumeric, 1, 8];

    [Fact]
    public void A_warning_kept_as_its_parts_reads_exactly_as_the_sentence_sizing_used_to_format()
    {
        // The sentences as TradeGenerator and BuyTrimmer wrote them when each warning was formatted as it was made.
        var c = CultureInfo.InvariantCulture;
        Gen.Select(Gen.Bool, Amount, Symbol, Amount, Amount).Sample((buy, quantity, symbol, notional, limit) =>
        {
            var side = buy ? TradeSide.Buy : TradeSide.Sell;
            Assert.Equal(string.Create(c, $"{side.ToString().ToLowerInvariant()} {quantity:0.######} {symbol} ({notional:N2}) is below the minimum trade {limit:N2} and was suppressed"),
                PlanWarning.BelowMinimum(side, quantity, symbol, notional, limit).ToString());
            Assert.Equal(string.Create(c, $"buy of {symbol} dropped to keep the cash reserve {limit:N2}"), PlanWarning.BuyDropped(symbol, limit).ToString());
            Assert.Equal(string.Create(c, $"buy of {symbol} trimmed by {quantity:0.######} to keep the cash reserve {limit:N2}"),
                PlanWarning.BuyTrimmed(symbol, quantity, limit).ToString());
        }, iter: 500);
    }

    [Fact]
    public void A_warning_is_its_words_in_json_and_reads_back_equal()
    {
        var warnings = new[] { PlanWarning.BelowMinimum(TradeSide.Sell, 0.039378m, "USBD299", 5.14m, 25m), PlanWarning.InWords("lot sizes rounded") };

        var json = JsonSerializer.Serialize(warnings);

        Assert.Equal("[\"sell 0.039378 USBD299 (5.14) is below the minimum trade 25.00 and was suppressed\",\"lot sizes rounded\"]", json);
        Assert.Equal(warnings, JsonSerializer.Deserialize<PlanWarning[]>(json));
    }
}
