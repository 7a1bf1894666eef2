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
    // Types a checkpoint holds many of, or a recovery reads first, come with compiled metadata (reflection would spend
    // a recovery's first hundreds of milliseconds building it): the catalog's here, the engine's through the
    // overloads that take a JsonTypeInfo. Anything else falls back to reflection.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(StateJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Writes with compiled metadata from a context of the layer that owns the type.</summary>
    public static string Write<T>(T value, JsonTypeInfo<T> info) => JsonSerializer.Serialize(value, info);

    public static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"saved {typeof(T).Name} is empty");

    public static T Read<T>(string json, JsonTypeInfo<T> info) =>
        JsonSerializer.Deserialize(json, info) ?? throw new InvalidDataException($"saved {typeof(T).Name} is empty");
}

/// <summary>Compiled JSON metadata for the checkpoint catalog.</summary>
[JsonSerializable(typeof(List<CheckpointInfo>))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
