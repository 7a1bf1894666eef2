using System.Collections.Concurrent;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Risk;
using FastRebal.Engine.State;
using Microsoft.Extensions.Hosting;

namespace FastRebal.Engine.Pipeline;

/// <summary>How the live engine is set up. Every part has a default that suits a firm of about 100k accounts.</summary>
public sealed record EngineOptions
{
    /// <summary>Slots in the ring from ingestion to evaluation (a power of two).</summary>
    public int PriceRingCapacity { get; init; } = 1 << 16;

    /// <summary>Slots in the ring from evaluation to the order stage (a power of two).</summary>
    public int OrderRingCapacity { get; init; } = 1 << 16;

    /// <summary>Blocking (the default: least CPU, right for two cores) or yielding waits between stages.</summary>
    public bool YieldingWaits { get; init; }

    /// <summary>
    /// Sweep on both cores: a second thread (<see cref="Drift.SweepPartner"/>) takes chunks of every slice, a busy
    /// feed's rolling slices included. It spins for a millisecond after each slice before it sleeps, so it costs CPU.
    /// </summary>
    public bool ParallelSweep { get; init; }

    public VerificationPolicy Verification { get; init; } = new();

    /// <summary>
    /// Pre-trade limits. When null, the defaults of <see cref="PreTradeLimits"/> with the order-rate limit set to the
    /// book's number of positions per interval: even a rebalance of every account trades each position at most once,
    /// so more orders than that in one interval can only be a loop gone wrong.
    /// </summary>
    public PreTradeLimits? Limits { get; init; }

    public SlicingPolicy Slicing { get; init; } = new();

    /// <summary>How the built-in simulated venue fills, refuses and delays orders (ignored with <see cref="ExternalVenue"/>).</summary>
    public Orders.Execution.SimulatedVenueOptions SimulatedVenue { get; init; } = new();

    /// <summary>
    /// The order sink is a firm's own gateway: no simulated venue runs, and nothing trades until the gateway hands
    /// the venue's execution reports to <see cref="EngineHost.Executions"/>.
    /// </summary>
    public bool ExternalVenue { get; init; }

    /// <summary>Told of every change to the book's positions and cash as it is made (not during a recovery's replay); none when null.</summary>
    public IBookLedger? BookLedger { get; init; }

    /// <summary>What happens to the rest of a child order that traded in part.</summary>
    public Orders.Execution.PartialFillPolicy PartialFills { get; init; }

    /// <summary>
    /// Most accounts whose trades form one set of block orders. Smaller blocks reach the market sooner; larger ones
    /// aggregate more. The first account released in a batch always goes at once.
    /// </summary>
    public int AccountsPerBlock { get; init; } = EvaluationStage.DefaultAccountsPerBlock;

    /// <summary>Market time between scheduled full sweeps of every account (ticks otherwise re-evaluate only the accounts they touch).</summary>
    public TimeSpan FullSweepInterval { get; init; } = EvaluationStage.DefaultFullSweepInterval;

    /// <summary>
    /// Market days an item held for an operator stands before it expires (1: until the end of the day it was held,
    /// the default; 0: until an operator decides). An expired item is audited, and its account decided afresh at the
    /// next day's prices: held again if it still needs an operator.
    /// </summary>
    public int ApprovalExpiryDays { get; init; } = 1;

    /// <summary>Market-wide breaker levels (falls of the reference index from the previous close).</summary>
    public IReadOnlyList<double> MarketBreakerLevels { get; init; } = [0.07, 0.13, 0.20];

    /// <summary>Symbol of the instrument the market-wide breaker watches; none when absent from the book.</summary>
    public string ReferenceIndexSymbol { get; init; } = "SPY";

    /// <summary>
    /// The audit chain every decision, released trade, plan the risk gate held, operator command and kill-switch
    /// change is appended to (on a writer task of its own); none when null.
    /// </summary>
    public AuditChain? Audit { get; init; }

    /// <summary>Where the kill switch keeps its state across restarts; in memory only when null.</summary>
    public string? KillSwitchPath { get; init; }

    /// <summary>
    /// Average daily volume by instrument id for the %ADV cap (a market-data file), ahead of each instrument's own
    /// <see cref="Model.Instrument.AverageDailyVolume"/>; every id must be an instrument of the book.
    /// </summary>
    public IReadOnlyDictionary<string, decimal>? AverageDailyVolumes { get; init; }

