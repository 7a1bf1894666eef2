using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Unicode;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Approvals;

/// <summary>Why something waits for an operator.</summary>
public enum ApprovalKind
{
    /// <summary>An illiquid holding is out of band: the account's trades wait (illiquid instruments are never traded automatically).</summary>
    IlliquidHoldings,

    /// <summary>A tax-loss harvest larger than the account's limit.</summary>
    LargeHarvest,

    /// <summary>The account is blocked; an operator acknowledges it (its trades cannot be released safely).</summary>
    BlockedAccount,
}

public enum ApprovalStatus
{
    Pending,
    Approved,
    Rejected,
}

/// <summary>Who decided, why, and when.</summary>
public sealed record ApprovalDecision(ApprovalStatus Outcome, string Who, string Why, DateTimeOffset When);

/// <summary>
/// One item waiting for (or decided by) an operator. Its id is derived from the account, the day, the kind and the
/// exact trades, so a later run over the same inputs finds the same item and releases it once approved, and a run
/// whose trades changed asks again.
/// </summary>
public sealed record ApprovalItem(
    string Id,
    ApprovalKind Kind,
    string AccountId,
    string PolicyId,
    int PolicyVersion,
    DateOnly AsOf,
    string Reason,
    IReadOnlyList<Trade> Trades,
    ApprovalStatus Status = ApprovalStatus.Pending,
    ApprovalDecision? Decision = null)
{
    /// <summary>
    /// The item's id: <c>APR-</c>, the day (yyyyMMdd), the account, the kind and the first 8 hex digits of SHA-256 over
    /// the trades' text in UTF-8 (<c>instrument|side|quantity|price;</c> each, invariant). The text is written straight
    /// into a buffer this thread keeps: the live engine names every item that expires.
    /// </summary>
    public static string MakeId(ApprovalKind kind, string accountId, DateOnly asOf, IEnumerable<Trade> trades)
    {
        var text = idText ??= new ArrayBufferWriter<byte>(4096);
        text.ResetWrittenCount();
        foreach (var t in trades)
        {
            int written;
            while (!Utf8.TryWrite(text.GetSpan(), CultureInfo.InvariantCulture, $"{t.InstrumentId}|{t.Side}|{t.Quantity}|{t.Price};", out written))
            {
                text.GetSpan(text.FreeCapacity + 1);
            }
            text.Advance(written);
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text.WrittenSpan, hash);
        return string.Create(CultureInfo.InvariantCulture, $"APR-{asOf:yyyyMMdd}-{accountId}-{kind}-{Convert.ToHexStringLower(hash[..4])}");
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? idText;
}

/// <summary>A structured record of every submission and decision, ready for the audit chain to link.</summary>
public sealed record ApprovalAuditRecord(DateTimeOffset When, string Action, string ItemId, string AccountId, string PolicyId, int PolicyVersion, string Who, string Why);

/// <summary>What became of an approve or reject request.</summary>
public enum ApprovalOutcome
{
    Done,
    NotFound,
    AlreadyDecided,
    MissingWho,
    MissingWhy,
}

/// <summary>
/// The operator's queue: the engine submits items, an operator approves or rejects them (with who and why), and a
/// later run releases what was approved. A library type any host uses (the CLI keeps it in a JSON file). Safe to
/// share between threads (an engine submitting while a console decides): every change and every read takes one
/// lock, and readers get a copy, never the live list.
/// </summary>
public sealed class ApprovalQueue
{
    private readonly Lock gate = new();
    private readonly List<ApprovalItem> items = [];
    private readonly List<ApprovalAuditRecord> audit = [];

    /// <summary>Every item, pending or decided, as of this call.</summary>
    public IReadOnlyList<ApprovalItem> Items
    {
        get
        {
            lock (gate)
            {
                return [.. items];
            }
        }
    }

    /// <summary>Every submission and decision, as of this call.</summary>
    public IReadOnlyList<ApprovalAuditRecord> Audit
    {
        get
        {
            lock (gate)
            {
                return [.. audit];
            }
        }
    }

    /// <summary>The items still waiting, as of this call.</summary>
    public IEnumerable<ApprovalItem> Pending => Items.Where(i => i.Status == ApprovalStatus.Pending);

    public ApprovalItem? Find(string id)
    {
        lock (gate)
        {
            return items.FirstOrDefault(i => i.Id == id);
        }
    }

    /// <summary>Adds an item unless one with the same id is already queued (pending or decided); returns the queued one.</summary>
    public ApprovalItem Submit(ApprovalItem item, DateTimeOffset when)
    {
        lock (gate)
        {
            if (items.FirstOrDefault(i => i.Id == item.Id) is { } existing)
            {
                return existing;
            }
            var pending = item with { Status = ApprovalStatus.Pending, Decision = null };
            items.Add(pending);
            audit.Add(new ApprovalAuditRecord(when, "submitted", item.Id, item.AccountId, item.PolicyId, item.PolicyVersion, "engine", item.Reason));
            return pending;
        }
    }

    public ApprovalOutcome Approve(string id, string who, string why, DateTimeOffset when) => Decide(id, ApprovalStatus.Approved, who, why, when);

    public ApprovalOutcome Reject(string id, string who, string why, DateTimeOffset when) => Decide(id, ApprovalStatus.Rejected, who, why, when);

    private ApprovalOutcome Decide(string id, ApprovalStatus outcome, string who, string why, DateTimeOffset when)
    {
        if (string.IsNullOrWhiteSpace(who))
        {
            return ApprovalOutcome.MissingWho;
        }
        if (string.IsNullOrWhiteSpace(why))
        {
            return ApprovalOutcome.MissingWhy;
        }
        lock (gate)
        {
            var index = items.FindIndex(i => i.Id == id);
            if (index < 0)
            {
                return ApprovalOutcome.NotFound;
            }
            if (items[index].Status != ApprovalStatus.Pending)
            {
                // Two operators deciding the same item at once: the first wins, the second is told it was decided.
                return ApprovalOutcome.AlreadyDecided;
            }
            var item = items[index];
            items[index] = item with { Status = outcome, Decision = new ApprovalDecision(outcome, who, why, when) };
            audit.Add(new ApprovalAuditRecord(when, outcome == ApprovalStatus.Approved ? "approved" : "rejected", id, item.AccountId, item.PolicyId, item.PolicyVersion, who, why));
            return ApprovalOutcome.Done;
        }
    }

    private sealed record QueueFile(IReadOnlyList<ApprovalItem>? Items, IReadOnlyList<ApprovalAuditRecord>? Audit);

    /// <summary>Reads a queue file; a missing file is an empty queue.</summary>
    public static ApprovalQueue Load(string path)
    {
        var queue = new ApprovalQueue();
        if (!File.Exists(path))
        {
            return queue;
        }
        try
        {
            var file = JsonSerializer.Deserialize<QueueFile>(TextLimit.ReadUtf8File(path), ScenarioDocument.JsonOptions);
            queue.items.AddRange(file?.Items ?? []);
            queue.audit.AddRange(file?.Audit ?? []);
        }
        catch (JsonException e)
        {
            throw new ScenarioFormatException($"{path}: not an approval queue: {TextLimit.Clip(e.Message, 300)}", e);
        }
        return queue;
    }

    /// <summary>Writes the queue through a temporary file, so a crash never leaves half a queue.</summary>
    public void Save(string path)
    {
        var temporary = path + ".tmp";
        string json;
        lock (gate)
        {
            json = JsonSerializer.Serialize(new QueueFile(items, audit), ScenarioDocument.JsonOptions);
        }
        File.WriteAllText(temporary, json);
        File.Move(temporary, path, overwrite: true);
    }
}
