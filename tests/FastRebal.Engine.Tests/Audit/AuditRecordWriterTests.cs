using System.Buffers;
using System.Globalization;
using CsCheck;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Pipeline;

namespace FastRebal.Engine.Tests.Audit;

/// <summary>
/// The live engine writes decisions and trades straight into their hashes and lines; these must be byte for byte what
/// their entries give through <see cref="AuditChain.Append"/> and <see cref="AuditEncoding.WriteLine(AuditRecord)"/>,
/// the path verification reads, with lines as a JSON writer writes them; and each record, as written and as read back
/// from the file, must put its reason into the sentence the engine's reason reads (as formatted before records kept
/// reasons as codes: the formulas are kept here).
/// </summary>
public sealed class AuditRecordWriterTests
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    // Quotes, backslashes, control characters, JSON's HTML-sensitive characters, non-ASCII, a surrogate pair, a line separator.
    // And every printable ASCII character (a line writes some as they are, and escapes the others as JSON does).
    private static readonly Gen<string> Text = Gen.Frequency(
        (2, OneOf("a", "Z9", " ", "\"", "\\", "\n", "\t", "\u0001", "\u007f", "<", "&", "'", "é", "±", "中文", "😀", "\u2028", "-", "%")),
        (1, Gen.Char[' ', '~'].Select(c => c.ToString())))
        .Array[0, 6].Select(string.Concat);

    private static readonly Gen<double> Number = Gen.Frequency(
        (3, Gen.Double.Where(double.IsFinite)),
        (1, OneOf(0.0, -0.0, double.Epsilon, double.MaxValue, double.MinValue, 1e-300, 1e21, 0.1 + 0.2, -123456.789, 1.0 / 3)));

    // Integers of up to 7 digits with up to 8 decimals (scale kept, as 1.500 is), so a notional never overflows.
    private static readonly Gen<decimal> Money = Gen.Select(Gen.Int[-9_999_999, 9_999_999], Gen.Int[0, 8])
        .Select((units, scale) => new decimal(Math.Abs(units), 0, 0, units < 0, (byte)scale));

    private static readonly Gen<Decision> WordedDecisions = Gen.Select(
        Gen.Select(Text, Gen.Enum<DecisionAction>(), Gen.Enum<DecisionRule>(), Text, Gen.Enum<BandType>()),
        Gen.Select(Number, Number, Number, Number, Number),
        Gen.Select(Text, Gen.Int, Gen.Int[0, 50], Text.Array[0, 2]))
        .Select((a, n, p) => new Decision(a.Item1, a.Item2, a.Item3, a.Item4, n.Item1, n.Item2, n.Item3, n.Item4, a.Item5, n.Item5, p.Item1, p.Item2, p.Item3, [.. p.Item4.Select(PlanWarning.InWords)]));

    // What a trigger found, in any combination of its parts (the words use only some of them for each rule).
    private static readonly Gen<(DecisionRule Rule, DecisionRule Fired, CalendarSchedule Calendar, AssetClassBreach? AssetClass, int Days, int MinDays)> Triggers =
        Gen.Select(Gen.Enum<DecisionRule>(), Gen.Enum<DecisionRule>(), Gen.Bool, Gen.Enum<CalendarSchedule>(),
            Gen.Select(Text, Number, Number).Select((c, d, b) => new AssetClassBreach(c, d, b)).Null(), Gen.Int[-5, 400], Gen.Int[0, 400])
        .Select((rule, fired, same, calendar, assetClass, days, minDays) => (rule, same ? rule : fired, calendar, assetClass, days, minDays));

    /// <summary>A decision the decision core could take: its reason kept as its parts (any shape, any suffix), with its drift and band as the trigger saw them, or not.</summary>
    private static readonly Gen<Decision> DecisionsWithParts = Gen.Select(
        Gen.Select(Text, Gen.Enum<DecisionAction>(), Gen.Enum<DecisionRule>(), Gen.Enum<BandType>(), Gen.Int[0, 4]),
        Gen.Select(Number, Number, Number, Number, Number, Gen.Bool),
        Gen.Select(Triggers, Gen.Enum<RebalanceMode>(), Money, Text.Null(), Text.Null(), Gen.Bool),
        Gen.Select(Text, Gen.Int, Gen.Int[0, 50], Text.Array[0, 2]))
        .Select((a, n, r, p) =>
        {
            var (rule, fired, calendar, assetClass, days, minDays) = r.Item1;
            // Mostly the drift the decision carries; sometimes not, and then the reason must be kept in words.
            var (abs, relative) = n.Item6 ? (n.Item2, n.Item3) : (n.Item3, n.Item2);
            var outcome = new TriggerOutcome(rule, fired, abs, relative, a.Item4, n.Item5, calendar, assetClass, days, minDays);
            var why = a.Item5 switch
            {
                0 => DecisionReason.Trigger(outcome),
                1 => DecisionReason.Rebalance(outcome, r.Item2),
                2 => DecisionReason.CashFlow(outcome, r.Item3),
                3 => DecisionReason.NoInvestableValue(n.Item6 ? n.Item1 : n.Item4),
                _ => DecisionReason.Words(r.Item4 ?? ""),
            };
            why = r.Item5 is { } blocked ? why.Blocked(blocked) : why;
            why = r.Item4 is { } held && a.Item5 < 4 ? why.HeldForApproval(held) : why;
            why = r.Item6 ? why.NothingPlaced() : why;
            return new Decision(a.Item1, a.Item2, a.Item3, why, n.Item1, n.Item2, n.Item3, n.Item4, a.Item4, n.Item5, p.Item1, p.Item2, p.Item3, [.. p.Item4.Select(PlanWarning.InWords)]);
        });

    private static readonly Gen<Decision> Decisions = Gen.OneOf(WordedDecisions, DecisionsWithParts);

    // Prices repeat from trade to trade, some equal in value but not in scale or sign (1.5, 1.50; 0, -0.00).
    private static readonly Gen<decimal> Price = Gen.Frequency((2, Money), (3, OneOf(1.5m, 1.50m, 1.500m, 0m, 0.00m, new decimal(0, 0, 0, true, 2), -2.5m, 559.39001m)));

    private static readonly Gen<Trade> WordedTrades = Gen.Select(Text, Text, Gen.Enum<TradeSide>(), Money, Price, Text)
        .Select((account, instrument, side, quantity, price, reason) => new Trade(account, instrument, side, quantity, price, reason));

    // A goal as the sizing computes it: a decimal of up to 28 digits; an investable value that is never zero.
    private static readonly Gen<decimal> Goal = Gen.Frequency((2, Money), (1, OneOf(14649.042367174147481712589568m, 0.000000000000000000000000001m, 1m / 3m)));

    /// <summary>A trade the sizing could make: its reason kept as its parts (its symbol the instrument's, or not).</summary>
    private static readonly Gen<Trade> TradesWithParts = Gen.Select(
        Gen.Select(Text, Text, Gen.Enum<TradeSide>(), Money, Price),
        Gen.Select(Text, Text.Null(), Money, Goal, Money.Where(m => m != 0), Goal))
        .Select((t, r) => new Trade(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, new TradeReason(r.Item1, r.Item2 ?? t.Item2, r.Item3, r.Item4, r.Item5, r.Item6)));

    private static readonly Gen<Trade> Trades = Gen.OneOf(WordedTrades, TradesWithParts);

    /// <summary>One decision, its trades (none when it was held or decided no trade), the batch, the household and which inputs.</summary>
    private static readonly Gen<(Decision Decision, Trade[] Trades, long Batch, string Household, int Inputs)> Items =
        Gen.Select(Decisions, Trades.Array[0, 3], Gen.Long[0, 3], Text, Gen.Int[0, 2]);

    private static Gen<T> OneOf<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    [Fact]
    public void Records_written_straight_from_decisions_and_trades_are_byte_for_byte_those_of_their_entries()
    {
        var folder = Directory.CreateTempSubdirectory("fastrebal-audit-writer-").FullName;
        try
        {
            var inputs = Inputs();
            Gen.Select(Items.Array[1, 12], Gen.Int[-5, 30].Array[40]).Sample((items, steps) =>
            {
                var path = Path.Combine(folder, Guid.NewGuid().ToString("N") + ".jsonl");
                var written = WriteThroughTheEngine(path, items, inputs, steps);
                var expected = AppendTheirEntries(items, inputs, steps);
                Assert.Equal(FileBytes(expected), File.ReadAllBytes(path));
                Assert.Equal(SealOf(expected), FileAuditStore.ReadSeal(path));
                Assert.Equal(FileBytes(expected[^1..]), FileBytes([written]));
                Assert.True(FileAuditStore.VerifyFiles(path).Intact);
                var sentences = Sentences(items);
                Assert.Equal(sentences, expected.Select(r => r.Entry.Explanation));
                Assert.Equal(sentences, FileAuditStore.Read(path).Records.Select(r => r.Entry.Explanation));
            }, iter: 300, threads: 1);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_store_that_keeps_entries_gets_the_same_records_as_a_file()
    {
        var inputs = Inputs();
        Gen.Select(Items.Array[1, 12], Gen.Int[-5, 30].Array[40]).Sample((items, steps) =>
        {
            var store = new MemoryAuditStore();
            var writer = new AuditWriter(new AuditChain(store, new SteppingClock(steps)));
            Add(writer, items, inputs);
            writer.Complete();
            var expected = AppendTheirEntries(items, inputs, steps);
            Assert.Equal(FileBytes(expected), FileBytes(store.Records));
            Assert.Equal(FileBytes(expected), AuditTestData.FileBytes(store.Records));
        }, iter: 100, threads: 1);
    }

    [Fact]
    public void A_line_spells_its_time_in_the_documented_layout_for_any_UTC_time()
    {
        Gen.Long[DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks].Sample(ticks =>
        {
            var time = new DateTimeOffset(ticks, TimeSpan.Zero);
            Span<byte> utf8 = stackalloc byte[AuditEncoding.TimestampLength];
            AuditEncoding.FormatTimestamp(time, utf8);
            Assert.Equal(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", C), System.Text.Encoding.UTF8.GetString(utf8));
        }, iter: 10_000);
    }

    private static AuditInputSnapshot?[] Inputs()
    {
        var book = new TestBook().Instrument("SPY", 500).Model("M", ("SPY", 1.0)).Account("A1", "M", 1000m, null, null, ("SPY", 10m)).Load().Book;
        return [null, AuditInputs.Capture(book, 0, TestBook.AsOf, 0), AuditInputs.Capture(book, 0, TestBook.AsOf, 250m)];
    }

    /// <summary>The engine's path: the audit writer, a chain and a file store. Returns the store's last record.</summary>
    private static AuditRecord WriteThroughTheEngine(string path, IEnumerable<(Decision, Trade[], long, string, int)> items, AuditInputSnapshot?[] inputs, int[] steps)
    {
        using var chain = new AuditChain(FileAuditStore.Open(path).Store!, new SteppingClock(steps));
        var writer = new AuditWriter(chain, capacity: 8, chunkSize: 4);
        Add(writer, items, inputs);
        writer.Complete();
        return chain.Store.Last!;
    }

    private static void Add(AuditWriter writer, IEnumerable<(Decision, Trade[], long, string, int)> items, AuditInputSnapshot?[] inputs)
    {
        foreach (var (decision, trades, batch, household, input) in items)
        {
            writer.StartBatch(batch);
            foreach (var trade in trades)
            {
                writer.AddTrade(household, decision, trade, inputs[input]);
            }
            writer.AddDecision(household, decision, inputs[input]);
            writer.Add(Refusal(decision, household), inputs[input]);
            writer.EndBatch();
        }
    }

    private static AuditEntry Refusal(Decision decision, string household) =>
        AuditEntries.RiskRejection(decision.AccountId, household, null, "PlanRefused", decision.Reason, [new("trades", decision.TradeCount.ToString(C))]);

    /// <summary>The entries of the decisions and trades, built whole, appended one by one.</summary>
    private static List<AuditRecord> AppendTheirEntries(IEnumerable<(Decision, Trade[], long, string, int)> items, AuditInputSnapshot?[] inputs, int[] steps)
    {
        var store = new MemoryAuditStore();
        var chain = new AuditChain(store, new SteppingClock(steps));
        foreach (var (d, trades, batch, household, input) in items)
        {
            var inputHash = inputs[input]?.Hash ?? "";
            var last = batch > 0 ? new AuditFigure(AuditWriter.BatchFigure, batch.ToString(C)) : null;
            foreach (var t in trades)
            {
                chain.Append(AuditEntries.Trade(household, d, t, inputHash, null, last));
            }
            chain.Append(AuditEntries.Decision(household, d, inputHash, last));
            var refusal = Refusal(d, household);
            chain.Append(refusal with { InputHash = inputs[input]?.Hash ?? refusal.InputHash, Figures = [.. refusal.Figures, .. last is null ? [] : new[] { last }] });
        }
        return [.. store.Records];
    }

    /// <summary>Each record's sentence as it was formatted before records kept reasons as codes.</summary>
    private static List<string> Sentences(IEnumerable<(Decision, Trade[], long, string, int)> items)
    {
        var sentences = new List<string>();
        foreach (var (d, trades, _, _, _) in items)
        {
            foreach (var t in trades)
            {
                sentences.Add(string.Create(C, $"{t.Side} {t.Quantity:0.######} {t.InstrumentId} at {t.Price:0.00####} ({t.Notional:#,0.00}) for {AuditEntries.RuleText(d.Rule)}: {t.Reason}"));
            }
            var warnings = d.Warnings.Count > 0 ? $" (warnings: {string.Join("; ", d.Warnings)})" : "";
            sentences.Add($"{AuditEntries.ActionText(d.Action)}: {d.Reason}{warnings}");
            sentences.Add(d.Reason);
        }
        return sentences;
    }

    /// <summary>Each record's line as a JSON writer with the line's escaping writes it (how lines were always written), then a newline.</summary>
    private static byte[] FileBytes(IEnumerable<AuditRecord> records)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var record in records)
        {
            using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                var e = record.Entry;
                json.WriteStartObject();
                json.WriteNumber("seq", record.Sequence);
                json.WriteString("ts", record.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", C));
                json.WriteString("kind", e.Kind.ToString());
                json.WriteString("account", e.AccountId);
                json.WriteString("household", e.HouseholdId);
                json.WriteString("policy", e.PolicyId);
                json.WriteNumber("policyVersion", e.PolicyVersion);
                json.WriteString("rule", e.Rule);
                if (e.ReasonCode is { } code)
                {
                    json.WriteString("reason", code);
                }
                else
                {
                    json.WriteString("explanation", e.Explanation);
                }
                json.WriteStartArray("figures");
                foreach (var figure in e.Figures)
                {
                    json.WriteStartArray();
                    json.WriteStringValue(figure.Name);
                    json.WriteStringValue(figure.Value);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                if (e.ReasonCode is null)
                {
                    json.WriteString("actor", e.Actor);
                    json.WriteString("why", e.ActorReason);
                }
                json.WriteString("inputHash", e.InputHash);
                json.WriteString("prev", record.PreviousHash);
                json.WriteString("hash", record.Hash);
                json.WriteEndObject();
            }
            buffer.Write("\n"u8);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static AuditSeal SealOf(IReadOnlyList<AuditRecord> records) => AuditTestData.SealOf(records);

    /// <summary>A clock that moves by the given steps (in ticks, some backwards) on each reading, the same way for each chain given the same steps.</summary>
    private sealed class SteppingClock(int[] steps) : TimeProvider
    {
        private DateTimeOffset now = AuditTestData.Start;
        private int reads;

        public override DateTimeOffset GetUtcNow() => now = now.AddTicks(steps[reads++ % steps.Length]);
    }
}
