using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FastRebal.Engine.Firms;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders.Execution;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Reconciliation;
using FastRebal.Engine.Risk;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>fastrebal run</c>: the live pipeline on a generated firm, fed by a replay of real daily history or a random
/// walk, with a progress line while it runs and its throughput and latency figures at the end.
/// </summary>
public static class RunCommand
{
    /// <summary>
    /// Where a replay starts when --from is not given: the last quarter of the data (April to June 2025), which opens
    /// with the quarter's calendar rebalances and holds the tariff sell-off of early April.
    /// </summary>
    public static readonly DateOnly DefaultReplayStart = new(2025, 3, 31);

    public static Command Create() => Build("run", "Run the live pipeline (ingest, verify, drift, decide, risk gate, slice) and report throughput and latency", checkpointOnly: false);

    /// <summary>
    /// <c>fastrebal checkpoint</c>: with the options a durable run used, recovers its state folder (newest good
    /// checkpoint plus the journal after it), saves it as one fresh checkpoint, prunes old ones and drops the journal
    /// they no longer need. Run it while the engine is stopped.
    /// </summary>
    public static Command CreateCheckpoint() => Build("checkpoint", "Recover a --state folder and save it as one fresh checkpoint (prunes old checkpoints and the journal before them); use the options of the run that wrote it", checkpointOnly: true);

    private static Command Build(string name, string description, bool checkpointOnly)
    {
        var firm = new FirmOptions(defaultAccounts: 100_000, FirmShape.Realistic);
        var feed = new Option<string>("--feed") { Description = "replay (data/), replay:PATH (a data folder or one etf_SYMBOL_daily.csv), random (load), or probe (a quiet market, one 2% step at a time, for tick-to-order)", DefaultValueFactory = _ => "replay" };
        var speed = new Option<double>("--speed") { Description = "replay: trading days per second (0 = each day as soon as the last is evaluated); random: ticks per second (0 = as fast as possible); probe: steps per second (0 = 20)", DefaultValueFactory = _ => 0 };
        var duration = new Option<TimeSpan?>("--duration") { Description = "Stop after this long (e.g. 00:00:10); a replay otherwise runs to its end, a random or probe feed for 10 s" };
        var warmup = new Option<TimeSpan?>("--warmup") { Description = "Discard latency samples from this first stretch of the run (default: 2 s for a random or probe feed, none for a replay)" };
        var from = new Option<DateOnly?>("--from") { Description = $"replay: the day the book is priced on; the replay starts the next trading day (default {DefaultReplayStart:yyyy-MM-dd})" };
        var to = new Option<DateOnly?>("--to") { Description = "replay: the last day replayed (default: the last day every instrument has a close)" };
        var volatility = new Option<double>("--volatility") { Description = "random: standard deviation of one step's return (0.0005 = 5 bps)", DefaultValueFactory = _ => 0.0005 };
        var sources = new Option<int>("--sources") { Description = "Independent sources quoting each instrument", DefaultValueFactory = _ => 3 };
        var sliceInterval = new Option<TimeSpan>("--slice-interval") { Description = "Time between child orders of a block (market time)", DefaultValueFactory = _ => TimeSpan.FromSeconds(5) };
        var blotter = new Option<string?>("--blotter") { Description = "Write every order and cancel to this CSV file" };
        var killSwitchFile = new Option<string?>("--kill-switch-file") { Description = "Keep the kill switch state in this file across runs" };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON" };
        var audit = AuditCommand.FileOption();
        var parallelSweep = new Option<bool>("--parallel-sweep") { Description = "Sweep on both cores: a second thread takes chunks of every slice, a busy feed's rolling slices included" };
        var state = new Option<string?>("--state") { Description = "Journal every input and checkpoint the state in this folder; a run finding state there recovers it and continues (needs the same firm and feed options)", Required = checkpointOnly };
        var checkpointInterval = new Option<TimeSpan>("--checkpoint-interval") { Description = "With --state: wall-clock time between checkpoints", DefaultValueFactory = _ => TimeSpan.FromMinutes(1) };
        var checkpointSize = new Option<int>("--checkpoint-journal-mb") { Description = "With --state: also checkpoint once the journal has grown this many MB since the last checkpoint (0 = off)", DefaultValueFactory = _ => 64 };
        var checkpointReplay = new Option<int>("--checkpoint-replay-ms") { Description = "With --state: also checkpoint once evaluation has spent this many ms deciding since the last checkpoint, which bounds what a recovery replays (0 = off)", DefaultValueFactory = _ => 500 };
        var lots = new Option<bool>("--lots") { Description = "Give the taxable accounts 3 to 5 tax lots per position: plans relieve lots by each account's method (tax-optimal) and fills move them; checkpointed and in the digest" };
        var harvest = new Option<bool>("--harvest") { Description = "With --lots: harvest tax losses daily at the open (lots down 5% and 500 or more), buying a substitute the account holds; the trades go through the risk gate like any other" };
        var firmPath = new Option<string?>("--firm") { Description = "Run a firm's own book instead of a generated one: a firm folder (firm.json with accounts.csv, positions.csv, lots.csv...; see docs/firm-files.md) or a scenario JSON file. Its lots and tax elections come from its files; a bad account is reported and left out" };
        var events = new Option<string?>("--events") { Description = "A CSV file of book events (date,account_id,kind[,amount][,note][,policy_id]...; kinds deposit, withdrawal, dividend, interest, fee with an amount, ips with the policy_id of one of the firm's named policies, close, open with a model_id and policy_id, split with an instrument_id and ratio, symbol with an instrument_id and symbol; see docs/firm-files.md): each is applied when the market reaches its date, journaled and audited" };
        var openCapacity = new Option<int>("--open-capacity") { Description = "With --firm: keep this many rows free after the firm's accounts to open accounts in while running (open events); a --state folder needs the same number every start", DefaultValueFactory = _ => 0 };
        var venueFillRatio = new Option<decimal>("--venue-fill-ratio") { Description = "Simulated venue: the share of each child order that trades (0 to 1); the rest rests until the market day ends, then expires", DefaultValueFactory = _ => 1m };
        var venueRejectRate = new Option<double>("--venue-reject-rate") { Description = "Simulated venue: the share of child orders it refuses (0 to 1), picked by a hash of the order id so a replay refuses the same ones", DefaultValueFactory = _ => 0 };
        var venueLatency = new Option<TimeSpan>("--venue-latency") { Description = "Simulated venue: market time before its reports (acknowledgement, fill, reject, cancel) come back", DefaultValueFactory = _ => TimeSpan.Zero };
        var partialFills = new Option<string>("--partial-fills") { Description = "The rest of a part-filled child order: keep-open (works until it trades or expires) or cancel-rest (cancelled at once; the account is decided again from what it holds)", DefaultValueFactory = _ => "keep-open" };
        var holdings = new Option<string[]>("--holdings") { Description = "A custodian's end-of-day positions file (as_of,account_id,instrument_id,quantity; CASH rows for cash), compared with the book after the close of its as-of day; every break is listed at the end. Repeat for more days" };
        var acceptBreaks = new Option<bool>("--accept-breaks") { Description = "With --holdings: take the custodian's figures for every account whose breaks can all be accepted (journaled and audited as the run's operator action)" };
        var adv = new Option<string?>("--adv") { Description = "A CSV file of average daily volumes (instrument_id,average_daily_volume; shares per day) for the slicing's %ADV cap, ahead of the firm's own (firm.json's averageDailyVolume); a row for an instrument the book does not hold is a warning" };
        var defaultAdv = new Option<decimal>("--default-adv") { Description = "Shares per day the %ADV cap assumes for an instrument whose volume neither the firm's files nor --adv give; such instruments are named at the start", DefaultValueFactory = _ => AverageDailyVolumes.StandardDefault };
        var ledger = new Option<string?>("--ledger") { Description = "Write every change to the book's positions and cash to this CSV file (day,account_id,kind,instrument_id,quantity,cash; kinds fill, cash-flow, custodian): the loaded book plus these rows is the book at the end. Not with --state" };
        var bookOut = new Option<string?>("--book-out") { Description = "Write the book at the end as a holdings file (as_of,account_id,instrument_id,quantity; a CASH row per account), the format of a custodian's end-of-day file" };
        var digest = new Option<bool>("--digest") { Description = "Print a digest of the final state (holdings, cash, policies, decision state, breakers, open orders): equal inputs give equal digests" };
        var command = new Command(name, description)
        {
            feed, speed, duration, warmup, from, to, volatility, sources, sliceInterval, blotter, killSwitchFile, audit, parallelSweep, json, state, checkpointInterval, checkpointSize, checkpointReplay, digest, lots, harvest, firmPath, events, adv, defaultAdv,
            venueFillRatio, venueRejectRate, venueLatency, partialFills, holdings, acceptBreaks, ledger, bookOut, openCapacity,
        };
        firm.AddTo(command);
        command.SetAction(parse => ExitCodes.Guard(() => Run(new RunSettings(
            firm.Read(parse), parse.GetValue(feed)!, parse.GetValue(speed), parse.GetValue(duration), parse.GetValue(warmup), parse.GetValue(from), parse.GetValue(to), parse.GetValue(volatility), parse.GetValue(sources),
            parse.GetValue(sliceInterval), parse.GetValue(blotter), parse.GetValue(killSwitchFile), parse.GetValue(audit), parse.GetValue(parallelSweep), parse.GetValue(json))
        {
            State = parse.GetValue(state),
            CheckpointInterval = parse.GetValue(checkpointInterval),
            CheckpointJournalMegabytes = parse.GetValue(checkpointSize),
            CheckpointReplayMilliseconds = parse.GetValue(checkpointReplay),
            Digest = parse.GetValue(digest),
            Lots = parse.GetValue(lots),
            Harvest = parse.GetValue(harvest),
            FirmPath = parse.GetValue(firmPath),
            Events = parse.GetValue(events),
            OpenCapacity = parse.GetValue(openCapacity),
            Venue = new SimulatedVenueOptions { FillRatio = parse.GetValue(venueFillRatio), RejectRate = parse.GetValue(venueRejectRate), Latency = parse.GetValue(venueLatency) },
            PartialFills = parse.GetValue(partialFills)!,
            Holdings = parse.GetValue(holdings) ?? [],
            AcceptBreaks = parse.GetValue(acceptBreaks),
            Ledger = parse.GetValue(ledger),
            BookOut = parse.GetValue(bookOut),
            AdvFile = parse.GetValue(adv),
            DefaultAdv = parse.GetValue(defaultAdv),
            GeneratedFirmOptionsGiven = firm.Given(parse),
            CheckpointOnly = checkpointOnly,
        })));
        return command;
    }

