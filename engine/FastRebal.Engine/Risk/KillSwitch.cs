using System.Text.Json;

namespace FastRebal.Engine.Risk;

/// <summary>The kill switch as persisted and shown: engaged or not, by whom, why, when, and at which input sequence.</summary>
public sealed record KillSwitchState(bool Engaged, string Who, string Why, DateTimeOffset At, long Sequence)
{
    public static readonly KillSwitchState Released = new(false, "", "", DateTimeOffset.MinValue, 0);
}

/// <summary>Where the kill switch keeps its state across restarts.</summary>
public interface IKillSwitchStore
{
    KillSwitchState Load();

    void Save(KillSwitchState state);
}

/// <summary>Keeps nothing: for tests and throw-away runs.</summary>
public sealed class InMemoryKillSwitchStore : IKillSwitchStore
{
    private KillSwitchState state = KillSwitchState.Released;

    public KillSwitchState Load() => state;

    public void Save(KillSwitchState state) => this.state = state;
}

/// <summary>
/// A JSON file, replaced atomically (write a temporary file, flush it to disk, rename over the old one), so a crash
/// mid-write leaves the old state or the new one, never half of either. A missing file means released; an unreadable
/// one means ENGAGED: when the engine cannot tell whether trading was stopped, it assumes it was. The file carries a
/// checksum of the state and every field is required, so a damaged file is unreadable, never read as another state.
/// </summary>
public sealed class FileKillSwitchStore(string path) : IKillSwitchStore
{
    public string Path { get; } = path;

    public KillSwitchState Load()
    {
        if (!File.Exists(Path))
        {
            return KillSwitchState.Released;
        }
        try
        {
            var stored = JsonSerializer.Deserialize<StoredState>(File.ReadAllBytes(Path), Strict)
                ?? throw new JsonException("the file holds null");
            var state = new KillSwitchState(stored.Engaged, stored.Who, stored.Why, stored.At, stored.Sequence);
            // A file written before the checksum was added has none; a damaged name of the field is an unknown field.
            if (stored.Check is { } check && check != Checksum(state))
            {
                throw new JsonException("its checksum does not match its content: the file is damaged");
            }
            return state;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return new KillSwitchState(true, "engine", $"kill switch state file {Path} is unreadable ({e.Message}); engaged until an operator releases it", DateTimeOffset.UtcNow, 0);
        }
    }

    /// <summary>Reading refuses a missing, unknown or repeated field: a damaged field name must not default a field to released.</summary>
    private static readonly JsonSerializerOptions Strict = new()
    {
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    /// <summary>The file's content: the state and the checksum of its JSON.</summary>
    private sealed record StoredState(bool Engaged, string Who, string Why, DateTimeOffset At, long Sequence, string? Check = null);

    private static string Checksum(KillSwitchState state) => Convert.ToHexString(System.IO.Hashing.XxHash128.Hash(JsonSerializer.SerializeToUtf8Bytes(state)));

    public void Save(KillSwitchState state)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, new StoredState(state.Engaged, state.Who, state.Why, state.At, state.Sequence, Checksum(state)));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
    }
}

/// <summary>
/// Stops all trading at once. Once engaged, the risk gate refuses every order and the order stage sends nothing and
/// cancels what it has scheduled, until an operator releases it. Engage and release are rare and come from any
/// thread; the order path only does a volatile read of <see cref="IsEngaged"/>.
/// </summary>
public sealed class KillSwitch
{
    private readonly IKillSwitchStore store;
    private readonly Lock gate = new();
    private KillSwitchState state;
    private volatile bool engaged;

    public KillSwitch(IKillSwitchStore store)
    {
        this.store = store;
        state = store.Load();
        engaged = state.Engaged;
    }

    public bool IsEngaged => engaged;

    /// <summary>Where the state is kept.</summary>
    internal IKillSwitchStore Store => store;

    public KillSwitchState State
    {
        get
        {
            lock (gate)
            {
                return state;
            }
        }
    }

    /// <summary>Raised (on the caller's thread) after an engage or release, with the new state.</summary>
    public event Action<KillSwitchState>? Changed;

    /// <summary>Engages the switch; the state is on disk before this returns. Engaging it again keeps the first who and why.</summary>
    public void Engage(string who, string why, long sequence, DateTimeOffset at)
    {
        Require(who, why);
        KillSwitchState next;
        lock (gate)
        {
            // Trading stops before the state is written: a failing disk must not delay the stop.
            engaged = true;
            if (state.Engaged)
            {
                return;
            }
            next = state = new KillSwitchState(true, who, why, at, sequence);
            store.Save(next);
        }
        Changed?.Invoke(next);
    }

    /// <summary>Releases the switch; only a person with a reason can.</summary>
    public void Release(string who, string why, DateTimeOffset at)
    {
        Require(who, why);
        KillSwitchState next;
        lock (gate)
        {
            next = state = new KillSwitchState(false, who, why, at, state.Sequence);
            store.Save(next);
            engaged = false;
        }
        Changed?.Invoke(next);
    }

    /// <summary>Sets the state recovered from a checkpoint or the journal, without saving it again or raising <see cref="Changed"/>.</summary>
    internal void Restore(KillSwitchState recovered)
    {
        lock (gate)
        {
            state = recovered;
            engaged = recovered.Engaged;
        }
    }

    private static void Require(string who, string why)
    {
        if (string.IsNullOrWhiteSpace(who))
        {
            throw new ArgumentException("the kill switch needs who is acting", nameof(who));
        }
        if (string.IsNullOrWhiteSpace(why))
        {
            throw new ArgumentException("the kill switch needs a reason", nameof(why));
        }
    }
}
