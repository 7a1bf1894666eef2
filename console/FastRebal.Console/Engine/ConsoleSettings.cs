using System.Globalization;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Simulation;

namespace FastRebal.Console.Engine;

/// <summary>The firm the console generates and how the engine runs it (section "Engine" of appsettings or the command line).</summary>
public sealed class EngineSettings
{
    public const string Section = "Engine";

    /// <summary>Accounts in the generated firm: 100k by default, a few thousand in tests.</summary>
    public int Accounts { get; set; } = 100_000;

    public int Positions { get; set; } = 20;

    public int Seed { get; set; } = 42;

    /// <summary>"realistic": models over different lineups, a tick touches the accounts holding it; "uniform": four models over the same instruments.</summary>
    public string FirmShape { get; set; } = "realistic";

    /// <summary>Market time between child orders of a block.</summary>
    public TimeSpan SliceInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest child order by value; smaller values cut blocks into more children.</summary>
    public decimal MaxChildNotional { get; set; } = 1_000_000m;

    /// <summary>
    /// Shares per day the %ADV cap assumes for an instrument whose volume neither the firm's files nor Console:AdvFile
    /// give (as <c>fastrebal run --default-adv</c>); the Orders page names those instruments.
    /// </summary>
    public decimal DefaultAdv { get; set; } = AverageDailyVolumes.StandardDefault;

    /// <summary>Split full sweeps over both cores.</summary>
    public bool ParallelSweep { get; set; }

    /// <summary>
    /// Keep tax lots for the taxable accounts (3 to 5 per position, as <c>fastrebal run --lots</c> makes them): plans
    /// relieve lots tax-optimally, fills move them, and the account page shows them. False runs the engine without regard to basis.
    /// </summary>
    public bool Lots { get; set; } = true;

    /// <summary>With <see cref="Lots"/>: harvest tax losses daily at the open (as <c>fastrebal run --lots --harvest</c>), trading the substitutes through the risk gate.</summary>
    public bool Harvest { get; set; }

    /// <summary>
    /// Market days an item in the approval queue stands before it expires (1: until the end of its day); 0 keeps it
    /// until an operator decides. A replayed history runs days in seconds, so its items expire as fast.
    /// </summary>
    public int ApprovalExpiryDays { get; set; } = 1;

    public IEnumerable<string> Problems()
    {
        if (ApprovalExpiryDays < 0)
        {
            yield return $"Engine:ApprovalExpiryDays must be 0 (never) or more (got {ApprovalExpiryDays})";
        }
        if (Harvest && !Lots)
        {
            yield return "Engine:Harvest needs Engine:Lots (a harvest sells lots)";
        }
        if (Accounts is < 1 or > 5_000_000)
        {
            yield return $"Engine:Accounts must be 1 to 5,000,000 (got {Accounts})";
        }
        if (Positions is < 2 or > 200)
        {
            yield return $"Engine:Positions must be 2 to 200 (got {Positions})";
        }
        if (FirmGenerator.ParseShape(FirmShape) is null)
        {
            yield return $"Engine:FirmShape must be {FirmGenerator.ShapeNames} (got '{FirmShape}')";
        }
        if (SliceInterval < TimeSpan.Zero)
        {
            yield return $"Engine:SliceInterval must not be negative (got {SliceInterval})";
        }
        if (MaxChildNotional <= 0)
        {
            yield return $"Engine:MaxChildNotional must be positive (got {MaxChildNotional})";
        }
        if (AverageDailyVolumes.Problem(DefaultAdv) is { } adv)
        {
            yield return $"Engine:DefaultAdv {adv}";
        }
    }
}

/// <summary>Where prices come from (section "Feed").</summary>
public sealed class FeedSettings
{
    public const string Section = "Feed";

    /// <summary>
    /// "replay": the real daily closes under data/ from <see cref="From"/> to the end of the data, paced at
    /// <see cref="DaysPerSecond"/>, then a seeded random walk from the last closes, so the console never goes quiet.
    /// "random": the random walk from the start.
    /// </summary>
    public string Kind { get; set; } = "replay";

    /// <summary>Replay: the day the firm is priced on; the replay starts the next trading day.</summary>
    public DateOnly From { get; set; } = new(2025, 3, 31);

    /// <summary>Replay: trading days per second of wall-clock time.</summary>
    public double DaysPerSecond { get; set; } = 1;

    /// <summary>Independent sources quoting each instrument (verification compares them).</summary>
    public int Sources { get; set; } = 3;

    /// <summary>Random walk: quotes per second.</summary>
    public double TicksPerSecond { get; set; } = 300;

    /// <summary>Random walk: standard deviation of one step's return.</summary>
    public double Volatility { get; set; } = 0.0005;

    /// <summary>Random walk: share of the deviation from the start price given back each step (0 = a pure walk).</summary>
    public double MeanReversion { get; set; } = 0.00125;

