using FastRebal.Console.AuditTrail;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Firms;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;
using Microsoft.Extensions.Options;

namespace FastRebal.Console.Engine;

public enum EnginePhase
{
    Starting,
    Running,
    Failed,
    Stopped,
}

/// <summary>
/// The live engine inside the console: one firm (generated, or the firm's own from Console:Firm), one <see cref="EngineHost"/>, shared by every page. It
/// starts in the background (generating 100k accounts and opening the day takes seconds), so the sign-in page is up
/// at once and the dashboard shows the engine coming up.
/// </summary>
public sealed class EngineSession(
    IOptions<EngineSettings> engineSettings,
    IOptions<FeedSettings> feedSettings,
    IOptions<ConsoleSettings> consoleSettings,
    ILogger<EngineSession> logger) : BackgroundService
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile EnginePhase phase = EnginePhase.Starting;
    private volatile string progress = "starting";
    private AuditChain? chain;

    public EnginePhase Phase => phase;

    /// <summary>What the engine is doing while it starts, or why it failed.</summary>
    public string Progress => progress;

    /// <summary>Completes when the engine runs; faults when it could not start.</summary>
    public Task Ready => ready.Task;

    public EngineHost? Engine { get; private set; }

    /// <summary>
    /// The kill switch as it stands: the engine's once there is one; before that (starting, or failed to start), as
    /// its file keeps it, so a console restarted with the switch engaged shows it engaged from the first page.
    /// </summary>
    public FastRebal.Engine.Risk.KillSwitchState KillSwitch => Engine?.KillSwitch.State ?? storedKillSwitch.Value;

    // Nothing changes the file before the engine is made (the control plane acts on the engine), so it is read once.
    private readonly Lazy<FastRebal.Engine.Risk.KillSwitchState> storedKillSwitch =
        new(() => new FastRebal.Engine.Risk.FileKillSwitchStore(consoleSettings.Value.KillSwitchPath).Load());

    /// <summary>The named policies of Console:Firm's firm.json, which an operator may move an account to; none for a generated firm.</summary>
    public IReadOnlyList<FastRebal.Engine.Scenarios.NamedPolicy> Policies { get; private set; } = [];

    /// <summary>The folder custodians' holdings files are dropped in (Console:CustodianFolder).</summary>
    public string CustodianFolder => consoleSettings.Value.FullCustodianFolder;

    /// <summary>Where policy previews write the firm folders they ran (the newest few are kept).</summary>
    public string PreviewFolder => Path.Combine(consoleSettings.Value.FullDataDirectory, "previews");

    public MonitoredFeed? Feed { get; private set; }

    public BlotterRecorder? Blotter { get; private set; }

    public IndexedAuditStore? Audit { get; private set; }

    /// <summary>The audit chain the engine appends to, for the console's own records (user changes); null when auditing is off.</summary>
    public AuditChain? Chain => chain;

    /// <summary>The engine, or an exception a page can show when it is not running.</summary>
    public EngineHost Running => phase == EnginePhase.Running && Engine is { } engine
        ? engine
        : throw new InvalidOperationException($"the engine is not running ({progress})");

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        try
        {
            Start(stoppingToken);
            phase = EnginePhase.Running;
            ready.TrySetResult();
        }
        catch (Exception e)
        {
            // A console that cannot start its engine still serves its pages, saying why.
            logger.LogError(e, "The engine failed to start");
            progress = $"failed to start: {e.Message}";
            phase = EnginePhase.Failed;
            ready.TrySetException(e);
        }
    }, stoppingToken);

    private void Start(CancellationToken stoppingToken)
    {
        var engine = engineSettings.Value;
        var feed = feedSettings.Value;
        var console = consoleSettings.Value;
        var problems = engine.Problems().Concat(feed.Problems()).ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }
        Directory.CreateDirectory(console.FullDataDirectory);
        // A restart recovers from the state folder: its decoders compile on the other core while the firm is made.
        if (console.Durable)
        {
            _ = FastRebal.Engine.Persistence.StateDecoders.WarmUpIfRecovering(console.StatePath);
        }

        var (book, asOf, history, tax, bookEvents) = string.IsNullOrWhiteSpace(console.Firm) ? Generate(engine, feed, stoppingToken) : Import(console.Firm, feed);
        var volumes = string.IsNullOrWhiteSpace(console.AdvFile) ? null : ReadAverageDailyVolumes(console.AdvFile, book);
        stoppingToken.ThrowIfCancellationRequested();
        IPriceFeed source = feed.IsReplay
            ? new ReplayThenRandomWalkFeed(book.Instruments, history!, asOf, book.Prices, feed, engine.Seed)
            : new RandomWalkFeed(book.Prices, feed.Sources, engine.Seed, feed.TicksPerSecond, feed.Volatility, meanReversion: feed.MeanReversion,
                marketStart: new DateTimeOffset(asOf.ToDateTime(new TimeOnly(14, 30)), TimeSpan.Zero));
        var monitored = new MonitoredFeed(source, book.Instruments.Count);

        if (console.Audit)
        {
            RollOverLargeAuditFile(console);
            // Only the file's end is checked here, so a start does not read the whole file; the Audit page verifies it all.
            var opened = FileAuditStore.OpenAtEnd(console.AuditPath);
            if (opened.Repair is not null)
            {
                logger.LogWarning("Audit: {Repair}", opened.Repair);
            }
            var store = opened.Store ?? throw new InvalidOperationException(
                $"{console.AuditPath}: the audit chain is broken, so the console will not append to it: {opened.Verification.Message} (move the file aside and check it with 'fastrebal audit verify')");
            Audit = new IndexedAuditStore(store);
            chain = new AuditChain(Audit);
            foreach (var deleted in AuditArchives.ApplyRetention(console.AuditPath, console.AuditRetentionDays, DateTime.UtcNow, chain))
            {
                logger.LogInformation("Audit: {Archive} deleted, older than the {Days}-day retention (Console:AuditRetentionDays)", deleted.Path, console.AuditRetentionDays);
            }
        }
        var blotter = new BlotterRecorder(console.Blotter ? new BlotterFileSink(console.BlotterPath) : new InMemoryOrderSink(1));
        var options = new EngineOptions
        {
            Audit = chain,
            // A firm other than the one the state folder was built from (Engine or Console:Firm settings changed) is refused at start, naming the folder.
            Durability = console.Durable
                ? new DurabilityOptions
                {
                    Directory = console.StatePath,
                    CheckpointInterval = console.CheckpointInterval,
                    // A console firm's checkpoint is hundreds of MB with its lots: taken after every half second of
                    // decisions (the command line's default) it would be taken every few seconds. Two seconds of them
                    // keep a restart's replay within the start-up the console promises.
                    CheckpointReplayBudget = TimeSpan.FromSeconds(2),
                    // A stop drains and seals in a couple of seconds; a checkpoint of this size would add several
                    // more, and the next start replays at most the two seconds above without it.
                    CheckpointOnStop = false,
                    Log = line => logger.LogInformation("State: {Line}", line),
                }
                : null,
            Tax = tax,
            BookEvents = bookEvents,
            KillSwitchPath = console.KillSwitchPath,
            ParallelSweep = engine.ParallelSweep,
            ApprovalExpiryDays = engine.ApprovalExpiryDays,
            AverageDailyVolumes = volumes,
            DefaultAverageDailyVolume = engine.DefaultAdv,
            Slicing = new SlicingPolicy { Interval = engine.SliceInterval, MaxChildNotional = engine.MaxChildNotional },
            // A daily replay keeps the daily staleness limit; a random walk quotes every instrument many times a minute.
            Verification = feed.IsReplay
                ? new VerificationPolicy { MinSources = Math.Min(2, feed.Sources) }
                : new VerificationPolicy { MinSources = Math.Min(2, feed.Sources), DefaultStaleness = TimeSpan.FromMinutes(2) },
        };
        // Looked at before the engine makes its journal there.
        var resuming = console.Durable && Directory.Exists(console.StatePath) && Directory.EnumerateFileSystemEntries(console.StatePath).Any();
        var host = new EngineHost(book, monitored, blotter, options);
        (Feed, Blotter, Engine) = (monitored, blotter, host);
        if (host.AverageDailyVolumes.UsingDefault.Count > 0)
        {
            logger.LogWarning("{AverageDailyVolume} (Engine:DefaultAdv; give volumes in the firm's instruments or Console:AdvFile)", host.AverageDailyVolumes.Describe());
        }

        progress = resuming
            ? $"recovering the engine's state from {console.StatePath}"
            : $"opening {asOf:yyyy-MM-dd}: sweeping and deciding {book.OpenAccountCount:N0} accounts";
        if (host.KillSwitch.IsEngaged)
        {
            logger.LogWarning("The kill switch is ENGAGED ({Who}: {Why}); no order will leave until an operator releases it", host.KillSwitch.State.Who, host.KillSwitch.State.Why);
        }
        try
        {
            host.Start();
        }
        catch (Exception e) when (resuming && e is InvalidOperationException or InvalidDataException or IOException or FastRebal.Engine.Persistence.StateMismatchException or FastRebal.Engine.Persistence.StateDamageException)
        {
            throw new InvalidOperationException($"the engine's state in {console.StatePath} cannot be resumed: {e.Message} (start with the settings that made it, or move the folder aside to start the firm afresh)", e);
        }
        progress = $"running: {monitored.Name}";
        logger.LogInformation("Engine running: {Accounts} accounts, feed {Feed}, data in {Directory}", book.OpenAccountCount, monitored.Name, console.FullDataDirectory);
        if (console.Audit && console.CompressAuditArchives)
        {
            // Once the engine runs, on another thread: a gigabyte archive takes several seconds of one core.
            ArchivesCompressed = Task.Run(() => CompressAuditArchives(console), stoppingToken);
        }
    }

    /// <summary>The compression of the audit archives this start began (done at once when there was none).</summary>
    public Task ArchivesCompressed { get; private set; } = Task.CompletedTask;

    private void CompressAuditArchives(ConsoleSettings console)
    {
        try
        {
            foreach (var compressed in AuditArchives.CompressArchives(console.AuditPath))
            {
                logger.LogInformation("Audit: {Archive} compressed ({Megabytes:N0} MB)", compressed, new FileInfo(compressed).Length / (1024 * 1024));
            }
        }
        catch (IOException e)
        {
            logger.LogWarning("Audit: an archive was not compressed: {Message}", e.Message);
        }
    }

    /// <summary>The generated firm of the Engine settings, with lots when Engine:Lots asks for them.</summary>
    private (AccountBook Book, DateOnly AsOf, MarketHistory History, TaxBook? Tax, IReadOnlyList<BookEvent> Events) Generate(EngineSettings engine, FeedSettings feed, CancellationToken stoppingToken)
    {
        progress = $"generating {engine.Accounts:N0} accounts";
        var history = FirmGenerator.LoadHistory(engine.Seed);
        var spec = new FirmSpec(engine.Accounts, engine.Positions, engine.Seed, feed.IsReplay ? feed.From : null, FirmGenerator.ParseShape(engine.FirmShape)!.Value);
        var firm = FirmGenerator.Generate(spec, history);
        stoppingToken.ThrowIfCancellationRequested();
        if (!engine.Lots)
        {
            logger.LogInformation("Tax lots: off (Engine:Lots is false); the engine sells without regard to basis");
            return (firm.Book, firm.AsOf, firm.History, null, []);
        }
        progress = "giving the taxable accounts their tax lots";
        var tax = FirmLots.LiveTax(firm, engine.Seed, engine.Harvest);
        logger.LogInformation("Tax lots: {Lots} lots in {Accounts} taxable accounts, relieved tax-optimally, buys checked against each household's wash-sale ledger (Engine:Lots); tax-loss harvesting {Harvest} (Engine:Harvest)",
            tax.Lots.Count, tax.Lots.TrackedAccounts, engine.Harvest ? "daily at the open" : "off");
        return (firm.Book, firm.AsOf, firm.History, tax, []);
    }

    /// <summary>
    /// A firm's own book from Console:Firm (a firm folder or a scenario file): each bad account logged and left out,
    /// the lots and elections its files give, its pending cash flows applied at the opening, a replay of the real
    /// data from its as-of date.
    /// </summary>
    private (AccountBook Book, DateOnly AsOf, MarketHistory? History, TaxBook? Tax, IReadOnlyList<BookEvent> Events) Import(string path, FeedSettings feed)
    {
        progress = $"loading the firm from {path}";
        var firm = ImportedFirm.Load(path);
        Policies = firm.Policies;
        foreach (var error in firm.Errors)
        {
            logger.LogWarning("Firm input: {Error}", error.ToString());
        }
        if (firm.Book.AccountCount == 0)
        {
            throw new InvalidOperationException($"{path}: no account could be loaded ({firm.Errors.Count} input error(s), logged)");
        }
        var capacity = consoleSettings.Value.OpenCapacity;
        if (capacity is < 0 or > 1_000_000)
        {
            throw new InvalidOperationException($"Console:OpenCapacity must be 0 to 1,000,000 (got {capacity})");
        }
        firm.KeepFreeRows(capacity);
        logger.LogInformation("Firm {Path} as of {AsOf:yyyy-MM-dd}: {Loaded} of {Listed} accounts loaded, {Errors} input error(s), {Free} row(s) free to open accounts in (Console:OpenCapacity); Engine:Accounts, Positions, FirmShape, Lots and Harvest apply to a generated firm only",
            path, firm.AsOf, firm.Book.OpenAccountCount, firm.AccountsInInput, firm.Errors.Count, firm.Book.FreeRows);
        if (feed.IsReplay && feed.From != firm.AsOf)
        {
            logger.LogInformation("Feed:From is the firm's as-of date {AsOf:yyyy-MM-dd}: its book is priced on that day", firm.AsOf);
        }
        var dataDirectory = MarketHistory.FindDataDirectory();
        var history = feed.IsReplay
            ? dataDirectory is null ? throw new InvalidOperationException("Feed:Kind replay: no data/ folder with etf_*_daily.csv found (set FASTREBAL_DATA)") : MarketHistory.LoadEtfs(dataDirectory)
            : null;
        progress = "giving the accounts their lots";
        var tax = firm.LiveTax();
        logger.LogInformation(tax is null ? "Tax: the firm's files give no tax fields; the engine sells without regard to basis" : "Tax lots: {Lots} lots in {Accounts} taxable accounts, relieved by each account's method, harvesting as each policy elects",
            tax?.Lots.Count, tax?.Lots.TrackedAccounts);
        return (firm.Book, firm.AsOf, history, tax, [.. firm.CashFlows.Select(f => new BookEvent(firm.AsOf, f.Flow, "the firm's pending cash flows"))]);
    }

    /// <summary>The volumes of Console:AdvFile for the book's instruments: a bad row or an instrument the book does not hold is logged and left out, the rest used.</summary>
    private Dictionary<string, decimal> ReadAverageDailyVolumes(string path, AccountBook book)
    {
        progress = $"reading average daily volumes from {path}";
        var read = AverageDailyVolumeFile.Read(path, book.Instruments);
        foreach (var problem in read.Errors.Concat(read.Warnings))
        {
            logger.LogWarning("Average daily volume input: {Problem}", problem.ToString());
        }
        logger.LogInformation("Average daily volume: {Count} instrument(s) from {Path} (Console:AdvFile), {Errors} input error(s), {Warnings} warning(s)",
            read.Volumes.Count, path, read.Errors.Count, read.Warnings.Count);
        return read.Volumes;
    }

    /// <summary>
    /// Moves a live audit file over the size limit aside, with a seal of its last record, and goes on with the chain in
    /// a new live file whose first record links to it (<see cref="AuditSegments"/>): only the old file's end is read,
    /// since reading a gigabyte is what the rollover avoids. The archive verifies with <c>fastrebal audit verify --file</c>.
    /// </summary>
    private void RollOverLargeAuditFile(ConsoleSettings console)
    {
        var live = new FileInfo(console.AuditPath);
        if (!live.Exists || live.Length <= (long)console.AuditRolloverMegabytes * 1024 * 1024)
        {
            return;
        }
        progress = $"moving the audit file ({live.Length / (1024 * 1024):N0} MB) to an archive";
        var archive = Path.Combine(console.FullDataDirectory, AuditArchives.NameFor(DateTime.UtcNow));
        var rolled = AuditSegments.RollOver(console.AuditPath, archive, "console", $"the live audit file was over {console.AuditRolloverMegabytes} MB at start");
        if (rolled is null)
        {
            return;
        }
        if (rolled.Repair is not null)
        {
            logger.LogWarning("Audit: {Repair}", rolled.Repair);
        }
        logger.LogInformation("Audit: {Live} was {Megabytes:N0} MB, over the {Limit} MB limit; its records moved to {Archive}, and the chain goes on in a new file from record {Next}",
            console.AuditPath, live.Length / (1024 * 1024), console.AuditRolloverMegabytes, archive, rolled.Opening.Sequence);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (Engine is { } engine)
        {
            phase = EnginePhase.Stopped;
            progress = "stopped";
            // An operator's stop: the batch under way is finished, released trades are sent and the audit chain is
            // made durable before the file is closed; prices read and not yet evaluated are left, since the next start
            // resumes the feed from the last batch journaled (a replay's backlog took seconds to evaluate first).
            engine.Stop(drainFeed: false);
            await engine.DisposeAsync().ConfigureAwait(false);
        }
        chain?.Dispose();
    }
}
