using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Audit;

namespace FastRebal.Bench.Audit;

/// <summary>
/// Appending 100,000 trade records (the shape the live engine writes: 13 figures, about 900 bytes a line) to an audit
/// file. The baseline is the chain as it was before chunked appends: each record hashed with a fresh incremental
/// SHA-256 over a freshly allocated canonical form, its line encoded by a fresh JSON writer, and written and handed to
/// the operating system on its own (kept below as <see cref="PerRecordStore"/>). The other rows use today's chain:
/// one record per write, then chunks of 1,024 records per write as the engine's audit writer appends them.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("audit")]
public class AuditAppendBenchmarks
{
    private const int Records = 100_000;
    private const int Chunk = 1024;

    private AuditEntry[] entries = null!;
    private AuditEntry[] compact = null!;
    private string folder = null!;
    private string path = null!;

    [GlobalSetup]
    public void Setup()
    {
        folder = Directory.CreateTempSubdirectory("fastrebal-bench-append-").FullName;
        path = Path.Combine(folder, "audit.jsonl");
        var c = CultureInfo.InvariantCulture;
        entries = new AuditEntry[Records];
        for (var i = 0; i < Records; i++)
        {
            var quantity = (0.5m + i % 997).ToString(c);
            entries[i] = new AuditEntry(AuditKind.Trade, $"A{i / 13:D7}", $"H{i / 26:D7}", $"IPS-{i / 13:D7}", 3, "CalendarDue",
                $"Buy {quantity} SPY at 559.39001 (372.96) for the calendar: calendar: SPY 13.84% -> 14.69%, target 14.69%",
                [
                    new("instrument", "SPY"), new("side", "Buy"), new("quantity", quantity), new("price", "559.39001"), new("notional", "372.96322014732"),
                    new("action", "Rebalance"), new("totalValue", "49155.206913838"), new("maxAbsDrift", "0.008529683838912255"),
                    new("maxRelativeDrift", "0.07266092383332837"), new("totalDrift", "0.016700810155844455"), new("bandType", "Absolute"),
                    new("bandWidth", "0.04"), new("batch", (1 + i / 5000).ToString(c)),
                ],
                "engine", "", Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i / 13))));
        }
        // The same trades as records that keep their reason as a code and figures (the sentence above when read).
        compact = new AuditEntry[Records];
        for (var i = 0; i < Records; i++)
        {
            var e = entries[i];
            compact[i] = new AuditEntry(AuditKind.Trade, e.AccountId, e.HouseholdId, e.PolicyId, 3, "CalendarDue", null!,
                [
                    new("instrument", "SPY"), new("side", "Buy"), e.Figures[2], new("price", "559.39001"), new("label", "calendar"),
                    new("value", "6803.2107401"), new("goal", "7220.9017892130874190362"), new("investable", "49155.2069138380"),
                    new("target", "0.146899875"), e.Figures[^1],
                ],
                "engine", "", e.InputHash) { ReasonCode = AuditReasons.SizingCode };
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(folder, recursive: true);

    [IterationCleanup]
    public void DropFile()
    {
        File.Delete(path);
        File.Delete(FileAuditStore.SealPath(path));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Records, Description = "per record, before (fresh hasher and JSON writer each)")]
    public long PerRecordBefore()
    {
        using var store = new PerRecordStore(path);
        var previous = AuditRecord.GenesisHash;
        var time = DateTimeOffset.UtcNow;
        for (var i = 0; i < entries.Length; i++)
        {
            var record = new AuditRecord(i + 1, time, entries[i], previous, PerRecordStore.ComputeHash(previous, i + 1, time, entries[i]));
            store.Append(record);
            previous = record.Hash;
        }
        return store.Length;
    }

    [Benchmark(OperationsPerInvoke = Records, Description = "per record, one write each")]
    public long PerRecord()
    {
        using var chain = new AuditChain(FileAuditStore.Open(path).Store!);
        foreach (var entry in entries)
        {
            chain.Append(entry);
        }
        return chain.LastSequence;
    }

    [Benchmark(OperationsPerInvoke = Records, Description = "chunks of 1,024, one write each")]
    public long Chunked()
    {
        using var chain = new AuditChain(FileAuditStore.Open(path).Store!);
        for (var i = 0; i < entries.Length; i += Chunk)
        {
            chain.AppendAll(new ArraySegment<AuditEntry>(entries, i, Math.Min(Chunk, entries.Length - i)));
        }
        return chain.LastSequence;
    }

    [Benchmark(OperationsPerInvoke = Records, Description = "chunks of 1,024, one write each, reasons kept as codes")]
    public long ChunkedCompact()
    {
        using var chain = new AuditChain(FileAuditStore.Open(path).Store!);
        for (var i = 0; i < compact.Length; i += Chunk)
        {
            chain.AppendAll(new ArraySegment<AuditEntry>(compact, i, Math.Min(Chunk, compact.Length - i)));
        }
        return chain.LastSequence;
    }

    /// <summary>The audit file's append path before chunked appends, kept as the baseline (the same line format and hashes).</summary>
    private sealed class PerRecordStore(string path) : IDisposable
    {
        private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

        private readonly FileStream stream = new(path, FileMode.Append, FileAccess.Write, FileShare.Read);

        public long Length => stream.Length;

        public static string ComputeHash(string previousHash, long sequence, DateTimeOffset timestamp, AuditEntry entry)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var isHash = previousHash.Length == 64 && previousHash.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
            sha.AppendData(isHash ? Convert.FromHexString(previousHash) : throw new ArgumentException("not a hash", nameof(previousHash)));
            sha.AppendData(AuditEncoding.Canonical(sequence, timestamp, entry));
            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }

        public void Append(AuditRecord record)
        {
            var buffer = new ArrayBufferWriter<byte>(512);
            using (var json = new Utf8JsonWriter(buffer, LineOptions))
            {
                var e = record.Entry;
                json.WriteStartObject();
                json.WriteNumber("seq", record.Sequence);
                json.WriteString("ts", AuditEncoding.FormatTimestamp(record.Timestamp));
                json.WriteString("kind", e.Kind.ToString());
                json.WriteString("account", e.AccountId);
                json.WriteString("household", e.HouseholdId);
                json.WriteString("policy", e.PolicyId);
                json.WriteNumber("policyVersion", e.PolicyVersion);
                json.WriteString("rule", e.Rule);
                json.WriteString("explanation", e.Explanation);
                json.WriteStartArray("figures");
                foreach (var figure in e.Figures)
                {
                    json.WriteStartArray();
                    json.WriteStringValue(figure.Name);
                    json.WriteStringValue(figure.Value);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                json.WriteString("actor", e.Actor);
                json.WriteString("why", e.ActorReason);
                json.WriteString("inputHash", e.InputHash);
                json.WriteString("prev", record.PreviousHash);
                json.WriteString("hash", record.Hash);
                json.WriteEndObject();
            }
            var line = buffer.WrittenSpan.ToArray();
            var bytes = new byte[line.Length + 1];
            line.CopyTo(bytes, 0);
            bytes[^1] = (byte)'\n';
            stream.Write(bytes);
            stream.Flush(flushToDisk: false);
        }

        public void Dispose() => stream.Dispose();
    }
}
