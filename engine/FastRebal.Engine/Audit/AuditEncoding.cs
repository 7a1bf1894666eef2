using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace FastRebal.Engine.Audit;

/// <summary>
/// The two encodings of a record. <see cref="Canonical"/> is what is hashed: a versioned, length-prefixed byte
/// layout in a fixed field order, so the hash never depends on JSON formatting or property order.
/// <see cref="WriteLine"/> is the file's line (compact JSON, fixed property order); a line read back must be exactly
/// the line its record would be written as, so even a change that JSON would ignore (a space, an escape written
/// another way) is caught.
/// </summary>
public static class AuditEncoding
{
    /// <summary>The layout of a record that keeps its sentence; old records keep verifying under their own version.</summary>
    public const byte CanonicalVersion = 1;

    /// <summary>The layout of a record that keeps its reason as a code and figures (<see cref="AuditEntry.ReasonCode"/>).</summary>
    public const byte CodedVersion = 2;

    /// <summary>
    /// Version 1: version byte; sequence (int64 LE); UTC ticks (int64 LE); kind name, account, household, policy id
    /// (strings); policy version (int32 LE); rule, explanation (strings); figure count (int32 LE) then name, value per
    /// figure; actor, actor reason, input hash (strings). A string is its UTF-8 byte count (int32 LE) then the bytes.
    /// Version 2, for an entry with a reason code (always the engine's, with no actor reason): the same up to the rule,
    /// then the reason code (string) in place of the explanation, the figures, and the input hash alone as the tail.
    /// </summary>
    public static byte[] Canonical(long sequence, DateTimeOffset timestamp, AuditEntry entry)
    {
        var writer = AuditRecordWriter.ForThisThread;
        writer.Start(sequence, timestamp, [], hashed: true, line: null);
        WriteEntry(writer, entry);
        return writer.Canonical.ToArray();
    }

    /// <summary>SHA-256(previous hash bytes ‖ canonical record), as lower-case hex.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string ComputeHash(string previousHash, long sequence, DateTimeOffset timestamp, AuditEntry entry)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        if (!IsHash(previousHash) || Convert.FromHexString(previousHash, hash, out _, out _) != OperationStatus.Done)
        {
            throw new ArgumentException($"not a SHA-256 hash in lower-case hex: '{previousHash}'", nameof(previousHash));
        }
        var writer = AuditRecordWriter.ForThisThread;
        writer.Start(sequence, timestamp, hash, hashed: true, line: null);
        WriteEntry(writer, entry);
        writer.Hash(hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The hash the record's own content and link call for (equal to <see cref="AuditRecord.Hash"/> when intact).</summary>
    public static string ComputeHash(AuditRecord record) => ComputeHash(record.PreviousHash, record.Sequence, record.Timestamp, record.Entry);

    /// <summary>
    /// Writes an entry's fields to a sink; <paramref name="inputHash"/> stands for the entry's own when given, and
    /// <paramref name="last"/> is a figure after its others (the live engine's batch).
    /// </summary>
    internal static void WriteEntry(IAuditEntrySink sink, AuditEntry e, string? inputHash = null, AuditFigure? last = null)
    {
        sink.Head(e.Kind, e.AccountId, e.HouseholdId, e.PolicyId, e.PolicyVersion, e.Rule);
        if (e.ReasonCode is { } code)
        {
            sink.Reason(code);
        }
        else
        {
            sink.Explanation(e.Explanation);
        }
        sink.StartFigures();
        for (var i = 0; i < e.Figures.Count; i++)
        {
            sink.Figure(e.Figures[i].Name, e.Figures[i].Value);
        }
        if (last is not null)
        {
            sink.Figure(last.Name, last.Value);
        }
        sink.EndFigures();
        sink.Tail(e.Actor, e.ActorReason, inputHash ?? e.InputHash);
    }

    /// <summary>True for 64 lower-case hex digits.</summary>
    public static bool IsHash(string text)
    {
        if (text.Length != 64)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }
        return true;
    }

    public static byte[] HexToBytes(string hash) =>
        IsHash(hash) ? Convert.FromHexString(hash) : throw new ArgumentException($"not a SHA-256 hash in lower-case hex: '{hash}'", nameof(hash));

