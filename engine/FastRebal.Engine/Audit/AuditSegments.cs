using System.Globalization;

namespace FastRebal.Engine.Audit;

/// <summary>What a rollover did: the archive the old records went to, and the record that opens the new segment.</summary>
public sealed record AuditRollover(string ArchivePath, AuditRecord Opening, string? Repair);

/// <summary>
/// Rolls a live audit file over into a new segment of the same chain: the file moves to an archive as it is, with a
/// seal of its last record, and the new live file opens with a <see cref="AuditKind.Checkpoint"/> record that takes
/// the next sequence number and links to the archive's last hash. So the chain goes on across files: the new file
/// verifies on its own (the checkpoint anchors its start), and archives plus live file verify as one chain
/// (<see cref="FileAuditStore.VerifyFiles"/>).
/// </summary>
/// <remarks>
/// Only the end of the old file is read, never the whole of it: a console's day can write gigabytes, and a start
/// must not wait for them. The old file is checked in full by <c>fastrebal audit verify</c> over the files. The
/// opening record also names the batch of the engine's last records and how many of them the archive holds, so a
/// recovery that replays that batch does not write them twice (<see cref="Pipeline.AuditWriter"/>).
/// </remarks>
public static class AuditSegments
{
    public const string RolloverRule = "Rollover";
    public const string LastBatchFigure = "lastBatch";
    public const string LastBatchRecordsFigure = "lastBatchRecords";

    private const int FirstWindow = 1 << 20;

    /// <summary>
    /// Moves <paramref name="livePath"/> to <paramref name="archivePath"/> and opens a new segment in its place; null
    /// when the live file holds no whole record (nothing to roll over). A torn last line (a crash in the middle of an
    /// append) is cut first, as opening the file would, and reported in <see cref="AuditRollover.Repair"/>.
    /// </summary>
    public static AuditRollover? RollOver(string livePath, string archivePath, string actor, string why, TimeProvider? clock = null)
    {
        if (File.Exists(archivePath))
        {
            throw new IOException($"{archivePath}: the archive already exists; choose a new archive file");
        }
        if (ReadEnd(livePath) is not { } end)
        {
            return null;
        }
        string? repair = null;
        if (end.TornAt is { } cut)
        {
            FileAuditStore.CutTornLine(livePath, cut);
            repair = string.Create(CultureInfo.InvariantCulture, $"{livePath}: a torn last line ({end.TornBytes} bytes) was cut before the rollover; the chain continues from record {end.Tail.Sequence}");
        }

        File.Move(livePath, archivePath);
        FileAuditStore.WriteSeal(archivePath, end.Tail);
        File.Delete(FileAuditStore.SealPath(livePath));

        var name = Path.GetFileName(archivePath);
        List<AuditFigure> figures =
        [
            new(AuditVerifier.ArchivedThroughFigure, end.Tail.Sequence.ToString(CultureInfo.InvariantCulture)),
            new(AuditVerifier.ArchiveTailHashFigure, end.Tail.Hash),
            new("archiveFile", name),
        ];
        if (end.LastBatch > 0)
        {
            figures.Add(new(LastBatchFigure, end.LastBatch.ToString(CultureInfo.InvariantCulture)));
            figures.Add(new(LastBatchRecordsFigure, end.LastBatchRecords.ToString(CultureInfo.InvariantCulture)));
        }
        var entry = new AuditEntry(AuditKind.Checkpoint, "", "", "", 0, RolloverRule,
            string.Create(CultureInfo.InvariantCulture, $"records up to {end.Tail.Sequence} are in {name} (sealed there with hash {end.Tail.Hash}); this file goes on from the next record"),
            figures, actor, why, "");
        // The chain closes the store with it.
        using var chain = new AuditChain(FileAuditStore.StartSegment(livePath, end.Tail), clock);
        var opening = chain.Append(entry);
        chain.Flush(durable: true);
        return new AuditRollover(archivePath, opening, repair);
    }

