namespace FastRebal.Engine.Audit;

/// <summary>Whole lines of an audit file, in one buffer valid until the next block is read.</summary>
/// <param name="Buffer">The block's bytes start at 0 and end with a newline.</param>
/// <param name="Length">How many bytes of <paramref name="Buffer"/> the block holds.</param>
/// <param name="Offset">Where in the file the block's first byte is.</param>
/// <param name="LinesBefore">How many lines of the file come before the block.</param>
public readonly record struct AuditFileBlock(byte[] Buffer, int Length, long Offset, int LinesBefore)
{
    public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);
}

/// <summary>
/// Reads an audit file a block at a time, each block cut at its last newline so that every line is whole in one
/// block: a file of any size is read in memory bounded by one block (1 MB, more only for a longer line). What follows
/// the last newline is a torn last line, reported in <see cref="Torn"/> once the blocks are read to the end. A file
/// whose name ends in <c>.gz</c> is an archive compressed by <see cref="AuditSegments.Compress"/>: its lines are read
/// as they were before compression (offsets count uncompressed bytes), and a compressed stream that is cut or
/// damaged ends the lines there, reported as a torn tail that says so.
/// </summary>
public sealed class AuditFileBlocks(string path)
{
    private const int Block = 1 << 20;

    /// <summary>Whether a file is a compressed audit archive (read through gzip).</summary>
    public static bool IsCompressed(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The last line when it has no newline, or null; known once <see cref="Read"/> has been read to its end.</summary>
    public TornTail? Torn { get; private set; }

    /// <summary>The blocks in file order (a missing file has none).</summary>
    public IEnumerable<AuditFileBlock> Read()
    {
        Torn = null;
        if (!File.Exists(path))
        {
            yield break;
        }
        using var raw = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, IsCompressed(path) ? 1 << 16 : 1, FileOptions.SequentialScan);
        using Stream file = IsCompressed(path) ? new System.IO.Compression.GZipStream(raw, System.IO.Compression.CompressionMode.Decompress) : raw;
        var buffer = new byte[Block];
        var kept = 0;
        var lines = 0;
        long offset = 0;
        string? damaged = null;
        while (ReadSome(file, buffer, kept, ref damaged) is var read and > 0)
        {
            var filled = kept + read;
            var whole = buffer.AsSpan(0, filled).LastIndexOf((byte)'\n') + 1;
            if (whole > 0)
            {
                yield return new AuditFileBlock(buffer, whole, offset, lines);
                lines += buffer.AsSpan(0, whole).Count((byte)'\n');
                offset += whole;
            }
            kept = filled - whole;
            if (kept == buffer.Length)
            {
                // A line longer than the buffer: no record the engine writes is.
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            else
            {
                buffer.AsSpan(whole, kept).CopyTo(buffer);
            }
        }
        if (kept > 0 || damaged is not null)
        {
            Torn = new TornTail(path, lines + 1, kept, offset) { Problem = damaged };
        }
    }

    /// <summary>Reads what comes next; a damaged compressed stream ends the read, with what was wrong.</summary>
    private static int ReadSome(Stream file, byte[] buffer, int kept, ref string? damaged)
    {
        if (damaged is not null)
        {
            return 0;
        }
        try
        {
            return file.Read(buffer, kept, buffer.Length - kept);
        }
        catch (InvalidDataException e)
        {
            damaged = $"the compressed file is damaged ({e.Message})";
            return 0;
        }
    }
}