    /// <summary>
    /// Shares per day the %ADV cap assumes for an instrument with no volume of its own or in
    /// <see cref="AverageDailyVolumes"/>; such instruments are flagged (<see cref="EngineHost.AverageDailyVolumes"/>).
    /// </summary>
    public decimal DefaultAverageDailyVolume { get; init; } = Orders.Slicing.AverageDailyVolumes.StandardDefault;

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Journal every input and checkpoint the state in this folder, and recover from it at start (see
    /// <see cref="EngineDurability"/>); in memory only when null. The kill switch then lives in the journal too, and
    /// <see cref="KillSwitchPath"/>, when set, keeps a copy of it for a host to show before the engine is up.
    /// </summary>
    public DurabilityOptions? Durability { get; init; }

    /// <summary>
    /// The taxable accounts' lots and every account's tax settings: plans are made tax-aware (lot relief, gains budget,
    /// deferral, cash-only) and fills move the lots. None when null (the engine then sells without regard to basis).
    /// </summary>
    public Tax.TaxBook? Tax { get; init; }

    /// <summary>Evaluate each trading day before ingesting the next (a replay read as fast as possible). See <see cref="IngestLoop.Lockstep"/>.</summary>
    public bool Lockstep { get; init; }

    /// <summary>
    /// Cash flows and other book events by date: each is applied in the first batch whose market day reaches its date
    /// (those dated on or before the opening day, at the opening), journaled with that batch and audited.
    /// </summary>
    public IReadOnlyList<Model.BookEvent>? BookEvents { get; init; }
}

/// <summary>A snapshot of the running engine for the console, the CLI and health checks.</summary>
public sealed record EngineStatus(
    bool Running,
    bool FeedCompleted,
    string Feed,
    DateOnly MarketDay,
    long TicksRead,
    long PricesPublished,
    long TicksRejected,
    int FrozenInstruments,
    long Batches,
    long AccountsEvaluated,
    long Decisions,
    long TradesReleased,
    long OrdersSent,
    long OrdersCancelled,
    long RiskAccepted,
    long RiskRejected,
    int AccountsInBreach,
    int AwaitingApproval,
    int HaltedAccounts,
    int MarketBreakerLevel,
    KillSwitchState KillSwitch,
    long PriceRingBacklog,
    long OrderRingBacklog,
    int PendingChildOrders,
    int PendingCommands,
    string? Fault);

/// <summary>
/// The live engine in one object: ingestion (feed, verification) on its own thread, a ring to the evaluation stage
/// (incremental drift, decisions, risk gate), a ring to the order stage (blocks, slices, sink), and a control plane
/// for operators. Start and stop it directly from any host, or register it as an <see cref="IHostedService"/> in an
/// ASP.NET host.
/// </summary>
public sealed class EngineHost : IHostedService, IAsyncDisposable
{
    private readonly AccountBook book;
    private readonly IPriceFeed feed;
    private readonly RingBuffer<PriceEvent> priceRing;
    private readonly RingBuffer<OrderEvent> orderRing;
    private readonly IngestLoop ingest;
    private readonly BatchProcessor<PriceEvent, EvaluationHandler> evaluationProcessor;
    private readonly BatchProcessor<OrderEvent, OrderHandler> orderProcessor;
    private readonly RiskPlanGate planGate;
    private readonly AuditWriter? auditWriter;
    private readonly IDisposable? killSwitchAudit;
    private int started;
    private int stopped;
    private volatile string? fault;

