using MemoryPack;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// The engine-wide part of a checkpoint: where the journal resumes, which book it belongs to, and the state of
/// every stage that is not per account. Per-account arrays travel in <see cref="AccountChunk"/> records.
/// Member order is the schema (MemoryPack, version-tolerant): add members at the end, never reorder.
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class EngineImage
{
    /// <summary>Identifies the book (accounts, slots, instruments) the state belongs to; recovery refuses another book.</summary>
    [MemoryPackOrder(0)] public string BookFingerprint { get; set; } = "";

    /// <summary>The last evaluation batch whose effects the image holds.</summary>
    [MemoryPackOrder(1)] public long Sequence { get; set; }

    /// <summary>Journal address to replay from (the verifier state entry written for this checkpoint).</summary>
    [MemoryPackOrder(2)] public long ReplayFrom { get; set; }

    /// <summary>The last feed position the evaluation stage applied.</summary>
    [MemoryPackOrder(3)] public long FeedPosition { get; set; }

    [MemoryPackOrder(4)] public int AccountCount { get; set; }

    [MemoryPackOrder(5)] public int ChunkCount { get; set; }

    /// <summary>Checksum (XxHash128) of each chunk's bytes, so a damaged chunk is caught before any of it is used.</summary>
    [MemoryPackOrder(6)] public string[] ChunkHashes { get; set; } = [];

    [MemoryPackOrder(7)] public double[] Prices { get; set; } = [];

    /// <summary>How many <see cref="PolicyChunk"/> records follow the account chunks (their hashes follow in <see cref="ChunkHashes"/>).</summary>
    [MemoryPackOrder(8)] public int PolicyChunkCount { get; set; }

    [MemoryPackOrder(9)] public EvaluationImage Evaluation { get; set; } = new();

    [MemoryPackOrder(10)] public RiskImage Risk { get; set; } = new();

    [MemoryPackOrder(11)] public OrderStageImage Orders { get; set; } = new();

    [MemoryPackOrder(12)] public KillSwitchRecord KillSwitch { get; set; } = new();

    [MemoryPackOrder(13)] public DateTimeOffset TakenAt { get; set; }

    /// <summary>
    /// The price verifier's state at <see cref="ReplayFrom"/> (also the journal entry there), so a checkpoint stands on
    /// its own when the journal after it is lost. Null in checkpoints written before it was added.
    /// </summary>
    [MemoryPackOrder(14)] public VerifierImage? Verifier { get; set; }

    /// <summary>The audit trail's last record when the checkpoint was taken (0 without a trail, or before this was kept).</summary>
    [MemoryPackOrder(15)] public long AuditRecords { get; set; }
}

/// <summary>Per-account state of accounts [First, First + Count): holdings, cash, policy and what each stage keeps per account.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class AccountChunk
{
    [MemoryPackOrder(0)] public int First { get; set; }
    [MemoryPackOrder(1)] public int Count { get; set; }

    /// <summary>Quantities of the chunk's slots, in slot order.</summary>
    [MemoryPackOrder(2)] public double[] Quantity { get; set; } = [];
    [MemoryPackOrder(3)] public double[] Cash { get; set; } = [];

    /// <summary>Day number of the last rebalance, or -1 for never.</summary>
    [MemoryPackOrder(5)] public int[] LastRebalanced { get; set; } = [];
    [MemoryPackOrder(6)] public int[] OpenTrades { get; set; } = [];
    [MemoryPackOrder(7)] public bool[] Rebalancing { get; set; } = [];
    [MemoryPackOrder(8)] public decimal[] PendingFlow { get; set; } = [];
    [MemoryPackOrder(9)] public double[] ParkedExcess { get; set; } = [];
    [MemoryPackOrder(10)] public int[] ParkedOn { get; set; } = [];

    /// <summary>
    /// The slots' marks. Recovery puts them back while a rolling pass is under way (the accounts it has not reached
    /// yet still carry older prices than the book's) and otherwise refreshes them from the prices. Null in
    /// checkpoints of builds that kept them only mid-pass.
    /// </summary>
    [MemoryPackOrder(11)] public double[]? Marks { get; set; }
}

/// <summary>
/// The investment policies of accounts [First, First + Count). Kept apart from the holdings because they rarely
/// change: a checkpoint rewrites a policy chunk only when one of its policies was edited.
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class PolicyChunk
{
    [MemoryPackOrder(0)] public int First { get; set; }
    [MemoryPackOrder(1)] public PolicyImage[] Policies { get; set; } = [];
}

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
            Parallel.For(0, plans.Length, i => AwaitingPlans[i] = StateJson.Write(plans[i]));
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
}

