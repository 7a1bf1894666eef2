using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Runs;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Pipeline;

/// <summary>Where the evaluation stage sends released trades (the ring to the order stage, or a test's list).</summary>
public interface IOrderPublisher
{
    void Publish(in OrderEvent order);

    /// <summary>
    /// Publishes events in order as one hand-off: an account's trades and the flush after them wake the order stage
    /// once, not once per trade (each wake-up of a sleeping stage costs the publisher a system call).
    /// </summary>
    void PublishAll(ReadOnlySpan<OrderEvent> orders)
    {
        foreach (ref readonly var order in orders)
        {
            Publish(order);
        }
    }
}

/// <summary>What the evaluation stage asks of the risk layer: breakers watch drift, and a plan is released whole or not at all.</summary>
public interface IPlanGate
{
    /// <summary>Sees every evaluated account's total drift, so a breaker can trip on a sudden move.</summary>
    void ObserveDrift(int account, int model, double totalDrift, DateOnly day);

    /// <summary>Sees the total drift of accounts <paramref name="firstAccount"/> onwards, after a slice of a full sweep.</summary>
    void ObserveDrifts(int firstAccount, ReadOnlySpan<double> totalDrift, DateOnly day);

    /// <summary>
    /// Sees a model's mean total drift after each full sweep (the model-level breaker). It trips for the next batch:
    /// a model whose drift jumps ten points in a day has its accounts' own breakers tripping in the same slice.
    /// </summary>
    void ObserveModelDrift(int model, double meanTotalDrift, DateOnly day);

    /// <summary>
    /// An account's fills were applied: its drift, and its model's mean drift, moved by trading, not by the market, so
    /// their breakers measure the day's move from the next figure each sees.
    /// </summary>
    void FillsApplied(int account, int model)
    {
    }

    /// <summary>Sees every verified price applied to the book (the market-wide breaker watches its reference index).</summary>
    void ObservePrice(int instrument, double price, DateOnly day);

    /// <summary>Whether the account (or its model) is halted for review.</summary>
    bool IsHalted(int account, int model);

    /// <summary>
    /// Checks every trade of an account's plan; null when all pass (and are counted against the limits), otherwise
    /// the reason, with nothing counted: a plan whose sells fund its buys must never be released in part.
    /// </summary>
    string? Check(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime);

    /// <summary>Releases a tripped breaker (index = account or model; ignored for the market-wide one); false when it was not tripped.</summary>
    bool Release(BreakerKind kind, int index, string who, string why);
}

/// <summary>Figures of the evaluation stage, read by the host's status snapshot and metrics.</summary>
public sealed class EvaluationCounters
{
    public long PriceChanges;
    public long Batches;
    public long FullSweeps;
    public long AccountsEvaluated;
    public long Decisions;
    public long Rebalances;
    public long CashFlowsInvested;
    public long Blocked;
    public long NeedsApproval;
    public long HeldByRisk;
    public long TradesReleased;
    public long FillsApplied;
    public long FillErrors;
    public long CommandsApplied;
    public long CommandsRefused;

    internal long[] ToArray() =>
        [PriceChanges, Batches, FullSweeps, AccountsEvaluated, Decisions, Rebalances, CashFlowsInvested, Blocked, NeedsApproval, HeldByRisk, TradesReleased, FillsApplied, FillErrors, CommandsApplied, CommandsRefused];

    internal void Restore(long[] saved)
    {
        var all = new long[15];
        saved.AsSpan(0, Math.Min(saved.Length, all.Length)).CopyTo(all);
        (PriceChanges, Batches, FullSweeps, AccountsEvaluated, Decisions, Rebalances, CashFlowsInvested, Blocked) = (all[0], all[1], all[2], all[3], all[4], all[5], all[6], all[7]);
        (NeedsApproval, HeldByRisk, TradesReleased, FillsApplied, FillErrors, CommandsApplied, CommandsRefused) = (all[8], all[9], all[10], all[11], all[12], all[13], all[14]);
    }
}

/// <summary>
/// The engine's decision loop, one batch at a time, on one thread: apply queued commands and fills, apply the batch's
/// verified prices (conflated: the last price of an instrument in a batch wins), sweep the accounts those prices
/// touch, and for each account that must act decide by its IPS, size its trades and offer them to the risk gate.
/// </summary>
/// <remarks>
/// An account with trades in flight is not decided again until they complete or are cancelled, and an account that
/// was decided without trading (min-days, lot rounding, approval) is not decided again until its drift moves by
/// <see cref="RedecideDriftStep"/> or the day changes: a breach that cannot be traded must not cost a decision per tick.
/// Calendar rebalances are checked once a day, in the full sweep that opens it; an account busy then (trades in
/// flight, halted, awaiting approval) is looked at again at the next day's open.
/// <para>
/// A price move most accounts feel starts a rolling pass over the book. While the feed is busy (see
/// <see cref="BusyFeedPrices"/>), a batch sweeps only <see cref="RollingSlice"/> accounts of the pass and ends, so
/// the next prices are applied within about a millisecond instead of after a whole pass; the pass goes on from where
/// it stopped, with the newest prices, until every account has been swept once since the last move. A price
/// therefore reaches every account within one pass of arriving, not the rest of the current pass plus a whole next
/// one. On a quiet book the whole pass runs in one batch, and the accounts that ended the last one nearest their
/// bands go first. How far each batch swept is journaled with it, so a replay rolls the same way.
/// </para>
/// </remarks>
public sealed class EvaluationStage
{
    /// <summary>How much more an untradeable breach must grow (in weight) before the account is decided again the same day.</summary>
    public const double RedecideDriftStep = 0.0025;

    /// <summary>How many accounts' released trades the order stage gathers into one set of blocks, at most.</summary>
    public const int DefaultAccountsPerBlock = 256;

    /// <summary>
    /// Market time between scheduled full sweeps. Ticks re-evaluate only the accounts they touch; the schedule
    /// re-evaluates everyone anyway, so nothing an incremental pass missed (a fill, a command) waits for a price.
    /// </summary>
    public static readonly TimeSpan DefaultFullSweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>Accounts in the first slice of a full pass; each next slice is four times larger, up to <see cref="LargestSlice"/>.</summary>
    private const int FirstSlice = 1024;

    /// <summary>Large enough for the sweep to split across both cores (see <see cref="DriftSweep.ParallelThreshold"/>).</summary>
    private const int LargestSlice = 4 * DriftSweep.ParallelThreshold;

    /// <summary>
    /// Accounts of a rolling pass a batch sweeps while the feed is busy: about a millisecond's work on one core, and
    /// enough for the sweep to use both when asked.
    /// </summary>
    public const int RollingSlice = DriftSweep.ParallelThreshold;

    /// <summary>Listed accounts swept between decisions (see <see cref="SweepListed"/>).</summary>
    private const int ListedGroup = 64;

    /// <summary>Listed accounts swept before the first decision: sweeping 64 cold accounts cost 30 to 50 µs before the first one could act.</summary>
    private const int FirstListedGroup = 8;

    /// <summary>Price changes in one batch from which the feed counts as busy: more will arrive while a whole pass runs.</summary>
    public const int BusyFeedPrices = 64;

    /// <summary>Batches after a busy one that still count as busy.</summary>
    private const int BusyGraceBatches = 8;

    /// <summary>How close to a band (in weight) an account must be for a pass that starts on a quiet book to sweep and decide it first.</summary>
    public const double NearBandMargin = RedecideDriftStep;

    private readonly AccountBook book;
    private readonly HoldingsIndex holdings;
    private readonly DriftReport report;
    private readonly ControlPlane control;
    private readonly ConcurrentQueue<AccountFill> fills;
    private readonly IPlanGate gate;
    private readonly IOrderPublisher publisher;
    private readonly LatencyRecorder priceToDecision;
    private readonly bool parallelSweepOption;

    /// <summary>Full sweeps use both cores: when the host asked for it, and always while recovering (nothing else runs then).</summary>
    private bool parallelSweep => parallelSweepOption || replaying;

    /// <summary>
    /// The second core's sweeper, when the host asked for parallel sweeps (every slice then uses both cores, a busy
    /// feed's rolling slices too); released when the engine stops.
    /// </summary>
    private SweepPartner? partner;

    /// <summary>Whether <see cref="partner"/> was taken for a replay only (see <see cref="BeginReplay"/>).</summary>
    private bool partnerForReplay;

