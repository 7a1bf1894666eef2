using System.Buffers;
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

    /// <summary>In place of <see cref="Explanation"/>: the reason's code, its parts in the figures (see <see cref="AuditReasons"/>).</summary>
    void Reason(string code);

    void StartFigures();

    void Figure(string name, string value);

    void Figure(string name, ReadOnlySpan<char> value);

    /// <summary>A figure whose value is a number's invariant text, already in UTF-8 (digits, sign, point, exponent).</summary>
    void Figure(string name, ReadOnlySpan<byte> number);

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
    private string? code;
    private int policyVersion;
    private List<AuditFigure> figures = [];

    public void Head(AuditKind kind, string accountId, string householdId, string policyId, int policyVersion, string rule) =>
        (this.kind, this.accountId, this.householdId, this.policyId, this.policyVersion, this.rule) = (kind, accountId, householdId, policyId, policyVersion, rule);

    public void Explanation(ReadOnlySpan<char> text) => (explanation, code) = (text.ToString(), null);

    public void Reason(string code) => (explanation, this.code) = ("", code);

    // Each entry keeps its own list.
    public void StartFigures() => figures = [];

    public void Figure(string name, string value) => figures.Add(new AuditFigure(name, value));

    public void Figure(string name, ReadOnlySpan<char> value) => figures.Add(new AuditFigure(name, value.ToString()));

    public void Figure(string name, ReadOnlySpan<byte> number) => figures.Add(new AuditFigure(name, Encoding.UTF8.GetString(number)));

    public void EndFigures()
    {
    }

    public void Tail(string actor, string actorReason, string inputHash) => (this.actor, this.actorReason, this.inputHash) = (actor, actorReason, inputHash);

    public AuditEntry Build() => new(kind, accountId, householdId, policyId, policyVersion, rule, explanation, figures, actor, actorReason, inputHash) { ReasonCode = code };
}