    public sealed record RunSettings(
        FirmSpec Firm, string Feed, double Speed, TimeSpan? Duration, TimeSpan? Warmup, DateOnly? From, DateOnly? To, double Volatility, int Sources, TimeSpan SliceInterval,
        string? Blotter, string? KillSwitchFile, string? Audit, bool ParallelSweep, bool Json)
    {
        public string? State { get; init; }

        public int CheckpointJournalMegabytes { get; init; } = 64;

        public int CheckpointReplayMilliseconds { get; init; } = 500;

        public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMinutes(1);

        public bool Digest { get; init; }

        /// <summary>Give the generated firm's taxable accounts lots (<see cref="FirmLots.Table"/>) and make the engine tax-aware.</summary>
        public bool Lots { get; init; }

        /// <summary>With <see cref="Lots"/>: harvest tax losses daily at the open.</summary>
        public bool Harvest { get; init; }

        /// <summary>A CSV file of book events (dated cash flows) applied as the market reaches each date.</summary>
        public string? Events { get; init; }

        /// <summary>Rows kept free after a firm's accounts, to open accounts in while running.</summary>
        public int OpenCapacity { get; init; }

        /// <summary>A CSV file of average daily volumes, ahead of the ones the firm's instruments carry.</summary>
        public string? AdvFile { get; init; }

        /// <summary>Shares per day the %ADV cap assumes for an instrument with no volume of its own.</summary>
        public decimal DefaultAdv { get; init; } = AverageDailyVolumes.StandardDefault;

        /// <summary>A firm folder or scenario file to run instead of a generated firm.</summary>
        public string? FirmPath { get; init; }

        /// <summary>The options that shape a generated firm which the command line gave (refused with <see cref="FirmPath"/>).</summary>
        public IReadOnlyList<string> GeneratedFirmOptionsGiven { get; init; } = [];

        public bool CheckpointOnly { get; init; }

        /// <summary>How the simulated venue fills, refuses and delays child orders.</summary>
        public SimulatedVenueOptions Venue { get; init; } = new();

        /// <summary>keep-open or cancel-rest: what happens to the rest of a part-filled child order.</summary>
        public string PartialFills { get; init; } = "keep-open";

        /// <summary>Custodian end-of-day positions files, each compared with the book after the close of its day.</summary>
        public IReadOnlyList<string> Holdings { get; init; } = [];

        /// <summary>Take the custodian's figures for every account whose breaks can all be accepted.</summary>
        public bool AcceptBreaks { get; init; }

        /// <summary>A CSV file for every change to the book's positions and cash.</summary>
        public string? Ledger { get; init; }

        /// <summary>A holdings file for the book at the end.</summary>
        public string? BookOut { get; init; }
    }