    /// <summary>
    /// Compresses a sealed archive (gzip, fastest level: about a fifth of its size) into <c>ARCHIVE.gz</c> with its
    /// seal, and deletes the plain file once the compressed one verifies on its own, to the same sealed last record;
    /// returns the compressed file. Every step goes through a temporary file, so a crash leaves the plain archive, or
    /// both files (the plain one is then deleted by the next call). Readers of the chain read either
    /// (<see cref="AuditFileBlocks"/>).
    /// </summary>
    public static string Compress(string archivePath)
    {
        var compressed = archivePath + ".gz";
        var seal = FileAuditStore.ReadSeal(archivePath)
            ?? throw new IOException($"{archivePath}: no seal; only a sealed archive is compressed (its last record must be known to check the copy)");
        if (!File.Exists(compressed))
        {
            // Named to read as compressed (for the check below), and not as an archive of the chain.
            var temporary = archivePath + ".tmp.gz";
            using (var input = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                {
                    input.CopyTo(gzip);
                }
                output.Flush(flushToDisk: true);
            }
            var check = AuditVerifier.VerifyFiles([temporary], seal);
            if (!check.Intact)
            {
                File.Delete(temporary);
                throw new IOException($"{archivePath}: its compressed copy does not verify ({check.Message}); the archive is left as it is");
            }
            File.Copy(FileAuditStore.SealPath(archivePath), FileAuditStore.SealPath(compressed), overwrite: true);
            File.Move(temporary, compressed);
        }
        File.Delete(archivePath);
        File.Delete(FileAuditStore.SealPath(archivePath));
        return compressed;
    }

    /// <summary>The end of a file: its last whole record, a torn tail's offset, and the last engine batch with how many of its records the file holds.</summary>
    internal sealed record FileEnd(AuditRecord Tail, long? TornAt, int TornBytes, long LastBatch, long LastBatchRecords);

    /// <summary>Reads a file from its end until the last engine batch is whole; null when it holds no whole record.</summary>
    internal static FileEnd? ReadEnd(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var length = file.Length;
        // The window grows until it holds a whole record before the last batch began (or the whole file).
        for (long window = FirstWindow; ; window *= 4)
        {
            var start = Math.Max(0, length - window);
            var bytes = new byte[length - start];
            file.Position = start;
            file.ReadExactly(bytes);
            // A window that starts inside a line skips to the next line.
            var skip = start == 0 ? 0 : Array.IndexOf(bytes, (byte)'\n') + 1;
            if (start > 0 && skip == 0)
            {
                continue;
            }
            var content = FileAuditStore.Parse(path, bytes[skip..], null);
            var records = content.Records.ToList();
            if (records.Count == 0)
            {
                if (start == 0)
                {
                    return null;
                }
                continue;
            }
            var (batch, count, complete) = LastBatch(records);
            if (!complete && start > 0)
            {
                continue;
            }
            var torn = content.Torn is { } t ? start + skip + t.Offset : (long?)null;
            return new FileEnd(records[^1], torn, content.Torn?.Bytes ?? 0, batch, count);
        }
    }

    /// <summary>
    /// The newest engine batch among <paramref name="records"/> and how many of them are of it (0, 0 for none);
    /// complete when a record before them shows where the batch began: one of another batch, or a segment's opening
    /// record, which carries the count its archive holds.
    /// </summary>
    internal static (long Batch, long Records, bool Complete) LastBatch(IReadOnlyList<AuditRecord> records)
    {
        long last = 0, count = 0;
        for (var i = records.Count - 1; i >= 0; i--)
        {
            var entry = records[i].Entry;
            if (entry is { Kind: AuditKind.Checkpoint, Rule: RolloverRule } && entry.Figure(LastBatchFigure) is { } archived)
            {
                var b = long.Parse(archived, CultureInfo.InvariantCulture);
                var n = long.Parse(entry.Figure(LastBatchRecordsFigure) ?? "0", CultureInfo.InvariantCulture);
                return last == 0 ? (b, n, true) : (last, b == last ? count + n : count, true);
            }
            if (entry.Figure(Pipeline.AuditWriter.BatchFigure) is not { } figure)
            {
                continue;
            }
            var batch = long.Parse(figure, CultureInfo.InvariantCulture);
            if (last == 0)
            {
                last = batch;
            }
            if (batch != last)
            {
                return (last, count, true);
            }
            count++;
        }
        return (last, count, false);
    }
}