/// <summary>
/// Writes one record's canonical form (hashed) and/or its file line as its fields arrive, into buffers kept for the
/// next record: the only place either layout is written (see <see cref="AuditEncoding"/> for both). One per thread.
/// </summary>
/// <remarks>
/// The line is compact JSON in a fixed property order. A value of printable ASCII other than a quote or a backslash
/// is written as it is between quotes, which is what a JSON writer with the line's escaping writes; any other value
/// is escaped by such a writer. The hot methods are optimized from the first call: a day's opening sends a hundred
/// thousand records here before tiering would catch up.
/// </remarks>
internal sealed class AuditRecordWriter : IAuditEntrySink
{
    // The escaping the line has always had (a value is escaped by this writer unless it needs no escaping at all).
    private static readonly JsonWriterOptions EscapeOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = true };


    [ThreadStatic]
    private static AuditRecordWriter? current;

    private readonly ByteText canonical = new(2048);
    private int canonicalStart;
    private bool coded;
    private int figureCountAt;
    private int figureCount;
    private bool toCanonical;

    private readonly ByteText text = new(2048);
    private IBufferWriter<byte>? line;
    private bool firstFigure;
    private readonly ByteText utf8 = new(512);
    private readonly ArrayBufferWriter<byte> escaped = new(512);
    private Utf8JsonWriter? escaper;

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
        coded = false;
        if (hashed)
        {
            canonical.Append(previousHash);
            canonicalStart = canonical.Length;
            CanonicalPlace(canonical, AuditEncoding.CanonicalVersion, sequence, timestamp);
        }
        this.line = line;
        if (line is not null)
        {
            text.Clear();
            LinePlace(text, sequence, timestamp);
        }
    }

    /// <summary>
    /// Starts a record's body alone, in both forms: what follows the place, up to the hashes (see <see cref="AuditBodies"/>).
    /// <see cref="EndBody"/> hands it over.
    /// </summary>
    public void StartBody()
    {
        canonical.Clear();
        canonicalStart = NoVersionByte;
        toCanonical = true;
        coded = false;
        line = BodyOnly;
        text.Clear();
    }

    /// <summary>Adds the body written since <see cref="StartBody"/> to <paramref name="bodies"/>.</summary>
    public void EndBody(AuditBodies bodies)
    {
        bodies.Add(canonical.Written, text.Written, coded);
        line = null;
    }

    /// <summary>
    /// Gives body <paramref name="index"/> of <paramref name="bodies"/> its place and link: its hash is SHA-256 of the
    /// previous hash and the canonical form (version, place, body), and its whole line, with the newline, goes to the
    /// end of <paramref name="lines"/>. The hashes come as bytes and as the line's lower-case hex.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Link(AuditBodies bodies, int index, long sequence, DateTimeOffset timestamp, ReadOnlySpan<byte> previous, ReadOnlySpan<byte> previousText,
        Span<byte> hash, Span<byte> hashText, IBufferWriter<byte> lines)
    {
        var body = bodies.Canonical(index, out var isCoded);
        canonical.Clear();
        canonical.Append(previous);
        CanonicalPlace(canonical, isCoded ? AuditEncoding.CodedVersion : AuditEncoding.CanonicalVersion, sequence, timestamp);
        canonical.Append(body);
        Sha256Digest.Hash(canonical.Written, hash);
        Convert.TryToHexStringLower(hash, hashText, out _);
        text.Clear();
        LinePlace(text, sequence, timestamp);
        text.Append(bodies.Line(index));
        text.Append(",\"prev\":\""u8);
        text.Append(previousText);
        text.Append("\",\"hash\":\""u8);
        text.Append(hashText);
        text.Append("\"}\n"u8);
        lines.Write(text.Written);
    }

    /// <summary>The canonical form's version and the record's place.</summary>
    private static void CanonicalPlace(ByteText to, byte version, long sequence, DateTimeOffset timestamp)
    {
        to.Append([version]);
        to.Int64(sequence);
        to.Int64(timestamp.UtcTicks);
    }

    /// <summary>The line's opening and the record's place.</summary>
    private static void LinePlace(ByteText to, long sequence, DateTimeOffset timestamp)
    {
        to.Append("{\"seq\":"u8);
        to.Number(sequence);
        to.Append(",\"ts\":\""u8);
        AuditEncoding.FormatTimestamp(timestamp, to.Room(AuditEncoding.TimestampLength));
        to.Advance(AuditEncoding.TimestampLength);
        to.Append("\""u8);
    }

    // A body has no version byte yet: the chain writes the version with the place.
    private const int NoVersionByte = -1;

    // Stands for "the line is being written" while a body is: a body's line stays in this writer until EndBody.
    private static readonly IBufferWriter<byte> BodyOnly = new ArrayBufferWriter<byte>(1);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Head(AuditKind kind, string accountId, string householdId, string policyId, int policyVersion, string rule)
    {
        Text(",\"kind\":"u8, Known(AuditEncoding.KindName(kind)));
        Text(",\"account\":"u8, Known(accountId));
        Text(",\"household\":"u8, Known(householdId));
        Text(",\"policy\":"u8, Known(policyId));
        if (toCanonical)
        {
            canonical.Int32(policyVersion);
        }
        if (line is not null)
        {
            text.Append(",\"policyVersion\":"u8);
            text.Number(policyVersion);
        }
        Text(",\"rule\":"u8, Known(rule));
    }

    public void Explanation(ReadOnlySpan<char> value) => Text(",\"explanation\":"u8, value);

    /// <summary>The reason's code in place of the explanation: the record is written in the layout of version 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Reason(string code)
    {
        coded = true;
        if (toCanonical && canonicalStart != NoVersionByte)
        {
            canonical.Patch8(canonicalStart, AuditEncoding.CodedVersion);
        }
        Text(",\"reason\":"u8, Known(code));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void StartFigures()
    {
        figureCount = 0;
        if (toCanonical)
        {
            // The count comes before the figures: its place is kept and filled in at the end.
            figureCountAt = canonical.Length;
            canonical.Int32(0);
        }
        if (line is not null)
        {
            text.Append(",\"figures\":["u8);
            firstFigure = true;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Figure(string name, string value)
    {
        OpenFigure(Known(name));
        Value(Known(value));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Figure(string name, ReadOnlySpan<char> value)
    {
        figureCount++;
        if (line is not null)
        {
            text.Append(firstFigure ? "["u8 : ",["u8);
            firstFigure = false;
        }
        Pair(canonical, toCanonical, line is not null ? text : null, name, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Figure(string name, ReadOnlySpan<byte> number)
    {
        if (!IsPlain(number))
        {
            // Not a number's invariant text: written the general way, so the line escapes it.
            Figure(name, Encoding.UTF8.GetString(number).AsSpan());
            return;
        }
        OpenFigure(Known(name));
        if (toCanonical)
        {
            canonical.Bytes(number);
        }
        if (line is not null)
        {
            text.Append("\""u8);
            text.Append(number);
            text.Append("\"]"u8);
        }
    }

    /// <summary>A figure's opening bracket (in the line) and its name.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OpenFigure(KnownText name)
    {
        figureCount++;
        if (toCanonical)
        {
            canonical.Bytes(name.Utf8);
        }
        if (line is not null)
        {
            text.Append(firstFigure ? "["u8 : ",["u8);
            firstFigure = false;
            Quoted(text, name);
            text.Append(","u8);
        }
    }

    /// <summary>A figure's value and (in the line) its closing bracket.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Value(KnownText value)
    {
        if (toCanonical)
        {
            canonical.Bytes(value.Utf8);
        }
        if (line is not null)
        {
            Quoted(text, value);
            text.Append("]"u8);
        }
    }

    /// <summary>A figure's name and value: two strings in the canonical form, a pair in the line (after its opening bracket).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pair(ByteText canonicalTo, bool toCanonicalForm, ByteText? lineTo, string name, ReadOnlySpan<char> value)
    {
        var nameBytes = Utf8(canonicalTo, toCanonicalForm, name);
        if (lineTo is not null)
        {
            Quoted(lineTo, name, nameBytes);
            lineTo.Append(","u8);
        }
        var valueBytes = Utf8(canonicalTo, toCanonicalForm, value);
        if (lineTo is not null)
        {
            Quoted(lineTo, value, valueBytes);
            lineTo.Append("]"u8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EndFigures()
    {
        if (toCanonical)
        {
            canonical.Patch(figureCountAt, figureCount);
        }
        if (line is not null)
        {
            text.Append("]"u8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Tail(string actor, string actorReason, string inputHash)
    {
        if (coded)
        {
            // Version 2 has no actor: a reason kept as a code is always the engine's own.
            if (actor != AuditEntries.Engine || actorReason.Length > 0)
            {
                throw new ArgumentException($"a record with a reason code is the engine's, with no actor reason: not '{actor}', '{actorReason}'", nameof(actor));
            }
            Text(",\"inputHash\":"u8, Known(inputHash));
            return;
        }
        Text(",\"actor\":"u8, Known(actor));
        Text(",\"why\":"u8, Known(actorReason));
        Text(",\"inputHash\":"u8, Known(inputHash));
    }

    /// <summary>SHA-256 of the previous hash and the canonical form (a record started with hashed set).</summary>
    public void Hash(Span<byte> hash) => Sha256Digest.Hash(canonical.Written, hash);

    /// <summary>Ends the line (a record started with one) with the two hashes, as lower-case hex, and hands it to the buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EndLine(ReadOnlySpan<char> previousHash, ReadOnlySpan<char> hash)
    {
        text.Append(",\"prev\":"u8);
        Quoted(text, previousHash, utf8.Of(previousHash));
        text.Append(",\"hash\":"u8);
        Quoted(text, hash, utf8.Of(hash));
        text.Append("}"u8);
        line!.Write(text.Written);
        // The line's buffer is the caller's: it is not kept between lines.
        line = null;
    }

    /// <summary><see cref="Text(ReadOnlySpan{byte}, ReadOnlySpan{char})"/> for a string whose UTF-8 is known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Text(ReadOnlySpan<byte> nameInLine, KnownText value)
    {
        if (toCanonical)
        {
            canonical.Bytes(value.Utf8);
        }
        if (line is not null)
        {
            text.Append(nameInLine);
            Quoted(text, value);
        }
    }

    /// <summary>A string field: its canonical form, and in the line its name (with the comma before it) and value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Text(ReadOnlySpan<byte> nameInLine, ReadOnlySpan<char> value)
    {
        var bytes = Utf8(canonical, toCanonical, value);
        if (line is not null)
        {
            text.Append(nameInLine);
            Quoted(text, value, bytes);
        }
    }

    /// <summary>The value's UTF-8: written as a canonical string when asked, and either way returned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<byte> Utf8(ByteText canonicalTo, bool toCanonicalForm, ReadOnlySpan<char> value)
    {
        if (toCanonicalForm)
        {
            var start = canonicalTo.String(value);
            return canonicalTo.Written[start..];
        }
        return line is not null ? utf8.Of(value) : default;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Quoted(ByteText to, KnownText value)
    {
        if (value.Plain)
        {
            to.Append("\""u8);
            to.Append(value.Utf8);
            to.Append("\""u8);
            return;
        }
        Quoted(to, value.Value, value.Utf8);
    }

    /// <summary>
    /// The UTF-8 of a string the records repeat (ids, names, a decision's input hash on each of its trades), encoded
    /// and checked for escaping once while it stays in the table.
    /// </summary>
    private KnownText Known(string value) => known.Get(value, 0, static (text, _) =>
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return new KnownText(text, bytes, IsPlain(bytes));
    });

    private readonly ReferenceTable<string, KnownText> known = new();

    /// <summary>A string, its UTF-8, and whether JSON writes it as it is.</summary>
    private sealed record KnownText(string Value, byte[] Utf8, bool Plain);

    /// <summary>A JSON string: as it is when nothing in it needs escaping, or as the line's JSON writer escapes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Quoted(ByteText to, ReadOnlySpan<char> value, ReadOnlySpan<byte> bytes)
    {
        if (IsPlain(bytes))
        {
            to.Append("\""u8);
            to.Append(bytes);
            to.Append("\""u8);
            return;
        }
        escaped.ResetWrittenCount();
        if (escaper is null)
        {
            escaper = new Utf8JsonWriter(escaped, EscapeOptions);
        }
        else
        {
            escaper.Reset(escaped);
        }
        escaper.WriteStringValue(value);
        escaper.Flush();
        to.Append(escaped.WrittenSpan);
    }

    /// <summary>
    /// True when no byte may need escaping in a JSON string (controls, the quote, the backslash, DEL and everything not
    /// ASCII). A plain loop: values are short, and a vectorized search runs unoptimized for the first hundred thousand records.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IsPlain(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b < 0x20 || b >= 0x7F || b == (byte)'"' || b == (byte)'\\')
            {
                return false;
            }
        }
        return true;
    }
}
