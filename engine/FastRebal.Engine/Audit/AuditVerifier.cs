using System.Globalization;

namespace FastRebal.Engine.Audit;

/// <summary>What is wrong with a chain (the first problem found).</summary>
public enum AuditFault
{
    None,

    /// <summary>A line that is not a record: not JSON, a field missing or mistyped.</summary>
    Unreadable,

    /// <summary>A line whose values are fine but which is not written the way its record is written.</summary>
    NotCanonical,

    /// <summary>A record whose content no longer matches its own hash.</summary>
    Edited,

    /// <summary>Two neighbouring records do not link: one was rewritten with its hash recomputed.</summary>
    BadLink,

    /// <summary>A record is missing from the middle or the start of the chain.</summary>
    Deleted,

    /// <summary>Records are out of sequence order, or one appears twice.</summary>
    Reordered,

    /// <summary>A record's time is before its predecessor's.</summary>
    TimeWentBackwards,

    /// <summary>The last line has no newline: a crash or a truncation cut it.</summary>
    TornTail,

    /// <summary>Whole records are missing from the end: the chain is shorter than its seal says.</summary>
    Truncated,

    /// <summary>A checkpoint record whose figures do not make sense.</summary>
    BadCheckpoint,
}

/// <summary>One line of an audit file as read: where it is and what it holds.</summary>
public sealed record AuditLine(string Source, int LineNumber, AuditLineResult Result);

/// <summary>A last line with no newline (a crash in the middle of an append, or a truncation).</summary>
public sealed record TornTail(string Source, int LineNumber, int Bytes, long Offset)
{
    /// <summary>Why the lines end there, when it is not a line cut short (a damaged compressed archive).</summary>
    public string? Problem { get; init; }

    public string Describe() => Problem ?? $"{Bytes} bytes with no newline";
}

/// <summary>Where the chain had reached when it was last sealed: whole records cut from the end are detected against it.</summary>
public sealed record AuditSeal(long Sequence, string Hash);

/// <summary>
/// The outcome of a verification: intact, or the first bad record (by sequence and line) with what is wrong.
/// </summary>
public sealed record AuditVerification(
    bool Intact,
    AuditFault Fault,
    long Count,
    long FirstSequence,
    long LastSequence,
    string TailHash,
    long? BadSequence,
    string? BadSource,
    int? BadLine,
    string Message,
    IReadOnlyList<DailyRoot> Days);

/// <summary>
/// Checks a chain read from one or more files (archives first, then the live file): every record's hash over its
/// content and link, the links, sequence order, time order, checkpoints anchoring a pruned start, a torn last line
/// and the seal. Names the first bad record.
/// </summary>
public static class AuditVerifier
{
    public const string ArchivedThroughFigure = "archivedThroughSequence";
    public const string ArchiveTailHashFigure = "archiveTailHash";

    public static AuditVerification Verify(IReadOnlyList<AuditLine> lines, TornTail? torn = null, AuditSeal? seal = null) =>
        Verify(new ListLineSource(lines, torn), seal);

    /// <summary>
    /// Verifies files as one chain (archives oldest first, then the live file, against <paramref name="seal"/>),
    /// reading them a block at a time: memory holds one record and the current UTC day's record hashes, whatever the
    /// size of the files. The checks and messages are those of <see cref="Verify(IReadOnlyList{AuditLine}, TornTail?, AuditSeal?)"/>.
    /// </summary>
    public static AuditVerification VerifyFiles(IReadOnlyList<string> paths, AuditSeal? seal) => Verify(new FileLineSource(paths), seal);

