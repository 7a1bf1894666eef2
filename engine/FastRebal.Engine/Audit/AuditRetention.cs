using System.Globalization;

namespace FastRebal.Engine.Audit;

/// <summary>What an export did, or why it did nothing.</summary>
/// <param name="Archived">Records moved to the archive (0 when nothing was done).</param>
/// <param name="Checkpoint">The checkpoint record appended to the live chain, when records were archived.</param>
/// <param name="Problem">Why nothing was done when the chain is broken or the archive is in the way; null otherwise.</param>
/// <param name="Repair">A torn tail cut when the live file was opened, if any.</param>
public sealed record AuditExportResult(long Archived, AuditRecord? Checkpoint, string? Problem, string? Repair)
{
    public bool Ok => Problem is null;
}

/// <summary>
/// Retention: the records of the days before a date move to an archive file and leave the live file, and the chain
/// stays verifiable. The archive holds the records exactly as they were (same lines, same hashes) with its own seal
/// (its tail hash). Before anything is removed, a <see cref="AuditKind.Checkpoint"/> record is appended to the live
/// chain naming the last archived record and its hash: the live file's first record links to that hash, and the
/// checkpoint, being chained itself, cannot be altered without breaking the chain.
/// </summary>
/// <remarks>
/// The checkpoint goes at the end of the chain rather than at the head of the pruned file: a record placed before
/// the kept records would have to be linked into them, which means rewriting every kept record's hash. Order of
/// steps, so a crash at any point leaves verifiable files: checkpoint appended and synced; archive written through
/// a temporary file and synced; live file rewritten through a temporary file. Run it while nothing else appends.
/// </remarks>
public static class AuditRetention
{
    public static AuditExportResult Export(string livePath, DateOnly before, string archivePath, string actor, string why, TimeProvider? clock = null)
    {
        var opened = FileAuditStore.Open(livePath);
        if (opened.Store is null)
        {
            return new AuditExportResult(0, null, $"{livePath}: the chain is broken, nothing was exported: {opened.Verification.Message}", opened.Repair);
        }
        var records = opened.Store.ReadAll();
        var archived = records.TakeWhile(r => r.Day < before).Count();
        if (archived == 0)
        {
            opened.Store.Dispose();
            return new AuditExportResult(0, null, null, opened.Repair);
        }
        var tail = records[archived - 1];
        var bytes = File.ReadAllBytes(livePath);
        var cut = OffsetAfterLines(bytes, archived);
        var prefix = bytes.AsSpan(0, cut).ToArray();
        if (File.Exists(archivePath) && !File.ReadAllBytes(archivePath).AsSpan().SequenceEqual(prefix))
        {
            opened.Store.Dispose();
            return new AuditExportResult(0, null, $"{archivePath}: the archive already exists with other records; choose a new archive file", opened.Repair);
        }

        AuditRecord checkpoint;
        using (var chain = new AuditChain(opened.Store, clock))
        {
            checkpoint = chain.Append(new AuditEntry(AuditKind.Checkpoint, "", "", "", 0, "Retention",
                string.Create(CultureInfo.InvariantCulture,
                    $"records {records[0].Sequence} to {tail.Sequence} (before {before:yyyy-MM-dd}) exported to {Path.GetFileName(archivePath)} and pruned from the live file; the archive ends with hash {tail.Hash}"),
                [
                    new(AuditVerifier.ArchivedThroughFigure, tail.Sequence.ToString(CultureInfo.InvariantCulture)),
                    new(AuditVerifier.ArchiveTailHashFigure, tail.Hash),
                    new("archivedFromSequence", records[0].Sequence.ToString(CultureInfo.InvariantCulture)),
                    new("archivedRecords", archived.ToString(CultureInfo.InvariantCulture)),
                    new("archiveFile", Path.GetFileName(archivePath)),
                    new("before", before.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                ],
                actor, why, ""));
            chain.Flush(durable: true);
        }

        WriteAtomically(archivePath, prefix);
        FileAuditStore.WriteSeal(archivePath, tail);
        WriteAtomically(livePath, File.ReadAllBytes(livePath).AsSpan(cut).ToArray());
        return new AuditExportResult(archived, checkpoint, null, opened.Repair);
    }

    private static int OffsetAfterLines(byte[] bytes, int lines)
    {
        var offset = 0;
        for (var i = 0; i < lines; i++)
        {
            offset = Array.IndexOf(bytes, (byte)'\n', offset) + 1;
        }
        return offset;
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