    /// <summary>The most rows <c>--open-capacity</c> keeps free (each has a slot for every instrument of the firm).</summary>
    public const int MaxOpenCapacity = 1_000_000;

    public static int Run(RunSettings settings)
    {
        if (settings.Sources is < 1 or > 32)
        {
            throw new UsageException($"--sources must be 1 to 32 (got {settings.Sources})");
        }
        if (settings.Speed < 0 || !double.IsFinite(settings.Speed))
        {
            throw new UsageException($"--speed must be 0 or more (got {settings.Speed})");
        }
        if (!(settings.Volatility > 0 && settings.Volatility < 0.1))
        {
            throw new UsageException($"--volatility must be above 0 and below 0.1 (got {settings.Volatility})");
        }
        if (settings.Duration is { } d && d <= TimeSpan.Zero)
        {
            throw new UsageException($"--duration must be positive (got {d})");
        }
        if (settings.Warmup is { } w && (w < TimeSpan.Zero || (settings.Duration is { } total && w >= total)))
        {
            throw new UsageException($"--warmup must be from zero up to (not including) --duration (got {w})");
        }
        var replay = settings.Feed == "replay" || settings.Feed.StartsWith("replay:", StringComparison.Ordinal);
        var probe = settings.Feed == "probe";
        if (!replay && !probe && settings.Feed != "random")
        {
            throw new UsageException($"--feed must be replay, replay:PATH, random or probe (got '{settings.Feed}')");
        }

        if (settings.To is { } last && last <= (settings.From ?? DefaultReplayStart))
        {
            throw new UsageException($"--to {last:yyyy-MM-dd} must be after --from {settings.From ?? DefaultReplayStart:yyyy-MM-dd}");
        }
        if ((settings.From is not null || settings.To is not null) && !replay)
        {
            throw new UsageException($"--from and --to apply to a replay only (--feed is {settings.Feed})");
        }
        if (settings.SliceInterval < TimeSpan.Zero || settings.SliceInterval > TimeSpan.FromDays(1))
        {
            throw new UsageException($"--slice-interval must be from 00:00:00 up to one day (got {settings.SliceInterval})");
        }
        if (settings.CheckpointInterval <= TimeSpan.Zero)
        {
            throw new UsageException($"--checkpoint-interval must be positive (got {settings.CheckpointInterval})");
        }
        if (settings.CheckpointJournalMegabytes < 0)
        {
            throw new UsageException($"--checkpoint-journal-mb must be 0 (off) or more (got {settings.CheckpointJournalMegabytes})");
        }
        if (settings.CheckpointReplayMilliseconds < 0)
        {
            throw new UsageException($"--checkpoint-replay-ms must be 0 (off) or more (got {settings.CheckpointReplayMilliseconds})");
        }
        if (AverageDailyVolumes.Problem(settings.DefaultAdv) is { } badDefault)
        {
            throw new UsageException($"--default-adv {badDefault}");
        }
        if (settings.FirmPath is not null)
        {
            CheckImportOptions(settings);
        }
        try
        {
            settings.Venue.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--venue-*: {e.Message}");
        }
        var partialFillPolicy = settings.PartialFills switch
        {
            "keep-open" => PartialFillPolicy.KeepOpen,
            "cancel-rest" => PartialFillPolicy.CancelRest,
            _ => throw new UsageException($"--partial-fills must be keep-open or cancel-rest (got '{TextLimit.Clip(settings.PartialFills, 40)}')"),
        };
        if (settings.OpenCapacity is < 0 or > MaxOpenCapacity)
        {
            throw new UsageException($"--open-capacity must be 0 to {MaxOpenCapacity:N0} (got {settings.OpenCapacity})");
        }
        if (settings.OpenCapacity > 0 && settings.FirmPath is null)
        {
            throw new UsageException("--open-capacity needs --firm: an account is opened under one of the firm's named policies, and a generated firm has none");
        }
        if (settings.Harvest && !settings.Lots)
        {
            throw new UsageException("--harvest needs --lots (a harvest sells lots)");
        }
        OptionChecks.OutputFile("--audit", settings.Audit);
        OptionChecks.OutputFile("--blotter", settings.Blotter);
        OptionChecks.OutputFile("--ledger", settings.Ledger);
        OptionChecks.OutputFile("--book-out", settings.BookOut);
        if (settings.Ledger is not null && settings.State is not null)
        {
            throw new UsageException("--ledger is written by one run from its loaded book; a --state run may start from a checkpoint instead, whose movements before it are in no file");
        }
        OptionChecks.OutputFile("--kill-switch-file", settings.KillSwitchFile);
        OptionChecks.StateFolder("--state", settings.State);
        if (settings.Feed.StartsWith("replay:", StringComparison.Ordinal) && settings.Feed["replay:".Length..] is var data && !Directory.Exists(data) && !File.Exists(data))
        {
            throw new FileNotFoundException($"--feed replay:{TextLimit.Clip(data, 200)}: no such file or folder");
        }

        // A restart recovers from the state folder: its decoders compile on the other core while the firm is read.
        _ = StateDecoders.WarmUpIfRecovering(settings.State);
        var progress = new Progress(quiet: settings.Json);
        var spec = replay ? settings.Firm with { AsOf = settings.From ?? DefaultReplayStart } : settings.Firm;
        var (book, asOf, firmHistory, taxBook, badInput, bookEvents, namedPolicies) = settings.FirmPath is { } firmPath ? Import(firmPath, settings, progress) : Generate(spec, settings, progress);
        if (settings.Events is { } eventsPath)
        {
            var (scheduled, eventErrors) = BookEventFile.Read(eventsPath, book, asOf, namedPolicies);
            foreach (var error in eventErrors)
            {
                Console.Error.WriteLine($"fastrebal: bad input: {error}");
            }
            progress.Step($"book events: {scheduled.Count:N0} from {eventsPath}, {eventErrors.Count:N0} input error(s)");
            bookEvents = [.. bookEvents, .. scheduled];
            badInput |= eventErrors.Count > 0;
        }
        if (settings.AcceptBreaks && settings.Holdings.Count == 0)
        {
            throw new UsageException("--accept-breaks needs --holdings (the custodian's figures to accept)");
        }
        foreach (var holdingsFile in settings.Holdings)
        {
            var custodian = CustodianHoldings.Read(holdingsFile);
            foreach (var error in custodian.Errors)
            {
                Console.Error.WriteLine($"fastrebal: bad input: {error}");
            }
            if (custodian.AsOf < asOf)
            {
                throw new UsageException($"--holdings {TextLimit.Clip(holdingsFile, 200)}: as of {custodian.AsOf:yyyy-MM-dd}, before the book's {asOf:yyyy-MM-dd}; the book already moved on from it");
            }
            progress.Step($"holdings sync: {custodian.Source} as of {custodian.AsOf:yyyy-MM-dd}, {custodian.Accounts.Count:N0} account(s), {custodian.Errors.Count:N0} input error(s)");
            bookEvents = [.. bookEvents, BookEvent.Sync(custodian, settings.AcceptBreaks)];
            badInput |= custodian.Errors.Count > 0;
        }
        Dictionary<string, decimal>? volumes = null;
        if (settings.AdvFile is { } advPath)
        {
            var advRead = AverageDailyVolumeFile.Read(advPath, book.Instruments);
            foreach (var error in advRead.Errors)
            {
                Console.Error.WriteLine($"fastrebal: bad input: {error}");
            }
            foreach (var warning in advRead.Warnings)
            {
                Console.Error.WriteLine($"fastrebal: warning: {warning}");
            }
            progress.Step($"average daily volume: {advRead.Volumes.Count:N0} instrument(s) from {advPath}, {advRead.Errors.Count:N0} input error(s), {advRead.Warnings.Count:N0} warning(s)");
            volumes = advRead.Volumes;
            badInput |= advRead.Errors.Count > 0;
        }
        var history = replay ? ReplayHistory(settings.Feed, firmHistory) : null;
        if (history is not null)
        {
            CheckReplayDays(settings, book, history, asOf);
        }
        // A live feed's market clock starts at the US open of the day the book was priced, so the engine opens the day it knows.
        var marketOpen = new DateTimeOffset(asOf.ToDateTime(new TimeOnly(14, 30)), TimeSpan.Zero);
        IPriceFeed feed = replay
            ? new ReplayFeed(book.Instruments, history!, asOf, settings.To, sources: settings.Sources, daysPerSecond: settings.Speed, seed: spec.Seed, splits: BookEvent.SplitSchedule(bookEvents, book.Instruments))
            : probe
                ? new ProbeFeed(book.Prices, settings.Sources, MostHeld(book), 0.02, TimeSpan.FromSeconds(1 / (settings.Speed > 0 ? settings.Speed : 20)), marketOpen)
                // Quotes jitter around the opening prices (about 1% standard deviation), as intraday quotes do, so a
                // million ticks a second load the engine without moving markets further than a real day would.
                : new RandomWalkFeed(book.Prices, settings.Sources, spec.Seed, settings.Speed, settings.Volatility, meanReversion: 0.00125, marketStart: marketOpen);
        var minSources = Math.Min(2, settings.Sources);
        using var chain = AuditCommand.OpenChain(settings.Audit);
        using var ledgerFile = settings.Ledger is { } ledgerPath ? new BookLedgerFile(ledgerPath, book) : null;
        var options = new EngineOptions
        {
            Audit = chain,
            BookLedger = ledgerFile,
            Slicing = new SlicingPolicy { Interval = settings.SliceInterval },
            SimulatedVenue = settings.Venue,
            PartialFills = partialFillPolicy,
            KillSwitchPath = settings.KillSwitchFile,
            Lockstep = replay && settings.Speed == 0,
            ParallelSweep = settings.ParallelSweep,
            Tax = taxBook,
            BookEvents = bookEvents,
            AverageDailyVolumes = volumes,
            DefaultAverageDailyVolume = settings.DefaultAdv,
            Durability = settings.State is { } folder
                ? new DurabilityOptions { Directory = folder, CheckpointInterval = settings.CheckpointInterval, CheckpointJournalBytes = (long)settings.CheckpointJournalMegabytes << 20, CheckpointReplayBudget = TimeSpan.FromMilliseconds(settings.CheckpointReplayMilliseconds), Log = line => progress.Step(line) }
                : null,
            // A daily replay and a quiet probe market keep the daily staleness limit; a random feed quotes everything constantly.
            Verification = replay || probe
                ? new VerificationPolicy { MinSources = minSources }
                : new VerificationPolicy { MinSources = minSources, DefaultStaleness = TimeSpan.FromSeconds(30) },
        };
        IOrderSink sink = settings.Blotter is { } path ? new BlotterFileSink(path) : new InMemoryOrderSink();

        var engine = new EngineHost(book, feed, sink, options);
        if (settings.CheckpointOnly)
        {
            var taken = Stopwatch.StartNew();
            var checkpoint = engine.CheckpointAsync().GetAwaiter().GetResult();
            var recovery = engine.Durability!.Recovery!;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"checkpoint {checkpoint.Token}: batch {checkpoint.Sequence}, {recovery.BatchesReplayed:N0} batch(es) replayed{(recovery.Checkpoint is { } from ? $" after checkpoint of batch {from.Sequence}" : "")}, written in {taken.Elapsed.TotalMilliseconds:0} ms"));
            if (settings.Digest)
            {
                Console.WriteLine($"state digest {engine.StateDigest()}");
            }
            engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return ExitCodes.Ok;
        }
        progress.Step(engine.AverageDailyVolumes.Describe());
        progress.Step($"feed: {feed.Name}; {book.OpenAccountCount:N0} accounts, {book.SlotCount:N0} positions");
        if (engine.KillSwitch.IsEngaged)
        {
            progress.Step($"kill switch is ENGAGED ({engine.KillSwitch.State.Who}: {engine.KillSwitch.State.Why}); no order will leave");
        }
        var limit = settings.Duration ?? (replay ? TimeSpan.MaxValue : TimeSpan.FromSeconds(10));
        // The day's opening (a full sweep and the calendar decisions due that day) runs inside Start, before any tick
        // is read; it is reported on its own so the throughput and latency figures describe the running pipeline.
        var opening = Stopwatch.StartNew();
        engine.Start();
        progress.Step($"day opened in {opening.Elapsed.TotalSeconds:0.00} s ({engine.Status().Decisions:N0} decisions); ingesting");
        // Settle the heap once the day has opened: everything built so far (the book, the history, the open's decisions)
        // moves to the oldest generation now, at the start of the warm-up, instead of in the first collection of the
        // measured run (a pause of every thread of 27 to 32 ms, measured on the probe book).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var clock = Stopwatch.StartNew();
        var warmupLeft = settings.Warmup ?? (replay ? TimeSpan.Zero : TimeSpan.FromSeconds(2));
        var warmedUp = warmupLeft == TimeSpan.Zero;
        var gcAtStart = GarbageCollections.Now();
        var lastLine = TimeSpan.Zero;
        var lastTicks = 0L;
        while (clock.Elapsed < limit && !(replay && engine.Status() is { FeedCompleted: true } done && done.PriceRingBacklog == 0 && done.OrderRingBacklog == 0))
        {
            Thread.Sleep(50);
            if (!warmedUp && clock.Elapsed >= warmupLeft)
            {
                // The first seconds carry the open's orders and the JIT; a load test reports the pipeline after them.
                engine.PriceToDecision.Reset();
                engine.TickToOrder.Reset();
                engine.EvaluationBatch.Reset();
                gcAtStart = GarbageCollections.Now();
                warmedUp = true;
                progress.Step($"warm-up of {warmupLeft.TotalSeconds:0.#} s over: latency figures start now");
            }
            if (clock.Elapsed - lastLine >= TimeSpan.FromSeconds(1))
            {
                var s = engine.Status();
                var rate = (s.TicksRead - lastTicks) / (clock.Elapsed - lastLine).TotalSeconds;
                progress.Step(string.Create(CultureInfo.InvariantCulture,
                    $"{s.MarketDay:yyyy-MM-dd}  {rate,12:N0} ticks/s  {s.Decisions,9:N0} decisions  {s.OrdersSent,9:N0} orders  {s.RiskRejected,6:N0} rejected  in breach {s.AccountsInBreach,7:N0}  p99 price->decision {engine.PriceToDecision.Percentile(99).TotalMilliseconds:0.00} ms"));
                lastLine = clock.Elapsed;
                lastTicks = s.TicksRead;
            }
        }
        engine.Stop();
        var elapsed = clock.Elapsed;
        var status = engine.Status();
        var figures = RunFigures.From(engine, status, elapsed, warmedUp ? warmupLeft : elapsed, GarbageCollections.Now().Since(gcAtStart));
        var stateDigest = settings.Digest ? engine.StateDigest() : null;
        if (settings.BookOut is { } bookOutPath)
        {
            BookLedgerFile.WriteBook(bookOutPath, book, engine.Evaluation.Day);
        }
        engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (chain is not null)
        {
            progress.Step($"audit {settings.Audit}: chain at record {chain.LastSequence}");
        }

        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(figures, ScenarioDocument.JsonOptions));
        }
        else
        {
            figures.Print(Console.Out);
        }
        if (figures.Holdings is { } reconciliation && !settings.Json)
        {
            PrintBreaks(Console.Out, reconciliation);
        }
        if (stateDigest is not null)
        {
            Console.WriteLine($"state digest {stateDigest}");
        }
        return status.Fault is not null ? ExitCodes.InternalError
            : engine.Durability?.Recovery?.Damage is not null ? ExitCodes.StateDamage
            : badInput ? ExitCodes.BadInput
            : ExitCodes.Ok;
    }

    /// <summary>The latest holdings sync: what it compared, and the breaks still open (the first 20, then how many more).</summary>
    private static void PrintBreaks(TextWriter o, ReconciliationReport report)
    {
        var c = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(c, $"holdings sync {report.Source} (as of {report.AsOf:yyyy-MM-dd}): {report.AccountsCompared:N0} account(s) compared, {report.Breaks.Count:N0} break(s) open in {report.AccountsWithBreaks:N0} account(s)"));
        foreach (var b in report.Breaks.Take(20))
        {
            var figures = b.Kind is BreakKind.AccountNotInFile or BreakKind.UnknownAccount ? "" : string.Create(c, $" book {b.BookQuantity:0.######}, custodian {b.CustodianQuantity:0.######}");
            o.WriteLine($"  {b.AccountId,-12} {b.Kind,-18} {b.InstrumentId ?? (b.Kind == BreakKind.CashDiffers ? "cash" : ""),-8}{figures}{(b.Acceptable ? "" : $" (cannot be accepted: {b.Why})")}");
        }
        if (report.Breaks.Count > 20)
        {
            o.WriteLine(string.Create(c, $"  ... and {report.Breaks.Count - 20:N0} more"));
        }
    }

    /// <summary>What a run trades: the book, the day it is priced on, the history a replay of the data folder reads, its tax side, and whether any input was left out.</summary>
    private readonly record struct Firm(AccountBook Book, DateOnly AsOf, MarketHistory? History, TaxBook? Tax, bool BadInput, IReadOnlyList<BookEvent> Events, IReadOnlyList<NamedPolicy>? Policies);

    private static Firm Generate(FirmSpec spec, RunSettings settings, Progress progress)
    {
        var firm = FirmOptions.Generate(spec, progress, out _);
        var taxBook = settings.Lots ? progress.Time("tax lots", () => FirmLots.LiveTax(firm, spec.Seed, settings.Harvest), out _) : null;
        if (taxBook is not null)
        {
            progress.Step(string.Create(CultureInfo.InvariantCulture,
                $"lots: {taxBook.Lots.Count:N0} in {taxBook.Lots.TrackedAccounts:N0} taxable accounts, relieved tax-optimally; buys checked against each household's wash-sale ledger; harvesting {(settings.Harvest ? "daily at the open" : "off")}"));
        }
        return new Firm(firm.Book, firm.AsOf, firm.History, taxBook, BadInput: false, Events: [], Policies: null);
    }

    /// <summary>A firm's own book from its files: every bad account reported (and left out), the rest run with the lots and elections the files give.</summary>
    private static Firm Import(string path, RunSettings settings, Progress progress)
    {
        var firm = progress.Time($"loading the firm from {TextLimit.Clip(path, 200)}", () => ImportedFirm.Load(path), out _);
        foreach (var error in firm.Errors)
        {
            Console.Error.WriteLine($"fastrebal: bad input: {error}");
        }
        var book = firm.Book;
        progress.Step(string.Create(CultureInfo.InvariantCulture, $"firm as of {firm.AsOf:yyyy-MM-dd}: {book.AccountCount:N0} of {firm.AccountsInInput:N0} accounts loaded, {firm.Errors.Count:N0} input error(s)"));
        if (book.AccountCount == 0)
        {
            throw new ScenarioFormatException($"{TextLimit.Clip(path, 200)}: no account could be loaded (the errors above say why)");
        }
        if (settings.OpenCapacity > 0)
        {
            firm.KeepFreeRows(settings.OpenCapacity);
            book = firm.Book;
            progress.Step(string.Create(CultureInfo.InvariantCulture, $"open capacity: {settings.OpenCapacity:N0} free row(s) to open accounts in"));
        }
        var taxBook = firm.LiveTax();
        progress.Step(taxBook is null
            ? "tax: the firm's files give no tax fields; the engine sells without regard to basis"
            : string.Create(CultureInfo.InvariantCulture,
                $"lots: {taxBook.Lots.Count:N0} in {taxBook.Lots.TrackedAccounts:N0} taxable accounts, relieved by each account's method; buys checked against each household's wash-sale ledger; harvesting as each policy elects"));
        var dataDirectory = MarketHistory.FindDataDirectory();
        var history = settings.Feed == "replay"
            ? dataDirectory is null ? throw new UsageException("--feed replay: no data/ folder with etf_*_daily.csv found (set FASTREBAL_DATA, or give --feed replay:PATH)") : MarketHistory.LoadEtfs(dataDirectory)
            : null;
        // The firm's pending cash flows are book events of its as-of day: applied at the opening.
        return new Firm(book, firm.AsOf, history, taxBook, firm.Errors.Count > 0, [.. firm.CashFlows.Select(f => new BookEvent(firm.AsOf, f.Flow, "the firm's pending cash flows"))], firm.Policies);
    }

    /// <summary>With --firm, the generated firm's options have nothing to shape, and the firm's files give its lots and its day.</summary>
    private static void CheckImportOptions(RunSettings settings)
    {
        if (settings.GeneratedFirmOptionsGiven.Count > 0)
        {
            throw new UsageException($"{string.Join(", ", settings.GeneratedFirmOptionsGiven)} shape a generated firm; with --firm the firm's own files give its accounts");
        }
        if (settings.Lots || settings.Harvest)
        {
            throw new UsageException("--lots and --harvest give a generated firm lots; with --firm the lots and harvesting elections come from the firm's files (lots.csv, each policy's harvest settings)");
        }
        if (settings.From is not null)
        {
            throw new UsageException("--from: with --firm the book is priced on the firm's own as-of date (firm.json's asOf), and a replay starts the trading day after it");
        }
    }

    /// <summary>The instrument in the most accounts' slots: the one whose every tick touches the most accounts.</summary>
    private static int MostHeld(AccountBook book)
    {
        var holders = new int[book.Instruments.Count];
        foreach (var instrument in book.InstrumentIndices)
        {
            holders[instrument]++;
        }
        return Array.IndexOf(holders, holders.Max());
    }

    /// <summary>A replay needs an instrument of the firm in its data, and trading days after --from (up to --to) for them.</summary>
    private static void CheckReplayDays(RunSettings settings, AccountBook book, MarketHistory history, DateOnly from)
    {
        var symbols = Enumerable.Range(0, book.Instruments.Count).Select(i => book.Instruments[i].Symbol).ToList();
        var replayed = symbols.Where(history.Contains).Distinct().ToList();
        if (replayed.Count == 0)
        {
            throw new UsageException(TextLimit.Clip(
                $"--feed {settings.Feed}: the data holds {string.Join(", ", history.Symbols)}, none of them an instrument of the firm ({string.Join(", ", symbols)})", 600));
        }
        var first = replayed.Min(s => history[s].Dates[0]);
        var last = replayed.Min(s => history[s].Dates[^1]);
        var to = settings.To ?? last;
        if (from < first || from >= last || !replayed.Any(s => history[s].Dates.Any(d => d > from && d <= to)))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--from {from:yyyy-MM-dd}{(settings.To is { } t ? $" --to {t:yyyy-MM-dd}" : "")}: the replay data has prices from {first:yyyy-MM-dd} to {last:yyyy-MM-dd}; give a --from in that range, before its last day, and a --to with a trading day after --from"));
        }
    }

    /// <summary>The history a replay reads: the firm's own (real closes plus the funds that track them), or a path given on the command line.</summary>
    private static MarketHistory ReplayHistory(string feed, MarketHistory? firmHistory)
    {
        if (feed == "replay")
        {
            return firmHistory!;
        }
        var path = feed["replay:".Length..];
        if (Directory.Exists(path))
        {
            return MarketHistory.LoadEtfs(path);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"--feed replay:{path}: no such file or folder");
        }
        var name = Path.GetFileNameWithoutExtension(path);
        var parts = name.Split('_');
        if (parts.Length < 2)
        {
            throw new UsageException($"--feed replay:{path}: a single file must be named etf_SYMBOL_daily.csv so its symbol is known");
        }
        return MarketHistory.FromSeries(MarketHistory.ReadCsv(path, parts[1], "split_adj_close", "close"), path);
    }
}

