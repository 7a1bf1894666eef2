using System.Reflection;
using System.Runtime.CompilerServices;
using MemoryPack;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// Compiles the decoders of the state's records (checkpoint images, chunks, journal entries) ahead of a recovery, on
/// a thread of their own. MemoryPack generates one large decoder per record type, and a recovery runs each of them
/// once or a few times: in a process that compiles each method fully optimized the first time it runs (the CLI turns
/// tiered compilation off), compiling them is a large part of loading a checkpoint. Started when a process knows it
/// will recover (before it reads or generates its firm), the compiling overlaps that work on the other core instead
/// of adding to the recovery. It changes no state: it decodes empty records of each type and drops them.
/// </summary>
public static class StateDecoders
{
    /// <summary>Starts compiling every record type's decoder on the thread pool; the task ends when all are compiled.</summary>
    public static Task WarmUpAsync() => Task.Run(() =>
    {
        foreach (var type in RecordTypes)
        {
            DecodeEmpty(type);
        }
    });

    /// <summary>
    /// When <paramref name="directory"/> already holds state (so the engine will recover from it), starts
    /// <see cref="WarmUpAsync"/> and returns its task; otherwise returns null (a first start decodes nothing).
    /// </summary>
    public static Task? WarmUpIfRecovering(string? directory) =>
        directory is not null && Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any() ? WarmUpAsync() : null;

    /// <summary>Every concrete type of the engine that MemoryPack encodes: the state's records and what they hold.</summary>
    internal static IReadOnlyList<Type> RecordTypes { get; } =
    [
        .. typeof(StateDecoders).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.ContainsGenericParameters && t.GetCustomAttribute<MemoryPackableAttribute>() is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal),
    ];

    // An empty record of each type decodes (a test checks it for every type): were one not to, the warm-up's task would
    // end faulted, which nothing waits on; the recovery's own decoding reports damaged records as it always does.
    private static void DecodeEmpty(Type type)
    {
        var empty = type.IsValueType ? Activator.CreateInstance(type) : RuntimeHelpers.GetUninitializedObject(type);
        _ = MemoryPackSerializer.Deserialize(type, MemoryPackSerializer.Serialize(type, empty));
    }
}
