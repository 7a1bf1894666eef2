using System.Collections.Concurrent;
using System.Diagnostics;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Risk;
using FastRebal.Engine.State;
using MemoryPack;

namespace FastRebal.Engine.Pipeline;

/// <summary>How the durable engine keeps its state.</summary>
public sealed record DurabilityOptions
{
    /// <summary>The folder holding the journal and the checkpoints.</summary>
    public required string Directory { get; init; }

    /// <summary>Wall-clock time between scheduled checkpoints.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Journal bytes written since the last checkpoint that call for the next one, whatever the time: a busy feed's
    /// journal, and so the replay a recovery faces, stays bounded. 0 turns it off.
    /// </summary>
    public long CheckpointJournalBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Time the evaluation stage has spent deciding since the last checkpoint that calls for the next one. Recovery
    /// replays every batch since the checkpoint it loads, at about the pace they were first evaluated, so this bounds
    /// the replay by what it costs rather than by bytes: a busy feed's batches cost far more to replay than their
    /// journal size says. The checkpoint that is being written when a crash comes adds its own span to the replay.
    /// Zero turns it off.
    /// </summary>
    public TimeSpan CheckpointReplayBudget { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Checkpoints kept; older ones are deleted, and the journal before the oldest kept one is dropped.</summary>
    public int CheckpointsToKeep { get; init; } = 3;

    /// <summary>
    /// Take a checkpoint as soon as a first start has opened the day: for a large book the opening is seconds of
    /// decisions, which a crash soon after would otherwise make recovery repeat.
    /// </summary>
    public bool CheckpointAfterOpening { get; init; } = true;

    /// <summary>Take a checkpoint when the engine stops cleanly (the next start then replays nothing).</summary>
    public bool CheckpointOnStop { get; init; } = true;

    /// <summary>Where recovery and checkpoints report what they did (one line each); nowhere when null.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>What a start found and did. <see cref="Damage"/> names what was damaged and where, when recovery stopped short of the end.</summary>
public sealed record RecoveryReport(
    bool Recovered,
    CheckpointInfo? Checkpoint,
    int CheckpointsSkipped,
    long BatchesReplayed,
    long TicksReplayed,
    long LastSequence,
    long FeedPosition,
    TimeSpan Elapsed,
    string? Damage)
{
    /// <summary>Of <see cref="Elapsed"/>, the time spent reading, checking and restoring the checkpoint (the rest is the replay).</summary>
    public TimeSpan Loading { get; init; }
}

/// <summary>The parts of a running engine that hold state, as durability sees them.</summary>
internal sealed record EngineParts(
    AccountBook Book,
    EvaluationStage Evaluation,
    OrderStage Orders,
    RiskGate Risk,
    RiskPlanGate PlanGate,
    KillSwitch KillSwitch,
    PriceVerifier Verifier,
    IngestLoop Ingest,
    ConcurrentQueue<AccountFill> Fills,
    Func<bool> OrdersIdle,
    Action AuditWritten,
    Audit.AuditChain? Audit);

/// <summary>
/// Makes the engine durable: every input goes to the <see cref="EngineJournal"/> before it is applied, checkpoints
/// of the whole state go to the <see cref="IStateStore{TImage}"/> on a schedule and on demand, and a start recovers the
/// newest good checkpoint and replays the journal after it, so the engine continues exactly where it stopped.
/// </summary>
/// <remarks>
/// A checkpoint is cut on the evaluation thread between batches, once the ingestion thread has journaled the
/// verifier's state and evaluation has taken every price published before it, with the order stage idle: the
/// state then matches one point of the journal exactly. Copying the state is the only pause; serializing and
/// writing it run on a task of their own.
/// </remarks>
public sealed class EngineDurability : IDisposable
{
    private readonly DurabilityOptions options;
    private readonly string truncatedMarker;
    private EngineParts? parts;

    /// <summary>Where in the journal the newest checkpoint resumes: the journal grows from here until the next.</summary>
    private long checkpointedAt;

    /// <summary>The evaluation stage's <see cref="EvaluationStage.WorkTicks"/> when the newest checkpoint was cut (evaluation thread only).</summary>
    private long workAtCut;
    private Timer? timer;
    private volatile TaskCompletionSource<CheckpointInfo>? requested;
    private int writing;

    /// <summary>The policy objects the store holds, per account: a policy chunk is rewritten only when one changed.</summary>
    private Model.InvestmentPolicy?[] savedPolicies = [];

    public EngineDurability(DurabilityOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CheckpointsToKeep, 1);
        this.options = options;
        EnsurePoolThreadsForStorage();
        bookFile = Path.Combine(options.Directory, "book");
        Journal = OpenJournal(Path.Combine(options.Directory, "journal"));
        Store = new FasterStateStore<EngineImage>(Path.Combine(options.Directory, "state"));
        truncatedMarker = Path.Combine(options.Directory, "journal", "truncated");
    }

    private readonly string bookFile;

    /// <summary>
    /// FASTER waits on the thread pool for its own writes' completions, which also run there. With a pool of one
    /// thread per core (two here) and the pipeline keeping the cores busy, those waits starved each other and a
    /// checkpoint's store took seconds, until the pool grew a thread at a time. The pool's floor is raised (never
    /// lowered) to a few threads, which costs nothing while they are idle.
    /// </summary>
    private static void EnsurePoolThreadsForStorage()
    {
        ThreadPool.GetMinThreads(out var workers, out var completions);
        if (workers < PoolThreadsForStorage)
        {
            ThreadPool.SetMinThreads(PoolThreadsForStorage, completions);
        }
    }

    private const int PoolThreadsForStorage = 4;

    /// <summary>What was wrong with the journal when it was opened (it was set aside and a new one begun), if anything.</summary>
    private string? openDamage;

    /// <summary>
    /// Opens the journal. One that does not open, or has lost its commit record though the folder has run before (the
    /// first start commits before it writes <c>book</c>), is moved aside whole under <c>damaged/</c> and a new one begun:
    /// FASTER would otherwise start over at its first address and write over what the damaged one still holds.
    /// </summary>
    private EngineJournal OpenJournal(string folder)
    {
        EngineJournal? journal = null;
        string problem;
        try
        {
            journal = new EngineJournal(folder);
            var marker = Path.Combine(folder, "truncated");
            var truncatedTo = File.Exists(marker) && long.TryParse(File.ReadAllText(marker), System.Globalization.CultureInfo.InvariantCulture, out var point) ? point : long.MaxValue;
            if (journal.HasCommit && (journal.BeginAddress > journal.CommittedUntil || journal.BeginAddress > truncatedTo))
            {
                // The journal begins only where a truncation put it (the marker is written first), and before its end.
                problem = $"has a commit record ({Path.Combine(folder, "log-commits")}) that does not add up: it begins at address {journal.BeginAddress}, past its end ({journal.CommittedUntil}) or the last truncation ({(truncatedTo == long.MaxValue ? "none" : truncatedTo)})";
            }
            else if (journal.HasCommit || !File.Exists(bookFile))
            {
                return journal;
            }
            else
            {
                problem = $"has no readable commit record ({Path.Combine(folder, "log-commits")} is missing or damaged), though this folder has run before";
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            problem = $"does not open ({e.GetType().Name}: {e.Message})";
        }
        journal?.Abandon();
        var aside = Path.Combine(options.Directory, "damaged", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"journal-{DateTime.UtcNow:yyyyMMdd'T'HHmmssfff}"));
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(aside)!);
        System.IO.Directory.Move(folder, aside);
        openDamage = $"the journal in {folder} {problem}; it was moved to {aside} as found, and a new journal begun";
        return new EngineJournal(folder);
    }

