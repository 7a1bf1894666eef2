using System.Buffers.Binary;
using System.Text;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Tax;
using static FastRebal.Engine.Tests.Audit.AuditTestData;

namespace FastRebal.Engine.Tests.Audit;

/// <summary>Records that keep a decision's or a trade's reason as a code and figures: their layout, their words, and tampering with them.</summary>
public sealed class CodedRecordTests
{
    private static Decision BandBreach()
    {
        var policy = TestBook.Policy();
        var outcome = new TriggerOutcome(DecisionRule.BandBreach, DecisionRule.BandBreach, 0.0677, 0.169, BandType.Absolute, 0.05, CalendarSchedule.None, null, 0, 0);
        return new Decision("ACC-1", DecisionAction.Rebalance, DecisionRule.BandBreach, DecisionReason.Rebalance(outcome, RebalanceMode.ToTarget), 100_000, 0.0677, 0.169, 0.066,
            BandType.Absolute, 0.05, policy.Id, 2, 1, [PlanWarning.BelowMinimum(TradeSide.Buy, 1, "AGG", 99, 100)]);
    }

    private static Trade Sell() => new("ACC-1", "SPY", TradeSide.Sell, 10m, 500.00m, new TradeReason("band breach", "SPY", 66_450.00m, 60_000.00m, 100_000.00m, 0.6m));

    /// <summary>A coded decision, a coded trade and an operator action (which keeps its sentence), a minute apart.</summary>
    private static IReadOnlyList<AuditRecord> Records()
    {
        var store = new MemoryAuditStore();
        var clock = new ManualClock(Start);
        var chain = new AuditChain(store, clock);
        var decision = BandBreach();
        chain.Append(AuditEntries.Decision("HH-1", decision, new string('a', 64), null));
        clock.Advance(TimeSpan.FromMinutes(1));
        chain.Append(AuditEntries.Trade("HH-1", decision, Sell(), new string('a', 64), null, null));
        clock.Advance(TimeSpan.FromMinutes(1));
        chain.Append(Operator());
        return store.Records;
    }

    [Fact]
    public void A_decision_and_a_trade_keep_their_reasons_as_codes_and_read_as_the_engine_words_them()
    {
        var records = Records();
        var decision = BandBreach();

        Assert.Equal(("rebalance", "sizing", null), (records[0].Entry.ReasonCode, records[1].Entry.ReasonCode, records[2].Entry.ReasonCode));
        Assert.Equal(
            "rebalance: band breach: max drift 6.77% (relative 16.9%) outside the ±5.00% absolute band; to target (warnings: buy 1 AGG (99.00) is below the minimum trade 100.00 and was suppressed)",
            records[0].Entry.Explanation);
        Assert.Equal($"rebalance: {decision.Reason} (warnings: {decision.Warnings[0]})", records[0].Entry.Explanation);
        Assert.Equal("Sell 10 SPY at 500.00 (5,000.00) for a band breach: band breach: SPY 66.45% -> 60.00%, target 60.00%", records[1].Entry.Explanation);
        var line = Encoding.UTF8.GetString(AuditEncoding.WriteLine(records[1]));
        Assert.DoesNotContain("explanation", line, StringComparison.Ordinal);
        Assert.DoesNotContain("actor", line, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"sizing\",\"figures\":[[\"instrument\",\"SPY\"],[\"side\",\"Sell\"],[\"quantity\",\"10\"],[\"price\",\"500.00\"],[\"label\",\"band breach\"],[\"value\",\"66450.00\"],[\"goal\",\"60000.00\"],[\"investable\",\"100000.00\"],[\"target\",\"0.6\"]],\"inputHash\":", line, StringComparison.Ordinal);

        var read = FileAuditStore.Parse("audit.jsonl", FileBytes(records), null).Records.ToList();
        Assert.Equal(records.Select(r => r.Entry.Explanation), read.Select(r => r.Entry.Explanation));
        Assert.Equal(records.Select(r => (r.Entry.ReasonCode, r.Entry.Actor, r.Entry.ActorReason)), read.Select(r => (r.Entry.ReasonCode, r.Entry.Actor, r.Entry.ActorReason)));
    }