    public EngineHost(AccountBook book, IPriceFeed feed, IOrderSink sink, EngineOptions? options = null)
    {
        options ??= new EngineOptions();
        this.book = book;
        this.feed = feed;
        Options = options;
        Sink = sink;
        // Checked before anything is opened, so bad volumes leave nothing behind.
        AverageDailyVolumes = new AverageDailyVolumes(book.Instruments, options.AverageDailyVolumes, options.DefaultAverageDailyVolume);

        Verifier = new PriceVerifier(book.Instruments, feed.SourceCount, options.Verification);
        for (var i = 0; i < book.Instruments.Count; i++)
        {
            // The book opens on prices it was loaded with; the feed must keep them fresh from here on.
            if (book.Prices[i] > 0)
            {
                Verifier.Seed(i, book.Prices[i], feed.Now);
            }
        }
        if (options.Durability is { } durable)
        {
            Durability = new EngineDurability(durable);
        }
        KillSwitch = new KillSwitch(
            Durability is not null ? new JournalKillSwitchStore(Durability.Journal, options.KillSwitchPath is { } copy ? new FileKillSwitchStore(copy) : null)
            : options.KillSwitchPath is { } path ? new FileKillSwitchStore(path)
            : new InMemoryKillSwitchStore());
        var limits = options.Limits ?? new PreTradeLimits { MaxOrdersPerInterval = Math.Max(10_000, book.SlotCount) };
        var referencePrices = new JournaledReferencePrices(Verifier);
        Risk = new RiskGate(book.AccountCount, book.Models.Count, book.Instruments, limits, KillSwitch,
            referencePrices, new MarketWideBreaker(options.MarketBreakerLevels));
        var reference = -1;
        for (var i = 0; i < book.Instruments.Count; i++)
        {
            if (book.Instruments[i].Symbol == options.ReferenceIndexSymbol)
            {
                reference = i;
            }
        }
        planGate = new RiskPlanGate(Risk, reference);

        priceRing = new RingBuffer<PriceEvent>(options.PriceRingCapacity, Wait(options));
        orderRing = new RingBuffer<OrderEvent>(options.OrderRingCapacity, Wait(options));
        var fills = new ConcurrentQueue<AccountFill>();
        if (options.Audit is { } chain)
        {
            auditWriter = new AuditWriter(chain);
            killSwitchAudit = AuditHooks.RecordKillSwitch(chain, KillSwitch);
        }
        Evaluation = new EvaluationStage(book, Control, fills, planGate, new RingOrderPublisher(orderRing), PriceToDecision, options.ParallelSweep, options.PriceRingCapacity, options.AccountsPerBlock, options.FullSweepInterval, auditWriter, tax: options.Tax, bookEvents: options.BookEvents, executions: Executions, approvalExpiryDays: options.ApprovalExpiryDays);
        Evaluation.BookLedger = options.BookLedger;
        Evaluation.ReferencePrices = referencePrices;
        Orders = new OrderStage(book, options.Slicing, SlicingVolume, sink,
            options.ExternalVenue ? null : new Orders.Execution.SimulatedVenue(options.SimulatedVenue), KillSwitch, fills, TickToOrder, options.PartialFills);

        ingest = new IngestLoop(feed, Verifier, priceRing)
        {
            HeartbeatInterval = options.HeartbeatInterval,
            Lockstep = options.Lockstep,
            OnFault = Fail,
            JournalOrder = referencePrices.JournalOrder,
            Splits = Model.BookEvent.SplitSchedule(options.BookEvents ?? [], book.Instruments),
        };
        evaluationProcessor = new BatchProcessor<PriceEvent, EvaluationHandler>(priceRing, new EvaluationHandler(Evaluation, Metrics, EvaluationBatch), "fastrebal-evaluate") { OnFault = Fail };
        orderProcessor = new BatchProcessor<OrderEvent, OrderHandler>(orderRing, new OrderHandler(Orders), "fastrebal-orders") { OnFault = Fail };
        // Lockstep waits for both rings before the next day, so fills of one day are applied before the next begins.
        ingest.PipelineIdle = () => priceRing.Backlog == 0 && orderRing.Backlog == 0;
        if (!options.Lockstep)
        {
            // A rolling pass lets waiting prices in between slices. A lockstep replay keeps one pass per day: its
            // batches, and so its orders, must not depend on timing.
            Evaluation.MoreInputWaiting = () => priceRing.Cursor.Value > Evaluation.LastRingSequence;
        }
        Durability?.Attach(new EngineParts(book, Evaluation, Orders, Risk, planGate, KillSwitch, Verifier, ingest, fills, () => orderRing.Backlog == 0, () => auditWriter?.WaitUntilWritten(), options.Audit));
        RegisterMetrics();
    }

    /// <summary>The journal and checkpoints, when <see cref="EngineOptions.Durability"/> is set.</summary>
    public EngineDurability? Durability { get; }

    public EngineOptions Options { get; }

    /// <summary>The volume each instrument is sliced by, and which instruments use the default (flagged for the operator).</summary>
    public AverageDailyVolumes AverageDailyVolumes { get; }

    /// <summary>
    /// The average daily volume the slicer caps an instrument's children by: shares a day as the files gave them, times
    /// the splits since (a split multiplies them as it does every holding).
    /// </summary>
    public decimal SlicingVolume(int instrument) => AverageDailyVolumes[instrument] * (decimal)Book.Instruments.SplitFactor(instrument);

