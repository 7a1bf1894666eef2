using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FastRebal.Engine.Audit;
using static FastRebal.Engine.Tests.Audit.AuditTestData;

namespace FastRebal.Engine.Tests.Audit;

public sealed class AuditChainTests
{
    [Fact]
    public void Canonical_encoding_is_the_documented_byte_layout()
    {
        var entry = new AuditEntry(AuditKind.Approval, "A", "H", "P", 3, "approved", "ok", [new("n", "v")], "bob", "why", "");
        var at = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var bytes = AuditEncoding.Canonical(7, at, entry);

        var expected = new List<byte> { 1 };
        void Int64(long v) { var b = new byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, v); expected.AddRange(b); }
        void Int32(int v) { var b = new byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); expected.AddRange(b); }
        void Text(string s) { Int32(Encoding.UTF8.GetByteCount(s)); expected.AddRange(Encoding.UTF8.GetBytes(s)); }
        Int64(7);
        Int64(at.UtcTicks);
        Text("Approval"); Text("A"); Text("H"); Text("P");
        Int32(3);
        Text("approved"); Text("ok");
        Int32(1); Text("n"); Text("v");
        Text("bob"); Text("why"); Text("");
        Assert.Equal([.. expected], bytes);
    }

    [Fact]
    public void Three_record_chain_links_each_hash_to_the_previous_and_verifies()
    {
        var records = ThreeRecords();

        Assert.Equal([1L, 2, 3], records.Select(r => r.Sequence));
        Assert.Equal(AuditRecord.GenesisHash, records[0].PreviousHash);
        for (var i = 0; i < 3; i++)
        {
            // hash = SHA-256(previous hash bytes ‖ canonical record), computed here without the chain's helper.
            var input = Convert.FromHexString(records[i].PreviousHash).Concat(AuditEncoding.Canonical(records[i].Sequence, records[i].Timestamp, records[i].Entry)).ToArray();
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(input)), records[i].Hash);
            if (i > 0)
            {
                Assert.Equal(records[i - 1].Hash, records[i].PreviousHash);
            }
        }
        var verification = VerifyBytes(FileBytes(records), SealOf(records));
        Assert.True(verification.Intact, verification.Message);
        Assert.Equal(3, verification.Count);
        Assert.Equal(records[2].Hash, verification.TailHash);
        var day = Assert.Single(verification.Days);
        Assert.Equal(new DateOnly(2025, 9, 26), day.Day);
        Assert.Equal(Convert.ToHexStringLower(MerkleTree.Root([.. records.Select(r => Convert.FromHexString(r.Hash))])), day.Root);
    }

    public static TheoryData<string> Fields() =>
    [
        "sequence", "timestamp", "kind", "account", "household", "policy", "policyVersion", "rule", "explanation",
        "figureValue", "figureName", "figureDropped", "actor", "why", "inputHash", "prev", "hash",
    ];

    private static AuditRecord Edit(AuditRecord r, string field) => field switch
    {
        "sequence" => r with { Sequence = r.Sequence + 10 },
        "timestamp" => r with { Timestamp = r.Timestamp.AddTicks(1) },
        "kind" => r with { Entry = r.Entry with { Kind = r.Entry.Kind == AuditKind.Trade ? AuditKind.Decision : AuditKind.Trade } },
        "account" => r with { Entry = r.Entry with { AccountId = r.Entry.AccountId + "X" } },
        "household" => r with { Entry = r.Entry with { HouseholdId = r.Entry.HouseholdId + "X" } },
        "policy" => r with { Entry = r.Entry with { PolicyId = r.Entry.PolicyId + "X" } },
        "policyVersion" => r with { Entry = r.Entry with { PolicyVersion = r.Entry.PolicyVersion + 1 } },
        "rule" => r with { Entry = r.Entry with { Rule = r.Entry.Rule + "X" } },
        "explanation" => r with { Entry = r.Entry with { Explanation = r.Entry.Explanation + "!" } },
        "figureValue" => r with { Entry = r.Entry with { Figures = [r.Entry.Figures[0] with { Value = r.Entry.Figures[0].Value + "1" }, .. r.Entry.Figures.Skip(1)] } },
        "figureName" => r with { Entry = r.Entry with { Figures = [r.Entry.Figures[0] with { Name = "other" }, .. r.Entry.Figures.Skip(1)] } },
        "figureDropped" => r with { Entry = r.Entry with { Figures = [.. r.Entry.Figures.Skip(1)] } },
        "actor" => r with { Entry = r.Entry with { Actor = "mallory" } },
        "why" => r with { Entry = r.Entry with { ActorReason = r.Entry.ActorReason + "X" } },
        "inputHash" => r with { Entry = r.Entry with { InputHash = new string('b', 64) } },
        "prev" => r with { PreviousHash = new string('c', 64) },
        "hash" => r with { Hash = new string('d', 64) },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public void Editing_any_field_of_any_record_names_that_record(string field)
    {
        var records = ThreeRecords();
        for (var i = 0; i < records.Count; i++)
        {
            var edited = records.ToArray();
            edited[i] = Edit(records[i], field);

            var verification = VerifyBytes(FileBytes(edited), SealOf(records));

            Assert.False(verification.Intact);
            Assert.Equal(AuditFault.Edited, verification.Fault);
            Assert.Equal(i + 1, verification.BadLine);
            Assert.Equal(edited[i].Sequence, verification.BadSequence);
        }
    }

    [Fact]
    public void A_record_rewritten_with_its_hash_recomputed_breaks_the_next_link()
    {
        var records = ThreeRecords().ToArray();
        var forged = Edit(records[1], "explanation");
        records[1] = forged with { Hash = AuditEncoding.ComputeHash(forged) };

        var verification = VerifyBytes(FileBytes(records));

        Assert.Equal(AuditFault.BadLink, verification.Fault);
        Assert.Equal(2, verification.BadSequence);
        Assert.Contains("record 2", verification.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, AuditFault.Deleted, 1)]
    [InlineData(1, AuditFault.Deleted, 2)]
    [InlineData(2, AuditFault.Truncated, 3)]
    public void Deleting_a_record_names_it(int deleted, AuditFault fault, long named)
    {
        var records = ThreeRecords();
        var kept = records.Where((_, i) => i != deleted).ToList();

        var verification = VerifyBytes(FileBytes(kept), SealOf(records));

        Assert.Equal(fault, verification.Fault);
        Assert.Equal(named, verification.BadSequence);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    public void Swapping_two_records_names_the_first_one_out_of_place(int first, long named)
    {
        var records = ThreeRecords().ToArray();
        (records[first], records[first + 1]) = (records[first + 1], records[first]);

        var verification = VerifyBytes(FileBytes(records));

        Assert.Equal(AuditFault.Reordered, verification.Fault);
        Assert.Equal(named, verification.BadSequence);
        Assert.Equal(first + 1, verification.BadLine);
    }

    [Fact]
    public void A_duplicated_record_is_out_of_order()
    {
        var records = ThreeRecords();

        var verification = VerifyBytes(FileBytes([records[0], records[1], records[1], records[2]]));

        Assert.Equal(AuditFault.Reordered, verification.Fault);
        Assert.Equal(2, verification.BadSequence);
        Assert.Equal(3, verification.BadLine);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void A_tail_cut_inside_the_last_line_is_torn_and_names_the_record(int cut)
    {
        var records = ThreeRecords();
        var bytes = FileBytes(records);

        var verification = VerifyBytes(bytes[..^cut]);

        Assert.Equal(AuditFault.TornTail, verification.Fault);
        Assert.Equal(3, verification.BadSequence);
        Assert.Equal(3, verification.BadLine);
    }

    [Fact]
    public void Whole_records_cut_from_the_end_are_caught_by_the_seal_and_only_by_it()
    {
        var records = ThreeRecords();
        var shorter = FileBytes(records.Take(1));

        Assert.Equal(AuditFault.Truncated, VerifyBytes(shorter, SealOf(records)).Fault);
        Assert.Equal(2, VerifyBytes(shorter, SealOf(records)).BadSequence);
        // Without a seal (or a published daily root) a clean cut at a record boundary is a valid shorter chain.
        Assert.True(VerifyBytes(shorter).Intact);
    }

    [Fact]
    public void A_line_reformatted_without_changing_any_value_is_not_canonical()
    {
        var records = ThreeRecords();
        var text = Encoding.UTF8.GetString(FileBytes(records)).Replace("\"seq\":2,", "\"seq\": 2,", StringComparison.Ordinal);

        var verification = VerifyBytes(Encoding.UTF8.GetBytes(text));

        Assert.Equal(AuditFault.NotCanonical, verification.Fault);
        Assert.Equal(2, verification.BadSequence);
    }

    [Fact]
    public void A_missing_field_is_named()
    {
        var records = ThreeRecords();
        var text = Encoding.UTF8.GetString(FileBytes(records));
        var broken = text.Replace("\"actor\":\"engine\",", "", StringComparison.Ordinal);

        var verification = VerifyBytes(Encoding.UTF8.GetBytes(broken));

        Assert.Equal(AuditFault.Unreadable, verification.Fault);
        Assert.Equal(1, verification.BadLine);
        Assert.Contains("field 'actor'", verification.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Appends_from_several_threads_form_one_ordered_chain()
    {
        var store = new MemoryAuditStore();
        var chain = new AuditChain(store);

        Parallel.For(0, 4, thread =>
        {
            for (var i = 0; i < 250; i++)
            {
                chain.Append(Decision($"T{thread}-{i}"));
            }
        });

        Assert.Equal(1000, store.Records.Count);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), store.Records.Select(r => r.Sequence));
        Assert.True(store.Verify().Intact);
        Assert.Equal(1000, store.Records.Select(r => r.Entry.AccountId).Distinct().Count());
    }

    [Fact]
    public void A_clock_stepping_back_does_not_make_time_go_backwards_in_the_chain()
    {
        var clock = new ManualClock(Start);
        var store = new MemoryAuditStore();
        var chain = new AuditChain(store, clock);
        chain.Append(Decision());
        clock.Advance(TimeSpan.FromSeconds(-30));

        var second = chain.Append(Trade());

        Assert.Equal(Start, second.Timestamp);
        Assert.True(store.Verify().Intact);
    }

    [Fact]
    public void Daily_roots_cover_each_utc_day_separately()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 9, 26, 23, 59, 0, TimeSpan.Zero));
        var store = new MemoryAuditStore();
        var chain = new AuditChain(store, clock);
        chain.Append(Decision());
        chain.Append(Trade());
        clock.Advance(TimeSpan.FromMinutes(2));
        chain.Append(Operator());

        var days = store.Verify().Days;

        Assert.Equal([new DateOnly(2025, 9, 26), new DateOnly(2025, 9, 27)], days.Select(d => d.Day));
        Assert.Equal([2, 1], days.Select(d => d.Records));
        Assert.Equal(Convert.ToHexStringLower(MerkleTree.Root([Convert.FromHexString(store.Records[2].Hash)])), days[1].Root);
    }
}
