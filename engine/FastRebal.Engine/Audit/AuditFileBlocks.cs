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
/// the last newline is a torn last line, reported in <see cref="Torn"/> once the blocks are read to the end.
/// </summary>
public sealed class AuditFileBlocks(string path)
{
    private const int Block = 1 << 20;

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
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var buffer = new byte[Block];
        var kept = 0;
        var lines = 0;
        long offset = 0;
        while (file.Read(buffer, kept, buffer.Length - kept) is var read and > 0)
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
        if (kept > 0)
        {
            Torn = new TornTail(path, lines + 1, kept, offset);
        }
    }
}
