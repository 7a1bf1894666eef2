using FastRebal.Engine.Audit;

namespace FastRebal.Console.AuditTrail;

/// <summary>
/// The console's audit file: a <see cref="FileAuditStore"/> that also remembers where each record starts in the
/// file, per account (the last <see cref="PerAccount"/>) and overall (the last <see cref="Tail"/>), so the account
/// page shows an account's recent decisions and trades from the chain itself without reading a file that grows by
/// a million records a quarter, and without keeping those records in memory.
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
            tail[tailCount++ % Tail] = at;
            if (record.Entry.Kind is AuditKind.OperatorAction or AuditKind.Checkpoint)
            {
                if (operatorActions.Count == OperatorActionsKept)
                {
                    operatorActions.RemoveAt(0);
                }
                operatorActions.Add(at);
            }
            var account = record.Entry.AccountId;
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
    }

    public void Flush(bool durable) => inner.Flush(durable);

    public IReadOnlyList<AuditRecord> ReadAll() => inner.ReadAll();

    public AuditVerification Verify() => inner.Verify();

    public void Dispose() => inner.Dispose();

    /// <summary>The account's most recent records since the console started, newest first.</summary>
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

    /// <summary>The most recent operator actions (and retention checkpoints) since the console started, newest first.</summary>
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

    /// <summary>The most recent records of the whole chain since the console started, newest first.</summary>
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
