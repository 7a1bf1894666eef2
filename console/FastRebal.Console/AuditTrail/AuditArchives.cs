using System.Globalization;
using FastRebal.Engine.Audit;

namespace FastRebal.Console.AuditTrail;

/// <summary>One file of the console's audit chain: an archive (oldest first) or the live file (last).</summary>
/// <param name="ArchivedAt">When an archive was made (from its name; its records are all older); null for the live file.</param>
/// <param name="Seal">The sequence and hash of its last record as sealed; null when it has no seal.</param>
public sealed record AuditSegment(string Path, long Bytes, DateTime? ArchivedAt, AuditSeal? Seal)
{
    public string Name => System.IO.Path.GetFileName(Path);

    public bool IsLive => ArchivedAt is null;
}

/// <summary>
/// The console's audit chain as files: archives made by rollovers (<c>audit-YYYYMMDD-HHMMSS.jsonl</c>, see
/// <see cref="AuditSegments"/>), compressed once sealed (<c>.jsonl.gz</c>), and the live file. They verify as one
/// chain, oldest archive first; retention deletes archives older than a number of days, each deletion recorded in the chain.
/// </summary>
public static class AuditArchives
{
    private const string Prefix = "audit-";
    private const string TimeFormat = "yyyyMMdd-HHmmss";

    /// <summary>The name of an archive made at <paramref name="at"/>.</summary>
    public static string NameFor(DateTime at) => $"{Prefix}{at.ToString(TimeFormat, CultureInfo.InvariantCulture)}.jsonl";

    /// <summary>Every archive beside <paramref name="livePath"/>, oldest first, then the live file when it exists.</summary>
    public static IReadOnlyList<AuditSegment> List(string livePath)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(livePath))!;
        var segments = new List<AuditSegment>();
        if (Directory.Exists(folder))
        {
            foreach (var path in Directory.EnumerateFiles(folder, Prefix + "*.jsonl").Concat(Directory.EnumerateFiles(folder, Prefix + "*.jsonl.gz")))
            {
                if (!AuditFileBlocks.IsCompressed(path) && File.Exists(path + ".gz"))
                {
                    // Compressed already (a crash came before the plain file was deleted): the compressed copy stands.
                    continue;
                }
                var name = Path.GetFileName(path);
                var stamp = name[Prefix.Length..name.IndexOf(".jsonl", StringComparison.Ordinal)];
                if (DateTime.TryParseExact(stamp, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
                {
                    segments.Add(new AuditSegment(path, new FileInfo(path).Length, at, FileAuditStore.ReadSeal(path)));
                }
            }
        }
        segments.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        if (File.Exists(livePath))
        {
            segments.Add(new AuditSegment(livePath, new FileInfo(livePath).Length, null, FileAuditStore.ReadSeal(livePath)));
        }
        return segments;
    }

    /// <summary>
    /// Compresses every archive not compressed yet (<see cref="AuditSegments.Compress"/>: about a fifth of the size),
    /// oldest first; returns the compressed files. The live file is never compressed (it is appended to).
    /// </summary>
    public static IReadOnlyList<string> CompressArchives(string livePath) =>
        [.. List(livePath).Where(s => !s.IsLive && !AuditFileBlocks.IsCompressed(s.Path)).Select(s => AuditSegments.Compress(s.Path))];

    /// <summary>Verifies every segment as one chain, streaming a block at a time (bounded memory, whatever the size).</summary>
    public static AuditVerification VerifyAll(string livePath) => FileAuditStore.VerifyFiles([.. List(livePath).Select(s => s.Path)]);

    /// <summary>
    /// Deletes the archives made more than <paramref name="days"/> days before <paramref name="now"/> (none when days
    /// is 0), each with its seal, and records each deletion in <paramref name="chain"/> (file, last record and its
    /// hash). The oldest archive left still verifies: a rollover's archive opens with a record that anchors its start.
    /// </summary>
    public static IReadOnlyList<AuditSegment> ApplyRetention(string livePath, int days, DateTime now, AuditChain chain)
    {
        if (days <= 0)
        {
            return [];
        }
        var deleted = new List<AuditSegment>();
        foreach (var archive in List(livePath).Where(s => !s.IsLive && s.ArchivedAt < now.AddDays(-days)))
        {
            File.Delete(archive.Path);
            File.Delete(FileAuditStore.SealPath(archive.Path));
            deleted.Add(archive);
            chain.Append(AuditEntries.OperatorAction("AuditArchiveDeleted", "console",
                $"Console:AuditRetentionDays is {days}",
                $"audit archive {archive.Name} (made {archive.ArchivedAt:yyyy-MM-dd HH:mm:ss} UTC) deleted: older than the {days}-day retention",
                [
                    new("archiveFile", archive.Name),
                    new("lastSequence", archive.Seal?.Sequence.ToString(CultureInfo.InvariantCulture) ?? ""),
                    new("tailHash", archive.Seal?.Hash ?? ""),
                ]));
        }
        return deleted;
    }
}
