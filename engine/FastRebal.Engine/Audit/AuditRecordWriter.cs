using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FastRebal.Engine.Audit;

/// <summary>
/// Receives an entry's fields in their one fixed order (the order of the canonical form and of the file's line): the
/// head, the explanation, the figures, the tail. What a record says is written once against it (see
/// <see cref="AuditEntries"/>), whether it becomes an <see cref="AuditEntry"/> or goes straight into its encoded form.
/// </summary>
internal interface IAuditEntrySink
{
    void Head(AuditKind kind, string accountId, string householdId, string policyId, int policyVersion, string rule);

    void Explanation(ReadOnlySpan<char> text);

    void StartFigures();

    void Figure(string name, string value);

    void Figure(string name, ReadOnlySpan<char> value);

    /// <summary>Figures that several records carry alike, in order; the list must not change once given.</summary>
    void Figures(IReadOnlyList<AuditFigure> figures);

    void EndFigures();

    void Tail(string actor, string actorReason, string inputHash);
}

/// <summary>Entries a chain appends in order: each written into a sink, or built whole (for the store's last record, or a store that keeps entries).</summary>
internal interface IAuditEntrySource
{
    int Count { get; }

    void Write(int index, IAuditEntrySink sink);

    AuditEntry Entry(int index);
}

/// <summary>Builds an <see cref="AuditEntry"/> from the fields a sink receives.</summary>
internal sealed class AuditEntryBuilder : IAuditEntrySink
{
    private AuditKind kind;
    private string accountId = "", householdId = "", policyId = "", rule = "", explanation = "", actor = "", actorReason = "", inputHash = "";
    private int policyVersion;
    private List<AuditFigure> figures = [];

    public void Head(AuditKind kind, string accountId, string householdId, string policyId, int policyVersion, string rule) =>
        (this.kind, this.accountId, this.householdId, this.policyId, this.policyVersion, this.rule) = (kind, accountId, householdId, policyId, policyVersion, rule);

    public void Explanation(ReadOnlySpan<char> text) => explanation = text.ToString();

    // Each entry keeps its own list.
    public void StartFigures() => figures = [];

    public void Figure(string name, string value) => figures.Add(new AuditFigure(name, value));

    public void Figure(string name, ReadOnlySpan<char> value) => figures.Add(new AuditFigure(name, value.ToString()));

    public void Figures(IReadOnlyList<AuditFigure> figures) => this.figures.AddRange(figures);

    public void EndFigures()
    {
    }

    public void Tail(string actor, string actorReason, string inputHash) => (this.actor, this.actorReason, this.inputHash) = (actor, actorReason, inputHash);

    public AuditEntry Build() => new(kind, accountId, householdId, policyId, policyVersion, rule, explanation, figures, actor, actorReason, inputHash);

    /// <summary>The figures received since the last <see cref="StartFigures"/>.</summary>
    public AuditFigure[] BuiltFigures() => [.. figures];
}

