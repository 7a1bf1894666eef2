using FastRebal.Engine.Persistence;
using MemoryPack;

namespace FastRebal.Engine.Pipeline;

/// <summary>The evaluation stage's own state beyond the book.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class EvaluationImage
{
    [MemoryPackOrder(0)] public int Day { get; set; }
    [MemoryPackOrder(1)] public long Sequence { get; set; }
    [MemoryPackOrder(2)] public long BlockSequence { get; set; }
    [MemoryPackOrder(3)] public long BatchMarketTime { get; set; }
    [MemoryPackOrder(4)] public long LastFullSweepAt { get; set; }

    /// <summary>Accounts whose trades wait for an operator, with the held plan (JSON).</summary>
    [MemoryPackOrder(5)] public int[] AwaitingAccounts { get; set; } = [];
    [MemoryPackOrder(6)] public string[] AwaitingPlans { get; set; } = [];

    /// <summary>
    /// The held plans as captured, not yet in <see cref="AwaitingPlans"/>: the evaluation thread only copies them, and
    /// the checkpoint's own task writes their JSON (<see cref="EncodeHeldPlans"/>), so a busy day's hundreds of held
    /// plans do not lengthen the pause.
    /// </summary>
    [MemoryPackIgnore] public HeldPlan[]? HeldPlans { get; set; }

    /// <summary>Writes <see cref="HeldPlans"/> into <see cref="AwaitingPlans"/> (once; before the image is serialized).</summary>
    internal void EncodeHeldPlans()
    {
        if (HeldPlans is { } plans)
        {
            AwaitingPlans = new string[plans.Length];
            Parallel.For(0, plans.Length, i => AwaitingPlans[i] = StateJson.Write(plans[i], EngineJson.Default.HeldPlan));
            HeldPlans = null;
        }
    }

    /// <summary>Fills the order stage produced that no batch has applied yet.</summary>
    [MemoryPackOrder(7)] public Pipeline.AccountFill[] PendingFills { get; set; } = [];

    /// <summary>The evaluation counters, so figures continue across a restart.</summary>
    [MemoryPackOrder(8)] public long[] Counters { get; set; } = [];

    /// <summary>The last reference-index level and its day (the market-wide breaker's previous close).</summary>
    [MemoryPackOrder(9)] public double LastIndexLevel { get; set; }
    [MemoryPackOrder(10)] public int IndexDay { get; set; }

    /// <summary>The rolling pass: the next account it sweeps, and how many accounts it has left (0 = none under way).</summary>
    [MemoryPackOrder(11)] public int PassCursor { get; set; }
    [MemoryPackOrder(12)] public int PassRemaining { get; set; }

    /// <summary>
    /// The near-band list the last quiet pass prepared for the next move (empty when there is none): the accounts,
    /// each one's worst position (instrument, +1 over or -1 under target), and the prices they were figured at. It
    /// decides which accounts a move looks at first.
    /// </summary>
    [MemoryPackOrder(13)] public int[] NearBandAccounts { get; set; } = [];
    [MemoryPackOrder(14)] public int[] NearBandInstruments { get; set; } = [];
    [MemoryPackOrder(15)] public sbyte[] NearBandSides { get; set; } = [];
    [MemoryPackOrder(16)] public double[] NearBandPrices { get; set; } = [];

    /// <summary>The households' open purchases and loss sales of the last 30 days; null when the engine keeps no lots.</summary>
    [MemoryPackOrder(17)] public Tax.WashSaleLedgerImage? Ledger { get; set; }

    /// <summary>Accounts with harvest trades in flight (or waiting for approval): what they are for, and per instrument sold the lots the fills relieve.</summary>
    [MemoryPackOrder(18)] public int[] HarvestAccounts { get; set; } = [];
    [MemoryPackOrder(19)] public int[] HarvestSources { get; set; } = [];
    [MemoryPackOrder(20)] public int[] HarvestLotAccounts { get; set; } = [];
    [MemoryPackOrder(21)] public int[] HarvestLotInstruments { get; set; } = [];
    [MemoryPackOrder(22)] public string[][] HarvestLotIds { get; set; } = [];

    /// <summary>How many of the engine's book events (by date) have been applied.</summary>
    [MemoryPackOrder(23)] public int BookEventsApplied { get; set; }

    /// <summary>A digest of those applied events (day, account, kind, amount), so a restart with other events is refused.</summary>
    [MemoryPackOrder(24)] public string BookEventsDigest { get; set; } = "";

    /// <summary>Execution reports from a firm's venue handed in and not yet journaled; put back in the queue on restore.</summary>
    [MemoryPackOrder(25)] public Orders.Execution.ExecutionReport[] PendingReports { get; set; } = [];

    /// <summary>The latest holdings sync with its breaks still open; null before the first.</summary>
    [MemoryPackOrder(26)] public Reconciliation.ReconciliationImage? Reconciliation { get; set; }

    /// <summary>Accounts whose tax elections changed while running (a move to another IPS, or a policy edit), with the settings (JSON); the files give the others.</summary>
    [MemoryPackOrder(27)] public int[] MovedAccounts { get; set; } = [];
    [MemoryPackOrder(28)] public string[] MovedTaxSettings { get; set; } = [];

    /// <summary>The accounts closed while running (their holdings and cash transferred out; never decided again).</summary>
    [MemoryPackOrder(29)] public int[] ClosedAccounts { get; set; } = [];

    /// <summary>The accounts that close once their trades in flight are done, with who asked and why.</summary>
    [MemoryPackOrder(30)] public int[] ClosingAccounts { get; set; } = [];
    [MemoryPackOrder(31)] public string[] ClosingWho { get; set; } = [];
    [MemoryPackOrder(32)] public string[] ClosingWhy { get; set; } = [];

    /// <summary>Moves to another IPS that wait for their account's trades in flight, as journaled.</summary>
    [MemoryPackOrder(33)] public JournaledCommand[] WaitingMoves { get; set; } = [];

    /// <summary>Splits that wait for trades in flight, as journaled.</summary>
    [MemoryPackOrder(34)] public JournaledCommand[] WaitingSplits { get; set; } = [];

    /// <summary>The corporate actions applied while running, in order (the instrument table's tickers and split factors follow from them).</summary>
    [MemoryPackOrder(35)] public JournaledCommand[] CorporateActions { get; set; } = [];

    /// <summary>The accounts opened, and moved to another model, while running, in order, as journaled (an opening, or a move that needs one, takes the next free row).</summary>
    [MemoryPackOrder(36)] public JournaledCommand[] RowChanges { get; set; } = [];
}

/// <summary>A plan held for approval, as the checkpoint keeps it.</summary>
public sealed record HeldPlan(Decisions.Decision Decision, IReadOnlyList<Orders.Trade> Trades, IReadOnlyList<string> Warnings, string? ApprovalReason, decimal CashBefore, decimal Reserve)
{
    /// <summary>The day the plan was first held (absent from checkpoints of builds that did not keep it).</summary>
    public DateOnly? Since { get; init; }

    /// <summary>What the risk gate would have said of the trades when they were held (absent from older checkpoints).</summary>
    public string? RiskCheck { get; init; }
}
