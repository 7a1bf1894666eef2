using System.Buffers.Text;

namespace FastRebal.Engine.Audit;

/// <summary>
/// The lines a verification reads, in order, read again only when a check needs a line elsewhere in the chain (where
/// a missing record really is, what a checkpoint anchors). <see cref="AuditVerifier"/> holds one record at a time, so
/// a chain in files is verified in memory bounded by one UTC day's record hashes, whatever its size.
/// </summary>
internal interface IAuditLineSource
{
    /// <summary>Every line, in order.</summary>
    IEnumerable<AuditLine> Lines();

    /// <summary>The first line holding the record with that sequence number, or null.</summary>
    AuditLine? Find(long sequence);

    /// <summary>The lines holding checkpoint records, in order.</summary>
    IEnumerable<AuditLine> Checkpoints();

    /// <summary>The last line when it has no newline; known once <see cref="Lines"/> has been read to its end.</summary>
    TornTail? Torn { get; }
}

/// <summary>Lines already in memory.</summary>
internal sealed class ListLineSource(IReadOnlyList<AuditLine> lines, TornTail? torn) : IAuditLineSource
{
    private Dictionary<long, AuditLine>? lineOf;

    public TornTail? Torn => torn;

    public IEnumerable<AuditLine> Lines() => lines;

    public AuditLine? Find(long sequence)
    {
        if (lineOf is null)
        {
            lineOf = [];
            foreach (var line in lines)
            {
                if (line.Result.Record is { } r)
                {
                    lineOf.TryAdd(r.Sequence, line);
                }
            }
        }
        return lineOf.GetValueOrDefault(sequence);
    }

    public IEnumerable<AuditLine> Checkpoints() => lines.Where(l => l.Result.Record is { Entry.Kind: AuditKind.Checkpoint });
}

/// <summary>
/// Files read a block at a time (<see cref="AuditFileBlocks"/>), archives first: a torn last line of a file before the last is a corrupt line where
/// the next file's records begin; of the last file, the chain's torn tail. <see cref="Find"/> and
/// <see cref="Checkpoints"/> decode only the lines that can match.
/// </summary>
internal sealed class FileLineSource(IReadOnlyList<string> paths) : IAuditLineSource
{
    public TornTail? Torn { get; private set; }

    public IEnumerable<AuditLine> Lines() => Read(_ => true);

    public AuditLine? Find(long sequence)
    {
        Span<byte> digits = stackalloc byte[20];
        if (!Utf8Formatter.TryFormat(sequence, digits, out var written))
        {
            return null;
        }
        var needle = (byte[])[.. "\"seq\":"u8, .. digits[..written]];
        return Read(line => line.IndexOf(needle) is var at and >= 0 && (at + needle.Length == line.Length || !char.IsAsciiDigit((char)line[at + needle.Length])))
            .FirstOrDefault(l => l.Result.Record?.Sequence == sequence);
    }

    public IEnumerable<AuditLine> Checkpoints() =>
        Read(line => line.IndexOf("\"Checkpoint\""u8) >= 0).Where(l => l.Result.Record is { Entry.Kind: AuditKind.Checkpoint });

    internal delegate bool LineFilter(ReadOnlySpan<byte> line);

    /// <summary>The lines that pass <paramref name="wanted"/> (checked on the raw bytes, before decoding), in order.</summary>
    internal IEnumerable<AuditLine> Read(LineFilter wanted)
    {
        TornTail? torn = null;
        var found = new List<AuditLine>();
        foreach (var path in paths)
        {
            if (torn is not null)
            {
                // An earlier file ends torn: that is a corrupt record in the middle of the chain.
                yield return new AuditLine(torn.Source, torn.LineNumber, AuditLineResult.Fail("", $"torn line ({torn.Describe()}) before the records of {path}"));
            }
            var blocks = new AuditFileBlocks(path);
            foreach (var block in blocks.Read())
            {
                Decode(path, block, wanted, found);
                foreach (var line in found)
                {
                    yield return line;
                }
                found.Clear();
            }
            torn = blocks.Torn;
        }
        Torn = torn;
    }

    /// <summary>Decodes the lines of a block that pass the filter.</summary>
    private static void Decode(string path, AuditFileBlock block, LineFilter wanted, List<AuditLine> found)
    {
        var bytes = block.Bytes;
        var number = block.LinesBefore;
        while (bytes.IndexOf((byte)'\n') is var newline and >= 0)
        {
            number++;
            if (wanted(bytes[..newline]))
            {
                found.Add(new AuditLine(path, number, AuditEncoding.ReadLine(bytes[..newline])));
            }
            bytes = bytes[(newline + 1)..];
        }
    }
}
