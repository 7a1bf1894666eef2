using System.Text.Json;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// JSON for the few rich objects inside checkpoints and journal entries (policies, held plans, open orders): they are
/// rare and nested, and JSON keeps them readable and tolerant of added members. Bulk arrays use MemoryPack.
/// </summary>
internal static class StateJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General);

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"saved {typeof(T).Name} is empty");
}

/// <summary>Where the evaluation stage writes each batch's inputs before applying them.</summary>
internal interface IBatchJournal
{
    void AppendBatch(long sequence, long marketTime, long feedPosition, IReadOnlyList<Pipeline.AccountFill> fills, IReadOnlyList<(Pipeline.ControlCommand? Original, JournaledCommand Resolved)> commands, int sweepLimit = 0);
}