    private readonly double[] batchPrice;
    private readonly int[] changedInstruments;
    private readonly (int Instrument, double Price)[] priceUpdates;
    private int changedCount;
    private readonly long[] receivedAt;
    private int receivedCount;

    /// <summary>The feed's verified changes the batch's prices stand for: what tells a busy feed from a quiet one.</summary>
    private int batchChanges;
    private long batchMarketTime;

    private readonly int[] dirty;
    private readonly int[] dirtyStamp;
    private int dirtyCount;
    private int stamp = 1;
    private bool sweepAllRequested = true;

    // The rolling pass: the next account it sweeps and how many it has left (state, checkpointed); the accounts
    // swept by passes so far (only for latency); and this batch's limit (0 = none), journaled with the batch.
    private int passCursor;
    private int passRemaining;
    private long passSwept;
    private int sweepLimit;
    private readonly int rollingSlice;
    private long busyThrough = -1;
    private bool finishingPass;
    private long batchOrigin;
    private readonly int[] decidedStamp;
    // The near-band tiers as CollectNearBand fills them: room for every account, plus one for the slot each tier
    // writes past its end.
    private readonly int[] nearBand;
    private readonly int[] nearBandOuter;
    private readonly int[] nearBandOutside;

    // The near-band list a quiet pass prepared for the next move (PrepareNearBand): its length, each one's worst
    // position (instrument, and +1 over or -1 under target), the prices it was figured at, and whether it is there;
    // nearBandGroup holds the group of them a move decides next.
    private int nearBandCount;
    private readonly int[] nearBandInstrument;
    private readonly sbyte[] nearBandSide;
    private readonly double[] nearBandPrices;
    private bool nearBandReady;
    private readonly int[] nearBandGroup = new int[ListedGroup];

    /// <summary>Accounts a quiet pass decides ahead of the rest at most: an eighth of the book.</summary>
    private int NearBandCapacity => Math.Max(FirstSlice, book.AccountCount / 8);
    private readonly PassLatency waitingForPass = new();

    private readonly int[] openTrades;
    private readonly AssetClassBandIndex classBands;
    private readonly bool[] rebalancing;
    private readonly decimal[] pendingFlow;
    private int accountsWithPendingFlow;
    private readonly double[] parkedExcess;
    private readonly double[] modelDrift;
    private readonly double[] modelDriftOdd;
    private readonly int[] modelAccounts;
    private readonly DateOnly[] parkedOn;
    private readonly Dictionary<int, (TradePlan Plan, Decision Decision)> awaitingApproval = [];
    private readonly ConcurrentDictionary<int, PendingApproval> awaitingApprovalView = new();
    private readonly Decision?[] recent = new Decision?[256];
    private long recentCount;
    private DateOnly day;
    private long sequence;
    private long blockSequence;
    private int releasedSinceFlush;
    private bool flushedThisBatch;
    private readonly int accountsPerBlock;
    private readonly long fullSweepEvery;
    private readonly AuditWriter? audit;
    private long lastFullSweepAt;
    private long lastFeedPosition;
    private bool replaying;
    private readonly List<AccountFill> batchFills = [];
    private readonly List<(ControlCommand? Original, JournaledCommand Resolved)> batchCommands = [];
    private readonly Dictionary<int, InvestmentPolicy> policyOverlay = [];
    private readonly List<OrderEvent> outgoing = [];