/// <summary>Fills applied to accounts; of them, those that left cash below zero; fills the book refused.</summary>
public sealed record AccountFillFigures(long Applied, long OnDebit, long Refused);

/// <summary>What <c>fastrebal run</c> reports.</summary>
public sealed record RunFigures(
    string Feed,
    int Accounts,
    double Seconds,
    double WarmupSeconds,
    long TicksRead,
    double TicksPerSecond,
    long VerifiedPriceChanges,
    long TicksRejected,
    int FrozenInstruments,
    IReadOnlyList<string> FrozenBecause,
    long Batches,
    long Decisions,
    long TradesReleased,
    long OrdersSent,
    double OrdersPerSecond,
    long OrdersCancelled,
    long RiskRejected,
    IReadOnlyDictionary<string, long> RejectsByReason,
    int AccountsInBreach,
    LatencyFigures PriceToDecision,
    LatencyFigures TickToOrder,
    LatencyFigures EvaluationBatch,
    double PeakWorkingSetMb,
    GarbageCollections Collections,
    bool KillSwitchEngaged,
    string? Fault)
{
    /// <summary>The tax lots at the end, when the run kept them.</summary>
    public LotFigures? Lots { get; init; }

    /// <summary>What the venue reported back.</summary>
    public VenueFigures? Venue { get; init; }

    /// <summary>The fills applied to accounts, those that took cash below zero for a while, and those the book refused.</summary>
    public AccountFillFigures? Fills { get; init; }

    /// <summary>The latest holdings sync and the breaks still open, when the run had one.</summary>
    public ReconciliationReport? Holdings { get; init; }

    /// <summary>The instruments sliced by the default average daily volume, and that default.</summary>
    public DefaultAdvFigures? DefaultAdv { get; init; }

    public static RunFigures From(EngineHost engine, EngineStatus s, TimeSpan elapsed, TimeSpan warmup, GarbageCollections collections)
    {
        var rejects = Enum.GetValues<RejectReason>().Where(r => r != RejectReason.None && engine.Risk.Rejected(r) > 0)
            .ToDictionary(r => r.ToString(), r => engine.Risk.Rejected(r));
        var frozen = Enumerable.Range(0, engine.Book.Instruments.Count).Select(engine.Verifier.Status).Where(i => i.IsFrozen)
            .Select(i => $"{engine.Book.Instruments[i.Instrument].Symbol}: {i.Freeze} ({i.Detail})").ToList();
        using var process = Process.GetCurrentProcess();
        return new RunFigures(
            s.Feed, engine.Book.OpenAccountCount, elapsed.TotalSeconds, warmup.TotalSeconds, s.TicksRead, s.TicksRead / elapsed.TotalSeconds, s.PricesPublished,
            s.TicksRejected, s.FrozenInstruments, frozen, s.Batches, s.Decisions, s.TradesReleased, s.OrdersSent, s.OrdersSent / elapsed.TotalSeconds,
            s.OrdersCancelled, s.RiskRejected, rejects, s.AccountsInBreach, LatencyFigures.From(engine.PriceToDecision), LatencyFigures.From(engine.TickToOrder), LatencyFigures.From(engine.EvaluationBatch),
            process.PeakWorkingSet64 / 1e6, collections, s.KillSwitch.Engaged, s.Fault)
        {
            Lots = engine.Evaluation.Tax is { } tax ? LotFigures.From(tax.Lots, engine.Evaluation.Counters) : null,
            Venue = VenueFigures.From(engine),
            Fills = new AccountFillFigures(engine.Evaluation.Counters.FillsApplied, engine.Evaluation.Counters.FillsOnDebit, engine.Evaluation.Counters.FillErrors),
            Holdings = engine.Evaluation.Reconciliation,
            DefaultAdv = new DefaultAdvFigures(engine.AverageDailyVolumes.Default, [.. engine.AverageDailyVolumes.UsingDefault.Select(i => i.Id)]),
        };
    }

    public void Print(TextWriter o)
    {
        var c = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(c, $"live pipeline: {Accounts:N0} accounts, {Feed}, {Seconds:0.0} s"));
        o.WriteLine(string.Create(c, $"  ticks read              {TicksRead,14:N0}   {TicksPerSecond,12:N0} /s   ({VerifiedPriceChanges:N0} verified price changes published, {TicksRejected:N0} rejected, {FrozenInstruments} instruments frozen at the end)"));
        foreach (var line in FrozenBecause)
        {
            o.WriteLine($"    frozen {line}");
        }
        o.WriteLine(string.Create(c, $"  evaluation batches      {Batches,14:N0}"));
        o.WriteLine(string.Create(c, $"  decisions               {Decisions,14:N0}   ({TradesReleased:N0} trades released; {AccountsInBreach:N0} accounts in breach at the end)"));
        o.WriteLine(string.Create(c, $"  orders sent             {OrdersSent,14:N0}   {OrdersPerSecond,12:N0} /s   ({OrdersCancelled:N0} cancelled)"));
        if (Fills is { } fills)
        {
            o.WriteLine(string.Create(c, $"  account fills           {fills.Applied,14:N0}   ({fills.OnDebit:N0} bought before the sells funding them filled, cash below zero until they did; {fills.Refused:N0} refused: no slot, or more than held)"));
        }
        o.WriteLine(string.Create(c, $"  risk rejects            {RiskRejected,14:N0}   {(RejectsByReason.Count == 0 ? "" : string.Join(", ", RejectsByReason.Select(r => $"{r.Key} {r.Value:N0}")))}"));
        if (WarmupSeconds > 0)
        {
            o.WriteLine(string.Create(c, $"  latencies below exclude the first {WarmupSeconds:0.#} s (warm-up)"));
        }
        PriceToDecision.Print(o, "price change -> decision");
        TickToOrder.Print(o, "tick -> order");
        EvaluationBatch.Print(o, "evaluation batch");
        o.WriteLine(string.Create(c, $"  peak working set        {PeakWorkingSetMb,14:N0} MB"));
        // Every thread stops for a collection, so a pause lands in the latencies of whatever was in flight.
        o.WriteLine(string.Create(c, $"  garbage collections     {Collections.Gen0 + Collections.Gen1 + Collections.Gen2,14:N0}   (gen0 {Collections.Gen0:N0}, gen1 {Collections.Gen1:N0}, gen2 {Collections.Gen2:N0}; threads paused {Collections.PausedMs:N0} ms in all{(WarmupSeconds > 0 ? ", after the warm-up" : "")})"));
        if (Venue is { Eventful: true } venue)
        {
            o.WriteLine(string.Create(c, $"  venue                   {venue.Fills,14:N0}   fills; {venue.Rejected:N0} orders rejected, {venue.Expired:N0} expired, {venue.Cancelled:N0} cancelled ({venue.CancelsRequested:N0} cancels asked for); {venue.OpenAtEnd:N0} still open; {venue.ReportsIgnored:N0} repeated or late reports ignored, {venue.Overfills:N0} overfills"));
        }
        if (Lots is { } lots)
        {
            o.WriteLine(string.Create(c, $"  tax lots                {lots.Lots,14:N0}   in {lots.TaxableAccounts:N0} taxable accounts; {lots.SellFills:N0} sell fills relieved lots, {lots.LotsOpened:N0} opened; {lots.WashSales:N0} wash sales; {lots.Harvests:N0} harvests ({lots.HarvestsSkipped:N0} losses not harvestable); realized short-term {lots.RealizedShortTerm:N2}, long-term {lots.RealizedLongTerm:N2}"));
        }
        if (KillSwitchEngaged)
        {
            o.WriteLine("  kill switch             ENGAGED");
        }
        if (Fault is not null)
        {
            o.WriteLine($"  FAULT                   {Fault}");
        }
    }
}

