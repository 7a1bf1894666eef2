using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace FastRebal.Engine.Audit;

/// <summary>An audit file as read from disk: its lines, a torn last line if any, and its seal.</summary>
public sealed record AuditFileContent(string Path, IReadOnlyList<AuditLine> Lines, TornTail? Torn, AuditSeal? Seal)
{
    public IEnumerable<AuditRecord> Records => Lines.Where(l => l.Result.Record is not null).Select(l => l.Result.Record!);
}

/// <summary>Opening a file for appending: the store, or why it cannot be appended to; and any repair made.</summary>
/// <param name="Store">The store, positioned after the last whole record; null when the chain is broken.</param>
/// <param name="Verification">The check made on opening.</param>
/// <param name="Repair">What was cut from a torn tail, in words; null when nothing was.</param>
public sealed record AuditFileOpen(FileAuditStore? Store, AuditVerification Verification, string? Repair);

/// <summary>
/// The append-only audit file: one record per line (see <see cref="AuditEncoding.WriteLine"/>), handed to the
/// operating system at the end of every append and written to disk (fsync) on <see cref="Flush"/> with durable set. Beside it,
/// <c>FILE.seal</c> holds the sequence and hash the chain had reached at the last durable flush, so whole records
/// cut from the end are detected too. A record is durable once its line, newline included, is on disk.
/// </summary>
public sealed class FileAuditStore : IAuditStore
{
    private const int InitialBuffer = 64 * 1024;

    // A very large append (a day's opening in one go) should not pin its buffer for the rest of the run.
    private const int MaxKeptBuffer = 16 * 1024 * 1024;

    private readonly FileStream stream;
    private ArrayBufferWriter<byte> lines = new(InitialBuffer);

    private FileAuditStore(string path, FileStream stream, AuditRecord? last)
    {
        Path = path;
        this.stream = stream;
        Last = last;
    }

    public string Path { get; }

    public AuditRecord? Last { get; private set; }

    public static string SealPath(string path) => path + ".seal";

    /// <summary>
    /// Opens (or creates) a file for appending. A torn last line, left by a crash in the middle of an append, is cut
    /// back to the last whole record and reported in <see cref="AuditFileOpen.Repair"/>; anything else wrong (a
    /// corrupt or edited record anywhere, a missing tail) leaves the file untouched and returns no store.
    /// </summary>
    public static AuditFileOpen Open(string path)
    {
        var content = Read(path);
        string? repair = null;
        if (content.Torn is { } torn)
        {
            CutTornLine(path, torn.Offset);
            var lastWhole = content.Records.LastOrDefault();
            repair = string.Create(CultureInfo.InvariantCulture,
                $"{path}: the last line (line {torn.LineNumber}, {torn.Bytes} bytes) was torn by a crash in the middle of an append and was cut; the chain continues from record {lastWhole?.Sequence ?? 0}");
            content = content with { Torn = null };
        }
        var verification = AuditVerifier.Verify(content.Lines, null, content.Seal);
        if (!verification.Intact)
        {
            return new AuditFileOpen(null, verification, repair);
        }
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new AuditFileOpen(new FileAuditStore(path, stream, content.Records.LastOrDefault()), verification, repair);
    }

    /// <summary>
    /// Opens (or creates) a file for appending after checking only its end, for a host that must start in seconds
    /// whatever the file's size (the console): the last whole record's own hash, and the seal against it, so whole
    /// records cut from the end are still refused. A torn last line is cut, as <see cref="Open"/> does. An edit further
    /// back is not looked for here: the chain appended after it still shows it to <c>fastrebal audit verify</c>.
    /// </summary>
    public static AuditFileOpen OpenAtEnd(string path)
    {
        var seal = ReadSeal(path);
        if (AuditSegments.ReadEnd(path) is not { } end)
        {
            // No whole record: a new file, or one a crash left with a torn first line.
            return Open(path);
        }
        AuditFileOpen Refused(AuditFault fault, long sequence, string message) =>
            new(null, new AuditVerification(false, fault, 0, 0, end.Tail.Sequence, end.Tail.Hash, sequence, path, null, message, []), null);
        if (AuditEncoding.ComputeHash(end.Tail) != end.Tail.Hash)
        {
            return Refused(AuditFault.Edited, end.Tail.Sequence, $"record {end.Tail.Sequence} (the last in {path}) was edited: its content and previous hash no longer match its hash");
        }
        if (seal is not null && seal.Sequence > end.Tail.Sequence)
        {
            return Refused(AuditFault.Truncated, end.Tail.Sequence + 1, string.Create(CultureInfo.InvariantCulture,
                $"records {end.Tail.Sequence + 1} to {seal.Sequence} are missing from the end: the seal says the chain reached record {seal.Sequence} (hash {seal.Hash[..12]}…), the file ends at record {end.Tail.Sequence}"));
        }
        if (seal is not null && seal.Sequence == end.Tail.Sequence && seal.Hash != end.Tail.Hash)
        {
            return Refused(AuditFault.BadLink, end.Tail.Sequence, $"record {end.Tail.Sequence} (the last in {path}) is not the record the seal names: it was rewritten");
        }
        string? repair = null;
        if (end.TornAt is { } cut)
        {
            CutTornLine(path, cut);
            repair = string.Create(CultureInfo.InvariantCulture,
                $"{path}: the last line ({end.TornBytes} bytes) was torn by a crash in the middle of an append and was cut; the chain continues from record {end.Tail.Sequence}");
        }
        var verification = new AuditVerification(true, AuditFault.None, 0, 0, end.Tail.Sequence, end.Tail.Hash, null, null, null,
            $"the end of {path} checked (last record {end.Tail.Sequence}); the whole chain is verified by fastrebal audit verify", []);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new AuditFileOpen(new FileAuditStore(path, stream, end.Tail), verification, repair);
    }