    /// <summary>The record's line in the file, without the newline.</summary>
    public static byte[] WriteLine(AuditRecord record)
    {
        var buffer = lineScratch ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        WriteLine(record, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the record's line, without the newline, to the end of <paramref name="buffer"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WriteLine(AuditRecord record, IBufferWriter<byte> buffer)
    {
        var writer = AuditRecordWriter.ForThisThread;
        writer.Start(record.Sequence, record.Timestamp, [], hashed: false, buffer);
        WriteEntry(writer, record.Entry);
        writer.EndLine(record.PreviousHash, record.Hash);
    }

    /// <summary>UTC, full tick precision, so the text round-trips to the exact ticks that were hashed.</summary>
    public static string FormatTimestamp(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    internal const int TimestampLength = 28;

    internal static void FormatTimestamp(DateTimeOffset timestamp, Span<byte> utf8)
    {
        // The round-trip format spells a UTC time exactly as TimestampFormat does, without parsing a custom format each record.
        var done = timestamp.UtcDateTime.TryFormat(utf8, out var written, "O", CultureInfo.InvariantCulture);
        Debug.Assert(done && written == TimestampLength);
    }

    /// <summary>The kind's name, as <see cref="Enum.ToString()"/> spells it, without formatting it each time.</summary>
    internal static string KindName(AuditKind kind) => (uint)kind < (uint)KindNames.Length ? KindNames[(int)kind] : kind.ToString();

    private static readonly string[] KindNames = [.. Enumerable.Range(0, (int)Enum.GetValues<AuditKind>().Max() + 1).Select(k => ((AuditKind)k).ToString())];

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? lineScratch;

    /// <summary>
    /// Reads one line back. A problem is a value naming the field: not JSON, a missing or mistyped field, or a line
    /// that is not exactly how its record is written (the canonical-form check).
    /// </summary>
    public static AuditLineResult ReadLine(ReadOnlySpan<byte> line)
    {
        AuditRecord record;
        try
        {
            using var document = JsonDocument.Parse(line.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return AuditLineResult.Fail("", "not a JSON object");
            }
            var problem = default(string);
            var field = "";
            string Text(string name)
            {
                if (problem is not null)
                {
                    return "";
                }
                if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
                {
                    (field, problem) = (name, "missing, or not a string");
                    return "";
                }
                return value.GetString()!;
            }
            long Number(string name)
            {
                if (problem is not null)
                {
                    return 0;
                }
                if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var n))
                {
                    (field, problem) = (name, "missing, or not a whole number");
                    return 0;
                }
                return n;
            }
            var sequence = Number("seq");
            var tsText = Text("ts");
            var kindText = Text("kind");
            var account = Text("account");
            var household = Text("household");
            var policy = Text("policy");
            var policyVersion = Number("policyVersion");
            var rule = Text("rule");
            // A record that keeps its reason as a code (version 2) has "reason" where an older one has "explanation".
            var code = root.TryGetProperty("reason", out _) ? Text("reason") : null;
            var explanation = code is null ? Text("explanation") : null;
            var figures = new List<AuditFigure>();
            if (problem is null)
            {
                if (!root.TryGetProperty("figures", out var array) || array.ValueKind != JsonValueKind.Array)
                {
                    (field, problem) = ("figures", "missing, or not an array");
                }
                else
                {
                    var i = 0;
                    foreach (var pair in array.EnumerateArray())
                    {
                        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                            || pair[0].ValueKind != JsonValueKind.String || pair[1].ValueKind != JsonValueKind.String)
                        {
                            (field, problem) = ($"figures[{i}]", "not a [name, value] pair of strings");
                            break;
                        }
                        figures.Add(new AuditFigure(pair[0].GetString()!, pair[1].GetString()!));
                        i++;
                    }
                }
            }
            var actor = code is null ? Text("actor") : AuditEntries.Engine;
            var why = code is null ? Text("why") : "";
            var inputHash = Text("inputHash");
            var previous = Text("prev");
            var hash = Text("hash");
            if (problem is not null)
            {
                return AuditLineResult.Fail(field, problem);
            }
            if (!DateTimeOffset.TryParseExact(tsText, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp))
            {
                return AuditLineResult.Fail("ts", $"'{tsText}' is not a UTC time like 2025-09-26T20:00:00.0000000Z");
            }
            if (!Enum.TryParse<AuditKind>(kindText, ignoreCase: false, out var kind) || !Enum.IsDefined(kind) || kind.ToString() != kindText)
            {
                return AuditLineResult.Fail("kind", $"unknown kind '{kindText}'");
            }
            if (policyVersion is < int.MinValue or > int.MaxValue)
            {
                return AuditLineResult.Fail("policyVersion", "out of range");
            }
            if (!IsHash(previous))
            {
                return AuditLineResult.Fail("prev", "not a SHA-256 hash in lower-case hex");
            }
            if (!IsHash(hash))
            {
                return AuditLineResult.Fail("hash", "not a SHA-256 hash in lower-case hex");
            }
            var entry = new AuditEntry(kind, account, household, policy, (int)policyVersion, rule, explanation!, figures, actor, why, inputHash) { ReasonCode = code };
            if (code is not null && AuditReasons.Problem(entry) is { } unworded)
            {
                return AuditLineResult.Fail("figures", $"the {kind} record's reason '{code}' cannot be put into words: {unworded}");
            }
            record = new AuditRecord(sequence, timestamp, entry, previous, hash);
        }
        catch (JsonException e)
        {
            return AuditLineResult.Fail("", $"not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // JsonDocument checks a string's UTF-8 only when the string is read.
            return AuditLineResult.Fail("", $"not valid UTF-8 text: {e.Message}");
        }
        var canonical = lineScratch ??= new ArrayBufferWriter<byte>(1024);
        canonical.ResetWrittenCount();
        WriteLine(record, canonical);
        if (!line.SequenceEqual(canonical.WrittenSpan))
        {
            return AuditLineResult.Fail("", "not in canonical form: the line differs from how its record is written (an edit outside the values?)", record);
        }
        return new AuditLineResult(record, "", null);
    }
}

/// <summary>A line read back: the record, or the field and problem (a record is kept when only the form is wrong).</summary>
public sealed record AuditLineResult(AuditRecord? Record, string Field, string? Problem)
{
    public bool Ok => Problem is null;

    public static AuditLineResult Fail(string field, string problem, AuditRecord? record = null) => new(record, field, problem);
}