    /// <summary>The verification itself, in one pass over the lines; a line elsewhere is looked up only when a check needs it.</summary>
    private static AuditVerification Verify(IAuditLineSource source, AuditSeal? seal)
    {
        long count = 0;
        AuditRecord? first = null, previous = null;
        AuditLine? previousLine = null, sealedLine = null;
        var days = new List<DailyRoot>();
        var day = new DayRoot();
        AuditVerification Bad(AuditFault fault, long? sequence, AuditLine? at, string message) =>
            new(false, fault, count, first?.Sequence ?? 0, previous?.Sequence ?? 0, previous?.Hash ?? AuditRecord.GenesisHash, sequence, at?.Source, at?.LineNumber, message, []);
        string Where(AuditLine line) => string.Create(CultureInfo.InvariantCulture, $"{line.Source} line {line.LineNumber}");

        foreach (var line in source.Lines())
        {
            var expected = previous is not null ? previous.Sequence + 1 : (long?)null;
            if (!line.Result.Ok)
            {
                var fault = line.Result.Record is null ? AuditFault.Unreadable : AuditFault.NotCanonical;
                var field = line.Result.Field.Length > 0 ? $", field '{line.Result.Field}'" : "";
                var which = line.Result.Record is { } partial ? $"record {partial.Sequence}" : expected is { } e ? $"the record after {e - 1}" : "the first record";
                return Bad(fault, line.Result.Record?.Sequence ?? expected ?? 1, line, $"{which} ({Where(line)}{field}) is corrupt: {line.Result.Problem}");
            }
            var record = line.Result.Record!;
            if (AuditEncoding.ComputeHash(record) != record.Hash)
            {
                return Bad(AuditFault.Edited, record.Sequence, line,
                    $"record {record.Sequence} ({Where(line)}) was edited: its content and previous hash no longer match its hash {Short(record.Hash)}");
            }
            if (previous is null)
            {
                if (record.Sequence == 1 && record.PreviousHash != AuditRecord.GenesisHash)
                {
                    return Bad(AuditFault.BadLink, 1, line, $"record 1 ({Where(line)}) does not start from the genesis hash");
                }
                if (record.Sequence < 1)
                {
                    return Bad(AuditFault.Reordered, record.Sequence, line, $"record {record.Sequence} ({Where(line)}) has an impossible sequence number");
                }
                if (record.Sequence > 1 && !Anchors(record, record) && !source.Checkpoints().Any(c => Anchors(c.Result.Record!, record)))
                {
                    return source.Find(1) is { } one && !SamePlace(one, line)
                        ? Bad(AuditFault.Reordered, 1, line, $"record 1 is out of order: {Where(line)} holds record {record.Sequence} where record 1 belongs (record 1 is at {Where(one)})")
                        : Bad(AuditFault.Deleted, 1, line, $"records 1 to {record.Sequence - 1} are missing: the chain starts at record {record.Sequence} ({Where(line)}) and no checkpoint anchors the records before it");
                }
            }
            else
            {
                if (record.Sequence > expected)
                {
                    return source.Find(expected.Value) is { } elsewhere && !SamePlace(elsewhere, line)
                        ? Bad(AuditFault.Reordered, expected, line, $"record {expected} is out of order: {Where(line)} holds record {record.Sequence} where record {expected} belongs (record {expected} is at {Where(elsewhere)})")
                        : Bad(AuditFault.Deleted, expected, line, $"record {expected} is missing: {Where(line)} holds record {record.Sequence} right after record {previous.Sequence}");
                }
                if (record.Sequence < expected)
                {
                    return Bad(AuditFault.Reordered, record.Sequence, line, $"record {record.Sequence} ({Where(line)}) is out of order: it comes after record {previous.Sequence}");
                }
                if (record.PreviousHash != previous.Hash)
                {
                    return Bad(AuditFault.BadLink, previous.Sequence, previousLine,
                        $"record {previous.Sequence} ({Where(previousLine!)}) or record {record.Sequence} ({Where(line)}) was rewritten: record {record.Sequence} links to {Short(record.PreviousHash)} but record {previous.Sequence} hashes to {Short(previous.Hash)}");
                }
                if (record.Timestamp < previous.Timestamp)
                {
                    return Bad(AuditFault.TimeWentBackwards, record.Sequence, line,
                        $"record {record.Sequence} ({Where(line)}) is dated {AuditEncoding.FormatTimestamp(record.Timestamp)}, before record {previous.Sequence} ({AuditEncoding.FormatTimestamp(previous.Timestamp)})");
                }
            }
            if (record.Entry.Kind == AuditKind.Checkpoint && CheckpointProblem(record, source, previousLine) is { } problem)
            {
                return Bad(AuditFault.BadCheckpoint, record.Sequence, line, $"checkpoint record {record.Sequence} ({Where(line)}): {problem}");
            }
            if (seal is not null && record.Sequence == seal.Sequence)
            {
                sealedLine ??= line;
            }
            if (!day.Add(record))
            {
                days.Add(day.Close());
                day = new DayRoot();
                day.Add(record);
            }
            first ??= record;
            (previous, previousLine) = (record, line);
            count++;
        }

        var next = previous is not null ? previous.Sequence + 1 : 1;
        if (source.Torn is { } torn)
        {
            var at = new AuditLine(torn.Source, torn.LineNumber, AuditLineResult.Fail("", "torn"));
            return Bad(AuditFault.TornTail, next, at, torn.Problem is { } problem
                ? $"{torn.Source} ends at line {torn.LineNumber}: {problem}; record {next} and those after it cannot be read"
                : $"the last line ({torn.Source} line {torn.LineNumber}, {torn.Bytes} bytes at offset {torn.Offset}) has no newline: record {next} was torn by a crash or the file was truncated");
        }
        if (seal is not null)
        {
            if (previous is null || previous.Sequence < seal.Sequence)
            {
                return Bad(AuditFault.Truncated, next, null,
                    $"records {next} to {seal.Sequence} are missing from the end: the seal says the chain reached record {seal.Sequence} (hash {Short(seal.Hash)})");
            }
            if (sealedLine is not null && sealedLine.Result.Record!.Hash != seal.Hash)
            {
                return Bad(AuditFault.Edited, seal.Sequence, sealedLine, $"record {seal.Sequence} ({Where(sealedLine)}) is not the record that was sealed (hash {Short(seal.Hash)})");
            }
        }
        if (count > 0)
        {
            days.Add(day.Close());
        }
        return new AuditVerification(true, AuditFault.None, count, first?.Sequence ?? 0, previous?.Sequence ?? 0,
            previous?.Hash ?? AuditRecord.GenesisHash, null, null, null,
            count == 0 ? "empty chain" : $"{count} record(s), {first!.Sequence} to {previous!.Sequence}, intact", days);
    }