/// <summary>The venue's execution reports over a run, and the child orders still working at its end.</summary>
public sealed record VenueFigures(long Fills, long Rejected, long Expired, long Cancelled, long CancelsRequested, long ReportsIgnored, long Overfills, int OpenAtEnd)
{
    /// <summary>Anything besides whole fills happened (the default venue's runs print no venue line).</summary>
    [JsonIgnore]
    public bool Eventful => Rejected + Expired + Cancelled + CancelsRequested + ReportsIgnored + Overfills + OpenAtEnd > 0;

    public static VenueFigures From(EngineHost engine)
    {
        var o = engine.Orders.Counters;
        return new(o.Fills, o.Rejected, o.Expired, o.VenueCancelled, o.CancelsRequested, o.ReportsIgnored, o.Overfills, engine.Orders.OpenOrders().Count);
    }
}

/// <summary>The tax lots of a run: how many are held at the end, what the fills did to them and what the sales realized.</summary>
public sealed record LotFigures(int Lots, int TaxableAccounts, long SellFills, long LotsOpened, long Shortfalls, long WashSales, long Harvests, long HarvestsSkipped, decimal RealizedShortTerm, decimal RealizedLongTerm)
{
    public static LotFigures From(LotTable lots, EvaluationCounters counters)
    {
        decimal shortTerm = 0, longTerm = 0;
        for (var a = 0; a < lots.Book.AccountCount; a++)
        {
            var (st, lt) = lots.Realized(a);
            shortTerm += st;
            longTerm += lt;
        }
        return new(lots.Count, lots.TrackedAccounts, counters.LotSales, counters.LotsOpened, counters.LotShortfalls, counters.WashSales, counters.Harvests, counters.HarvestsSkipped, shortTerm, longTerm);
    }
}

