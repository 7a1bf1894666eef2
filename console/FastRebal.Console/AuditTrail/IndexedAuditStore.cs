using FastRebal.Engine.Audit;

namespace FastRebal.Console.AuditTrail;

/// <summary>
/// The console's audit file: a <see cref="FileAuditStore"/> that also remembers where each record starts in the
/// file, per account (the last <see cref="PerAccount"/>) and overall (the last <see cref="Tail"/>), so the account
/// page shows an account's recent decisions and trades from the chain itself without reading a file that grows by
/// a million records a quarter, and without keeping those records in memory. The records already in the file when
/// the console starts are indexed too.
/// </summary>
public sealed class IndexedAuditStore : IAuditStore
{
    public const int PerAccount = 40;
    public const int Tail = 5000;

    /// <summary>Operator actions kept apart: in a busy chain they are a few among millions of decisions and trades.</summary>
    public const int OperatorActionsKept = 1000;

    private readonly FileAuditStore inner;
    private readonly Dictionary<string, List<long>> byAccount = new(StringComparer.Ordinal);
    private readonly long[] tail = new long[Tail];
    private readonly List<long> operatorActions = [];
    private readonly Lock gate = new();
    private long tailCount;
    private long end;

    public IndexedAuditStore(FileAuditStore inner)
    {
        this.inner = inner;
        end = new FileInfo(inner.Path).Length;
        // A restart goes on with the same chain: what is already in the file is indexed too, so the pages show the
        // records from before it (the file is at most Console:AuditRolloverMegabytes and a little, see EngineSession).
        IndexFileSoFar();
    }

    /// <summary>
    /// Indexes the records already in the file. Only the kind and the account are needed, and every line writes them
    /// first, in a fixed order, as plain strings (an account id with anything JSON escapes is read in full).
    /// </summary>
    private void IndexFileSoFar()
    {
        foreach (var block in new AuditFileBlocks(inner.Path).Read())
        {
            var bytes = block.Bytes;
            var at = block.Offset;
            while (bytes.IndexOf((byte)'\n') is var newline and >= 0)
            {
                if (KindAndAccount(bytes[..newline]) is { } found)
                {
                    Index(at, found.Kind, found.Account);
                }
                bytes = bytes[(newline + 1)..];
                at += newline + 1;
            }
        }
    }

    private static (AuditKind Kind, string Account)? KindAndAccount(ReadOnlySpan<byte> line)
    {
        if (!TryString(line, "\"kind\":\""u8, out var kindText) || !TryString(line, "\"account\":\""u8, out var account)
            || !Enum.TryParse<AuditKind>(System.Text.Encoding.UTF8.GetString(kindText), out var kind))
        {
            return null;
        }
        if (account.Contains((byte)'\\'))
        {
            return AuditEncoding.ReadLine(line) is { Record: { } record } ? (record.Entry.Kind, record.Entry.AccountId) : null;
        }
        return (kind, System.Text.Encoding.UTF8.GetString(account));
    }

    /// <summary>The JSON string after <paramref name="start"/>, as written (up to its closing quote).</summary>
    private static bool TryString(ReadOnlySpan<byte> line, ReadOnlySpan<byte> start, out ReadOnlySpan<byte> value)
    {
        value = default;
        var from = line.IndexOf(start);
        if (from < 0)
        {
            return false;
        }
        var rest = line[(from + start.Length)..];
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] == (byte)'\\')
            {
                i++;
            }
            else if (rest[i] == (byte)'"')
            {
                value = rest[..i];
                return true;
            }
        }
        return false;
    }

    public string Path => inner.Path;

    public AuditRecord? Last => inner.Last;

    public void Append(AuditRecord record)
    {
        // The chain calls this under its own lock, one record at a time; the line length is what the file store writes.
        var length = AuditEncoding.WriteLine(record).Length + 1;
        inner.Append(record);
        lock (gate)
        {
            var at = end;
            end += length;
            Index(at, record.Entry.Kind, record.Entry.AccountId);
        }
    }

    /// <summary>Remembers where a record starts (call under the lock, in file order).</summary>
    private void Index(long at, AuditKind kind, string account)
    {
        tail[tailCount++ % Tail] = at;
        if (kind is AuditKind.OperatorAction or AuditKind.Checkpoint)
        {
            if (operatorActions.Count == OperatorActionsKept)
            {
                operatorActions.RemoveAt(0);
            }
            operatorActions.Add(at);
        }
        if (account.Length > 0)
        {
            if (!byAccount.TryGetValue(account, out var offsets))
            {
                byAccount[account] = offsets = new List<long>(4);
            }
            if (offsets.Count == PerAccount)
            {
                offsets.RemoveAt(0);
            }
            offsets.Add(at);
        }
    }

    public void Flush(bool durable) => inner.Flush(durable);

    public IReadOnlyList<AuditRecord> ReadAll() => inner.ReadAll();

    public IReadOnlyList<AuditRecord> ReadRules(AuditKind kind, params IReadOnlyList<string> rules) => inner.ReadRules(kind, rules);

    public (long Batch, long Records) LastBatch() => inner.LastBatch();

    public AuditVerification Verify() => inner.Verify();

    public void Dispose() => inner.Dispose();

    /// <summary>The account's most recent records in the file, newest first.</summary>
    public IReadOnlyList<AuditRecord> ForAccount(string accountId)
    {
        long[] offsets;
        lock (gate)
        {
            offsets = byAccount.TryGetValue(accountId, out var list) ? [.. list] : [];
        }
        Array.Reverse(offsets);
        return ReadAt(offsets);
    }

    /// <summary>The most recent operator actions (and retention checkpoints) in the file, newest first.</summary>
    public IReadOnlyList<AuditRecord> OperatorActions()
    {
        long[] offsets;
        lock (gate)
        {
            offsets = [.. operatorActions];
        }
        Array.Reverse(offsets);
        return ReadAt(offsets);
    }

    /// <summary>The most recent records of the whole chain in the file, newest first.</summary>
    public IReadOnlyList<AuditRecord> Newest(int count)
    {
        long[] offsets;
        lock (gate)
        {
            var n = (int)Math.Min(Math.Min(count, Tail), tailCount);
            offsets = new long[n];
            for (var i = 0; i < n; i++)
            {
                offsets[i] = tail[(tailCount - 1 - i) % Tail];
            }
        }
        return ReadAt(offsets);
    }

    private List<AuditRecord> ReadAt(long[] offsets)
    {
        var records = new List<AuditRecord>(offsets.Length);
        if (offsets.Length == 0)
        {
            return records;
        }
        using var file = new FileStream(inner.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[64 * 1024];
        foreach (var offset in offsets)
        {
            file.Position = offset;
            var read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var line = buffer.AsSpan(0, read);
            var newline = line.IndexOf((byte)'\n');
            if (newline < 0)
            {
                // Not yet handed to the file (the writer is mid-append), or longer than any record the engine writes.
                continue;
            }
            if (AuditEncoding.ReadLine(line[..newline]) is { Record: { } record })
            {
                records.Add(record);
            }
        }
        return records;
    }
}