    public bool IsReplay => Kind == "replay";

    public IEnumerable<string> Problems()
    {
        if (Kind is not ("replay" or "random"))
        {
            yield return $"Feed:Kind must be replay or random (got '{Kind}')";
        }
        if (!(DaysPerSecond > 0) || !double.IsFinite(DaysPerSecond))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Feed:DaysPerSecond must be positive (got {DaysPerSecond})");
        }
        if (Sources is < 1 or > 32)
        {
            yield return $"Feed:Sources must be 1 to 32 (got {Sources})";
        }
        if (!(TicksPerSecond > 0) || !double.IsFinite(TicksPerSecond))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Feed:TicksPerSecond must be positive (got {TicksPerSecond})");
        }
        if (!(Volatility > 0 && Volatility < 0.1))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Feed:Volatility must be above 0 and below 0.1 (got {Volatility})");
        }
        if (MeanReversion is < 0 or >= 1 || double.IsNaN(MeanReversion))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Feed:MeanReversion must be from 0 up to (not including) 1 (got {MeanReversion})");
        }
    }
}

/// <summary>The console's own files (section "Console").</summary>
public sealed class ConsoleSettings
{
    public const string Section = "Console";

    /// <summary>
    /// A firm's own book to run instead of a generated one: a firm folder (firm.json with accounts.csv, positions.csv,
    /// lots.csv...; docs/firm-files.md) or a scenario JSON file. Empty: the generated firm of the Engine section.
    /// </summary>
    public string? Firm { get; set; }

    /// <summary>
    /// A CSV file of average daily volumes (<c>instrument_id,average_daily_volume</c>, as <c>fastrebal run --adv</c>
    /// reads) for the slicing's %ADV cap, ahead of the firm's own; empty: the firm's own, else Engine:DefaultAdv.
    /// </summary>
    public string? AdvFile { get; set; }

    /// <summary>
    /// With <see cref="Firm"/>: rows kept free after the firm's accounts, to open accounts in from the Accounts page (an
    /// admin's action). A state folder needs the same number every start.
    /// </summary>
    public int OpenCapacity { get; set; } = 100;

    /// <summary>Holds the users file, the engine's state, the audit chain, the kill switch state and the blotter; relative to the working directory.</summary>
    public string DataDirectory { get; set; } = "console-data";

    /// <summary>
    /// Journal the engine's inputs and checkpoint its state in DataDirectory/state (FASTER), so a restart, clean or
    /// after a crash, resumes the firm, its prices, policy edits, approvals, orders and breakers where they were.
    /// Off, every start generates or loads the firm afresh and opens its day again.
    /// </summary>
    public bool Durable { get; set; } = true;

    /// <summary>Wall-clock time between the engine's checkpoints when <see cref="Durable"/> (a clean stop takes one too).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Append every decision, trade, operator action and kill-switch change to DataDirectory/audit.jsonl.</summary>
    public bool Audit { get; set; } = true;

    /// <summary>
    /// A live audit file larger than this at start is moved aside (sealed, still verifiable) and the chain goes on in
    /// a new file whose first record links to it: the default firm writes about a gigabyte of records per replayed
    /// quarter, and opening a chain reads the whole file.
    /// </summary>
    public int AuditRolloverMegabytes { get; set; } = 256;

    /// <summary>
    /// Days an audit archive is kept after it was made; older ones are deleted at start, each deletion recorded in the
    /// chain. 0 (the default) keeps every archive.
    /// </summary>
    public int AuditRetentionDays { get; set; }

    /// <summary>Compress each sealed audit archive (gzip, about a fifth of its size) once the engine runs; the live file stays plain.</summary>
    public bool CompressAuditArchives { get; set; } = true;

    /// <summary>Write every child order and cancel to DataDirectory/blotter.csv.</summary>
    public bool Blotter { get; set; } = true;

    public string FullDataDirectory => Path.GetFullPath(DataDirectory);

    public string AuditPath => Path.Combine(FullDataDirectory, "audit.jsonl");

    public string StatePath => Path.Combine(FullDataDirectory, "state");

    public string BlotterPath => Path.Combine(FullDataDirectory, "blotter.csv");

    /// <summary>
    /// Where custodians' end-of-day positions files are dropped (as_of,account_id,instrument_id,quantity; docs/firm-files.md);
    /// the Reconciliation page lists them for an operator to run a holdings sync. Empty: DataDirectory/custodian.
    /// </summary>
    public string? CustodianFolder { get; set; }

    public string FullCustodianFolder => Path.GetFullPath(string.IsNullOrWhiteSpace(CustodianFolder) ? Path.Combine(FullDataDirectory, "custodian") : CustodianFolder);

    public string KillSwitchPath => Path.Combine(FullDataDirectory, "killswitch.json");

    public string UsersPath => Path.Combine(FullDataDirectory, "users.json");
}