    public EngineJournal Journal { get; }

    public IStateStore<EngineImage> Store { get; }

    /// <summary>The newest checkpoint written by this engine.</summary>
    public CheckpointInfo? LastCheckpoint { get; private set; }

    /// <summary>How long the last checkpoint held the evaluation thread (the copy) and took in all (with the write).</summary>
    public (TimeSpan Pause, TimeSpan Total) LastCheckpointTime { get; private set; }

    public RecoveryReport? Recovery { get; private set; }

    internal void Attach(EngineParts engine)
    {
        parts = engine;
        engine.Evaluation.Journal = Journal;
        engine.Evaluation.AfterBatch = OnBatchEnd;
        engine.Ingest.Journal = Journal;
        engine.Ingest.FeedEnded = OnFeedEnded;
        engine.Orders.Journal = Journal;
    }

    /// <summary>Starts the checkpoint schedule (after recovery, when the stages run).</summary>
    internal void StartSchedule()
    {
        if (options.CheckpointInterval > TimeSpan.Zero && options.CheckpointInterval != Timeout.InfiniteTimeSpan)
        {
            timer = new Timer(_ => RequestCheckpoint(), null, options.CheckpointInterval, options.CheckpointInterval);
        }
    }

    /// <summary>Asks for a checkpoint at the next quiet point of the running engine; completes when it is durable.</summary>
    public Task<CheckpointInfo> RequestCheckpoint()
    {
        var engine = parts ?? throw new InvalidOperationException("the engine is not running");
        var current = requested;
        if (current is not null)
        {
            return current.Task;
        }
        var request = new TaskCompletionSource<CheckpointInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref requested, request, null) is { } other)
        {
            return other.Task;
        }
        engine.Ingest.RequestVerifierSnapshot();
        if (engine.Ingest.FeedCompleted)
        {
            // Asked for as the feed ended (or by the schedule after): ingestion journals no verifier state any more.
            Refuse(request, FeedEndedRefusal);
        }
        return request.Task;
    }

    /// <summary>Why a checkpoint asked of a running engine whose feed has ended is refused.</summary>
    internal const string FeedEndedRefusal =
        "the feed has ended, so no batch will come to cut a checkpoint at: stop the engine, which checkpoints on stopping when CheckpointOnStop is set";

    /// <summary>
    /// The ingestion thread, once the feed has ended: when the evaluation stage has ended every batch (each end could
    /// still cut the checkpoint), a request left is one no batch will ever cut, and it is refused rather than left
    /// waiting for ever. A stop (<paramref name="stopping"/>) ends the wait; the stop then settles the request.
    /// </summary>
    private void OnFeedEnded(Func<bool> stopping)
    {
        var engine = parts!;
        while (Volatile.Read(ref batchesEndedThrough) < engine.Ingest.PublishedSequence)
        {
            if (stopping())
            {
                return;
            }
            Thread.Sleep(1);
        }
        if (requested is { } request)
        {
            Refuse(request, FeedEndedRefusal);
        }
    }

    /// <summary>Refuses <paramref name="request"/> unless a checkpoint is already being cut for it.</summary>
    private void Refuse(TaskCompletionSource<CheckpointInfo> request, string reason)
    {
        if (Interlocked.CompareExchange(ref requested, null, request) == request)
        {
            request.TrySetException(new InvalidOperationException(reason));
        }
    }

    /// <summary>A stop that cuts no checkpoint (none asked on stopping, or a fault): a request still waiting is refused.</summary>
    internal void RefuseWaitingRequest()
    {
        timer?.Dispose();
        if (requested is { } request)
        {
            Refuse(request, "the engine stopped before the checkpoint was cut (it cuts one on stopping only when CheckpointOnStop is set and nothing failed)");
        }
    }

    /// <summary>The evaluation thread, after each batch: cuts the requested checkpoint once the state matches the journal.</summary>
    private void OnBatchEnd()
    {
        var through = parts!.Evaluation.LastRingSequence;
        try
        {
            CutIfAsked();
        }
        finally
        {
            Volatile.Write(ref batchesEndedThrough, through);
        }
    }

    /// <summary>The ring sequence of the last batch whose end has run <see cref="OnBatchEnd"/> (each end may cut a checkpoint).</summary>
    private long batchesEndedThrough = -1;

    private void CutIfAsked()
    {
        var engine = parts!;
        var request = requested;
        if (request is null && Volatile.Read(ref writing) == 0 && (
            (options.CheckpointJournalBytes > 0 && Journal.TailAddress - Volatile.Read(ref checkpointedAt) >= options.CheckpointJournalBytes)
            || (options.CheckpointReplayBudget > TimeSpan.Zero && engine.Evaluation.WorkSince(workAtCut) >= options.CheckpointReplayBudget)))
        {
            // The checkpoint is cut at a later batch end, once ingestion has journaled the verifier's state.
            _ = RequestCheckpoint();
            return;
        }
        if (request is null || Volatile.Read(ref writing) == 1
            || !engine.Ingest.TryGetVerifierSnapshot(out var address, out var cursor, out var verifier) || engine.Evaluation.LastRingSequence < cursor)
        {
            return;
        }
        WaitForOrders(engine);
        engine.AuditWritten();
        var started = Stopwatch.GetTimestamp();
        var (image, chunks, policies) = Capture(engine, address, verifier);
        var pause = Stopwatch.GetElapsedTime(started);
        workAtCut = engine.Evaluation.WorkTicks;
        Volatile.Write(ref writing, 1);
        if (Interlocked.CompareExchange(ref requested, null, request) != request)
        {
            // Refused meanwhile (the feed ended): nothing waits for this cut.
            Volatile.Write(ref writing, 0);
            return;
        }
        // A thread of its own: storing waits on FASTER's writes, whose completions run on the thread pool; held on a
        // pool thread, that wait starved them (a two-thread pool while the pipeline keeps both cores busy) and a
        // checkpoint took seconds instead of tenths, stretching what a crash has to replay.
        _ = Task.Factory.StartNew(() =>
        {
            try
            {
                var info = Write(image, chunks, policies, pause);
                LastCheckpointTime = (pause, Stopwatch.GetElapsedTime(started));
                request.TrySetResult(info);
            }
            catch (Exception e)
            {
                options.Log?.Invoke($"checkpoint failed: {e.Message}; the journal keeps every input, nothing is lost");
                request.TrySetException(e);
            }
            finally
            {
                Volatile.Write(ref writing, 0);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>A checkpoint of a stopped engine (every stage drained), taken on the caller's thread.</summary>
    internal CheckpointInfo CheckpointStopped()
    {
        var engine = parts ?? throw new InvalidOperationException("the engine was never attached");
        SpinWait.SpinUntil(() => Volatile.Read(ref writing) == 0);
        // A start that opened the day before its first checkpoint: the order stage forms the opening's blocks first.
        SpinWait.SpinUntil(engine.OrdersIdle);
        var verifier = engine.Ingest.CaptureVerifier();
        var address = Journal.Append(new JournalEntry { Kind = JournalEntryKind.VerifierState, Verifier = verifier });
        Journal.CommitInBackground();
        var started = Stopwatch.GetTimestamp();
        var (image, chunks, policies) = Capture(engine, address, verifier);
        var pause = Stopwatch.GetElapsedTime(started);
        var info = Write(image, chunks, policies, pause);
        LastCheckpointTime = (pause, Stopwatch.GetElapsedTime(started));
        requested?.TrySetResult(info);
        requested = null;
        return info;
    }

    /// <summary>
    /// The book's fingerprint, hashed once: the book's layout (accounts, slots, instruments) is fixed for the engine's
    /// life, and hashing it is tens of milliseconds a checkpoint would otherwise pause the evaluation thread for.
    /// </summary>
    private string Fingerprint(EngineParts engine) => bookFingerprint ??= BookState.Fingerprint(engine.Book);

    private string? bookFingerprint;

    private (EngineImage Image, AccountChunk[] Chunks, PolicyChunk?[] Policies) Capture(EngineParts engine, long replayFrom, VerifierImage verifier)
    {
        var image = new EngineImage
        {
            Verifier = verifier,
            BookFingerprint = Fingerprint(engine),
            Sequence = engine.Evaluation.Sequence,
            ReplayFrom = replayFrom,
            FeedPosition = engine.Evaluation.FeedPosition,
            TakenAt = DateTimeOffset.UtcNow,
        };
        var chunks = BookState.Capture(engine.Book, image);
        if (savedPolicies.Length != engine.Book.AccountCount)
        {
            savedPolicies = new Model.InvestmentPolicy?[engine.Book.AccountCount];
        }
        var policies = new PolicyChunk?[chunks.Length];
        for (var i = 0; i < policies.Length; i++)
        {
            policies[i] = BookState.CapturePolicies(engine.Book, i, savedPolicies);
        }
        image.ChunkCount = chunks.Length;
        image.PolicyChunkCount = policies.Length;
        image.Evaluation = engine.Evaluation.Capture(chunks);
        (image.Evaluation.LastIndexLevel, image.Evaluation.IndexDay) = engine.PlanGate.Capture();
        image.Risk = engine.Risk.Capture();
        image.Orders = engine.Orders.Capture();
        image.KillSwitch = KillSwitchRecord.From(engine.KillSwitch.State);
        // The trail is complete up to here (every checkpoint waits for it): a trail found shorter at recovery lost records.
        image.AuditRecords = engine.Audit?.LastSequence ?? 0;
        return (image, chunks, policies);
    }

    private CheckpointInfo Write(EngineImage image, AccountChunk[] chunks, PolicyChunk?[] policies, TimeSpan pause)
    {
        // The journal up to the checkpoint (its verifier state entry, the batches it includes) must be on disk before
        // the checkpoint is: with group commit it may not be yet, and a checkpoint must never point past the journal.
        Journal.CommitInBackground();
        var started = Stopwatch.GetTimestamp();
        image.Evaluation.EncodeHeldPlans();
        var bytes = new byte[]?[chunks.Length + policies.Length];
        for (var i = 0; i < chunks.Length; i++)
        {
            bytes[i] = MemoryPackSerializer.Serialize(chunks[i]);
        }
        for (var i = 0; i < policies.Length; i++)
        {
            bytes[chunks.Length + i] = policies[i] is { } changed ? MemoryPackSerializer.Serialize(changed) : null;
        }
        var serialized = Stopwatch.GetElapsedTime(started);
        var info = Store.Save(image, bytes);
        var saved = Stopwatch.GetElapsedTime(started);
        Store.Prune(options.CheckpointsToKeep);
        // The journal is needed back to the oldest checkpoint kept, so a damaged newer one can fall back to it.
        var oldest = Store.List().Where(c => c.Sequence != long.MinValue).MinBy(c => c.Sequence);
        if (oldest is not null && oldest.ReplayFrom > Journal.BeginAddress)
        {
            File.WriteAllText(truncatedMarker, oldest.ReplayFrom.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Journal.TruncateUntil(oldest.ReplayFrom);
        }
        LastCheckpoint = info;
        Volatile.Write(ref checkpointedAt, info.ReplayFrom);
        options.Log?.Invoke(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"checkpoint {info.Token}: batch {info.Sequence}, {image.AccountCount} accounts, {bytes.Sum(b => (long)(b?.Length ?? 0)) / 1e6:0.0} MB of accounts ({policies.Count(p => p is not null)} policy chunks rewritten), {image.Orders.Blocks.Length} blocks and {image.Orders.Children.Length} child orders open; the engine paused {pause.TotalMilliseconds:0.0} ms to copy them, serialized {serialized.TotalMilliseconds:0} ms, stored {(saved - serialized).TotalMilliseconds:0} ms, pruned {(Stopwatch.GetElapsedTime(started) - saved).TotalMilliseconds:0} ms; journal from {info.ReplayFrom}"));
        return info;
    }

    /// <summary>
    /// Loads the newest good checkpoint and replays the journal after it. A damaged checkpoint falls back to the one
    /// before it (and a longer replay); a damaged journal entry ends the replay there, and says so.
    /// </summary>
    internal RecoveryReport Recover()
    {
        var engine = parts ?? throw new InvalidOperationException("the engine was never attached");
        var started = Stopwatch.GetTimestamp();
        var fingerprint = Fingerprint(engine);
        // The folder names its book from the first start on, so even a journal with no checkpoint yet is never
        // replayed into another book.
        if (File.Exists(bookFile))
        {
            var named = ReadBookFile();
            if (named != fingerprint)
            {
                throw new StateMismatchException($"the state in {options.Directory} belongs to another book ({Scenarios.TextLimit.Clip(named, 200)}); this engine runs {fingerprint}. Use another --state folder, or the same firm with the same free rows (--open-capacity, Console:OpenCapacity).");
            }
        }
        else
        {
            // The journal is committed before the folder is named: from then on a journal without a commit record is
            // damage, never a first start.
            Journal.Append(new JournalEntry { Kind = JournalEntryKind.Opened });
            Journal.Commit();
            WriteDurably(bookFile, $"{fingerprint}\n{BookCheck(fingerprint)}");
        }
        EngineImage? image = null;
        AccountChunk[] chunks = [];
        PolicyChunk[] policyChunks = [];
        CheckpointInfo? used = null;
        var skipped = 0;
        var unusable = new List<CheckpointInfo>();
        var listed = Store.List();
        if (Store.CatalogProblem is { } catalogProblem)
        {
            options.Log?.Invoke($"recovery: {catalogProblem}");
        }
        foreach (var checkpoint in listed)
        {
            try
            {
                var loaded = Store.Load(checkpoint);
                if (checkpoint.Sequence != long.MinValue && (loaded.Image.Sequence != checkpoint.Sequence || loaded.Image.ReplayFrom != checkpoint.ReplayFrom))
                {
                    // The checkpoint's own record is checksummed; the catalog only orders the checkpoints. Trusting the
                    // record costs at most a longer replay from an older checkpoint than the catalog promised.
                    options.Log?.Invoke($"recovery: the checkpoint catalog lists checkpoint {checkpoint.Token} as batch {checkpoint.Sequence} from journal address {checkpoint.ReplayFrom}, but it holds batch {loaded.Image.Sequence} from {loaded.Image.ReplayFrom}; its own record is used");
                }
                if (loaded.Image.ReplayFrom < Journal.BeginAddress)
                {
                    // Normal for a checkpoint the next prune removes: the journal it needs is already dropped.
                    skipped++;
                    options.Log?.Invoke($"recovery: checkpoint {checkpoint.Token} (batch {loaded.Image.Sequence}) needs the journal from address {loaded.Image.ReplayFrom}, which starts at {Journal.BeginAddress} now; trying the one before it");
                    continue;
                }
                (image, chunks, policyChunks) = loaded;
                used = checkpoint;
                break;
            }
            catch (InvalidDataException e)
            {
                skipped++;
                unusable.Add(checkpoint);
                options.Log?.Invoke(checkpoint.Sequence == long.MinValue
                    ? $"recovery: checkpoint {checkpoint.Token}, not in the catalog, does not load: {e.Message}; a crash while it was written leaves one such"
                    : $"recovery: {checkpoint.Name} is damaged: {e.Message}; falling back to the one before it");
            }
        }
        if (image is not null && image.BookFingerprint != fingerprint)
        {
            throw new StateMismatchException($"the state in {options.Directory} belongs to another book ({image.BookFingerprint}); this engine runs {fingerprint}. Use another --state folder, or the same firm with the same free rows (--open-capacity, Console:OpenCapacity).");
        }
        if (image is null && (File.Exists(truncatedMarker) || openDamage is not null))
        {
            var why = openDamage ?? $"the journal no longer starts at the beginning (dropped up to {Scenarios.TextLimit.Clip(File.ReadAllText(truncatedMarker), 200)})";
            throw new StateDamageException($"no usable checkpoint in {options.Directory}, and {why}: the state cannot be rebuilt. Move the folder aside to start afresh, or restore it from a backup.");
        }
        string? damage = openDamage;
        if (image is not null && damage is null)
        {
            damage = CrossCheck(used!, image);
        }

        if (image is not null && engine.Audit is { } trail && trail.LastSequence < image.AuditRecords)
        {
            // The trail is the record of why the state is what it is: nothing is appended to one with a hole in it.
            var where = trail.Store is Audit.FileAuditStore file ? file.Path : "the audit trail";
            throw new StateDamageException($"{where}: the audit trail ends at record {trail.LastSequence}, but it held {image.AuditRecords} when checkpoint {used!.Token} (batch {image.Sequence}) was taken: records were lost, and with them the seal that would have shown it. Restore the trail from its backup or archive; nothing was changed.");
        }
        var unjournaled = new PendingFills();
        var skipThrough = 0L;
        var from = Journal.BeginAddress;
        checkpointedAt = image?.ReplayFrom ?? Journal.BeginAddress;
        if (image is not null)
        {
            BookState.Restore(engine.Book, image, chunks, policyChunks);
            // The store holds these policies now; the next checkpoint rewrites only the chunks whose policies change.
            savedPolicies = [.. engine.Book.Columns.Policies];
            engine.Evaluation.Restore(image.Evaluation, chunks);
            engine.PlanGate.Restore(image.Evaluation.LastIndexLevel, image.Evaluation.IndexDay);
            engine.Risk.Restore(image.Risk);
            engine.Orders.Restore(image.Orders);
            engine.KillSwitch.Restore(image.KillSwitch.ToState());
            foreach (var fill in image.Evaluation.PendingFills)
            {
                unjournaled.Add(fill);
            }
            skipThrough = image.Sequence;
            from = image.ReplayFrom;
        }

        var loading = Stopwatch.GetElapsedTime(started);
        var pending = new List<PriceEvent>();
        long lastTick = 0, lastDay = -1, batches = 0, ticks = 0;
        var expectVerifier = image is not null;
        if (image?.Verifier is { } saved)
        {
            RestoreVerifier(engine, saved, pending, out lastTick, out lastDay);
        }
        engine.Evaluation.BeginReplay();
        try
        {
            foreach (var (entry, address) in ReadAhead(Journal.Read(damage is null ? from : long.MaxValue)))
            {
                if (expectVerifier)
                {
                    if (entry.Kind != JournalEntryKind.VerifierState || entry.Verifier is null)
                    {
                        throw new InvalidDataException($"journal entry in {Journal.Locate(address)} should hold the verifier state checkpoint {used!.Token} starts from, but holds {entry.Kind}");
                    }
                    if (image!.Verifier is null)
                    {
                        RestoreVerifier(engine, entry.Verifier, pending, out lastTick, out lastDay);
                    }
                    expectVerifier = false;
                    continue;
                }
                switch (entry.Kind)
                {
                    case JournalEntryKind.Verified:
                        engine.Verifier.Apply(entry.Delta ?? throw new InvalidDataException($"journal entry in {Journal.Locate(address)} holds a verified read without the verifier's changes"));
                        var stamp = Stopwatch.GetTimestamp();
                        foreach (var price in entry.Prices ?? [])
                        {
                            pending.Add(price with { ReceivedAt = stamp });
                        }
                        lastTick = entry.FirstPosition + entry.TickCount - 1;
                        lastDay = entry.LastDay;
                        ticks += entry.TickCount;
                        break;
                    case JournalEntryKind.StalenessCheck:
                        engine.Verifier.CheckStaleness(entry.Now);
                        break;
                    case JournalEntryKind.KillSwitch when entry.KillSwitch is not null:
                        engine.KillSwitch.Restore(entry.KillSwitch.ToState());
                        break;
                    case JournalEntryKind.Batch:
                        var taken = 0;
                        while (taken < pending.Count && pending[taken].FeedPosition <= entry.FeedPosition)
                        {
                            taken++;
                        }
                        if (entry.Sequence > skipThrough)
                        {
                            // Fills the order stage made again while replaying are the ones this batch applied (or a
                            // later one will): count them, and keep only those no journaled batch took.
                            unjournaled.Drain(engine.Fills);
                            foreach (var fill in entry.Fills ?? [])
                            {
                                unjournaled.Remove(fill);
                            }
                            engine.Evaluation.Replay(entry, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending)[..taken]);
                            WaitForOrders(engine);
                            batches++;
                        }
                        pending.RemoveRange(0, taken);
                        break;
                    default:
                        break;
                }
            }
        }
        catch (InvalidDataException e)
        {
            damage = e.Message;
        }
        finally
        {
            engine.Evaluation.EndReplay();
        }
        if (image is { Verifier: null } && expectVerifier)
        {
            // A checkpoint from before it kept the verifier's state, whose journal entry of it is unreadable: where the
            // feed resumes is unknown, so nothing can continue from here.
            throw new StateDamageException($"{used!.Name} keeps the price verifier's state only in the journal, at {Journal.Locate(image.ReplayFrom)}, and that entry could not be read ({damage ?? "it is missing"}): the state cannot be continued. Move the folder aside to start afresh, or restore it from a backup.");
        }
        if (damage is null && Journal.CommittedBatch > engine.Evaluation.Sequence)
        {
            damage = $"the journal's commit record ({Path.Combine(Journal.Folder, "log-commits")}) names batch {Journal.CommittedBatch}, but its entries end at batch {engine.Evaluation.Sequence}, at {Journal.Locate(Journal.CommittedUntil)}: entries are missing from its tail";
        }
        if (damage is not null)
        {
            damage = $"{damage}. The state is the last good one: batch {engine.Evaluation.Sequence}{(used is null ? "" : $", from checkpoint {used.Token}")}";
            engine.Evaluation.NumberAfter(Journal.CommittedBatch);
            options.Log?.Invoke($"recovery: damage: {damage}");
        }
        // Offered once: a checkpoint that does not load is removed, so no later start trips over it again.
        foreach (var bad in unusable)
        {
            Store.Remove(bad);
            options.Log?.Invoke($"recovery: removed checkpoint {bad.Token}, which does not load");
        }
        unjournaled.Drain(engine.Fills);
        foreach (var fill in unjournaled.InOrder())
        {
            engine.Fills.Enqueue(fill);
        }
        engine.Ingest.Resume(lastTick, lastDay, pending);
        var recovered = image is not null || batches > 0;
        Recovery = new RecoveryReport(recovered, used, skipped, batches, ticks, engine.Evaluation.Sequence, lastTick, Stopwatch.GetElapsedTime(started), damage) { Loading = loading };
        if (recovered)
        {
            options.Log?.Invoke($"recovery: {(used is null ? "no checkpoint" : $"checkpoint {used.Token} (batch {image!.Sequence})")}, {batches} batch(es) and {ticks} tick(s) replayed from the journal in {Recovery.Elapsed.TotalMilliseconds:0} ms (checkpoint {loading.TotalMilliseconds:0} ms, replay {(Recovery.Elapsed - loading).TotalMilliseconds:0} ms); continuing after feed position {lastTick}");
        }
        return Recovery;
    }

    /// <summary>
    /// Waits for the order stage to take the trades published so far (a replayed batch's, or those before a
    /// checkpoint is cut). It spins and yields but never sleeps: a sleep costs a millisecond, longer than most
    /// batches take to replay and than a checkpoint's whole pause should be.
    /// </summary>
    private static void WaitForOrders(EngineParts engine)
    {
        var spin = new SpinWait();
        while (!engine.OrdersIdle())
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private static void RestoreVerifier(EngineParts engine, VerifierImage saved, List<PriceEvent> pending, out long lastTick, out long lastDay)
    {
        engine.Verifier.Restore(saved);
        lastTick = saved.FeedPosition;
        lastDay = saved.LastDay;
        pending.AddRange(saved.Unpublished);
    }

    /// <summary>
    /// The journal must hold what the checkpoint resumes from: its commit record is written before every checkpoint,
    /// so a commit record that ends before the checkpoint's resume point, or names an older batch, has been lost or
    /// damaged, and the inputs after the checkpoint with it.
    /// </summary>
    private string? CrossCheck(CheckpointInfo checkpoint, EngineImage image)
    {
        var commits = Path.Combine(Journal.Folder, "log-commits");
        if (Journal.CommittedUntil <= image.ReplayFrom)
        {
            return $"the journal's commit record ({commits}) ends at address {Journal.CommittedUntil}, but checkpoint {checkpoint.Token} (batch {image.Sequence}) resumes from {Journal.Locate(image.ReplayFrom)}: the commit record is stale or damaged";
        }
        if (Journal.CommittedBatch < image.Sequence)
        {
            return $"the journal's commit record ({commits}) names batch {Journal.CommittedBatch}, older than checkpoint {checkpoint.Token}'s batch {image.Sequence}: the commit record is stale or damaged";
        }
        return null;
    }

    /// <summary>The checksum kept under the fingerprint in <c>book</c>: an edited or damaged file is told from another book's.</summary>
    private static string BookCheck(string fingerprint) => Convert.ToHexString(System.IO.Hashing.XxHash64.Hash(System.Text.Encoding.UTF8.GetBytes(fingerprint)));

    /// <summary>The fingerprint <c>book</c> names; a file whose checksum does not match is damage, not another book.</summary>
    private string ReadBookFile()
    {
        var lines = File.ReadAllText(bookFile).Split('\n');
        if (lines.Length == 1)
        {
            // Written before the checksum was added.
            return lines[0];
        }
        if (lines.Length != 2 || BookCheck(lines[0]) != lines[1])
        {
            throw new StateDamageException($"{bookFile} is damaged: it does not match its own checksum, so which book this state belongs to is unknown. Restore the file or move the folder aside.");
        }
        return lines[0];
    }

    /// <summary>Writes a small file and makes it durable before returning (it must never be seen before what it vouches for).</summary>
    private static void WriteDurably(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Reads and decodes the journal on a second thread while the caller applies what was read: recovery then costs
    /// about the larger of the two, not their sum. An error while reading surfaces where the caller reaches it.
    /// </summary>
    private static IEnumerable<(JournalEntry Entry, long Address)> ReadAhead(IEnumerable<(JournalEntry Entry, long Address)> entries)
    {
        // Entries travel in blocks: a hand-off per entry would cost more than applying a one-quote entry.
        const int Block = 512;
        using var queue = new System.Collections.Concurrent.BlockingCollection<List<(JournalEntry Entry, long Address)>>(boundedCapacity: 64);
        Exception? failure = null;
        var reader = Task.Run(() =>
        {
            var block = new List<(JournalEntry Entry, long Address)>(Block);
            try
            {
                foreach (var entry in entries)
                {
                    block.Add(entry);
                    if (block.Count == Block)
                    {
                        queue.Add(block);
                        block = new List<(JournalEntry Entry, long Address)>(Block);
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                // What was read whole before a damaged entry is applied too: recovery stops at the last good entry.
                queue.Add(block);
                queue.CompleteAdding();
            }
        });
        try
        {
            foreach (var block in queue.GetConsumingEnumerable())
            {
                foreach (var entry in block)
                {
                    yield return entry;
                }
            }
        }
        finally
        {
            // A consumer that stops early (an error while applying) must not leave the reader blocked on a full queue.
            while (!reader.IsCompleted)
            {
                queue.TryTake(out _, 10);
            }
        }
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    public void Dispose()
    {
        timer?.Dispose();
        SpinWait.SpinUntil(() => Volatile.Read(ref writing) == 0, TimeSpan.FromSeconds(30));
        Store.Dispose();
        Journal.Dispose();
    }
}

/// <summary>Keeps the kill switch in the journal: every engage and release is on disk before the call returns.</summary>
/// <remarks>
/// <paramref name="copy"/>, when given, gets every state saved and the recovered one: the journal is the record, the
/// copy is what a host shows before its engine is up (the console's first page after a restart).
/// </remarks>
internal sealed class JournalKillSwitchStore(EngineJournal journal, IKillSwitchStore? copy = null) : IKillSwitchStore
{
    public IKillSwitchStore? Copy => copy;

    /// <summary>Released until recovery puts back what the checkpoint and the journal say.</summary>
    public KillSwitchState Load() => KillSwitchState.Released;

    public void Save(KillSwitchState state)
    {
        journal.Append(new JournalEntry { Kind = JournalEntryKind.KillSwitch, KillSwitch = KillSwitchRecord.From(state) });
        journal.Commit();
        copy?.Save(state);
    }
}

/// <summary>
/// Fills the order stage produced that no journaled batch has applied yet, in the order they were produced: the
/// order matters (a fill may be refused for want of cash, and the last fill of a trade dates the rebalance).
/// </summary>
internal sealed class PendingFills
{
    private readonly LinkedList<AccountFill> order = new();
    private readonly Dictionary<AccountFill, Queue<LinkedListNode<AccountFill>>> nodes = [];

    public void Add(AccountFill fill)
    {
        var node = order.AddLast(fill);
        if (!nodes.TryGetValue(fill, out var same))
        {
            nodes[fill] = same = new Queue<LinkedListNode<AccountFill>>();
        }
        same.Enqueue(node);
    }

    /// <summary>Moves what the order stage produced since the last call in behind the fills already held.</summary>
    public void Drain(ConcurrentQueue<AccountFill> fills)
    {
        while (fills.TryDequeue(out var fill))
        {
            Add(fill);
        }
    }

    /// <summary>A journaled batch applied this fill: forget its oldest copy (none held when it came before the checkpoint).</summary>
    public void Remove(AccountFill fill)
    {
        if (nodes.TryGetValue(fill, out var same) && same.TryDequeue(out var node))
        {
            order.Remove(node);
        }
    }

    public IEnumerable<AccountFill> InOrder() => order;
}