    [Theory]
    [InlineData(0, 0, "L-9")]
    [InlineData(2, 0, null)]
    [InlineData(1, 2, "L-10")]
    public void A_fill_keeps_its_lots_and_wash_sales_as_figures_and_reads_as_it_was_worded(int lots, int washes, string? opened)
    {
        var book = new TestBook().Instrument("SPY", 500).Model("M", ("SPY", 1.0)).Account("A1", "M", 1000m, null, null, ("SPY", 10m)).Load().Book;
        var day = new DateOnly(2025, 6, 2);
        var trade = new Trade("A1", "SPY", TradeSide.Sell, 12.3456789m, 501.25m, "");
        var taxed = new TaxedTrade(trade, TradeSource.Rebalance,
            [.. Enumerable.Range(1, lots).Select(i => new LotRelief($"L-{i}", day.AddYears(-i), day.AddYears(-i), 6.17m * i, 3000.5m * i, 3100.125m, i == 1 ? HoldingTerm.LongTerm : HoldingTerm.ShortTerm))],
            opened,
            [.. Enumerable.Range(1, washes).Select(i => new WashSale("H-A1", day.AddDays(-i), "A1", "SPY", $"L-{i}", day, "A2", "VOO", null, TradeSource.Rebalance, 2.5m * i, 99.995m * i, false, "bought back within 30 days"))]);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var sentence = string.Create(c, $"Sell 12.345679 SPY filled at 501.25 ({trade.Notional:#,0.00}) for Rebalance")
            + (lots > 0 ? "; lots relieved: " + string.Join(", ", taxed.Lots.Select(l => string.Create(c, $"{l.LotId} {l.Quantity:0.######} (gain {l.Gain:0.00}, {l.Term})"))) : "")
            + (opened is null ? "" : $"; opened lot {opened}")
            + string.Concat(taxed.WashSales.Select(w => string.Create(c,
                $"; wash sale: {w.Quantity:0.######} SPY sold at a loss in A1 on {w.SaleDate:yyyy-MM-dd} (lot {w.SoldLotId}) replaced by VOO bought in A2 on 2025-06-02: {w.DisallowedLoss:0.00} disallowed, bought back within 30 days")));

        var entry = AuditEntries.Fill(book, 0, taxed);
        var store = new MemoryAuditStore();
        new AuditChain(store, new ManualClock(Start)).Append(entry);
        var read = FileAuditStore.Parse("audit.jsonl", FileBytes(store.Records), null).Records.Single();

        Assert.Equal("fill", entry.ReasonCode);
        Assert.Equal(sentence, entry.Explanation);
        Assert.Equal(sentence, read.Entry.Explanation);
        Assert.Equal(taxed.WashSales.Sum(w => w.DisallowedLoss).ToString(c), read.Entry.Figure("disallowedLoss"));
    }

    [Theory]
    [InlineData("quantity", "79228162514264337593543950335", "out of range")]
    [InlineData("investable", "0", "figure 'investable' is zero")]
    public void A_coded_record_whose_figures_give_no_words_says_so_when_read(string figure, string value, string problem)
    {
        var trade = Records()[1];
        var forged = trade.Entry with { Figures = [.. trade.Entry.Figures.Select(f => f.Name == figure ? f with { Value = value } : f)] };

        Assert.Contains(problem, forged.Explanation, StringComparison.Ordinal);
        Assert.StartsWith("(the reason 'sizing' cannot be put into words", forged.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Canonical_encoding_of_a_coded_record_is_the_documented_byte_layout()
    {
        var entry = new AuditEntry(AuditKind.Trade, "A", "H", "P", 3, "BandBreach", null!, [new("n", "v")], "engine", "", "h") { ReasonCode = "words" };
        var at = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var bytes = AuditEncoding.Canonical(7, at, entry);

        var expected = new List<byte> { 2 };
        void Int64(long v) { var b = new byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, v); expected.AddRange(b); }
        void Int32(int v) { var b = new byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); expected.AddRange(b); }
        void Text(string s) { Int32(Encoding.UTF8.GetByteCount(s)); expected.AddRange(Encoding.UTF8.GetBytes(s)); }
        Int64(7);
        Int64(at.UtcTicks);
        Text("Trade"); Text("A"); Text("H"); Text("P");
        Int32(3);
        Text("BandBreach"); Text("words");
        Int32(1); Text("n"); Text("v");
        Text("h");
        Assert.Equal([.. expected], bytes);
    }

