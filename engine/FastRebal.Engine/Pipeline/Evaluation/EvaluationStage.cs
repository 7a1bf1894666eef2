using System.Collections.Concurrent;
using System.Diagnostics;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

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
public sealed partial class EvaluationStage
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

    private readonly int[] decidedStamp;

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

    /// <summary>The taxable accounts' lots and every account's tax settings; null when the engine keeps no lots.</summary>
    private readonly TaxBook? tax;
    private long lastFullSweepAt;
    private long lastFeedPosition;
    private bool replaying;
    private readonly List<AccountFill> batchFills = [];
    private readonly List<Orders.Execution.ExecutionReport> batchReports = [];
    private readonly Orders.Execution.ExecutionReports? executions;
    private readonly List<(ControlCommand? Original, JournaledCommand Resolved)> batchCommands = [];

    /// <summary>The book events, by date; <see cref="bookEventsApplied"/> of them have been applied (a count the checkpoint keeps).</summary>
    private readonly BookEvent[] bookEvents;
    private int bookEventsApplied;
    private readonly Dictionary<int, InvestmentPolicy> policyOverlay = [];
    private readonly List<OrderEvent> outgoing = [];

    // A plan's trades with their instruments' indices, for the risk gate and the order events (see Indexed).
    private readonly List<(int Instrument, Trade Trade)> indexedTrades = [];

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
        int rollingSlice = RollingSlice,
        TaxBook? tax = null,
        IReadOnlyList<BookEvent>? bookEvents = null,
        Orders.Execution.ExecutionReports? executions = null,
        int approvalExpiryDays = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(approvalExpiryDays);
        this.approvalExpiryDays = approvalExpiryDays;
        this.executions = executions;
        // By date, and in the order given within a day (OrderBy is stable).
        this.bookEvents = [.. (bookEvents ?? []).OrderBy(e => e.Date)];
        if (tax is not null && tax.Lots.Book != book)
        {
            throw new ArgumentException("the tax book's lots belong to another account book", nameof(tax));
        }
        this.tax = tax;
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
        closed = new bool[book.AccountCount];
        // A row kept free is never decided until an account is opened in it.
        Array.Fill(closed, true, book.FirstFreeRow, book.AccountCount - book.FirstFreeRow);
        Array.Fill(parkedExcess, double.NaN);
        modelDrift = new double[book.Models.Count];
        modelDriftOdd = new double[book.Models.Count];
        modelAccounts = new int[book.Models.Count];
    }

    public EvaluationCounters Counters { get; } = new();

    /// <summary>The lots and tax settings the stage keeps (null when none): read them on the evaluation thread, or with the engine stopped.</summary>
    public TaxBook? Tax => tax;

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

    /// <summary>The risk gate's reference prices, copied from the verifier where each batch is journaled (see <see cref="JournaledReferencePrices"/>).</summary>
    internal JournaledReferencePrices? ReferencePrices { get; set; }

    /// <summary>What a stage without reference prices (a test's, a benchmark's) locks instead: nothing else takes it.</summary>
    private readonly object unsharedJournalOrder = new();

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
        batchReports.Clear();
        while (executions is not null && executions.TryTake(out var report))
        {
            batchReports.Add(report);
        }
        batchCommands.Clear();
        policyOverlay.Clear();
        taxOverlay.Clear();
        while (control.TryTake(out var command))
        {
            batchCommands.Add((command, Resolve(command)));
        }
        AddDueBookEvents();
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
            // The risk gate checks this batch's plans against the verifier as the journal has it here.
            lock (ReferencePrices?.JournalOrder ?? unsharedJournalOrder)
            {
                Journal?.AppendBatch(sequence + 1, batchMarketTime, lastFeedPosition, batchFills, batchCommands, sweepLimit, batchReports);
                ReferencePrices?.Take();
            }
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

    /// <summary>Market days opened (replayed ones too) not yet taken by a host, each with the batch that opened it.</summary>
    private readonly ConcurrentQueue<(DateOnly Day, long FirstBatch)> daysOpened = new();

    /// <summary>Days kept for a host that takes none (a command-line run): about forty years of trading days.</summary>
    private const int MaxDaysOpenedKept = 10_000;

    /// <summary>
    /// Takes the next market day opened since the last call, with the number of the batch that opened it: what lets a
    /// host tell the market day of an audit record from its batch. Safe from any thread.
    /// </summary>
    public bool TryTakeDayOpened(out (DateOnly Day, long FirstBatch) opened) => daysOpened.TryDequeue(out opened);

    /// <summary>Reads a host asked for, served at the start of the next live batch (see <see cref="ReadBetweenBatches"/>).</summary>
    private readonly ConcurrentQueue<Action> reads = new();

    /// <summary>
    /// Runs <paramref name="read"/> on the evaluation thread between two live batches, where the book, the lots and the
    /// policies stand exactly as the last batch left them (a host reading them from its own thread may see a batch
    /// half applied). Nothing read may be changed. Served after the engine stops too; a caller should bound its wait.
    /// </summary>
    public Task<T> ReadBetweenBatches<T>(Func<T> read)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        reads.Enqueue(() =>
        {
            try
            {
                done.SetResult(read());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    /// <summary>Serves the reads queued so far (on the evaluation thread, or with the engine stopped).</summary>
    internal void ServeReads()
    {
        while (reads.TryDequeue(out var read))
        {
            read();
        }
    }

    private void Evaluate()
    {
        if (!replaying)
        {
            ServeReads();
        }
        Volatile.Write(ref sequence, sequence + 1);
        audit?.StartBatch(sequence);
        Counters.Batches++;
        var newDay = DateOnly.FromDateTime(new DateTime(Math.Max(batchMarketTime, 1), DateTimeKind.Utc));
        var opensDay = newDay != day;
        if (opensDay)
        {
            // A new trading day: calendar rebalances may fall due and parked breaches get another look.
            previousDay = day;
            day = newDay;
            sweepAllRequested = true;
            // Purchases and loss sales more than 30 days back can wash nothing from today on.
            tax?.Ledger.ForgetBefore(day);
            ExpireApprovals();
            if (daysOpened.Count < MaxDaysOpenedKept)
            {
                daysOpened.Enqueue((day, sequence));
            }
        }

        // The oldest tick of the batch is where the tick-to-order time of every trade the batch releases starts.
        batchOrigin = receivedCount > 0 ? receivedAt[0] : 0;
        var batchPrices = batchChanges;
        PassOnReports();
        ApplyFills();
        ApplyCommands();
        if (closing.Count > 0)
        {
            FinishCloses();
        }
        if (moving.Count > 0)
        {
            FinishMoves();
        }
        if (splitting.Count > 0)
        {
            FinishSplits();
        }
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
        SettleApprovals();
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
}