/// <summary>
/// Writes one record's canonical form (hashed) and/or its file line as its fields arrive, into buffers kept for the
/// next record: the only place either layout is written (see <see cref="AuditEncoding"/> for both). One per thread.
/// </summary>
/// <remarks>The hot methods are optimized from the first call: a day's opening sends a hundred thousand records here before tiering would catch up.</remarks>
internal sealed class AuditRecordWriter : IAuditEntrySink
{
    // Validation off: the line's structure is fixed here, and the bytes are the same either way.
    private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = true };

    private static readonly JsonEncodedText SeqName = JsonEncodedText.Encode("seq"), TsName = JsonEncodedText.Encode("ts"),
        KindField = JsonEncodedText.Encode("kind"), AccountName = JsonEncodedText.Encode("account"), HouseholdName = JsonEncodedText.Encode("household"),
        PolicyName = JsonEncodedText.Encode("policy"), PolicyVersionName = JsonEncodedText.Encode("policyVersion"), RuleName = JsonEncodedText.Encode("rule"),
        ExplanationName = JsonEncodedText.Encode("explanation"), FiguresName = JsonEncodedText.Encode("figures"), ActorName = JsonEncodedText.Encode("actor"),
        WhyName = JsonEncodedText.Encode("why"), InputHashName = JsonEncodedText.Encode("inputHash"), PrevName = JsonEncodedText.Encode("prev"),
        HashName = JsonEncodedText.Encode("hash");

    [ThreadStatic]
    private static AuditRecordWriter? current;

    private readonly ByteText canonical = new(2048);
    private int canonicalStart;
    private int figureCountAt;
    private int figureCount;
    private bool toCanonical;
    private Utf8JsonWriter? json;
    private bool toLine;

    // The last shared run of figures, in both encodings: a decision's figures, which each of its trades carries.
    private IReadOnlyList<AuditFigure>? sharedOf;
    private readonly ByteText sharedCanonical = new(1024);
    private readonly ArrayBufferWriter<byte> sharedLine = new(1024);
    private Utf8JsonWriter? sharedJson;

    /// <summary>This thread's writer (a record is written start to finish on one thread, never two at once).</summary>
    public static AuditRecordWriter ForThisThread => current ??= new AuditRecordWriter();

    /// <summary>The canonical form written so far, without the previous hash before it.</summary>
    public ReadOnlySpan<byte> Canonical => canonical.Written[canonicalStart..];

    /// <summary>
    /// Starts a record: its canonical form after <paramref name="previousHash"/> (the hash's 32 bytes; empty for the
    /// canonical form alone) when <paramref name="hashed"/>, its line at the end of <paramref name="line"/> when given.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Start(long sequence, DateTimeOffset timestamp, ReadOnlySpan<byte> previousHash, bool hashed, IBufferWriter<byte>? line)
    {
        canonical.Clear();
        toCanonical = hashed;
        if (hashed)
        {
            canonical.Append(previousHash);
            canonicalStart = canonical.Length;
            canonical.Append([AuditEncoding.CanonicalVersion]);
            canonical.Int64(sequence);
            canonical.Int64(timestamp.UtcTicks);
        }
        toLine = line is not null;
        if (line is not null)
        {
            if (json is null)
            {
                json = new Utf8JsonWriter(line, LineOptions);
            }
            else
            {
                json.Reset(line);
            }
            json.WriteStartObject();
            json.WriteNumber(SeqName, sequence);
            Span<byte> ts = stackalloc byte[AuditEncoding.TimestampLength];
            AuditEncoding.FormatTimestamp(timestamp, ts);
            json.WriteString(TsName, ts);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Head(AuditKind kind, string accountId, string householdId, string policyId, int policyVersion, string rule)
    {
        Text(KindField, AuditEncoding.KindName(kind));
        Text(AccountName, accountId);
        Text(HouseholdName, householdId);
        Text(PolicyName, policyId);
        if (toCanonical)
        {
            canonical.Int32(policyVersion);
        }
        if (toLine)
        {
            json!.WriteNumber(PolicyVersionName, policyVersion);
        }
        Text(RuleName, rule);
    }

    public void Explanation(ReadOnlySpan<char> text) => Text(ExplanationName, text);

    public void StartFigures()
    {
        figureCount = 0;
        if (toCanonical)
        {
            // The count comes before the figures: its place is kept and filled in at the end.
            figureCountAt = canonical.Length;
            canonical.Int32(0);
        }
        if (toLine)
        {
            json!.WriteStartArray(FiguresName);
        }
    }

    public void Figure(string name, string value) => Figure(name, value.AsSpan());

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Figure(string name, ReadOnlySpan<char> value)
    {
        figureCount++;
        if (toCanonical)
        {
            canonical.String(name);
            canonical.String(value);
        }
        if (toLine)
        {
            WriteFigure(json!, name, value);
        }
    }

    /// <summary>
    /// Figures several records carry alike (the list must not change once given): encoded once, then copied into each
    /// record that carries the same list, exactly as <see cref="Figure(string, string)"/> one by one would write them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Figures(IReadOnlyList<AuditFigure> figures)
    {
        if (figures.Count == 0)
        {
            return;
        }
        if (!ReferenceEquals(figures, sharedOf))
        {
            Share(figures);
        }
        figureCount += figures.Count;
        if (toCanonical)
        {
            canonical.Append(sharedCanonical.Written);
        }
        if (toLine)
        {
            // The pairs as the line's array holds them, commas between; the writer puts the comma before the first.
            json!.WriteRawValue(sharedLine.WrittenSpan[1..^1], skipInputValidation: true);
        }
    }

    private void Share(IReadOnlyList<AuditFigure> figures)
    {
        sharedOf = figures;
        sharedCanonical.Clear();
        sharedLine.ResetWrittenCount();
        if (sharedJson is null)
        {
            sharedJson = new Utf8JsonWriter(sharedLine, LineOptions);
        }
        else
        {
            sharedJson.Reset(sharedLine);
        }
        sharedJson.WriteStartArray();
        foreach (var figure in figures)
        {
            sharedCanonical.String(figure.Name);
            sharedCanonical.String(figure.Value);
            WriteFigure(sharedJson, figure.Name, figure.Value);
        }
        sharedJson.WriteEndArray();
        sharedJson.Flush();
    }

    private static void WriteFigure(Utf8JsonWriter line, string name, ReadOnlySpan<char> value)
    {
        line.WriteStartArray();
        line.WriteStringValue(name);
        line.WriteStringValue(value);
        line.WriteEndArray();
    }

    public void EndFigures()
    {
        if (toCanonical)
        {
            canonical.Patch(figureCountAt, figureCount);
        }
        if (toLine)
        {
            json!.WriteEndArray();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Tail(string actor, string actorReason, string inputHash)
    {
        Text(ActorName, actor);
        Text(WhyName, actorReason);
        Text(InputHashName, inputHash);
    }

    /// <summary>SHA-256 of the previous hash and the canonical form (a record started with hashed set).</summary>
    public void Hash(Span<byte> hash) => SHA256.HashData(canonical.Written, hash);

    /// <summary>Ends the line (a record started with one) with the two hashes, as lower-case hex.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EndLine(ReadOnlySpan<char> previousHash, ReadOnlySpan<char> hash)
    {
        var line = json!;
        line.WriteString(PrevName, previousHash);
        line.WriteString(HashName, hash);
        line.WriteEndObject();
        line.Flush();
        // The writer must not keep the caller's buffer alive between lines.
        line.Reset(Stream.Null);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Text(JsonEncodedText name, ReadOnlySpan<char> value)
    {
        if (toCanonical)
        {
            canonical.String(value);
        }
        if (toLine)
        {
            json!.WriteString(name, value);
        }
    }

    /// <summary>Bytes of the canonical layout: little-endian integers, and strings as their UTF-8 byte count then the bytes.</summary>
    private sealed class ByteText(int capacity)
    {
        private byte[] bytes = new byte[capacity];

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Written => bytes.AsSpan(0, Length);

        public void Clear() => Length = 0;

        public void Append(ReadOnlySpan<byte> value)
        {
            value.CopyTo(Room(value.Length));
            Length += value.Length;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(Room(8), value);
            Length += 8;
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(Room(4), value);
            Length += 4;
        }

        /// <summary>Writes <paramref name="value"/> over the integer written at <paramref name="at"/>.</summary>
        public void Patch(int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at, 4), value);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void String(ReadOnlySpan<char> value)
        {
            var count = Encoding.UTF8.GetByteCount(value);
            Int32(count);
            Length += Encoding.UTF8.GetBytes(value, Room(count));
        }

        private Span<byte> Room(int count)
        {
            if (bytes.Length - Length < count)
            {
                Array.Resize(ref bytes, Math.Max(bytes.Length * 2, Length + count));
            }
            return bytes.AsSpan(Length);
        }
    }
}