    [Fact]
    public void A_coded_record_is_the_engine_s_own()
    {
        var entry = AuditEntries.Decision("HH-1", BandBreach(), "", null) with { Actor = "alice" };

        Assert.Throws<ArgumentException>(() => AuditEncoding.Canonical(1, Start, entry));
    }

    public static TheoryData<string> Edits() =>
    [
        "sequence", "timestamp", "kind", "account", "household", "policy", "policyVersion", "rule", "reasonCode",
        "figureValue", "figureName", "figureDropped", "figureAdded", "inputHash", "prev", "hash",
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
        "reasonCode" => r with { Entry = r.Entry with { ReasonCode = r.Entry.ReasonCode == "words" ? "sizing" : "words" } },
        // A figure the words use: the sentence read would change.
        "figureValue" => r with { Entry = r.Entry with { Figures = [.. r.Entry.Figures.Select(f => f.Name is "maxAbsDrift" or "value" ? f with { Value = f.Value + "1" } : f)] } },
        "figureName" => r with { Entry = r.Entry with { Figures = [r.Entry.Figures[0] with { Name = "other" }, .. r.Entry.Figures.Skip(1)] } },
        "figureDropped" => r with { Entry = r.Entry with { Figures = [.. r.Entry.Figures.SkipLast(1)] } },
        "figureAdded" => r with { Entry = r.Entry with { Figures = [.. r.Entry.Figures, new("warning", "none")] } },
        "inputHash" => r with { Entry = r.Entry with { InputHash = new string('b', 64) } },
        "prev" => r with { PreviousHash = new string('c', 64) },
        "hash" => r with { Hash = new string('d', 64) },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void Editing_any_field_of_a_coded_record_names_that_record(string field)
    {
        var records = Records();
        for (var i = 0; i < 2; i++)
        {
            var edited = records.ToArray();
            edited[i] = Edit(records[i], field);

            var verification = VerifyBytes(FileBytes(edited), SealOf(records));

            Assert.False(verification.Intact);
            Assert.Equal(i + 1, verification.BadLine);
            Assert.Equal(edited[i].Sequence, verification.BadSequence);
        }
    }

    [Theory]
    [InlineData("\"reason\":\"rebalance\",", "\"explanation\":\"rebalance: to target\",\"reason\":\"rebalance\",")]
    [InlineData("\"inputHash\":", "\"actor\":\"engine\",\"why\":\"\",\"inputHash\":")]
    [InlineData("\"reason\":\"rebalance\",", "")]
    public void A_coded_line_given_an_older_record_s_fields_or_missing_its_code_is_named(string from, string to)
    {
        var records = Records();
        var text = Encoding.UTF8.GetString(FileBytes(records));
        var first = text.IndexOf(from, StringComparison.Ordinal);
        var tampered = text[..first] + to + text[(first + from.Length)..];

        var verification = VerifyBytes(Encoding.UTF8.GetBytes(tampered), SealOf(records));

        Assert.False(verification.Intact);
        Assert.Equal((1, 1L), (verification.BadLine, verification.BadSequence));
        Assert.Contains(verification.Fault, (AuditFault[])[AuditFault.NotCanonical, AuditFault.Unreadable]);
    }

    [Fact]
    public void A_forged_coded_record_that_cannot_be_put_into_words_is_named_even_with_its_hash_recomputed()
    {
        var records = Records().ToArray();
        var forged = records[1] with { Entry = records[1].Entry with { Figures = [.. records[1].Entry.Figures.Where(f => f.Name != "goal")] } };
        records[1] = forged with { Hash = AuditEncoding.ComputeHash(forged) };

        var verification = VerifyBytes(FileBytes(records));

        Assert.Equal((AuditFault.Unreadable, 2L), (verification.Fault, verification.BadSequence));
        Assert.Contains("figure 'goal' is missing", verification.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be put into words", forged.Entry.Explanation, StringComparison.Ordinal);
    }
}
