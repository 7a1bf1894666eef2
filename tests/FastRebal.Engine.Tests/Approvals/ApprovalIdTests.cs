using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CsCheck;
using FastRebal.Engine.Approvals;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Tests.Approvals;

public sealed class ApprovalIdTests
{
    // The id as the one-shot queue has always named items: the trades' text built as a string, then hashed.
    private static string Documented(ApprovalKind kind, string accountId, DateOnly asOf, IEnumerable<Trade> trades)
    {
        var text = new StringBuilder();
        foreach (var t in trades)
        {
            text.Append(CultureInfo.InvariantCulture, $"{t.InstrumentId}|{t.Side}|{t.Quantity}|{t.Price};");
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..8];
        return string.Create(CultureInfo.InvariantCulture, $"APR-{asOf:yyyyMMdd}-{accountId}-{kind}-{hash}");
    }

    private static readonly Gen<string> Id = Gen.String[Gen.Char.AlphaNumeric, 1, 8].Select(s => s + "é");

    private static readonly Gen<decimal> Amount = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 9], Gen.Int[0, 12]).Select((lo, mid, scale) => new decimal(lo, mid, 0, false, (byte)scale));

    // Up to 400 trades, so the text outgrows the writer's first buffer.
    private static readonly Gen<Trade[]> Trades = Gen.Select(Id, Gen.Bool, Amount, Amount)
        .Select((instrument, buy, quantity, price) => new Trade("A1", instrument, buy ? TradeSide.Buy : TradeSide.Sell, quantity, price, "band"))
        .Array[0, 400];

    [Fact]
    public void An_items_id_is_the_day_the_account_the_kind_and_the_hash_of_its_trades_text()
    {
        Gen.Select(Trades, Id, Gen.Int[0, 2]).Sample((trades, account, kind) =>
            Assert.Equal(Documented((ApprovalKind)kind, account, new DateOnly(2025, 6, 2), trades), ApprovalItem.MakeId((ApprovalKind)kind, account, new DateOnly(2025, 6, 2), trades)),
            iter: 500);
    }
}