    public EvaluationStage(
        AccountBook book,
        ControlPlane control,
        ConcurrentQueue<AccountFill> fills,
        IPlanGate gate,
        IOrderPublisher publisher,
        LatencyRecorder priceToDecision,
        bool parallelSweep = false,
        int maxBatch = 65_536,
        int accountsPerBlock = DefaultAccountsPerBlock,
        TimeSpan? fullSweepInterval = null,
        AuditWriter? audit = null,
        int rollingSlice = RollingSlice)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rollingSlice, 1);
        this.rollingSlice = rollingSlice;
        this.audit = audit;
        ArgumentOutOfRangeException.ThrowIfLessThan(accountsPerBlock, 1);
        var every = fullSweepInterval ?? DefaultFullSweepInterval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(every, TimeSpan.Zero);
        fullSweepEvery = every.Ticks;
        this.accountsPerBlock = accountsPerBlock;
        this.book = book;
        this.control = control;
        this.fills = fills;
        this.gate = gate;
        this.publisher = publisher;
        this.priceToDecision = priceToDecision;
        parallelSweepOption = parallelSweep;
        partner = parallelSweep && Environment.ProcessorCount > 1 ? new SweepPartner() : null;
        holdings = new HoldingsIndex(book);
        report = new DriftReport(book);
        batchPrice = new double[book.Instruments.Count];
        changedInstruments = new int[book.Instruments.Count];
        priceUpdates = new (int, double)[book.Instruments.Count];
        receivedAt = new long[maxBatch];
        dirty = new int[book.AccountCount];
        dirtyStamp = new int[book.AccountCount];
        decidedStamp = new int[book.AccountCount];
        nearBand = new int[book.AccountCount + 1];
        nearBandOuter = new int[book.AccountCount + 1];
        nearBandOutside = new int[book.AccountCount + 1];
        nearBandInstrument = new int[NearBandCapacity];
        nearBandSide = new sbyte[NearBandCapacity];
        nearBandPrices = new double[book.Instruments.Count];
        openTrades = new int[book.AccountCount];
        classBands = new AssetClassBandIndex(book);
        rebalancing = new bool[book.AccountCount];
        pendingFlow = new decimal[book.AccountCount];
        parkedExcess = new double[book.AccountCount];
        parkedOn = new DateOnly[book.AccountCount];
        Array.Fill(parkedExcess, double.NaN);
        modelDrift = new double[book.Models.Count];
        modelDriftOdd = new double[book.Models.Count];
        modelAccounts = new int[book.Models.Count];
    }

    public EvaluationCounters Counters { get; } = new();

    /// <summary>The drift figures of the last evaluation of each account (read by the console; a torn read shows a figure one batch old).</summary>
    public DriftReport Drift => report;

    public HoldingsIndex Holdings => holdings;

    /// <summary>The trading day of the newest tick.</summary>
    public DateOnly Day => day;

    /// <summary>Accounts whose trades wait for an operator.</summary>
    public int AwaitingApproval => Volatile.Read(ref awaitingApprovalCount);

    private int awaitingApprovalCount;

    /// <summary>The accounts whose trades wait for an operator, oldest account first. Safe from any thread.</summary>
    public IReadOnlyList<PendingApproval> PendingApprovals() => [.. awaitingApprovalView.OrderBy(p => p.Key).Select(p => p.Value)];

    /// <summary>The most recent decisions that did something (newest first), for the console and the run summary.</summary>
    public IReadOnlyList<Decision> RecentDecisions()
    {
        var list = new List<Decision>();
        var count = Interlocked.Read(ref recentCount);
        for (var i = count - 1; i >= 0 && i >= count - recent.Length; i--)
        {
            if (Volatile.Read(ref recent[i % recent.Length]) is { } decision)
            {
                list.Add(decision);
            }
        }
        return list;
    }

    /// <summary>
    /// Where each batch's inputs are written before they are applied (the durable engine's input journal); none when null.
    /// Set before the stage's thread starts.
    /// </summary>
    internal IBatchJournal? Journal { get; set; }

    /// <summary>The price ring's sequence of the last event taken (a checkpoint waits until it covers the verifier's snapshot).</summary>
    internal long LastRingSequence { get; set; } = -1;

    /// <summary>
    /// True when more input waits behind the batch being ended. Set, batches of a busy feed sweep one slice of a
    /// rolling pass and let the next prices in; none (a lockstep replay, a test) means every batch finishes its pass.
    /// </summary>
    internal Func<bool>? MoreInputWaiting { get; set; }

    /// <summary>Whether a rolling pass is under way (some accounts have not been swept since the last broad price move).</summary>
    internal bool PassUnderWay => passRemaining > 0;

    /// <summary>Called on the evaluation thread after every batch (the durable engine takes its checkpoints there).</summary>
    internal Action? AfterBatch { get; set; }

    /// <summary>The input sequence of the last batch evaluated.</summary>
    public long Sequence => Volatile.Read(ref sequence);

    /// <summary>The last feed position whose verified price a batch applied.</summary>
    internal long FeedPosition => lastFeedPosition;

    /// <summary>Takes one event of the current batch. Nothing is evaluated until <see cref="EndBatch"/>.</summary>
    public void Add(in PriceEvent price)
    {
        // A batch never spans two trading days: the day's calendar checks and breakers must see each day's close.
        if (changedCount > 0 && price.MarketTime / TimeSpan.TicksPerDay != batchMarketTime / TimeSpan.TicksPerDay)
        {
            if (replaying)
            {
                throw new InvalidDataException($"journaled batch {sequence + 1} holds prices of two trading days; the journal was not written by this engine");
            }
            EndBatch();
        }
        batchMarketTime = Math.Max(batchMarketTime, price.MarketTime);
        lastFeedPosition = Math.Max(lastFeedPosition, price.FeedPosition);
        if (price.IsHeartbeat)
        {
            return;
        }
        // 0 marks "not moved in this batch": a verified price is never 0.
        if (batchPrice[price.Instrument] == 0)
        {
            changedInstruments[changedCount++] = price.Instrument;
        }
        batchPrice[price.Instrument] = price.Price;
        if (receivedCount < receivedAt.Length)
        {
            receivedAt[receivedCount++] = price.ReceivedAt;
        }
        batchChanges += Math.Max(1, price.Changes);
        Counters.PriceChanges++;
    }

    /// <summary>
    /// Opens the trading day of <paramref name="marketTime"/> before the first tick: a full sweep with the day's
    /// calendar checks. Call it on the host's thread before the stage's own thread starts, so the opening work (a
    /// quarter's calendar rebalances can mean a decision for every account) is done before prices start to flow.
    /// </summary>
    public void Open(long marketTime)
    {
        batchMarketTime = marketTime;
        EndBatch();
    }

    /// <summary>
    /// Evaluates everything the batch touched. Runs on the evaluation thread only. The batch's inputs (its clock,
    /// the fills and commands waiting) are gathered first and journaled before any is applied.
    /// </summary>
    public void EndBatch()
    {
        batchFills.Clear();
        while (fills.TryDequeue(out var fill))
        {
            batchFills.Add(fill);
        }
        batchCommands.Clear();
        policyOverlay.Clear();
        while (control.TryTake(out var command))
        {
            batchCommands.Add((command, Resolve(command)));
        }
        // A busy feed (a batch that brought many prices, or input already waiting, within the last few batches) gets a
        // rolling pass; a quiet one gets the whole pass at once, since nothing is waiting for it to finish. The few
        // batches' grace keeps one small batch between two large ones from sweeping the whole book by itself.
        if (MoreInputWaiting is { } waiting && (batchChanges >= BusyFeedPrices || waiting()))
        {
            busyThrough = sequence + 1 + BusyGraceBatches;
        }
        sweepLimit = sequence + 1 <= busyThrough && !finishingPass ? rollingSlice : 0;
        try
        {
            Journal?.AppendBatch(sequence + 1, batchMarketTime, lastFeedPosition, batchFills, batchCommands, sweepLimit);
        }
        catch (Exception e)
        {
            // An input that cannot be journaled is not applied (the engine faults and stops trading): the state stays
            // the last one on disk, and whoever sent a command hears why it was not applied.
            foreach (var (original, _) in batchCommands)
            {
                original?.Complete(CommandResult.Refused($"not applied: the journal could not be written ({e.Message})"));
            }
            throw;
        }
        CrashPoints.Reach(CrashPoints.JournalAppended);
        var started = Stopwatch.GetTimestamp();
        Evaluate();
        WorkTicks += Stopwatch.GetTimestamp() - started;
        AfterBatch?.Invoke();
    }

    /// <summary>
    /// Stopwatch ticks spent evaluating live batches since the stage was made (evaluation thread only): what a
    /// recovery would spend replaying them, about, which is what the durable engine's checkpoints are paced by.
    /// </summary>
    internal long WorkTicks { get; private set; }

    /// <summary>The evaluation time spent since <see cref="WorkTicks"/> was <paramref name="ticks"/>.</summary>
    internal TimeSpan WorkSince(long ticks) => Stopwatch.GetElapsedTime(ticks, WorkTicks);

    /// <summary>
    /// Recovery replays batches with nothing else running, so every slice is swept on both cores, by a partner of its
    /// own when the host asked for none (<see cref="System.Threading.Tasks.Parallel"/> wakes too slowly for a busy
    /// feed's slices). <see cref="EndReplay"/> releases it.
    /// </summary>
    internal void BeginReplay()
    {
        if (partner is null && Environment.ProcessorCount > 1)
        {
            partner = new SweepPartner();
            partnerForReplay = true;
        }
    }

    /// <summary>The replay is over: a partner taken for it is released, and live slices sweep as the host asked.</summary>
    internal void EndReplay()
    {
        if (partnerForReplay)
        {
            ReleaseSweepPartner();
            partnerForReplay = false;
        }
    }

    /// <summary>Stops the second core's sweeper, if any; later sweeps run on the calling thread. Call once the stage's thread has stopped.</summary>
    public void ReleaseSweepPartner()
    {
        partner?.Dispose();
        partner = null;
    }

    /// <summary>
    /// Sweeps the next slice of a rolling pass in a batch of its own, with no prices (journaled like any batch), when a
    /// pass is under way and no input waits: a feed that delivers its ticks in bursts (a poll each millisecond) would
    /// otherwise leave the pass where the last batch stopped until the next burst. Returns false, doing nothing, when
    /// no pass is under way, input waits, or nothing says whether it does (a lockstep replay, where batches follow the
    /// feed's days). Call on the evaluation thread, between batches.
    /// </summary>
    public bool ContinuePass()
    {
        if (passRemaining == 0 || MoreInputWaiting is not { } waiting || waiting())
        {
            return false;
        }
        EndBatch();
        return true;
    }

    /// <summary>
    /// Runs one more batch, with no prices, that finishes a rolling pass under way (journaled like any batch): a
    /// stopping engine evaluates every price it applied before it stops. Call on the evaluation thread or once it has
    /// stopped; nothing happens when no pass is under way.
    /// </summary>
    internal void FinishPass()
    {
        if (passRemaining == 0)
        {
            return;
        }
        finishingPass = true;
        try
        {
            EndBatch();
        }
        finally
        {
            finishingPass = false;
        }
    }

    /// <summary>
    /// Evaluates a journaled batch again (recovery): the verified prices it applied, then its clock, fills and
    /// commands exactly as recorded. Nothing is journaled again.
    /// </summary>
    internal void Replay(JournalEntry entry, ReadOnlySpan<PriceEvent> prices)
    {
        replaying = true;
        try
        {
            foreach (ref readonly var price in prices)
            {
                Add(price);
            }
            batchMarketTime = entry.MarketTime;
            lastFeedPosition = Math.Max(lastFeedPosition, entry.FeedPosition);
            sweepLimit = entry.SweepLimit;
            batchFills.Clear();
            batchFills.AddRange(entry.Fills ?? []);
            batchCommands.Clear();
            foreach (var command in entry.Commands ?? [])
            {
                batchCommands.Add((null, command));
            }
            // The audit writer drops what the chain already holds (see AuditWriter.ResumeAfter) and adds what a crash lost.
            Evaluate();
        }
        finally
        {
            replaying = false;
        }
        if (sequence != entry.Sequence)
        {
            throw new InvalidDataException($"journal replay out of step: entry {entry.Sequence} replayed as batch {sequence}");
        }
    }

    /// <summary>
    /// After recovery stopped at damage: the next batch is numbered after every batch the journal says it held, so no
    /// order id of a batch lost to the damage (perhaps already sent) is ever used again.
    /// </summary>
    internal void NumberAfter(long batch)
    {
        if (batch > sequence)
        {
            Volatile.Write(ref sequence, batch);
        }
    }

    /// <summary>
    /// The stage's state between batches, for a checkpoint: scalars into the image, per-account arrays into the
    /// chunks (which already hold the book's part). Call on the evaluation thread, between batches.
    /// </summary>
    internal EvaluationImage Capture(IReadOnlyList<AccountChunk> chunks)
    {
        foreach (var chunk in chunks)
        {
            var range = new Range(chunk.First, chunk.First + chunk.Count);
            chunk.OpenTrades = openTrades[range];
            chunk.Rebalancing = rebalancing[range];
            chunk.PendingFlow = pendingFlow[range];
            chunk.ParkedExcess = parkedExcess[range];
            chunk.ParkedOn = [.. parkedOn[range].Select(d => d.DayNumber)];
            // Kept whether or not a pass is under way: a chunk's record then keeps one size, so the store overwrites it
            // in place instead of appending a larger version each time a pass starts.
            chunk.Marks = book.c.Mark[book.SlotStart[chunk.First]..book.SlotStart[chunk.First + chunk.Count]];
        }
        var held = awaitingApproval.OrderBy(p => p.Key).ToArray();
        return new EvaluationImage
        {
            Day = day.DayNumber,
            Sequence = sequence,
            BlockSequence = blockSequence,
            BatchMarketTime = batchMarketTime,
            LastFullSweepAt = lastFullSweepAt,
            PassCursor = passCursor,
            PassRemaining = passRemaining,
            AwaitingAccounts = [.. held.Select(p => p.Key)],
            // Copies of the lists, since an approval may change the plan after this batch; JSON comes later, off this thread.
            HeldPlans = [.. held.Select(p => new HeldPlan(p.Value.Decision, [.. p.Value.Plan.Trades], [.. p.Value.Plan.Warnings], p.Value.Plan.ApprovalReason, p.Value.Plan.CashBefore, p.Value.Plan.Reserve) { Since = awaitingApprovalView[p.Key].Since })],
            PendingFills = [.. fills],
            Counters = Counters.ToArray(),
            NearBandAccounts = nearBandReady ? nearBand[..nearBandCount] : [],
            NearBandInstruments = nearBandReady ? nearBandInstrument[..nearBandCount] : [],
            NearBandSides = nearBandReady ? nearBandSide[..nearBandCount] : [],
            NearBandPrices = nearBandReady ? [.. nearBandPrices] : [],
        };
    }

    /// <summary>Puts back a captured state (the book already restored), before the stage's thread starts.</summary>
    internal void Restore(EvaluationImage image, IReadOnlyList<AccountChunk> chunks)
    {
        foreach (var chunk in chunks)
        {
            chunk.OpenTrades.CopyTo(openTrades, chunk.First);
            chunk.Rebalancing.CopyTo(rebalancing, chunk.First);
            chunk.PendingFlow.CopyTo(pendingFlow, chunk.First);
            chunk.ParkedExcess.CopyTo(parkedExcess, chunk.First);
            for (var i = 0; i < chunk.Count; i++)
            {
                parkedOn[chunk.First + i] = DateOnly.FromDayNumber(chunk.ParkedOn[i]);
            }
        }
        accountsWithPendingFlow = pendingFlow.Count(f => f != 0);
        day = DateOnly.FromDayNumber(image.Day);
        sequence = image.Sequence;
        blockSequence = image.BlockSequence;
        batchMarketTime = image.BatchMarketTime;
        lastFullSweepAt = image.LastFullSweepAt;
        passCursor = image.PassCursor;
        passRemaining = image.PassRemaining;
        // A checkpoint from before the list was kept has none: the next quiet move then collects it as it goes.
        nearBandReady = image.NearBandPrices.Length == nearBandPrices.Length && image.NearBandAccounts.Length <= NearBandCapacity;
        if (nearBandReady)
        {
            image.NearBandAccounts.CopyTo(nearBand, 0);
            nearBandCount = image.NearBandAccounts.Length;
            image.NearBandInstruments.CopyTo(nearBandInstrument, 0);
            image.NearBandSides.CopyTo(nearBandSide, 0);
            image.NearBandPrices.CopyTo(nearBandPrices, 0);
        }
        awaitingApproval.Clear();
        awaitingApprovalView.Clear();
        // A busy day holds hundreds of plans for approval: they are read on both cores, then put back in order.
        var heldPlans = new HeldPlan[image.AwaitingAccounts.Length];
        Parallel.For(0, heldPlans.Length, i => heldPlans[i] = StateJson.Read<HeldPlan>(image.AwaitingPlans[i]));
        for (var i = 0; i < image.AwaitingAccounts.Length; i++)
        {
            var held = heldPlans[i];
            var plan = new TradePlan { CashBefore = held.CashBefore, Reserve = held.Reserve, ApprovalReason = held.ApprovalReason };
            plan.Trades.AddRange(held.Trades);
            plan.Warnings.AddRange(held.Warnings);
            awaitingApproval[image.AwaitingAccounts[i]] = (plan, held.Decision);
            awaitingApprovalView[image.AwaitingAccounts[i]] = new PendingApproval(held.Decision, [.. plan.Trades], held.Since ?? day);
        }
        // Pending fills are not put back here: recovery matches them against the journal (see JournalReplay).
        awaitingApprovalCount = awaitingApproval.Count;
        Counters.Restore(image.Counters);
        for (var a = 0; a < book.AccountCount; a++)
        {
            classBands.Refresh(a);
        }
        // Mid-pass, the marks the pass has not refreshed yet are older than the prices: put back exactly those.
        if (passRemaining > 0 && chunks.All(k => k.Marks is { } marks && marks.Length == book.SlotStart[k.First + k.Count] - book.SlotStart[k.First]))
        {
            foreach (var chunk in chunks)
            {
                chunk.Marks!.CopyTo(book.c.Mark, book.SlotStart[chunk.First]);
            }
        }
        else
        {
            book.RefreshMarks(parallel: true);
            passRemaining = 0;
        }
        // The drift figures are a function of the book: sweep once so the console and the breakers see them at once.
        DriftSweep.RunRange(book, report, 0, book.AccountCount, parallel: true);
        sweepAllRequested = false;
    }

    private void Evaluate()
    {
        Volatile.Write(ref sequence, sequence + 1);
        audit?.StartBatch(sequence);
        Counters.Batches++;
        var newDay = DateOnly.FromDateTime(new DateTime(Math.Max(batchMarketTime, 1), DateTimeKind.Utc));
        var opensDay = newDay != day;
        if (opensDay)
        {
            // A new trading day: calendar rebalances may fall due and parked breaches get another look.
            day = newDay;
            sweepAllRequested = true;
        }

        // The oldest tick of the batch is where the tick-to-order time of every trade the batch releases starts.
        batchOrigin = receivedCount > 0 ? receivedAt[0] : 0;
        var batchPrices = batchChanges;
        ApplyFills();
        ApplyCommands();
        var passWasUnderWay = passRemaining > 0;
        var broad = ApplyPrices();
        if (broad || batchMarketTime - lastFullSweepAt >= fullSweepEvery)
        {
            // Every account must be swept once more from here (the scheduled pass catches what no price touched).
            lastFullSweepAt = batchMarketTime;
            passRemaining = book.AccountCount;
        }
        if (broad)
        {
            // These prices are decided on once the pass has gone once round the book from here.
            waitingForPass.Add(passSwept + book.AccountCount, receivedAt.AsSpan(0, receivedCount));
            receivedCount = 0;
        }

        var passEnded = false;
        if (sweepAllRequested)
        {
            // A new day (calendar checks for everyone) or an operator's request: the whole book in this batch.
            sweepAllRequested = false;
            SweepAndDecideAll(opensDay);
            passEnded = true;
        }
        else
        {
            DecideDirty();
            if (passRemaining > 0)
            {
                if (!passWasUnderWay && sweepLimit == 0 && batchPrices < BusyFeedPrices)
                {
                    // A quiet book woken by a move or two: the accounts they most likely pushed out go first. (A busy
                    // feed keeps a pass rolling, and a batch of many prices, a replayed day or a recovery, moves too
                    // much for a list of a few accounts to be the ones that matter.)
                    DecideNearBandFirst();
                }
                RollPass(sweepLimit == 0 ? passRemaining : Math.Min(sweepLimit, passRemaining));
                passEnded = passRemaining == 0;
            }
        }
        dirtyCount = 0;
        stamp++;

        var done = Stopwatch.GetTimestamp();
        for (var i = 0; i < receivedCount; i++)
        {
            priceToDecision.Record(receivedAt[i], done);
        }
        receivedCount = 0;
        batchChanges = 0;
        FlushBlocks();
        flushedThisBatch = false;
        audit?.EndBatch();
        // After the flush, so it costs this batch's orders nothing.
        if (sweepLimit != 0)
        {
            nearBandReady = false;
        }
        else if (passEnded)
        {
            PrepareNearBand();
        }
    }

    /// <summary>Sweeps and decides the accounts this batch marked (fills, commands, prices of few holders).</summary>
    private void DecideDirty()
    {
        if (dirtyCount == 0)
        {
            return;
        }
        SweepListed(dirty, dirtyCount);
    }

    /// <summary>
    /// A pass starting on a quiet book: the accounts that ended the last sweep near their bands are the likeliest to
    /// be pushed out by this move, so they are swept and decided before the pass begins (it skips their decision).
    /// Those whose worst position the move pushes further out go first (see <see cref="PushedFurther"/>); the rest
    /// follow in the list's order (see <see cref="CollectNearBand"/>). The list comes from the drift figures and
    /// prices, which follow from the book, so a replay picks the same accounts in the same order.
    /// </summary>
    private void DecideNearBandFirst()
    {
        if (!nearBandReady)
        {
            SweepListed(nearBand, CollectNearBand());
            return;
        }
        // The list the last quiet pass left. Accounts this batch already decided (fills, commands) are left out.
        var marketMove = 0.0;
        for (var instrument = 0; instrument < nearBandPrices.Length; instrument++)
        {
            marketMove += Move(instrument);
        }
        // The order is found one group at a time, not for the whole list first: on the 10k book the list holds about
        // 1,200 accounts, cold in cache since the last pass, and ordering all of them before deciding any took 50 µs
        // of a tick's 0.3 ms. The groups are the same either way, so the decisions are too.
        var scan = 0;
        var promoted = true;
        var decided = 0;
        for (var want = FirstListedGroup; ; want = ListedGroup)
        {
            var group = 0;
            while (group < want)
            {
                if (scan == nearBandCount)
                {
                    if (!promoted)
                    {
                        break;
                    }
                    (promoted, scan) = (false, 0);
                    continue;
                }
                var i = scan++;
                // An account the promoted round decided carries this batch's stamp by the second round.
                if (decidedStamp[nearBand[i]] != stamp && PushedFurther(i, marketMove) == promoted)
                {
                    nearBandGroup[group++] = nearBand[i];
                }
            }
            if (group == 0)
            {
                break;
            }
            SweepGroup(nearBandGroup, 0, group);
            decided += group;
        }
        Counters.AccountsEvaluated += decided;
    }

    /// <summary>How far an instrument's price moved, relatively, since the near-band list was prepared.</summary>
    private double Move(int instrument) => (book.Prices[instrument] / nearBandPrices[instrument]) - 1;

    /// <summary>
    /// Whether the batch moved the worst position of near-band entry <paramref name="i"/> further from its target: an
    /// overweight position whose price rose or an underweight one whose price fell; or, when its own price held, an
    /// underweight position while the rest rose (the account grew around it) or an overweight one while they fell.
    /// </summary>
    private bool PushedFurther(int i, double marketMove)
    {
        var own = Move(nearBandInstrument[i]);
        return (own != 0 ? own : -marketMove) * nearBandSide[i] > 0;
    }

    /// <summary>
    /// After a quiet batch that ended a pass, lists the accounts nearest their bands for the next quiet move (see
    /// <see cref="CollectNearBand"/>), each with the instrument of its worst position and which side of the target
    /// that position is on, and keeps the prices they were figured at: the next move then finds the accounts it
    /// pushes out without reading the whole book's figures, which are cold in cache by then (on the 10k book that
    /// read took 60 to 150 µs of a tick's 0.35 ms). The list is part of the checkpointed state, so a recovered
    /// engine orders its decisions the same way.
    /// </summary>
    private void PrepareNearBand()
    {
        nearBandCount = CollectNearBand();
        var c = book.c;
        for (var i = 0; i < nearBandCount; i++)
        {
            var a = nearBand[i];
            var tolerance = c.BandWidth[a];
            var relative = c.RelativeBand[a];
            var (worst, worstExcess) = (c.SlotStart[a], double.NegativeInfinity);
            for (var slot = c.SlotStart[a]; slot < c.SlotStart[a + 1]; slot++)
            {
                var excess = Math.Abs(report.Drift[slot]) - (relative ? c.Target[slot] * tolerance : tolerance);
                if (excess > worstExcess)
                {
                    (worst, worstExcess) = (slot, excess);
                }
            }
            nearBandInstrument[i] = c.InstrumentIndex[worst];
            nearBandSide[i] = (sbyte)Math.Sign(report.Drift[worst]);
        }
        book.Prices.CopyTo(nearBandPrices);
        nearBandReady = true;
    }

    /// <summary>
    /// Lists the accounts not yet decided in this batch whose excess lies within <see cref="NearBandMargin"/> of their
    /// band or above it: those within half the margin, then the rest of the margin, then those out of band, each tier
    /// in book order; returns how many (at most <see cref="NearBandCapacity"/>).
    /// </summary>
    /// <remarks>
    /// One pass over the figures, without a branch on them: each account is written at the end of its tier's list,
    /// which grows only if the account belongs there. Reading the whole book's figures still costs 60 to 150 µs on
    /// the 10k book when they have gone cold in cache, which is why <see cref="PrepareNearBand"/> does it after a
    /// quiet pass rather than when the next move comes.
    /// </remarks>
    private int CollectNearBand()
    {
        var excess = report.MaxExcess;
        int inner = 0, outer = 0, outside = 0;
        for (var a = 0; a < excess.Length; a++)
        {
            var e = excess[a];
            var open = decidedStamp[a] != stamp;
            nearBand[inner] = a;
            inner += (open & (e > -NearBandMargin / 2) & (e <= 0)) ? 1 : 0;
            nearBandOuter[outer] = a;
            outer += (open & (e > -NearBandMargin) & (e <= -NearBandMargin / 2)) ? 1 : 0;
            nearBandOutside[outside] = a;
            outside += (open & (e > 0)) ? 1 : 0;
        }
        var count = Math.Min(inner, NearBandCapacity);
        var more = Math.Min(outer, NearBandCapacity - count);
        nearBandOuter.AsSpan(0, more).CopyTo(nearBand.AsSpan(count));
        count += more;
        more = Math.Min(outside, NearBandCapacity - count);
        nearBandOutside.AsSpan(0, more).CopyTo(nearBand.AsSpan(count));
        return count + more;
    }

    /// <summary>
    /// Sweeps listed accounts (refreshing their marks first while a pass is under way) and decides each once, a small
    /// group at a time: the first account a move pushed out of band is decided after its group, not after the list.
    /// </summary>
    private void SweepListed(int[] accounts, int count)
    {
        for (int from = 0, group; from < count; from += group)
        {
            // The first group is small: a quiet move's list starts with the accounts it most likely pushed out.
            group = Math.Min(from == 0 ? FirstListedGroup : ListedGroup, count - from);
            SweepGroup(accounts, from, group);
        }
        Counters.AccountsEvaluated += count;
    }

    /// <summary>Sweeps <paramref name="count"/> listed accounts from <paramref name="from"/> and decides each once.</summary>
    private void SweepGroup(int[] accounts, int from, int count)
    {
        if (passRemaining > 0)
        {
            // The pass may not have reached them yet: their marks would still carry older prices than the book's.
            for (var i = from; i < from + count; i++)
            {
                var a = accounts[i];
                book.RefreshMarks(book.SlotStart[a], book.SlotStart[a + 1], parallel: false);
            }
        }
        DriftSweep.RunAccounts(book, report, accounts, from, count);
        for (var i = from; i < from + count; i++)
        {
            var a = accounts[i];
            gate.ObserveDrift(a, book.ModelIndex(a), report.TotalDrift[a], day);
            Decide(a, calendarCheck: false);
            decidedStamp[a] = stamp;
        }
    }

    /// <summary>
    /// Sweeps up to <paramref name="limit"/> accounts of the rolling pass from its cursor, slice by slice (small first,
    /// so the first accounts to act reach the order stage early), wrapping round the book's end.
    /// </summary>
    private void RollPass(int limit)
    {
        var anyFlow = accountsWithPendingFlow > 0;
        var swept = 0;
        for (var size = FirstSlice; swept < limit; size = Math.Min(size * 4, LargestSlice))
        {
            var from = passCursor;
            var to = Math.Min(book.AccountCount, from + Math.Min(size, limit - swept));
            if (swept > 0)
            {
                CrashPoints.Reach(CrashPoints.Sweep);
            }
            SweepSlice(from, to, refreshMarks: true, calendarCheck: false, anyFlow);
            swept += to - from;
            passSwept += to - from;
            passRemaining -= to - from;
            // Prices whose pass is complete with this slice were decided on just now, not at the batch's end.
            waitingForPass.RecordCovered(passSwept, Stopwatch.GetTimestamp(), priceToDecision);
            passCursor = to == book.AccountCount ? 0 : to;
            if (passCursor == 0)
            {
                // Once round the book: the models' mean drift is complete.
                Counters.FullSweeps++;
                ObserveModels();
            }
        }
        Counters.AccountsEvaluated += swept;
    }

    /// <summary>
    /// Tells the order stage that the trades published so far form blocks now (a heartbeat numbered by block, so
    /// block ids stay unique and follow from the same inputs). The first account released in a batch is flushed at
    /// once, so a price move reaches the market without waiting for the rest of the batch's decisions; after it,
    /// blocks gather up to <c>accountsPerBlock</c> accounts, and the batch's end flushes the rest.
    /// </summary>
    private void FlushBlocks() => publisher.Publish(BlockFlush());

    /// <summary>The heartbeat that closes the blocks published so far (see <see cref="FlushBlocks"/>).</summary>
    private OrderEvent BlockFlush()
    {
        releasedSinceFlush = 0;
        flushedThisBatch = true;
        return new OrderEvent { Kind = OrderEventKind.Heartbeat, MarketTime = batchMarketTime, Sequence = ++blockSequence };
    }

    /// <summary>
    /// The full pass, one slice of accounts at a time: copy the slice's marks if prices moved, sweep it, show its
    /// drift to the breakers, decide the accounts in it that have something to act on. The first slices are small,
    /// so the first accounts a price pushed out of band reach the order stage after a thousand accounts are swept,
    /// not after the whole book; later slices are large enough to use both cores.
    /// </summary>
    private void SweepAndDecideAll(bool opensDay)
    {
        var anyFlow = accountsWithPendingFlow > 0;
        var refreshMarks = passRemaining > 0;
        for (int from = 0, size = FirstSlice; from < book.AccountCount; from += size, size = Math.Min(size * 4, LargestSlice))
        {
            if (from > 0)
            {
                CrashPoints.Reach(CrashPoints.Sweep);
            }
            SweepSlice(from, Math.Min(book.AccountCount, from + size), refreshMarks, opensDay, anyFlow);
        }
        // Every account has now seen every price: whatever a rolling pass had left is done.
        passRemaining = 0;
        waitingForPass.RecordCovered(long.MaxValue, Stopwatch.GetTimestamp(), priceToDecision);
        Counters.FullSweeps++;
        ObserveModels();
        Counters.AccountsEvaluated += book.AccountCount;
    }

    /// <summary>
    /// One slice of a pass: copy its marks if prices moved, sweep it, show its drift to the breakers, and decide the
    /// accounts in it that have something to act on and were not decided earlier in this batch.
    /// </summary>
    private void SweepSlice(int from, int to, bool refreshMarks, bool calendarCheck, bool anyFlow)
    {
        if (partner is not null)
        {
            partner.RunRange(book, report, from, to, refreshMarks);
        }
        else
        {
            DriftSweep.RunRange(book, report, from, to, parallel: parallelSweep, refreshMarks: refreshMarks);
        }
        gate.ObserveDrifts(from, report.TotalDrift.AsSpan(from, to - from), day);
        if (calendarCheck || anyFlow)
        {
            for (var a = from; a < to; a++)
            {
                ConsiderAccount(a, calendarCheck, anyFlow);
            }
            return;
        }
        // Most accounts are in band with nothing parked: four at a time, a screen passes over those with nothing for
        // ConsiderAccount to do, which then looks at the rest one by one.
        var a4 = from;
        if (Vector256.IsHardwareAccelerated)
        {
            var (narrowest, targetSum) = classBands.MayBreachBound;
            for (; a4 <= to - 4; a4 += 4)
            {
                var candidates = SliceScreen.Four(a4, report, book.c.Cash, narrowest, targetSum, parkedExcess);
                while (candidates != 0)
                {
                    ConsiderAccount(a4 + System.Numerics.BitOperations.TrailingZeroCount(candidates), calendarCheck: false, anyFlow: false);
                    candidates &= candidates - 1;
                }
            }
        }
        for (var a = a4; a < to; a++)
        {
            ConsiderAccount(a, calendarCheck: false, anyFlow: false);
        }
    }

    /// <summary>One account of a swept slice: decided if it has something to act on, its parked breach cleared once back in band.</summary>
    private void ConsiderAccount(int a, bool calendarCheck, bool anyFlow)
    {
        if (decidedStamp[a] == stamp)
        {
            return;
        }
        if (calendarCheck || report.Breaches(a) || (anyFlow && pendingFlow[a] != 0) || classBands.IsBreached(report, a))
        {
            // A breach parked today that has not grown enough is left waiting here, before Decide reads the
            // account's other state: thousands of such accounts sit in every pass of a busy day.
            if (calendarCheck || !IsParked(a, anyFlow ? pendingFlow[a] : 0))
            {
                Decide(a, calendarCheck);
            }
        }
        else if (!double.IsNaN(parkedExcess[a]))
        {
            // Back in band: a later breach is a new one. (Written only when set: most accounts never were.)
            parkedExcess[a] = double.NaN;
        }
    }

    /// <summary>Shows each model's mean total drift to the model breakers, once a pass has gone round the book.</summary>
    /// <remarks>
    /// Even and odd accounts are summed apart and the two sums added at the end: consecutive accounts of one model then
    /// do not each wait for the other's addition to the same total (a chain of dependent adds across the whole book).
    /// </remarks>
    private void ObserveModels()
    {
        Array.Clear(modelDrift);
        Array.Clear(modelDriftOdd);
        Array.Clear(modelAccounts);
        var models = book.c.ModelIndex.AsSpan(0, book.AccountCount);
        var drift = report.TotalDrift.AsSpan(0, models.Length);
        var a = 0;
        for (; a + 1 < models.Length; a += 2)
        {
            modelDrift[models[a]] += drift[a];
            modelDriftOdd[models[a + 1]] += drift[a + 1];
            modelAccounts[models[a]]++;
            modelAccounts[models[a + 1]]++;
        }
        if (a < models.Length)
        {
            modelDrift[models[a]] += drift[a];
            modelAccounts[models[a]]++;
        }
        for (var m = 0; m < modelDrift.Length; m++)
        {
            if (modelAccounts[m] > 0)
            {
                gate.ObserveModelDrift(m, (modelDrift[m] + modelDriftOdd[m]) / modelAccounts[m], day);
            }
        }
    }

    /// <summary>Applies the batch's prices; true when they moved instruments most accounts hold (a pass follows).</summary>
    private bool ApplyPrices()
    {
        var touched = 0L;
        for (var i = 0; i < changedCount; i++)
        {
            var instrument = changedInstruments[i];
            gate.ObservePrice(instrument, batchPrice[instrument], day);
            touched += holdings.AccountsOf(instrument).Length;
        }
        // When the batch moved instruments most accounts hold, one full pass beats merging the account lists, and
        // copying every slot's mark in order beats scattered writes to the slots of each instrument.
        var broad = touched > book.AccountCount / 2;
        if (broad)
        {
            for (var i = 0; i < changedCount; i++)
            {
                priceUpdates[i] = (changedInstruments[i], batchPrice[changedInstruments[i]]);
            }
            // The marks are copied slice by slice in the pass that follows, just before each slice is swept.
            book.SetInstrumentPrices(priceUpdates.AsSpan(0, changedCount));
        }
        else
        {
            for (var i = 0; i < changedCount; i++)
            {
                var instrument = changedInstruments[i];
                book.UpdatePrice(instrument, batchPrice[instrument], holdings);
                foreach (var account in holdings.AccountsOf(instrument))
                {
                    MarkDirty(account);
                }
            }
        }
        for (var i = 0; i < changedCount; i++)
        {
            batchPrice[changedInstruments[i]] = 0;
        }
        changedCount = 0;
        return broad;
    }

    /// <summary>Adds an account to this batch's list once: a stamp per batch saves clearing a flag array every batch.</summary>
    private void MarkDirty(int account)
    {
        if (dirtyStamp[account] != stamp)
        {
            dirtyStamp[account] = stamp;
            dirty[dirtyCount++] = account;
        }
    }

    /// <summary>Decides one swept account whose drift the breakers have already seen, if it has anything to act on.</summary>
    private void Decide(int a, bool calendarCheck)
    {
        var model = book.ModelIndex(a);
        if (openTrades[a] > 0 || gate.IsHalted(a, model) || (awaitingApprovalCount > 0 && awaitingApproval.ContainsKey(a)))
        {
            return;
        }
        var flow = pendingFlow[a];
        var candidate = flow != 0
            || report.Breaches(a)
            || (calendarCheck && book.Policy(a) is { Trigger: not RebalanceTrigger.Threshold } policy && RebalanceRules.IsCalendarDue(policy.Calendar, book.LastRebalanced(a), day))
            || classBands.IsBreached(report, a);
        if (!candidate)
        {
            parkedExcess[a] = double.NaN;
            return;
        }
        if (IsParked(a, flow))
        {
            return;
        }

        var cash = (decimal)book.Cash[a] + Math.Min(flow, 0);
        // What the decision saw (holdings, marks, cash, policy, flow), copied before anything changes; the audit writer hashes it.
        var inputs = audit is null ? null : AuditInputs.Capture(book, a, day, flow);
        var (decision, plan) = RebalanceRun.Decide(book, report, a, day, cash, flow);
        Counters.Decisions++;
        switch (decision.Action)
        {
            case DecisionAction.Rebalance or DecisionAction.CashFlow when plan is { Trades.Count: > 0 }:
                decision = Release(a, model, decision, plan, inputs);
                break;
            case DecisionAction.NeedsApproval when plan is not null:
                awaitingApproval[a] = (plan, decision);
                awaitingApprovalView[a] = new PendingApproval(decision, [.. plan.Trades], day);
                Interlocked.Increment(ref awaitingApprovalCount);
                Counters.NeedsApproval++;
                break;
            case DecisionAction.Blocked:
                Counters.Blocked++;
                Park(a);
                break;
            default:
                if (decision.Action == DecisionAction.CashFlow && flow > 0)
                {
                    SetPendingFlow(a, 0);
                }
                // A calendar not due or a rebalance too soon after the last one holds whatever the drift does, so
                // such an account waits for tomorrow instead of being decided again each time its drift grows.
                Park(a, untilTomorrow: decision.Rule is DecisionRule.CalendarNotDue or DecisionRule.MinDaysBetweenRebalances);
                break;
        }
        audit?.AddDecision(book.HouseholdId(a), decision, inputs);
        Remember(decision);
    }

    /// <summary>Whether the account's breach was decided today without trading and has not grown enough to be decided again.</summary>
    private bool IsParked(int a, decimal flow) => flow == 0 && parkedOn[a] == day && report.MaxExcess[a] < parkedExcess[a] + RedecideDriftStep;

    private void Park(int a, bool untilTomorrow = false)
    {
        parkedOn[a] = day;
        parkedExcess[a] = untilTomorrow ? double.PositiveInfinity : report.MaxExcess[a];
    }

    private Decision Release(int a, int model, Decision decision, TradePlan plan, AuditInputSnapshot? inputs = null)
    {
        var trades = new (int, Trade)[plan.Trades.Count];
        for (var i = 0; i < trades.Length; i++)
        {
            trades[i] = (book.Instruments.IndexOf(plan.Trades[i].InstrumentId), plan.Trades[i]);
        }
        var refusal = gate.Check(a, model, trades, sequence, batchMarketTime);
        if (refusal is not null)
        {
            Counters.HeldByRisk++;
            audit?.Add(AuditEntries.RiskRejection(decision.AccountId, book.HouseholdId(a), book.Policy(a), "PlanRefused",
                $"{decision.Action} plan of {trades.Length} trade(s) held by the risk gate: {refusal}", [new("trades", trades.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))]), inputs);
            Park(a);
            return decision with { Reason = $"{decision.Reason}; held by the risk gate: {refusal}", TradeCount = 0 };
        }
        var origin = batchOrigin != 0 ? batchOrigin : Stopwatch.GetTimestamp();
        outgoing.Clear();
        foreach (var (instrument, trade) in trades)
        {
            outgoing.Add(new OrderEvent
            {
                Kind = OrderEventKind.Trade,
                Account = a,
                Instrument = instrument,
                Side = trade.Side,
                Quantity = trade.Quantity,
                Price = trade.Price,
                Sequence = sequence,
                MarketTime = batchMarketTime,
                OriginTimestamp = origin,
            });
        }
        if (audit is not null)
        {
            var household = book.HouseholdId(a);
            foreach (var (_, trade) in trades)
            {
                audit.AddTrade(household, decision, trade, inputs);
            }
        }
        openTrades[a] = trades.Length;
        var firstFlush = false;
        if (++releasedSinceFlush >= (flushedThisBatch ? accountsPerBlock : 1))
        {
            firstFlush = !flushedThisBatch;
            outgoing.Add(BlockFlush());
        }
        publisher.PublishAll(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(outgoing));
        if (firstFlush && sweepLimit == 0)
        {
            // A quiet batch's first trades just woke the order stage, and the scheduler often wakes it on this very
            // core, where it would wait until this pass ends (1 to 3 ms on the 10k probe book, 3 or 4 ticks a run).
            // Yielding once lets it send them now; when it woke on the other core, or nothing else is runnable here,
            // the yield returns at once. A busy feed's batches do not yield: the stages must not trade places there.
            Thread.Yield();
        }
        rebalancing[a] = decision.Action == DecisionAction.Rebalance;
        Counters.TradesReleased += trades.Length;
        if (decision.Action == DecisionAction.Rebalance)
        {
            Counters.Rebalances++;
        }
        else
        {
            Counters.CashFlowsInvested++;
        }
        parkedExcess[a] = double.NaN;
        return decision;
    }

    private void Remember(Decision decision)
    {
        if (decision.Action == DecisionAction.NoTrade)
        {
            return;
        }
        var slot = recentCount % recent.Length;
        Volatile.Write(ref recent[slot], decision);
        Interlocked.Increment(ref recentCount);
    }

    private void ApplyFills()
    {
        Span<(int, double)> one = stackalloc (int, double)[1];
        foreach (var fill in batchFills)
        {
            var a = fill.Account;
            if (fill.Quantity != 0)
            {
                var signed = fill.Side == TradeSide.Buy ? fill.Quantity : -fill.Quantity;
                one[0] = (fill.Instrument, (double)signed);
                try
                {
                    book.ApplyExecution(a, one, (double)(-signed * fill.Price), fill.TradeComplete && openTrades[a] == 1 && rebalancing[a] ? day : null);
                    gate.FillsApplied(a, book.ModelIndex(a));
                    Counters.FillsApplied++;
                }
                catch (ArgumentException)
                {
                    // The book refused (it would go short or below zero cash): nothing was applied, and the account is
                    // re-evaluated from its real state once its trades are done.
                    Counters.FillErrors++;
                }
            }
            if (fill.TradeComplete && openTrades[a] > 0 && --openTrades[a] == 0)
            {
                SettleFlow(a);
            }
            // Swept again in this batch even mid-trade (it is not decided until its trades are done), so its drift
            // figures always follow from the book: a recovered engine computes the same ones.
            MarkDirty(a);
        }
    }

    private void SettleFlow(int a)
    {
        var flow = pendingFlow[a];
        if ((flow < 0 && book.ApplyCashFlow(a, (double)flow) is null) || flow > 0)
        {
            SetPendingFlow(a, 0);
        }
    }

    /// <summary>Sets an account's pending flow and keeps count of the accounts that have one (so a full sweep skips the check when none do).</summary>
    private void SetPendingFlow(int a, decimal flow)
    {
        accountsWithPendingFlow += (flow != 0 ? 1 : 0) - (pendingFlow[a] != 0 ? 1 : 0);
        pendingFlow[a] = flow;
    }

    private void ApplyCommands()
    {
        foreach (var (original, command) in batchCommands)
        {
            var result = Apply(command);
            (result.Applied ? ref Counters.CommandsApplied : ref Counters.CommandsRefused)++;
            audit?.Add(AuditEntries.OperatorAction(command.Name, command.Who, command.Why,
                $"{(result.Applied ? "applied" : "refused")}: {result.Detail}"));
            original?.Complete(result);
        }
    }

    /// <summary>
    /// Turns an operator command into the record the journal keeps: everything needed to apply it, and nothing that
    /// is code. A policy edit runs its edit here, on the policies as earlier commands of the batch leave them.
    /// </summary>
    private JournaledCommand Resolve(ControlCommand command)
    {
        var resolved = new JournaledCommand { Who = command.Who, Why = command.Why, Name = command.GetType().Name };
        switch (command)
        {
            case ApplyCashFlow { Flow: var flow }:
                resolved.Kind = CommandKind.CashFlow;
                resolved.AccountId = flow.AccountId;
                resolved.FlowKind = flow.Kind;
                resolved.Amount = flow.Amount;
                break;
            case EditPolicy edit:
                ResolvePolicyEdit(edit, resolved);
                break;
            case DecideApproval approval:
                resolved.Kind = CommandKind.Approval;
                resolved.AccountId = approval.AccountId;
                resolved.Approve = approval.Approve;
                break;
            case SweepAll:
                resolved.Kind = CommandKind.SweepAll;
                break;
            case ReleaseBreaker release:
                resolved.Kind = CommandKind.ReleaseBreaker;
                resolved.Breaker = release.Kind;
                resolved.Target = release.Target;
                break;
            default:
                resolved.Kind = CommandKind.Refused;
                resolved.Refusal = $"unknown command {command.GetType().Name}";
                break;
        }
        return resolved;
    }

    private CommandResult Apply(JournaledCommand command)
    {
        switch (command.Kind)
        {
            case CommandKind.Refused:
                return CommandResult.Refused(command.Refusal ?? "refused");
            case CommandKind.CashFlow:
            {
                var flow = new CashFlow(command.AccountId ?? "", command.FlowKind, command.Amount);
                var a = book.FindAccount(flow.AccountId);
                if (a < 0)
                {
                    return CommandResult.Refused($"cash flow: unknown account '{flow.AccountId}'");
                }
                if (flow.Amount <= 0)
                {
                    return CommandResult.Refused($"cash flow for {flow.AccountId}: amount must be positive, got {flow.Amount}");
                }
                if (flow.SignedAmount > 0)
                {
                    // Money that arrived is cash at once; the flow stays pending only to be invested.
                    book.ApplyCashFlow(a, (double)flow.SignedAmount);
                }
                SetPendingFlow(a, pendingFlow[a] + flow.SignedAmount);
                MarkDirty(a);
                return CommandResult.Ok($"{flow.Kind} of {flow.Amount:0.00} queued for {flow.AccountId}");
            }
            case CommandKind.PolicyEdit:
                return ApplyPolicies(command);
            case CommandKind.Approval:
            {
                var a = book.FindAccount(command.AccountId ?? "");
                if (a < 0 || !awaitingApproval.Remove(a, out var held))
                {
                    return CommandResult.Refused($"account '{command.AccountId}' has no trades waiting for approval");
                }
                awaitingApprovalView.TryRemove(a, out _);
                Interlocked.Decrement(ref awaitingApprovalCount);
                if (!command.Approve)
                {
                    Park(a);
                    return CommandResult.Ok($"trades for {command.AccountId} rejected by {command.Who}: {command.Why}");
                }
                var approved = held.Decision with { Action = DecisionAction.Rebalance, Reason = $"{held.Decision.Reason}; approved by {command.Who}: {command.Why}" };
                if (held.Plan.Trades.Count == 0)
                {
                    // Only the illiquid holdings are off target, and those are traded by hand, outside the engine.
                    Park(a);
                    Remember(approved with { TradeCount = 0 });
                    return CommandResult.Ok($"approved for {command.AccountId}; nothing to trade automatically (its illiquid holdings are traded by hand)");
                }
                var released = Release(a, book.ModelIndex(a), approved, held.Plan);
                Remember(released);
                return openTrades[a] > 0
                    ? CommandResult.Ok($"{held.Plan.Trades.Count} trade(s) for {command.AccountId} released")
                    : CommandResult.Refused(released.Reason);
            }
            case CommandKind.SweepAll:
                sweepAllRequested = true;
                return CommandResult.Ok("every account is re-evaluated in this batch");
            case CommandKind.ReleaseBreaker:
                return ApplyBreakerRelease(command);
            default:
                return CommandResult.Refused($"unknown command kind {command.Kind}");
        }
    }

    private CommandResult ApplyBreakerRelease(JournaledCommand release)
    {
        var (index, what) = release.Breaker switch
        {
            BreakerKind.Account => (release.Target is { } id ? book.FindAccount(id) : -1, $"account {release.Target}"),
            BreakerKind.Model => (FindModel(release.Target), $"model {release.Target}"),
            _ => (0, "the market-wide breaker"),
        };
        if (index < 0)
        {
            return CommandResult.Refused($"breaker release: unknown {release.Breaker.ToString().ToLowerInvariant()} '{release.Target}'");
        }
        if (!gate.Release(release.Breaker, index, release.Who, release.Why))
        {
            return CommandResult.Refused($"{what} is not halted");
        }
        if (release.Breaker == BreakerKind.Account)
        {
            MarkDirty(index);
        }
        else
        {
            // A model or the whole market back in business: every account it held back is looked at again.
            sweepAllRequested = true;
        }
        return CommandResult.Ok($"{what} released by {release.Who}");
    }

    private int FindModel(string? modelId)
    {
        for (var m = 0; m < book.Models.Count; m++)
        {
            if (book.Models[m].Id == modelId)
            {
                return m;
            }
        }
        return -1;
    }

    /// <summary>Runs a policy edit on every account it names and checks the results; nothing is applied here.</summary>
    private void ResolvePolicyEdit(EditPolicy edit, JournaledCommand resolved)
    {
        resolved.Kind = CommandKind.Refused;
        var targets = new List<int>();
        if (edit.AccountId is { } accountId)
        {
            var a = book.FindAccount(accountId);
            if (a < 0)
            {
                resolved.Refusal = $"policy edit: unknown account '{accountId}'";
                return;
            }
            targets.Add(a);
        }
        else if (edit.ModelId is { } modelId)
        {
            var model = FindModel(modelId);
            if (model < 0)
            {
                resolved.Refusal = $"policy edit: unknown model '{modelId}'";
                return;
            }
            for (var a = 0; a < book.AccountCount; a++)
            {
                if (book.ModelIndex(a) == model)
                {
                    targets.Add(a);
                }
            }
        }
        else
        {
            resolved.Refusal = "policy edit: name an account or a model";
            return;
        }

        // Every new policy is built and checked before any is applied, so a bad edit changes no account.
        var updated = new InvestmentPolicy[targets.Count];
        for (var i = 0; i < targets.Count; i++)
        {
            var current = policyOverlay.GetValueOrDefault(targets[i]) ?? book.Policy(targets[i]);
            InvestmentPolicy next;
            try
            {
                next = edit.Edit(current) with { Id = current.Id, Version = current.Version + 1 };
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                resolved.Refusal = $"policy edit for {book.AccountId(targets[i])}: {e.Message}";
                return;
            }
            var problems = PolicyValidation.Problems(next, book.Instruments);
            if (problems.Count > 0)
            {
                resolved.Refusal = $"policy edit for {book.AccountId(targets[i])}: {problems[0].Field} {problems[0].Problem}; no account changed";
                return;
            }
            updated[i] = next;
        }
        for (var i = 0; i < targets.Count; i++)
        {
            policyOverlay[targets[i]] = updated[i];
        }
        resolved.Kind = CommandKind.PolicyEdit;
        resolved.Accounts = [.. targets];
        resolved.SetPolicies(updated);
    }

    private CommandResult ApplyPolicies(JournaledCommand edit)
    {
        var targets = edit.Accounts ?? [];
        var updated = edit.ResolvedPolicies();
        for (var i = 0; i < targets.Length; i++)
        {
            if (book.CheckPolicyUpdate(targets[i], updated[i]) is { } refused)
            {
                return CommandResult.Refused($"{refused}; no account changed");
            }
        }
        for (var i = 0; i < targets.Length; i++)
        {
            book.UpdatePolicy(targets[i], updated[i]);
            classBands.Refresh(targets[i]);
            parkedExcess[targets[i]] = double.NaN;
            MarkDirty(targets[i]);
        }
        return CommandResult.Ok($"policy updated on {targets.Length} account(s) by {edit.Who}: {edit.Why}");
    }
}
