using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CsCheck;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Audit;

public sealed class AuditInputsTests
{
    private static State.AccountBook Book() => new TestBook().Instrument("SPY", 500.25).Instrument("AGG", 99.5).Model("M", ("SPY", 0.6), ("AGG", 0.4))
        .Account("A1", "M", 1000.5m, TestBook.Policy(band: 0.04), new DateOnly(2025, 3, 31), ("SPY", 10m), ("AGG", 2.5m)).Load().Book;

    [Fact]
    public void The_input_hash_is_SHA_256_of_the_documented_binary_layout()
    {
        var book = Book();
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes))
        {
            w.Write("fastrebal-inputs-v2"u8);
            w.Write(TestBook.AsOf.DayNumber);
            Utf8(w, "A1");
            Utf8(w, book.HouseholdId(0));
            Utf8(w, "M");
            w.Write(book.Cash[0]);
            w.Write(125.50m);
            w.Write(book.SlotStart[1] - book.SlotStart[0]);
            for (var s = book.SlotStart[0]; s < book.SlotStart[1]; s++)
            {
                Utf8(w, book.Instruments[book.InstrumentIndices[s]].Id);
                w.Write(book.Quantities[s]);
                w.Write(book.Marks[s]);
                w.Write(book.Targets[s]);
            }
            Utf8(w, JsonSerializer.Serialize(book.Policy(0), ScenarioDocument.JsonOptions).ReplaceLineEndings(" "));
            w.Write(new DateOnly(2025, 3, 31).DayNumber);
            w.Write(0);
        }
        var expected = Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray()));

        // Twice: the second hash of the same policy takes its text from the cache.
        Assert.Equal(expected, AuditInputs.Hash(book, 0, TestBook.AsOf, 125.50m));
        Assert.Equal(expected, AuditInputs.Capture(book, 0, TestBook.AsOf, 125.50m).Hash);
    }

    [Fact]
    public void Layout_1_is_still_SHA_256_of_the_documented_text_layout_for_records_written_before_layout_2()
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

        Assert.Equal(expected, AuditInputs.Hash(AuditInputs.Capture(book, 0, TestBook.AsOf, 125.50m), layout: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AuditInputs.Hash(AuditInputs.Capture(book, 0, TestBook.AsOf, 0), layout: 3));
    }

    // A string of layout 2: its UTF-8 byte count, then the bytes.
    private static void Utf8(BinaryWriter w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write(bytes.Length);
        w.Write(bytes);
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

    private static Gen<T> OneOf<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static readonly Gen<string> Text = OneOf("a", "Z9", "\"", "\\", "\n", "\r\n", "\u0085", "\u2028", "|", "é", "中", "😀", "<", "=").Array[0, 5].Select(string.Concat);

    // A few values that repeat (as marks and targets do across accounts), edge values, and any finite double.
    private static readonly Gen<double> Number = Gen.Frequency(
        (2, OneOf(500.25, 0.6, 0.4, 0.0, -0.0, double.Epsilon, double.MaxValue, 1e-300, 1e21, 0.1 + 0.2)),
        (3, Gen.Double.Where(double.IsFinite)));

    private static readonly Gen<decimal> Money = Gen.Select(Gen.Int[-int.MaxValue, int.MaxValue], Gen.Int[0, 10]).Select((units, scale) => new decimal(Math.Abs(units), 0, 0, units < 0, (byte)scale));

    private static readonly Gen<DateOnly> Day = Gen.Int[0, 20_000].Select(d => DateOnly.FromDayNumber(730_000 + d));

    // Any policy: named and unnamed enum values, NaN and infinities, a missing id, bands and restricted lists or none.
    private static readonly Gen<InvestmentPolicy> Policies = Gen.Select(
        Gen.Select(Text.Null(), Gen.Int, Gen.Int[0, 3], Gen.Int[0, 2], Number, Gen.Select(Text, Number).Array[0, 3].Null()),
        Gen.Select(Gen.Int[0, 5], Gen.Int, Money, Gen.Frequency((4, Number), (1, OneOf(double.NaN, double.PositiveInfinity, double.NegativeInfinity)))),
        Gen.Select(Money, Gen.Bool, Text.Null().Array[0, 3].Null(), Gen.Int[0, 2], Gen.Int[0, 2]))
        .Select((a, b, c) => new InvestmentPolicy
        {
            Id = a.Item1!, Version = a.Item2, Trigger = (RebalanceTrigger)a.Item3, BandType = (BandType)a.Item4, BandWidth = a.Item5,
            AssetClassBands = a.Item6?.DistinctBy(x => x.Item1).ToDictionary(x => x.Item1, x => x.Item2),
            Calendar = (CalendarSchedule)b.Item1, MinDaysBetweenRebalances = b.Item2, CashReserveAmount = b.Item3, CashReservePercent = b.Item4,
            MinTradeValue = c.Item1, FractionalShares = c.Item2, RestrictedInstruments = c.Item3!, TaxStatus = (TaxStatus)c.Item4, Mode = (RebalanceMode)c.Item5,
        });

    private static readonly Gen<AuditInputSnapshot> Snapshots = Gen.Select(
        Gen.Select(Day, Text, Text, Text, Number, Money),
        Gen.Select(Text, Number, Number, Number).Select((id, q, m, t) => new AuditInputSlot(id, q, m, t)).Array[0, 25],
        Gen.Frequency((1, Policies), (1, Gen.Select(Text, Gen.Int, Number, Gen.Select(Text, Number).Array[0, 3].Null()).Select(p => TestBook.Policy(band: p.Item3) with
        {
            Id = p.Item1, Version = p.Item2, AssetClassBands = p.Item4?.DistinctBy(b => b.Item1).ToDictionary(b => b.Item1, b => b.Item2),
        }))),
        Gen.Select(Text, Text, Day, Money, Money, Day.Nullable(), Money).Select((id, instrument, acquired, quantity, basis, since, wash) =>
            new TaxLot(id, instrument, acquired, quantity, basis, since, wash)).Array[0, 3].Null(),
        Day.Nullable())
        .Select((head, slots, policy, lots, last) => new AuditInputSnapshot(head.Item1, head.Item2, head.Item3, head.Item4, head.Item5, head.Item6, slots,
            policy, last, lots));

    [Fact]
    public void A_policy_is_written_for_its_input_hash_exactly_as_the_serializer_writes_it()
    {
        // One writer per sample: CsCheck samples on several threads, and a writer is one thread's.
        Policies.Sample(policy =>
        {
            // The bands sorted as the input hash documents them.
            var sorted = policy.AssetClassBands is null ? policy : policy with { AssetClassBands = new SortedDictionary<string, double>(policy.AssetClassBands.ToDictionary(), StringComparer.Ordinal) };
            Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(sorted, ScenarioDocument.JsonOptions), new AuditPolicyJson().Write(policy).ToArray());
        }, iter: 2_000);
    }

    [Fact]
    public void The_policy_writer_knows_every_field_of_a_policy()
    {
        // A field added to policies must be added to the input hash's policy writer too (and to the generator above).
        Assert.Equal(typeof(InvestmentPolicy).GetProperties().Select(p => p.Name), AuditPolicyJson.Fields);
    }

    [Fact]
    public void The_input_hash_is_that_of_the_documented_text_for_any_inputs()
    {
        Snapshots.Sample(inputs =>
        {
            // The layout written with strings, as the documentation spells it; the engine writes UTF-8 straight.
            var c = CultureInfo.InvariantCulture;
            var text = new StringBuilder("fastrebal-inputs-v1\n")
                .Append(c, $"asOf={inputs.AsOf:yyyy-MM-dd}\naccount={inputs.AccountId}\nhousehold={inputs.HouseholdId}\n")
                .Append(c, $"model={inputs.ModelId}\ncash={inputs.Cash:R}\nnetFlow={inputs.NetFlow}\n");
            foreach (var slot in inputs.Slots)
            {
                text.Append(c, $"slot={slot.InstrumentId}|{slot.Quantity:R}|{slot.Mark:R}|{slot.Target:R}\n");
            }
            var policy = inputs.Policy with
            {
                AssetClassBands = inputs.Policy.AssetClassBands is null ? null : new SortedDictionary<string, double>(inputs.Policy.AssetClassBands.ToDictionary(), StringComparer.Ordinal),
            };
            text.Append("policy=").Append(JsonSerializer.Serialize(policy, ScenarioDocument.JsonOptions).ReplaceLineEndings(" ")).Append('\n');
            text.Append(c, $"lastRebalanced={inputs.LastRebalanced:yyyy-MM-dd}\n");
            foreach (var lot in inputs.Lots ?? [])
            {
                text.Append(c, $"lot={lot.Id}|{lot.InstrumentId}|{lot.Acquired:yyyy-MM-dd}|{lot.Quantity}|{lot.CostBasis}|{lot.HoldingPeriodStart:yyyy-MM-dd}|{lot.WashSaleAdjustment}\n");
            }
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))), AuditInputs.Hash(inputs, layout: 1));
        }, iter: 2_000);
    }

    [Fact]
    public void The_input_hash_is_that_of_the_documented_bytes_for_any_inputs()
    {
        Snapshots.Sample(inputs =>
        {
            // The layout written with a BinaryWriter (little-endian integers, doubles as their bits, decimals as their four parts).
            using var bytes = new MemoryStream();
            using (var w = new BinaryWriter(bytes))
            {
                w.Write("fastrebal-inputs-v2"u8);
                w.Write(inputs.AsOf.DayNumber);
                Utf8(w, inputs.AccountId);
                Utf8(w, inputs.HouseholdId);
                Utf8(w, inputs.ModelId);
                w.Write(inputs.Cash);
                w.Write(inputs.NetFlow);
                w.Write(inputs.Slots.Count);
                foreach (var slot in inputs.Slots)
                {
                    Utf8(w, slot.InstrumentId);
                    w.Write(slot.Quantity);
                    w.Write(slot.Mark);
                    w.Write(slot.Target);
                }
                var policy = inputs.Policy with
                {
                    AssetClassBands = inputs.Policy.AssetClassBands is null ? null : new SortedDictionary<string, double>(inputs.Policy.AssetClassBands.ToDictionary(), StringComparer.Ordinal),
                };
                Utf8(w, JsonSerializer.Serialize(policy, ScenarioDocument.JsonOptions).ReplaceLineEndings(" "));
                w.Write(inputs.LastRebalanced?.DayNumber ?? -1);
                w.Write(inputs.Lots?.Count ?? 0);
                foreach (var lot in inputs.Lots ?? [])
                {
                    Utf8(w, lot.Id);
                    Utf8(w, lot.InstrumentId);
                    w.Write(lot.Acquired.DayNumber);
                    w.Write(lot.Quantity);
                    w.Write(lot.CostBasis);
                    w.Write(lot.HoldingPeriodStart.DayNumber);
                    w.Write(lot.WashSaleAdjustment);
                }
            }
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())), inputs.Hash);
        }, iter: 2_000);
    }
}