    /// <summary>Cuts a torn last line off the file, back to the end of its last whole record, on disk before returning.</summary>
    internal static void CutTornLine(string path, long lastWholeRecordEnd)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        file.SetLength(lastWholeRecordEnd);
        file.Flush(flushToDisk: true);
    }

    /// <summary>The newest engine batch and how many of its records the file holds, read from the file's end.</summary>
    public (long Batch, long Records) LastBatch() => AuditSegments.ReadEnd(Path) is { } end ? (end.LastBatch, end.LastBatchRecords) : (0, 0);

    /// <summary>
    /// Creates a new file that goes on from <paramref name="previous"/>, the last record of the file before it (see
    /// <see cref="AuditSegments"/>): the first record appended takes the next sequence number and links to its hash.
    /// </summary>
    public static FileAuditStore StartSegment(string path, AuditRecord previous)
    {
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        return new FileAuditStore(path, stream, previous);
    }

    /// <summary>
    /// Verifies files as one chain: archives oldest first, then the live file, against the live file's seal. A torn
    /// line anywhere but at the very end shows up as an unreadable line where the next file's records begin.
    /// </summary>
    public static AuditVerification VerifyFiles(params IReadOnlyList<string> paths) =>
        AuditVerifier.VerifyFiles(paths, paths.Count > 0 ? ReadSeal(paths[^1]) : null);

    /// <summary>
    /// The records of one account and the firm-wide ones (no account: a kill switch, a model's policy edit), in order,
    /// read a block at a time: only the lines naming the account or none are decoded, so a report on a file of any
    /// size holds just those records.
    /// </summary>
    public static IReadOnlyList<AuditRecord> ReadAccount(string path, string accountId)
    {
        var account = Encoding.UTF8.GetBytes("\"account\":" + JsonSerializer.Serialize(accountId, RuleJson) + ",");
        var none = "\"account\":\"\","u8.ToArray();
        return [.. new FileLineSource([path]).Read(line => line.IndexOf(account) >= 0 || line.IndexOf(none) >= 0)
            .Select(line => line.Result.Record)
            .OfType<AuditRecord>()
            .Where(record => record.Entry.AccountId == accountId || record.Entry.AccountId.Length == 0)];
    }

    /// <summary>Reads a file without changing it (a missing file reads as empty; a compressed archive through gzip).</summary>
    public static AuditFileContent Read(string path)
    {
        var seal = ReadSeal(path);
        if (!File.Exists(path))
        {
            return new AuditFileContent(path, [], null, seal);
        }
        if (!AuditFileBlocks.IsCompressed(path))
        {
            return Parse(path, File.ReadAllBytes(path), seal);
        }
        using var file = File.OpenRead(path);
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
        using var bytes = new MemoryStream();
        gzip.CopyTo(bytes);
        return Parse(path, bytes.ToArray(), seal);
    }

    /// <summary>Splits a file's bytes into lines and reads each; bytes after the last newline are a torn tail.</summary>
    public static AuditFileContent Parse(string path, byte[] bytes, AuditSeal? seal)
    {
        var lines = new List<AuditLine>();
        var start = 0;
        var number = 0;
        while (start < bytes.Length)
        {
            var newline = Array.IndexOf(bytes, (byte)'\n', start);
            number++;
            if (newline < 0)
            {
                return new AuditFileContent(path, lines, new TornTail(path, number, bytes.Length - start, start), seal);
            }
            lines.Add(new AuditLine(path, number, AuditEncoding.ReadLine(bytes.AsSpan(start, newline - start))));
            start = newline + 1;
        }
        return new AuditFileContent(path, lines, null, seal);
    }

    /// <summary>The seal beside the file; a malformed seal is reported as bad data, naming the file.</summary>
    public static AuditSeal? ReadSeal(string path)
    {
        var sealPath = SealPath(path);
        if (!File.Exists(sealPath))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(sealPath));
            var root = document.RootElement;
            if (root.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var sequence)
                && root.TryGetProperty("hash", out var hash) && hash.GetString() is { } text && AuditEncoding.IsHash(text))
            {
                return new AuditSeal(sequence, text);
            }
            throw new InvalidDataException($"{sealPath}: fields 'seq' (a number) and 'hash' (SHA-256 hex) are required");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{sealPath}: not an audit seal: {e.Message}", e);
        }
    }

    /// <summary>Writes a seal through a temporary file, so a crash leaves the old seal or the new one.</summary>
    public static void WriteSeal(string path, AuditRecord? last)
    {
        if (last is null)
        {
            return;
        }
        var sealPath = SealPath(path);
        var temporary = sealPath + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"seq\":{last.Sequence},\"hash\":\"{last.Hash}\"}}\n")));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, sealPath, overwrite: true);
    }

    public void Append(AuditRecord record) => AppendAll([record]);

    /// <summary>
    /// Writes the records' lines with one write, then hands them to the operating system. A crash in the middle can
    /// tear only the last line it reached; the whole lines before it are records like any other.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AppendAll(IReadOnlyList<AuditRecord> records)
    {
        if (records.Count == 0)
        {
            return;
        }
        lines.ResetWrittenCount();
        foreach (var record in records)
        {
            AuditEncoding.WriteLine(record, lines);
            lines.GetSpan(1)[0] = (byte)'\n';
            lines.Advance(1);
        }
        stream.Write(lines.WrittenSpan);
        stream.Flush(flushToDisk: false);
        Last = records[^1];
        if (lines.Capacity > MaxKeptBuffer)
        {
            lines = new ArrayBufferWriter<byte>(InitialBuffer);
        }
    }

    /// <summary>
    /// Writes whole lines, each ended by its newline, that the chain encoded (<see cref="AuditChain"/>), as one write,
    /// then hands them to the operating system; <paramref name="last"/> is the record of the last line.
    /// </summary>
    internal void AppendLines(ReadOnlySpan<byte> encoded, AuditRecord last)
    {
        stream.Write(encoded);
        stream.Flush(flushToDisk: false);
        Last = last;
    }

    public void Flush(bool durable)
    {
        stream.Flush(flushToDisk: durable);
        if (durable)
        {
            WriteSeal(Path, Last);
        }
    }

    public IReadOnlyList<AuditRecord> ReadAll() => [.. Read(Path).Records];

    /// <summary>
    /// Reads only the lines holding one of the rules as the line format writes it (<c>"rule":"NAME",</c>), so finding the
    /// few kill-switch records of a large file does not decode every other line. A torn last line is not read.
    /// </summary>
    public IReadOnlyList<AuditRecord> ReadRules(AuditKind kind, params IReadOnlyList<string> rules) => ReadRules(Path, kind, rules);

    /// <inheritdoc cref="ReadRules(AuditKind, IReadOnlyList{string})"/>
    public static IReadOnlyList<AuditRecord> ReadRules(string path, AuditKind kind, params IReadOnlyList<string> rules)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        var bytes = File.ReadAllBytes(path);
        var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        var found = new SortedDictionary<int, AuditRecord>();
        foreach (var rule in rules)
        {
            var needle = Encoding.UTF8.GetBytes("\"rule\":" + JsonSerializer.Serialize(rule, RuleJson) + ",");
            var span = bytes.AsSpan(0, end);
            var from = 0;
            while (span[from..].IndexOf(needle) is var hit and >= 0)
            {
                var at = from + hit;
                var start = span[..at].LastIndexOf((byte)'\n') + 1;
                var stop = at + span[at..].IndexOf((byte)'\n');
                if (AuditEncoding.ReadLine(span[start..stop]).Record is { } record && record.Entry.Kind == kind && record.Entry.Rule == rule)
                {
                    found[start] = record;
                }
                from = stop + 1;
            }
        }
        return [.. found.Values];
    }

    // The line format's escaping, so a rule is searched for exactly as a line holds it.
    private static readonly JsonSerializerOptions RuleJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Verifies the file as it is on disk, a block at a time (see <see cref="AuditVerifier.VerifyFiles"/>).</summary>
    public AuditVerification Verify() => VerifyFiles(Path);

    private bool disposed;

    /// <summary>Makes the records durable, seals them and closes the file; a second call does nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        Flush(durable: true);
        stream.Dispose();
    }
}