[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class RiskImage
{
    [MemoryPackOrder(0)] public decimal[] AccountNotional { get; set; } = [];
    [MemoryPackOrder(1)] public long[] AccountWindow { get; set; } = [];
    [MemoryPackOrder(2)] public long[] Counts { get; set; } = [];
    [MemoryPackOrder(3)] public long Window { get; set; }
    [MemoryPackOrder(4)] public decimal FirmNotional { get; set; }
    [MemoryPackOrder(5)] public long OrdersInWindow { get; set; }
    [MemoryPackOrder(6)] public BreakerImage Accounts { get; set; } = new();
    [MemoryPackOrder(7)] public BreakerImage Models { get; set; } = new();
    [MemoryPackOrder(8)] public double MarketPreviousClose { get; set; }
    [MemoryPackOrder(9)] public int MarketDay { get; set; }
    [MemoryPackOrder(10)] public int MarketTripped { get; set; }
    [MemoryPackOrder(11)] public int MarketReleasedThrough { get; set; }
}

[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class BreakerImage
{
    [MemoryPackOrder(0)] public double[] Opening { get; set; } = [];
    [MemoryPackOrder(1)] public int[] OpenedOn { get; set; } = [];
    [MemoryPackOrder(2)] public bool[] Halted { get; set; } = [];
    [MemoryPackOrder(3)] public double[] DriftAtTrip { get; set; } = [];
    [MemoryPackOrder(4)] public double[] OpeningAtTrip { get; set; } = [];
    [MemoryPackOrder(5)] public int[] TrippedOn { get; set; } = [];
}

/// <summary>Open orders: blocks still working and the child orders scheduled for later.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class OrderStageImage
{
    [MemoryPackOrder(0)] public long MarketTime { get; set; }

    /// <summary>Working blocks.</summary>
    [MemoryPackOrder(1)] public OpenBlock[] Blocks { get; set; } = [];

    /// <summary>Scheduled child orders (JSON of <see cref="Orders.Slicing.ChildOrder"/>), in the order they were added.</summary>
    [MemoryPackOrder(2)] public string[] Children { get; set; } = [];

    [MemoryPackOrder(3)] public long[] Counters { get; set; } = [];
}

/// <summary>
/// A working block as the checkpoint keeps it: its allocations as columns (a quarter's opening can put most of a
/// large firm's accounts into open blocks, so this is binary and per account index, not per account object).
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class OpenBlock
{
    [MemoryPackOrder(0)] public long BatchSequence { get; set; }
    [MemoryPackOrder(1)] public string InstrumentId { get; set; } = "";
    [MemoryPackOrder(2)] public Orders.TradeSide Side { get; set; }
    [MemoryPackOrder(3)] public decimal Filled { get; set; }
    [MemoryPackOrder(4)] public decimal FilledNotional { get; set; }
    [MemoryPackOrder(5)] public bool FirstChildSent { get; set; }
    [MemoryPackOrder(6)] public int[] Accounts { get; set; } = [];
    [MemoryPackOrder(7)] public decimal[] Requested { get; set; } = [];

    /// <summary>One value when every allocation has the same (the usual case: one lot size, one sizing price), else one per allocation.</summary>
    [MemoryPackOrder(8)] public decimal[] Step { get; set; } = [];
    [MemoryPackOrder(9)] public decimal[] Price { get; set; } = [];

    /// <summary>Empty while nothing is allocated yet (allocations are filled when the block closes), else one per allocation.</summary>
    [MemoryPackOrder(10)] public decimal[] AllocatedFilled { get; set; } = [];
    [MemoryPackOrder(11)] public decimal[] AllocatedNotional { get; set; } = [];

    /// <summary>Reads a column kept as one shared value, per allocation, or empty for zeros.</summary>
    public static decimal At(decimal[] column, int i) => column.Length switch
    {
        0 => 0m,
        1 => column[0],
        _ => column[i],
    };

    /// <summary>Keeps a column as one value when all are equal (and as nothing when all are zero and <paramref name="zeroIsEmpty"/>).</summary>
    public static decimal[] Compact(decimal[] column, bool zeroIsEmpty)
    {
        if (column.Length == 0 || column.AsSpan(1).ContainsAnyExcept(column[0]))
        {
            return column;
        }
        return zeroIsEmpty && column[0] == 0 ? [] : [column[0]];
    }
}

/// <summary>A plan held for approval, as the checkpoint keeps it.</summary>
public sealed record HeldPlan(Decisions.Decision Decision, IReadOnlyList<Orders.Trade> Trades, IReadOnlyList<string> Warnings, string? ApprovalReason, decimal CashBefore, decimal Reserve)
{
    /// <summary>The day the plan was first held (absent from checkpoints of builds that did not keep it).</summary>
    public DateOnly? Since { get; init; }
}

/// <summary>The saved state does not belong to this engine (another book, another layout).</summary>
public sealed class StateMismatchException(string message) : Exception(message);

/// <summary>The state on disk is damaged beyond what recovery can rebuild exactly: the message names the file and what is wrong.</summary>
public sealed class StateDamageException(string message) : Exception(message);