    /// <summary>Whether two lines are the same place (a line read again is another object).</summary>
    private static bool SamePlace(AuditLine a, AuditLine b) => a.Source == b.Source && a.LineNumber == b.LineNumber;

    /// <summary>One UTC day's record hashes while the verification is in it (records come in time order).</summary>
    private sealed class DayRoot
    {
        private readonly List<byte[]> leaves = [];
        private DateOnly day;
        private long firstSequence;
        private long lastSequence;

        /// <summary>Adds the record if it is of this day (or the day is empty); false when it starts another day.</summary>
        public bool Add(AuditRecord record)
        {
            if (leaves.Count > 0 && record.Day != day)
            {
                return false;
            }
            if (leaves.Count == 0)
            {
                (day, firstSequence) = (record.Day, record.Sequence);
            }
            leaves.Add(Convert.FromHexString(record.Hash));
            lastSequence = record.Sequence;
            return true;
        }

        public DailyRoot Close() => new(day, leaves.Count, firstSequence, lastSequence, Convert.ToHexStringLower(MerkleTree.Root(leaves)));
    }

    /// <summary>Verifies records already in memory (a <see cref="MemoryAuditStore"/>), each standing as its own line.</summary>
    public static AuditVerification Verify(IEnumerable<AuditRecord> records, string source = "memory") =>
        Verify([.. records.Select((r, i) => new AuditLine(source, i + 1, new AuditLineResult(r, "", null)))]);

    /// <summary>Each UTC day's Merkle root over its record hashes, in sequence order.</summary>
    public static IReadOnlyList<DailyRoot> DailyRoots(IEnumerable<AuditRecord> records) =>
    [
        .. records.GroupBy(r => r.Day).Select(day =>
        {
            var list = day.ToList();
            var root = MerkleTree.Root([.. list.Select(r => Convert.FromHexString(r.Hash))]);
            return new DailyRoot(day.Key, list.Count, list[0].Sequence, list[^1].Sequence, Convert.ToHexStringLower(root));
        }),
    ];

    /// <summary>A start after record 1 is legitimate only when a checkpoint in the chain says the records before it were archived, ending at exactly this link.</summary>
    private static bool Anchors(AuditRecord checkpoint, AuditRecord first) =>
        checkpoint.Entry.Kind == AuditKind.Checkpoint
            && checkpoint.Sequence >= first.Sequence
            && checkpoint.Entry.Figure(ArchivedThroughFigure) == (first.Sequence - 1).ToString(CultureInfo.InvariantCulture)
            && checkpoint.Entry.Figure(ArchiveTailHashFigure) == first.PreviousHash;

    /// <remarks>The anchored record is most often the one just before (an archive verified with its live file), so that one is not looked up.</remarks>
    private static string? CheckpointProblem(AuditRecord checkpoint, IAuditLineSource source, AuditLine? previous)
    {
        if (!long.TryParse(checkpoint.Entry.Figure(ArchivedThroughFigure), NumberStyles.None, CultureInfo.InvariantCulture, out var through) || through < 1 || through >= checkpoint.Sequence)
        {
            return $"'{ArchivedThroughFigure}' must be a record before the checkpoint";
        }
        var tail = checkpoint.Entry.Figure(ArchiveTailHashFigure) ?? "";
        if (!AuditEncoding.IsHash(tail))
        {
            return $"'{ArchiveTailHashFigure}' is not a SHA-256 hash";
        }
        // When the archive is verified together with the live file, the archived record must be the one anchored.
        var archived = previous?.Result.Record?.Sequence == through ? previous : source.Find(through);
        return archived is not null && archived.Result.Record!.Hash != tail
            ? $"record {through} hashes to {Short(archived.Result.Record.Hash)}, not the archive tail hash {Short(tail)} the checkpoint anchors"
            : null;
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] + "…" : hash;
}
