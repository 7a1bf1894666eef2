namespace FastRebal.Engine.Audit;

/// <summary>
/// The encoded bodies of a run of records: for each, its canonical form and its line from the kind on, without the
/// place (sequence, time) and the hashes only the chain can give it. Encoding a body needs nothing from the records
/// before it, so the live engine's audit writer encodes a chunk's bodies off the chain's task, several chunks at once,
/// and the chain only links them (<see cref="AuditChain"/>). A body belongs to one chunk at a time; the buffers are
/// kept for the next.
/// </summary>
internal sealed class AuditBodies
{
    private ByteText canonical = new(InitialCanonical);
    private ByteText lines = new(InitialLines);
    private readonly List<(int CanonicalEnd, int LineEnd, bool Coded)> ends = [];

    private const int InitialCanonical = 64 * 1024;
    private const int InitialLines = 128 * 1024;
    private const int MaxKeptBuffer = 16 * 1024 * 1024;

    public int Count => ends.Count;

    /// <summary>Encodes every record of <paramref name="source"/>, in order, in place of what this held.</summary>
    public AuditBodies Encode(IAuditEntrySource source)
    {
        Clear();
        var writer = AuditRecordWriter.ForThisThread;
        for (var i = 0; i < source.Count; i++)
        {
            writer.StartBody();
            source.Write(i, writer);
            writer.EndBody(this);
        }
        return this;
    }

    public void Clear()
    {
        // A very large run (a day's opening appended in one go) should not pin its buffers for the rest of the run.
        if (lines.Length > MaxKeptBuffer)
        {
            (canonical, lines) = (new ByteText(InitialCanonical), new ByteText(InitialLines));
        }
        canonical.Clear();
        lines.Clear();
        ends.Clear();
    }

    /// <summary>Record <paramref name="index"/>'s canonical form after its place (version 2 when <paramref name="coded"/>, else 1).</summary>
    public ReadOnlySpan<byte> Canonical(int index, out bool coded)
    {
        var (end, _, isCoded) = ends[index];
        coded = isCoded;
        return canonical.Written[(index == 0 ? 0 : ends[index - 1].CanonicalEnd)..end];
    }

    /// <summary>Record <paramref name="index"/>'s line from the comma before its kind to the end of its input hash.</summary>
    public ReadOnlySpan<byte> Line(int index) => lines.Written[(index == 0 ? 0 : ends[index - 1].LineEnd)..ends[index].LineEnd];

    /// <summary>Adds one record's body (called by the record writer).</summary>
    public void Add(ReadOnlySpan<byte> canonicalBody, ReadOnlySpan<byte> lineBody, bool coded)
    {
        canonical.Append(canonicalBody);
        lines.Append(lineBody);
        ends.Add((canonical.Length, lines.Length, coded));
    }
}
