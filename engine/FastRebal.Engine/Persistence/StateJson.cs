using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// JSON for the few rich objects inside checkpoints and journal entries (policies, held plans, open orders): they are
/// rare and nested, and JSON keeps them readable and tolerant of added members. Bulk arrays use MemoryPack.
/// </summary>
internal static class StateJson
{
    // The types a checkpoint holds many of, or a recovery reads first, come with compiled metadata: reflection would
    // spend a recovery's first hundreds of milliseconds building it. Anything else falls back to reflection.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(StateJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"saved {typeof(T).Name} is empty");
}

/// <summary>Compiled JSON metadata for the checkpoint's held plans, open child orders and the checkpoint catalog.</summary>
[JsonSerializable(typeof(HeldPlan))]
[JsonSerializable(typeof(Orders.Slicing.ChildOrder))]
[JsonSerializable(typeof(List<CheckpointInfo>))]
internal sealed partial class StateJsonContext : JsonSerializerContext;

/// <summary>Where the evaluation stage writes each batch's inputs before applying them.</summary>
internal interface IBatchJournal
{
    void AppendBatch(long sequence, long marketTime, long feedPosition, IReadOnlyList<Pipeline.AccountFill> fills, IReadOnlyList<(Pipeline.ControlCommand? Original, JournaledCommand Resolved)> commands, int sweepLimit = 0);
}