    public AccountBook Book => book;

    public ControlPlane Control { get; } = new();

    /// <summary>Where a firm's gateway hands the venue's execution reports (see <see cref="EngineOptions.ExternalVenue"/>).</summary>
    public Orders.Execution.ExecutionReports Executions { get; } = new();

    public KillSwitch KillSwitch { get; }

    public RiskGate Risk { get; }

    public PriceVerifier Verifier { get; }

    public EvaluationStage Evaluation { get; }

    public OrderStage Orders { get; }

    public IOrderSink Sink { get; }

    public EngineMetrics Metrics { get; } = new();

    /// <summary>From a verified price entering the engine to the end of the evaluation of the accounts it touched.</summary>
    public LatencyRecorder PriceToDecision { get; } = new("price change to decision");

    /// <summary>How long one evaluation batch takes, from its first event to its end (the stage's service time).</summary>
    public LatencyRecorder EvaluationBatch { get; } = new("evaluation batch");

    /// <summary>From a verified price entering the engine to the first child order it caused leaving through the sink.</summary>
    public LatencyRecorder TickToOrder { get; } = new("tick to order");

    private static IWaitStrategy Wait(EngineOptions options) => options.YieldingWaits ? new YieldingWaitStrategy() : new BlockingWaitStrategy();

    /// <summary>
    /// Opens the day (a full sweep and the day's calendar decisions, on the caller's thread: seconds for a large book
    /// on a quarter's first day), then starts the three threads. Stages start last to first, so nothing is published
    /// to a stage not yet running.
    /// </summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref started, 1) == 1)
        {
            throw new InvalidOperationException("the engine was already started");
        }
        orderProcessor.Start();
        if (Durability is not null)
        {
            ResumeAudit();
        }
        // A durable engine with state on disk continues from it (the journal holds the day's opening already).
        var recovery = Durability?.Recover();
        if (recovery?.Damage is { } damage)
        {
            // Fail closed: nothing trades on a state that stopped short until a person has looked.
            KillSwitch.Engage("engine", $"recovery stopped at damaged state; review before trading: {damage}", recovery.LastSequence, DateTimeOffset.UtcNow);
        }
        if (recovery is { Recovered: true } && KillSwitch.Store is JournalKillSwitchStore { Copy: { } copy })
        {
            copy.Save(KillSwitch.State);
        }
        if (Options.Audit is { } chain)
        {
            // The state is recovered and nothing can change it until the stages run: the trail must explain it. Read
            // before the day's opening, whose records the writer may still be appending.
            AuditHooks.RecordKillSwitchIfMissing(chain, KillSwitch, chain.Store.ReadRules(AuditKind.OperatorAction, AuditHooks.KillSwitchRules));
        }
        var opened = recovery is not { Recovered: true };
        if (opened)
        {
            Evaluation.Open(feed.Now);
        }
        if (recovery?.Damage is not null || (opened && Durability is not null && Options.Durability!.CheckpointAfterOpening))
        {
            // After damage, the checkpoint puts it behind the next start, which resumes from here with the switch still
            // engaged; after a first opening, it keeps the opening's decisions out of any replay. The trail comes first.
            auditWriter?.WaitUntilWritten();
            Durability!.CheckpointStopped();
        }
        evaluationProcessor.Start();
        ingest.Start();
        Durability?.StartSchedule();
    }

    /// <summary>
    /// Stops in pipeline order, each stage draining what the one before it published: no verified price is left
    /// unevaluated and no released trade is left unsent (unless the kill switch is engaged). Commands still queued
    /// are refused.
    /// </summary>
    public void Stop() => Stop(drainFeed: true);