/// <summary>The shares per day the %ADV cap assumed for the instruments with no volume of their own, and those instruments' ids.</summary>
public sealed record DefaultAdvFigures(decimal SharesPerDay, IReadOnlyList<string> Instruments);

/// <summary>A latency distribution in milliseconds.</summary>
public sealed record LatencyFigures(long Samples, double P50Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static LatencyFigures From(LatencyRecorder recorder)
    {
        var s = recorder.Summary();
        return new(s.Count, s.P50.TotalMilliseconds, s.P99.TotalMilliseconds, s.P999.TotalMilliseconds, s.Max.TotalMilliseconds);
    }

    public void Print(TextWriter o, string name) => o.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {name,-24}{Samples,14:N0} samples   p50 {P50Ms:0.000} ms   p99 {P99Ms:0.000} ms   p99.9 {P999Ms:0.000} ms   max {MaxMs:0.000} ms"));
}

/// <summary>Garbage collections of the process so far (each gen1 also counts as a gen0 in the runtime's figures; here each is counted once, by its generation).</summary>
public readonly record struct GarbageCollections(int Gen0, int Gen1, int Gen2, double PausedMs)
{
    public static GarbageCollections Now()
    {
        var (all0, all1, all2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        return new(all0 - all1, all1 - all2, all2, GC.GetTotalPauseDuration().TotalMilliseconds);
    }

    public GarbageCollections Since(GarbageCollections start) => new(Gen0 - start.Gen0, Gen1 - start.Gen1, Gen2 - start.Gen2, PausedMs - start.PausedMs);
}
