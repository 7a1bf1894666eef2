using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Risk;
using MemoryPack;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// The engine-wide part of a checkpoint: where the journal resumes, which book it belongs to, and the state of
/// every stage that is not per account. Per-account arrays travel in <see cref="AccountChunk"/> records.
/// Member order is the schema (MemoryPack, version-tolerant): add members at the end, never reorder.
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class EngineImage : ICheckpointImage
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
