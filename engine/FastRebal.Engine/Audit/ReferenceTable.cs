using System.Runtime.CompilerServices;

namespace FastRebal.Engine.Audit;

/// <summary>
/// What was made from an object the audit writer meets again and again (an id string, a policy), kept in a small
/// table keyed by the object itself: a lookup is a reference comparison, and a newcomer simply takes its slot.
/// Only for objects that never change once made (strings, immutable records). One thread's.
/// </summary>
internal sealed class ReferenceTable<TKey, TValue>(int slots = 4096)
    where TKey : class
{
    private readonly (TKey Key, TValue Value)?[] entries = new (TKey, TValue)?[slots];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TValue Get<TState>(TKey key, TState state, Func<TKey, TState, TValue> make)
    {
        var slot = RuntimeHelpers.GetHashCode(key) & (entries.Length - 1);
        if (entries[slot] is { } seen && ReferenceEquals(seen.Key, key))
        {
            return seen.Value;
        }
        var value = make(key, state);
        entries[slot] = (key, value);
        return value;
    }
}
