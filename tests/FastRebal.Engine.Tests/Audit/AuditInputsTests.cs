using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Tests.Audit;

public sealed class AuditInputsTests
{
    private static State.AccountBook Book() => new TestBook().Instrument("SPY", 500.25).Instrument("AGG", 99.5).Model("M", ("SPY", 0.6), ("AGG", 0.4))
        .Account("A1", "M", 1000.5m, TestBook.Policy(band: 0.04), new DateOnly(2025, 3, 31), ("SPY", 10m), ("AGG", 2.5m)).Load().Book;

    [Fact]
    public void The_input_hash_is_SHA_256_of_the_documented_text_layout()
    {
        var book = Book();
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder("fastrebal-inputs-v1\n")
            .Append(c, $"asOf=2025-06-30\naccount=A1\nhousehold={book.HouseholdId(0)}\nmodel=M\ncash={book.Cash[0]:R}\nnetFlow=125.50\n");
        for (var s = book.SlotStart[0]; s < book.SlotStart[1]; s++)
        {
            text.Append(c, $"slot={book.Instruments[book.InstrumentIndices[s]].Id}|{book.Quantities[s]:R}|{book.Marks[s]:R}|{book.Targets[s]:R}\n");
        }
        text.Append("policy=").Append(JsonSerializer.Serialize(book.Policy(0), ScenarioDocument.JsonOptions).ReplaceLineEndings(" ")).Append('\n');
        text.Append("lastRebalanced=2025-03-31\n");
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));

        // Twice: the second hash of the same policy takes its text from the cache.
        Assert.Equal(expected, AuditInputs.Hash(book, 0, TestBook.AsOf, 125.50m));
        Assert.Equal(expected, AuditInputs.Capture(book, 0, TestBook.AsOf, 125.50m).Hash);
    }

    [Fact]
    public void A_snapshot_hashes_the_inputs_as_they_were_when_it_was_taken_whatever_the_book_does_after()
    {
        var book = Book();
        var before = AuditInputs.Hash(book, 0, TestBook.AsOf, 0);
        var snapshot = AuditInputs.Capture(book, 0, TestBook.AsOf, 0);

        book.c.Cash[0] += 100;
        book.c.Quantity[book.SlotStart[0]] += 1;
        book.c.Mark[book.SlotStart[0]] *= 1.01;
        book.c.Policies[0] = book.Policy(0) with { BandWidth = 0.06 };

        Assert.Equal(before, snapshot.Hash);
        Assert.NotEqual(before, AuditInputs.Hash(book, 0, TestBook.AsOf, 0));
    }
}
