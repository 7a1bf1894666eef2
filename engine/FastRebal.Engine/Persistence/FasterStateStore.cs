using FASTER.core;
using MemoryPack;

namespace FastRebal.Engine.Persistence;

/// <summary>One checkpoint the store holds.</summary>
/// <param name="Token">The store's own id for it.</param>
/// <param name="Sequence">The last evaluation batch it includes.</param>
/// <param name="ReplayFrom">Journal address recovery replays from.</param>
/// <param name="TakenAt">When it was taken.</param>
public sealed record CheckpointInfo(Guid Token, long Sequence, long ReplayFrom, DateTimeOffset TakenAt)
{
    /// <summary>How messages name it: the catalog's batch, or that the catalog does not list it (its batch is unknown until it loads).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Name => Sequence == long.MinValue ? $"checkpoint {Token} (not in the catalog)" : $"checkpoint {Token} (batch {Sequence})";
}

/// <summary>
/// What this layer needs to know of the engine record kept with each checkpoint: the batch and journal address it
/// resumes from, when it was taken, the book's size and prices, and how many chunk records follow it with their hashes.
/// </summary>
public interface ICheckpointImage
{
    /// <summary>The book's prices (see <see cref="BookState"/>).</summary>
    double[] Prices { get; set; }

    int AccountCount { get; set; }

    long Sequence { get; }

    long ReplayFrom { get; }

    DateTimeOffset TakenAt { get; }

    int ChunkCount { get; }

    int PolicyChunkCount { get; }

    /// <summary>Checksum of each chunk record, account chunks then policy chunks; the store fills them in as it saves.</summary>
    string[] ChunkHashes { get; set; }
}

/// <summary>
/// Where checkpoints live. Behind an interface because FASTER is feature-frozen (Tsavorite is its maintained fork):
/// the engine only needs to save an image with its chunks, list what is saved, load one, and prune.
/// </summary>
public interface IStateStore<TImage> : IDisposable
    where TImage : class, ICheckpointImage
{
    /// <summary>
    /// Saves a checkpoint: the engine record, then <see cref="ICheckpointImage.ChunkCount"/> account chunks and
    /// <see cref="ICheckpointImage.PolicyChunkCount"/> policy chunks. A null record is unchanged since the last save (or
    /// load) and is kept as it is. The checkpoint is durable when this returns.
    /// </summary>
    CheckpointInfo Save(TImage image, IReadOnlyList<byte[]?> records);

    /// <summary>The checkpoints held, newest first.</summary>
    IReadOnlyList<CheckpointInfo> List();

    /// <summary>Loads a checkpoint; throws <see cref="InvalidDataException"/> naming what is damaged.</summary>
    (TImage Image, AccountChunk[] Chunks, PolicyChunk[] Policies) Load(CheckpointInfo checkpoint);

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints.</summary>
    void Prune(int keep);

    /// <summary>Deletes one checkpoint (one that does not load).</summary>
    void Remove(CheckpointInfo checkpoint);

    /// <summary>What was wrong with the store's list of checkpoints when it was last read, if anything.</summary>
    string? CatalogProblem { get; }
}