    /// <summary>
    /// Stops the pipeline. With <paramref name="drainFeed"/> every price already read is evaluated first; without it
    /// the evaluation stops after the batch under way and the prices read but not yet taken are left: a durable engine
    /// journals how far into its feed each batch read, so the next start reads them again (an operator's stop, which
    /// must not wait for a backlog of a replay to be evaluated).
    /// </summary>
    public void Stop(bool drainFeed)
    {
        if (Volatile.Read(ref started) == 0 || Interlocked.Exchange(ref stopped, 1) == 1)
        {
            return;
        }
        ingest.Stop();
        evaluationProcessor.Stop(drain: drainFeed);
        if (fault is null)
        {
            // A busy feed may leave a rolling pass half way: its prices are evaluated for every account before stopping.
            try
            {
                Evaluation.FinishPass();
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }
        Evaluation.ReleaseSweepPartner();
        // The book no longer moves: reads still waiting for a batch are served as it stands.
        Evaluation.ServeReads();
        orderProcessor.Stop();
        Control.Close();
        // Everything the stages queued for the audit trail is appended and made durable before Stop returns (and
        // before the last checkpoint, which must never be ahead of the trail).
        auditWriter?.Complete();
        if (Durability is { } durable && Options.Durability!.CheckpointOnStop && fault is null)
        {
            try
            {
                durable.CheckpointStopped();
            }
            catch (Exception e) when (e is IOException or FASTER.core.FasterException)
            {
                // Not fatal: the journal holds every input, so the next start replays it from the last checkpoint.
                Options.Durability.Log?.Invoke($"checkpoint at stop failed: {e.Message}; the next start replays the journal instead");
            }
        }
        // A checkpoint still asked for was not cut by the stop: its caller hears so instead of waiting for ever.
        Durability?.RefuseWaitingRequest();
    }

    /// <summary>
    /// Takes a checkpoint. On a running engine it is cut at the next quiet point between batches; on an engine not
    /// started (the <c>fastrebal checkpoint</c> command) the state on disk is recovered first, then saved whole, so the
    /// next start replays nothing. A running engine whose feed has ended refuses at once: no batch will come to cut it
    /// at (stop the engine, which checkpoints when <see cref="DurabilityOptions.CheckpointOnStop"/> is set).
    /// </summary>
    public async Task<CheckpointInfo> CheckpointAsync()
    {
        var durable = Durability ?? throw new InvalidOperationException("the engine keeps no state on disk (set EngineOptions.Durability)");
        if (Volatile.Read(ref started) == 1 && Volatile.Read(ref stopped) == 0)
        {
            if (ingest.FeedCompleted)
            {
                throw new InvalidOperationException(EngineDurability.FeedEndedRefusal);
            }
            return await durable.RequestCheckpoint().ConfigureAwait(false);
        }
        if (Volatile.Read(ref started) == 1)
        {
            return durable.CheckpointStopped();
        }
        var recovery = RecoverStopped();
        if (recovery.Damage is { } damage)
        {
            throw new StateDamageException($"not checkpointing a state that stopped short: {damage}. `fastrebal run` on this folder continues from the last good state with the kill switch engaged.");
        }
        return durable.CheckpointStopped();
    }

    /// <summary>
    /// Recovers the state on disk into an engine that will not run (the checkpoint command, the recovery benchmark):
    /// the order stage runs meanwhile, since replayed trades pass through it.
    /// </summary>
    internal RecoveryReport RecoverStopped()
    {
        var durable = Durability ?? throw new InvalidOperationException("the engine keeps no state on disk (set EngineOptions.Durability)");
        if (Interlocked.Exchange(ref started, 1) == 1)
        {
            throw new InvalidOperationException("the engine was already started");
        }
        orderProcessor.Start();
        ResumeAudit();
        var recovery = durable.Recover();
        orderProcessor.Stop();
        auditWriter?.Complete();
        Volatile.Write(ref stopped, 1);
        return recovery;
    }

    /// <summary>Tells the audit writer which records of the batches recovery replays the chain already holds.</summary>
    private void ResumeAudit()
    {
        if (auditWriter is not null)
        {
            var (lastBatch, records) = AuditWriter.LastBatchIn(auditWriter.Chain);
            auditWriter.ResumeAfter(lastBatch, records);
        }
    }

    /// <summary>
    /// A digest of the engine's state (holdings, cash, policies, per-account decision state, breakers, open orders):
    /// two engines that took the same inputs have the same digest. Call when stopped.
    /// </summary>
    public string StateDigest() => FastRebal.Engine.Pipeline.StateDigest.Of(book, Evaluation, Risk, Orders);

    /// <summary>Every batch published so far is evaluated and every order event handled (more may come while the feed runs).</summary>
    internal bool PipelineIdle => priceRing.Backlog == 0 && orderRing.Backlog == 0;

    /// <summary>Waits until a finite feed (a replay) has been read to its end and every stage has drained it.</summary>
    public async Task WaitForFeedAsync(CancellationToken cancellationToken = default)
    {
        while (!ingest.FeedCompleted || !PipelineIdle)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.Run(Stop, cancellationToken);

    public ValueTask DisposeAsync()
    {
        Stop();
        // An engine disposed without being started still made its sweep partner's thread.
        Evaluation.ReleaseSweepPartner();
        killSwitchAudit?.Dispose();
        Durability?.Dispose();
        Metrics.Dispose();
        (Sink as IDisposable)?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The engine now. Safe from any thread; figures from different stages may be a batch apart.</summary>
    public EngineStatus Status()
    {
        var frozen = 0;
        for (var i = 0; i < book.Instruments.Count; i++)
        {
            frozen += Verifier.IsFrozen(i) ? 1 : 0;
        }
        var breaches = 0;
        var drift = Evaluation.Drift;
        for (var a = 0; a < book.AccountCount; a++)
        {
            breaches += drift.Breaches(a) ? 1 : 0;
        }
        var rejectedTicks = 0L;
        foreach (var reason in Enum.GetValues<TickRejection>())
        {
            rejectedTicks += Verifier.Rejections(reason);
        }
        var e = Evaluation.Counters;
        var o = Orders.Counters;
        return new EngineStatus(
            Volatile.Read(ref started) == 1 && Volatile.Read(ref stopped) == 0,
            ingest.FeedCompleted,
            feed.Name,
            Evaluation.Day,
            Volatile.Read(ref ingest.Counters.TicksRead),
            Volatile.Read(ref ingest.Counters.PricesPublished),
            rejectedTicks,
            frozen,
            Volatile.Read(ref e.Batches),
            Volatile.Read(ref e.AccountsEvaluated),
            Volatile.Read(ref e.Decisions),
            Volatile.Read(ref e.TradesReleased),
            Volatile.Read(ref o.ChildrenSent),
            Volatile.Read(ref o.ChildrenCancelled),
            Risk.Accepted,
            Risk.TotalRejected,
            breaches,
            Evaluation.AwaitingApproval,
            Risk.Accounts.HaltedCount,
            Risk.Market.TrippedLevel,
            KillSwitch.State,
            priceRing.Backlog,
            orderRing.Backlog,
            Orders.Pending,
            Control.Pending,
            fault);
    }

    private void Fail(Exception e)
    {
        // A stage that throws (a bug, or a journal that can no longer be written) must stop trading and say why.
        fault ??= $"{e.GetType().Name}: {e.Message}";
        try
        {
            KillSwitch.Engage("engine", $"pipeline fault: {e.GetType().Name}: {e.Message}", 0, DateTimeOffset.UtcNow);
        }
        catch (Exception persist) when (persist is IOException or FASTER.core.FasterException)
        {
            // The switch is engaged in memory before its store is written; only keeping it on disk failed (the same
            // full disk, most likely). Nothing leaves, and the fault says both.
            fault = $"{fault}; the kill switch is engaged but could not be saved: {persist.Message}";
        }
    }

    private void RegisterMetrics()
    {
        Metrics.Counter("fastrebal.ticks.read", "{tick}", "Quotes read from the feed", () => Volatile.Read(ref ingest.Counters.TicksRead));
        Metrics.Counter("fastrebal.prices.verified", "{price}", "Verified price changes published to evaluation", () => Volatile.Read(ref ingest.Counters.PricesPublished));
        Metrics.Counter("fastrebal.orders.sent", "{order}", "Child orders sent", () => Volatile.Read(ref Orders.Counters.ChildrenSent));
        Metrics.Counter("fastrebal.risk.rejected", "{order}", "Orders the risk gate refused", () => Risk.TotalRejected);
        Metrics.Counter("fastrebal.decisions", "{decision}", "Accounts decided", () => Volatile.Read(ref Evaluation.Counters.Decisions));
        Metrics.Gauge("fastrebal.queue.prices", "{event}", "Price events waiting for evaluation", () => priceRing.Backlog);
        Metrics.Gauge("fastrebal.queue.orders", "{event}", "Order events waiting for the order stage", () => orderRing.Backlog);
        Metrics.Gauge("fastrebal.queue.commands", "{command}", "Operator commands waiting", () => Control.Pending);
        Metrics.Latency("fastrebal.latency.price_to_decision.p99", PriceToDecision);
        Metrics.Latency("fastrebal.latency.tick_to_order.p99", TickToOrder);
        Metrics.Gauge("fastrebal.orders.pending", "{order}", "Child orders scheduled and not yet sent", () => Orders.Pending);
    }
}