/// <summary>
/// Checkpoints in a Microsoft FASTER key-value store: key 0 holds the engine record (<typeparamref name="TImage"/>),
/// keys 1..n the per-account chunks, and each checkpoint is a FASTER snapshot checkpoint whose commit cookie names the
/// batch it includes (FASTER issue #73: the application keeps the token; here the cookie is read back from each token).
/// </summary>
public sealed class FasterStateStore<TImage> : IStateStore<TImage>
    where TImage : class, ICheckpointImage
{
    /// <summary>The engine record's first part; further parts take keys -1, -2 ... (account chunks take 1 ... n).</summary>
    private const int ImageKey = 0;

    /// <summary>Small enough for three parts to share a FASTER page, so a large record (a quarter's opening) wastes little of the log.</summary>
    private const int ImagePartBytes = 2 << 20;

    /// <summary>
    /// A chunk record larger than this is stored in parts: chunk <c>i</c>'s first part under key <c>i</c>, part <c>p</c>
    /// under <c>(p &lt;&lt; 32) | i</c>. An account chunk is about 3.4 MB at 20 positions, but its tax lots can make it
    /// ten times that (80 lots an account), more than a FASTER page holds.
    /// </summary>
    private const int ChunkPartBytes = 2 << 20;

    private readonly string directory;
    private readonly DeviceLogCommitCheckpointManager checkpoints;
    private FasterKV<SpanByte, SpanByte> store;
    private IDevice device;
    private ClientSession<SpanByte, SpanByte, SpanByte, byte[], Empty, IFunctions<SpanByte, SpanByte, SpanByte, byte[], Empty>> session;
    private readonly byte[] key = GC.AllocateUninitializedArray<byte>(sizeof(long), pinned: true);

    /// <summary>The hash of each chunk record the store holds now (from the last save or load).</summary>
    private string[] savedHashes = [];

    /// <summary>How many parts each chunk record the store holds now is stored in.</summary>
    private int[] savedParts = [];

    public FasterStateStore(string directory)
    {
        this.directory = directory;
        Directory.CreateDirectory(directory);
        checkpoints = new DeviceLogCommitCheckpointManager(new LocalStorageNamedDeviceFactory(), new DefaultCheckpointNamingScheme(Path.Combine(directory, "checkpoints")), removeOutdated: false);
        (store, device, session) = Open();
    }

    private (FasterKV<SpanByte, SpanByte>, IDevice, ClientSession<SpanByte, SpanByte, SpanByte, byte[], Empty, IFunctions<SpanByte, SpanByte, SpanByte, byte[], Empty>>) Open()
    {
        var log = Devices.CreateLogDevice(Path.Combine(directory, "state.log"), recoverDevice: true);
        var kv = new FasterKV<SpanByte, SpanByte>(new FasterKVSettings<SpanByte, SpanByte>
        {
            // A few hundred keys at most: the engine record's parts and one per 8,192 accounts.
            IndexSize = 1L << 12,
            LogDevice = log,
            // Pages larger than the biggest value (a part of a chunk or of the engine record, 2 MB and its room). The
            // whole image must stay in the log's mutable region (nine tenths of its memory): a record FASTER has made
            // read-only is copied to the tail on each update, and the log on disk then grows by the state's size at
            // every checkpoint (seen with 5 million lots, 420 MB, in 512 MB). Pages are allocated only as the log
            // reaches them, so this is a ceiling, not what the process takes.
            PageSize = 1L << 23,
            MemorySize = 1L << 31,
            CheckpointManager = checkpoints,
        });
        var s = kv.NewSession<SpanByte, byte[], Empty>(new SpanByteFunctions_ByteArrayOutput<Empty>());
        return (kv, log, s);
    }

    public CheckpointInfo Save(TImage image, IReadOnlyList<byte[]?> chunks)
    {
        if (chunks.Count != image.ChunkCount + image.PolicyChunkCount)
        {
            throw new ArgumentException($"expected {image.ChunkCount} account and {image.PolicyChunkCount} policy chunks, got {chunks.Count} records", nameof(chunks));
        }
        Array.Resize(ref savedHashes, chunks.Count);
        Array.Resize(ref savedParts, chunks.Count);
        for (var i = 0; i < chunks.Count; i++)
        {
            if (chunks[i] is { } bytes)
            {
                savedHashes[i] = Checksum(bytes);
                savedParts[i] = Math.Max(1, (bytes.Length + ChunkPartBytes - 1) / ChunkPartBytes);
            }
            else if (savedHashes[i] is null)
            {
                throw new ArgumentException($"record {i + 1} is marked unchanged, but this store holds none", nameof(chunks));
            }
        }
        image.ChunkHashes = [.. savedHashes];
        var imageBytes = MemoryPackSerializer.Serialize(image);
        // The engine record grows with open orders (a quarter's opening can schedule a child for every position), so it
        // is stored in parts that always fit a FASTER page.
        var parts = (imageBytes.Length + ImagePartBytes - 1) / ImagePartBytes;
        for (var p = 0; p < parts; p++)
        {
            Put(ImageKey - p, imageBytes.AsSpan(p * ImagePartBytes, Math.Min(ImagePartBytes, imageBytes.Length - (p * ImagePartBytes))));
        }
        for (var i = 0; i < chunks.Count; i++)
        {
            if (chunks[i] is { } bytes)
            {
                for (var p = 0; p < savedParts[i]; p++)
                {
                    var from = p * ChunkPartBytes;
                    Put(ChunkKey(i, p), bytes.AsSpan(from, Math.Min(ChunkPartBytes, bytes.Length - from)));
                }
            }
            if (i == chunks.Count / 2)
            {
                CrashPoints.Reach(CrashPoints.Checkpoint);
            }
        }
        // The image record's hash rides in the cookie (FASTER's own metadata), so a damaged record is caught too.
        var cookie = new CheckpointCookie { Sequence = image.Sequence, ReplayFrom = image.ReplayFrom, TakenAt = image.TakenAt, ImageHash = Checksum(imageBytes), ImageParts = parts, ChunkParts = [.. savedParts] };
        store.CommitCookie = MemoryPackSerializer.Serialize(cookie);
        var (ok, token) = store.TakeFullCheckpointAsync(CheckpointType.Snapshot).AsTask().GetAwaiter().GetResult();
        if (!ok)
        {
            throw new IOException($"state store {directory}: FASTER refused the checkpoint (another one is running)");
        }
        var info = new CheckpointInfo(token, image.Sequence, image.ReplayFrom, image.TakenAt);
        var catalog = ReadCatalog();
        catalog.Add(info);
        WriteCatalog(catalog);
        return info;
    }

    private string CatalogPath => Path.Combine(directory, "checkpoints.json");

    public string? CatalogProblem { get; private set; }

    private List<CheckpointInfo> ReadCatalog()
    {
        CatalogProblem = null;
        try
        {
            return File.Exists(CatalogPath) ? StateJson.Read<List<CheckpointInfo>>(File.ReadAllText(CatalogPath)) : [];
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or System.Text.DecoderFallbackException or NotSupportedException)
        {
            // Each checkpoint's own cookie still names its batch (checked when it loads): the catalog only orders them.
            CatalogProblem = $"the checkpoint catalog {CatalogPath} does not read ({e.Message}); checkpoints are tried newest file first, each checked against its own record";
            return [];
        }
    }

    private void WriteCatalog(List<CheckpointInfo> catalog)
    {
        // Newest first, whatever order the entries came in: a reader takes the head as the newest checkpoint.
        catalog = [.. catalog.OrderByDescending(c => c.Sequence).ThenByDescending(c => c.TakenAt)];
        var temporary = CatalogPath + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(StateJson.Write(catalog));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, CatalogPath, overwrite: true);
    }

    public IReadOnlyList<CheckpointInfo> List()
    {
        // The catalog names each token's batch; tokens FASTER holds that the catalog lost (a crash between the
        // checkpoint and the catalog write) are still offered, with the batch their cookie gives once recovered.
        var catalog = ReadCatalog();
        var known = catalog.Select(c => c.Token).ToHashSet();
        foreach (var token in checkpoints.GetLogCheckpointTokens())
        {
            if (!known.Contains(token))
            {
                // Unlisted: no batch known until it loads; the newest files are tried first.
                catalog.Add(new CheckpointInfo(token, long.MinValue, 0, Directory.GetLastWriteTimeUtc(TokenFolder(token))));
            }
        }
        // Unlisted ones first: the catalog is written right after each checkpoint, so one it lacks is newer than all it
        // lists (a crash came in between) or half-written; either way it is tried, and kept or removed, first.
        return [.. catalog.OrderByDescending(c => c.Sequence == long.MinValue).ThenByDescending(c => c.Sequence).ThenByDescending(c => c.TakenAt)];
    }

    public (TImage Image, AccountChunk[] Chunks, PolicyChunk[] Policies) Load(CheckpointInfo checkpoint)
    {
        if (!Directory.Exists(TokenFolder(checkpoint.Token)))
        {
            throw new InvalidDataException($"{checkpoint.Name}: its files are missing");
        }
        if (!Committed(checkpoint.Token))
        {
            // Told from its files alone, without rebuilding the store for a recovery that cannot succeed.
            throw new InvalidDataException($"{checkpoint.Name}: its writing never finished (FASTER's info.dat, written last, is missing)");
        }
        // Recovery rebuilds the store from the checkpoint: a fresh instance, so a failed attempt leaves nothing behind.
        session.Dispose();
        store.Dispose();
        device.Dispose();
        (store, device, session) = Open();
        savedHashes = [];
        savedParts = [];
        room.Clear();
        try
        {
            store.Recover(checkpoint.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // FASTER parses its own metadata with whatever it meets (FormatException, IndexOutOfRange ...): a damaged
            // checkpoint is a checkpoint that does not load, never a crash.
            throw new InvalidDataException($"{checkpoint.Name} does not recover: {e.Message}", e);
        }
        if (store.RecoveredCommitCookie is not { Length: > 0 } cookieBytes || Decode<CheckpointCookie>(cookieBytes, $"checkpoint {checkpoint.Token}: commit cookie") is not { } cookie)
        {
            throw new InvalidDataException($"checkpoint {checkpoint.Token}: no commit cookie, so the batch it includes is unknown");
        }
        var imageBytes = Join([.. Enumerable.Range(0, Math.Max(1, cookie.ImageParts)).Select(p => Get(ImageKey - p, checkpoint))]);
        if (Checksum(imageBytes) != cookie.ImageHash)
        {
            throw new InvalidDataException($"{checkpoint.Name}: the engine record does not match its hash");
        }
        var image = Decode<TImage>(imageBytes, $"checkpoint {checkpoint.Token}: engine record");
        if (image.ChunkHashes.Length != image.ChunkCount + image.PolicyChunkCount)
        {
            throw new InvalidDataException($"{checkpoint.Name}: the engine record lists {image.ChunkHashes.Length} chunk hashes for {image.ChunkCount + image.PolicyChunkCount} chunks");
        }
        var chunks = new AccountChunk[image.ChunkCount];
        var policies = new PolicyChunk[image.PolicyChunkCount];
        // FASTER's session reads one record at a time; checking and decoding them is independent, so both cores share it.
        var records = new ArraySegment<byte>[chunks.Length + policies.Length];
        // A cookie from before chunks were stored in parts has none: one part each.
        var partCounts = cookie.ChunkParts.Length == records.Length ? cookie.ChunkParts : [.. Enumerable.Repeat(1, records.Length)];
        for (var i = 0; i < records.Length; i++)
        {
            records[i] = Join([.. Enumerable.Range(0, Math.Max(1, partCounts[i])).Select(p => Get(ChunkKey(i, p), checkpoint))]);
        }
        var problems = new string?[records.Length];
        Parallel.For(0, records.Length, i =>
        {
            try
            {
                if (Checksum(records[i]) != image.ChunkHashes[i])
                {
                    throw new InvalidDataException($"{checkpoint.Name}: chunk record {i + 1} does not match its hash");
                }
                if (i < chunks.Length)
                {
                    chunks[i] = Decode<AccountChunk>(records[i], $"checkpoint {checkpoint.Token}: account chunk {i + 1}");
                }
                else
                {
                    policies[i - chunks.Length] = Decode<PolicyChunk>(records[i], $"checkpoint {checkpoint.Token}: policy chunk {i + 1 - chunks.Length}");
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                problems[i] = e is InvalidDataException ? e.Message : $"{checkpoint.Name}: chunk record {i + 1} does not decode: {e.Message}";
            }
        });
        // The first damaged record is named, whichever thread found it first.
        if (problems.FirstOrDefault(p => p is not null) is { } problem)
        {
            throw new InvalidDataException(problem);
        }
        savedHashes = [.. image.ChunkHashes];
        savedParts = [.. partCounts];
        if (checkpoint.Sequence == long.MinValue)
        {
            // Whole after all (the crash fell between the checkpoint and the catalog): list it under its own batch.
            WriteCatalog([.. ReadCatalog().Where(c => c.Token != checkpoint.Token), new CheckpointInfo(checkpoint.Token, cookie.Sequence, cookie.ReplayFrom, cookie.TakenAt)]);
        }
        return (image, chunks, policies);
    }

    /// <summary>The key of part <paramref name="part"/> of chunk record <paramref name="index"/> (0-based; see <see cref="ChunkPartBytes"/>).</summary>
    private static long ChunkKey(int index, int part) => ((long)part << 32) | (uint)(index + 1);

    /// <summary>A record stored in parts, whole again.</summary>
    private static ArraySegment<byte> Join(ArraySegment<byte>[] parts)
    {
        if (parts.Length == 1)
        {
            return parts[0];
        }
        var joined = new byte[parts.Sum(part => part.Count)];
        var at = 0;
        foreach (var part in parts)
        {
            part.AsSpan().CopyTo(joined.AsSpan(at));
            at += part.Count;
        }
        return joined;
    }

    private string TokenFolder(Guid token) => Path.Combine(directory, "checkpoints", "cpr-checkpoints", token.ToString());

    /// <summary>Whether FASTER finished both halves of a full checkpoint: it writes each half's info.dat after its data.</summary>
    private bool Committed(Guid token)
    {
        var index = Path.Combine(directory, "checkpoints", "index-checkpoints", token.ToString());
        return Directory.EnumerateFiles(TokenFolder(token), "info.dat*").Any()
            && Directory.Exists(index) && Directory.EnumerateFiles(index, "info.dat*").Any();
    }

    public void Remove(CheckpointInfo checkpoint)
    {
        checkpoints.Purge(checkpoint.Token);
        WriteCatalog([.. ReadCatalog().Where(c => c.Token != checkpoint.Token)]);
    }

    public void Prune(int keep)
    {
        // Called after a save: a checkpoint still unlisted then is older than the one just saved, or was never whole.
        var listed = List().Where(c => c.Sequence != long.MinValue).ToList();
        foreach (var old in List().Where(c => c.Sequence == long.MinValue).Concat(listed.Skip(Math.Max(1, keep))))
        {
            checkpoints.Purge(old.Token);
        }
        WriteCatalog([.. listed.Take(Math.Max(1, keep))]);
    }

    public void Dispose()
    {
        session.Dispose();
        store.Dispose();
        device.Dispose();
        checkpoints.Dispose();
    }

    /// <summary>XxHash128 of a record: catches a damaged record at memory speed (tampering is the audit chain's concern).</summary>
    private static string Checksum(ReadOnlySpan<byte> bytes) => Convert.ToHexString(System.IO.Hashing.XxHash128.Hash(bytes));

    private static T Decode<T>(ReadOnlySpan<byte> bytes, string what)
        where T : class
    {
        try
        {
            return MemoryPackSerializer.Deserialize<T>(bytes) ?? throw new InvalidDataException($"{what} is empty");
        }
        catch (MemoryPackSerializationException e)
        {
            throw new InvalidDataException($"{what} does not decode: {e.Message}", e);
        }
    }

    /// <summary>
    /// Stores a record in a slot of fixed room: its length, the bytes, then zeros up to the room its key was first
    /// given. A value of the same length overwrites the record in place, where a longer one would be appended as a
    /// new version (FASTER's copy-on-update) and leave the old one in the log; and a snapshot checkpoint writes the
    /// whole in-memory log, stale versions included. Room grows (by an eighth more than asked) only when a record
    /// outgrows it.
    /// </summary>
    private void Put(long id, ReadOnlySpan<byte> value)
    {
        var needed = sizeof(int) + value.Length;
        if (!room.TryGetValue(id, out var size) || size < needed)
        {
            size = (needed + (needed / 8) + RoomGrain - 1) / RoomGrain * RoomGrain;
            room[id] = size;
        }
        if (slot.Length < size)
        {
            slot = GC.AllocateUninitializedArray<byte>(size, pinned: true);
        }
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(slot, value.Length);
        value.CopyTo(slot.AsSpan(sizeof(int)));
        slot.AsSpan(needed, size - needed).Clear();
        BitConverter.TryWriteBytes(key, id);
        var k = SpanByte.FromPinnedMemory(key);
        var v = SpanByte.FromFixedSpan(slot.AsSpan(0, size));
        session.Upsert(ref k, ref v);
    }

    /// <summary>Records' room is a multiple of this, so small changes in size still fit in place.</summary>
    private const int RoomGrain = 64 << 10;

    /// <summary>The room each key's record has in the log (see <see cref="Put"/>).</summary>
    private readonly Dictionary<long, int> room = [];

    /// <summary>Where <see cref="Put"/> lays a record out; pinned, since FASTER copies from its address.</summary>
    private byte[] slot = [];

    private ArraySegment<byte> Get(long id, CheckpointInfo checkpoint)
    {
        BitConverter.TryWriteBytes(key, id);
        var k = SpanByte.FromPinnedMemory(key);
        byte[] output = [];
        var status = session.Read(ref k, ref output);
        if (status.IsPending)
        {
            session.CompletePendingWithOutputs(out var completed, wait: true);
            using (completed)
            {
                while (completed.Next())
                {
                    status = completed.Current.Status;
                    output = completed.Current.Output;
                }
            }
        }
        if (!status.Found || output is null)
        {
            throw new InvalidDataException($"{checkpoint.Name}: record {id} is missing");
        }
        var length = output.Length >= sizeof(int) ? System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(output) : -1;
        if (length < 0 || length > output.Length - sizeof(int))
        {
            throw new InvalidDataException($"{checkpoint.Name}: record {id} is damaged (it claims {length} bytes in a slot of {output.Length})");
        }
        room[id] = output.Length;
        return new ArraySegment<byte>(output, sizeof(int), length);
    }
}

/// <summary>What a checkpoint's FASTER commit cookie carries, so checkpoints can be listed without loading them.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class CheckpointCookie
{
    [MemoryPackOrder(0)] public long Sequence { get; set; }
    [MemoryPackOrder(1)] public long ReplayFrom { get; set; }
    [MemoryPackOrder(2)] public DateTimeOffset TakenAt { get; set; }

    /// <summary>Checksum (XxHash128) of the engine record.</summary>
    [MemoryPackOrder(3)] public string ImageHash { get; set; } = "";

    /// <summary>How many parts the engine record is stored in.</summary>
    [MemoryPackOrder(4)] public int ImageParts { get; set; } = 1;

    /// <summary>How many parts each chunk record is stored in (see <c>ChunkPartBytes</c>); empty in a checkpoint from before parts, whose chunks are whole.</summary>
    [MemoryPackOrder(5)] public int[] ChunkParts { get; set; } = [];
}
