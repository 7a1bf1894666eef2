using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Unicode;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Audit;

/// <summary>
/// The input hash of a decision: SHA-256 over what the engine used for one account, in a fixed, versioned layout, so
/// anyone holding the same inputs can recompute it and show the decision saw exactly them.
/// </summary>
public static class AuditInputs
{
    /// <summary>The layout the engine hashes a decision's inputs in today (see <see cref="Hash(AuditInputSnapshot, int)"/>).</summary>
    public const int Layout = 2;

    /// <summary>
    /// The input hash in the current layout (<see cref="Layout"/>): the valuation date, account, household, model, cash
    /// and net cash flow; per slot (book order) instrument, quantity, price used and target weight; the policy as JSON;
    /// the last rebalance; and, when given, the account's lots (id, instrument, acquired, quantity, basis, holding
    /// start, wash-sale adjustment).
    /// </summary>
    public static string Hash(AccountBook book, int account, DateOnly asOf, decimal netFlow, IEnumerable<TaxLot>? lots = null) =>
        Capture(book, account, asOf, netFlow, lots).Hash;

    /// <summary>
    /// Copies what the hash covers out of the book, so the text can be written and hashed later on another thread
    /// (the live engine's audit writer) while the book moves on.
    /// </summary>
    public static AuditInputSnapshot Capture(AccountBook book, int account, DateOnly asOf, decimal netFlow, IEnumerable<TaxLot>? lots = null)
    {
        var first = book.SlotStart[account];
        var slots = new AuditInputSlot[book.SlotStart[account + 1] - first];
        for (var i = 0; i < slots.Length; i++)
        {
            var s = first + i;
            slots[i] = new AuditInputSlot(book.Instruments[book.InstrumentIndices[s]].Id, book.Quantities[s], book.Marks[s], book.Targets[s]);
        }
        return new AuditInputSnapshot(asOf, book.AccountId(account), book.HouseholdId(account), book.Models[book.ModelIndex(account)].Id, book.Cash[account],
            netFlow, slots, book.Policy(account), book.LastRebalanced(account), lots is null ? null : [.. lots]);
    }

    /// <summary>
    /// The input hash of <paramref name="inputs"/> in layout <paramref name="layout"/>, 1 or 2, as lower-case hex SHA-256.
    /// <para>
    /// Layout 2 (the engine's since 2026-12-07) is binary, integers little-endian: the ASCII bytes
    /// <c>fastrebal-inputs-v2</c>; the valuation date as its day number (int32, days since 0001-01-01); account,
    /// household and model as strings (a string is its UTF-8 byte count, int32, then the bytes); cash as the double's
    /// 64 bits (int64); the net flow as a decimal (its four int32 of <see cref="decimal.GetBits(decimal)"/>, in order);
    /// the slot count (int32) then per slot the instrument (string) and quantity, price used and target (doubles); the
    /// policy's JSON on one line (string, as in layout 1); the last rebalance's day number or -1 (int32); the lot count
    /// (int32, 0 without lots) then per lot its id and instrument (strings), acquired (day number), quantity and basis
    /// (decimals), holding-period start (day number) and wash-sale adjustment (decimal).
    /// </para>
    /// <para>
    /// Layout 1, which records written before it hold, is text, one field per line: <c>fastrebal-inputs-v1</c>, then
    /// <c>asOf=</c>, <c>account=</c>, <c>household=</c>, <c>model=</c>, <c>cash=</c> and <c>netFlow=</c>; a
    /// <c>slot=instrument|quantity|price|target</c> line per slot; <c>policy=</c> and <c>lastRebalanced=</c>; and a
    /// <c>lot=id|instrument|acquired|quantity|basis|holding start|wash-sale adjustment</c> line per lot. Dates are
    /// yyyy-MM-dd, doubles their shortest round-trip text, decimals as they are.
    /// </para>
    /// </summary>
    public static string Hash(AuditInputSnapshot inputs, int layout) => layout switch
    {
        1 => HashText(inputs),
        2 => HashBinary(inputs),
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "input hash layouts are 1 and 2"),
    };

    /// <summary>Layout 2: the values' own bytes, so no number is formatted as text (see <see cref="Hash(AuditInputSnapshot, int)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string HashBinary(AuditInputSnapshot inputs)
    {
        var text = hashText ??= new InputText();
        var bytes = text.Binary;
        bytes.Clear();
        bytes.Append("fastrebal-inputs-v2"u8);
        bytes.Int32(inputs.AsOf.DayNumber);
        bytes.Bytes(text.Utf8Of(inputs.AccountId));
        bytes.Bytes(text.Utf8Of(inputs.HouseholdId));
        bytes.Bytes(text.Utf8Of(inputs.ModelId));
        bytes.Int64(BitConverter.DoubleToInt64Bits(inputs.Cash));
        Decimal(bytes, inputs.NetFlow);
        bytes.Int32(inputs.SlotSpan.Length);
        foreach (var slot in inputs.SlotSpan)
        {
            bytes.Bytes(text.Utf8Of(slot.InstrumentId));
            bytes.Int64(BitConverter.DoubleToInt64Bits(slot.Quantity));
            bytes.Int64(BitConverter.DoubleToInt64Bits(slot.Mark));
            bytes.Int64(BitConverter.DoubleToInt64Bits(slot.Target));
        }
        bytes.Bytes(text.PolicyOnOneLine(inputs.Policy));
        bytes.Int32(inputs.LastRebalanced?.DayNumber ?? -1);
        var lots = inputs.Lots ?? [];
        bytes.Int32(lots.Count);
        foreach (var lot in lots)
        {
            bytes.String(lot.Id);
            bytes.String(lot.InstrumentId);
            bytes.Int32(lot.Acquired.DayNumber);
            Decimal(bytes, lot.Quantity);
            Decimal(bytes, lot.CostBasis);
            bytes.Int32(lot.HoldingPeriodStart.DayNumber);
            Decimal(bytes, lot.WashSaleAdjustment);
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Sha256Digest.Hash(bytes.Written, hash);
        return Convert.ToHexStringLower(hash);
    }

    private static void Decimal(ByteText to, decimal value)
    {
        Span<int> parts = stackalloc int[4];
        decimal.GetBits(value, parts);
        foreach (var part in parts)
        {
            to.Int32(part);
        }
    }

    /// <summary>Layout 1 (see <see cref="Hash(AuditInputSnapshot, int)"/>), for records written before layout 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string HashText(AuditInputSnapshot inputs)
    {
        // The writer hashes a decision's inputs at a time on one thread: the text is written as UTF-8 straight into that thread's buffer.
        var text = hashText ??= new InputText();
        var c = CultureInfo.InvariantCulture;
        text.Clear();
        text.Append("fastrebal-inputs-v1\n"u8);
        int n;
        while (!Utf8.TryWrite(text.Free, c, $"asOf={inputs.AsOf:yyyy-MM-dd}\naccount={inputs.AccountId}\nhousehold={inputs.HouseholdId}\n", out n))
        {
            text.Grow();
        }
        text.Advance(n);
        while (!Utf8.TryWrite(text.Free, c, $"model={inputs.ModelId}\ncash={inputs.Cash:R}\nnetFlow={inputs.NetFlow}\n", out n))
        {
            text.Grow();
        }
        text.Advance(n);
        foreach (var slot in inputs.Slots)
        {
            text.Append("slot="u8);
            text.Append(text.Utf8Of(slot.InstrumentId));
            text.Append("|"u8);
            while (!slot.Quantity.TryFormat(text.Free, out n, "R", c))
            {
                text.Grow();
            }
            text.Advance(n);
            text.Append("|"u8);
            // Marks and targets repeat from account to account: each value is formatted once.
            text.Append(text.Known(slot.Mark));
            text.Append("|"u8);
            text.Append(text.Known(slot.Target));
            text.Append("\n"u8);
        }
        text.Append("policy="u8);
        text.Append(text.PolicyOnOneLine(inputs.Policy));
        text.Append("\n"u8);
        text.Append("lastRebalanced="u8);
        if (inputs.LastRebalanced is { } last)
        {
            while (!Utf8.TryWrite(text.Free, c, $"{last:yyyy-MM-dd}", out n))
            {
                text.Grow();
            }
            text.Advance(n);
        }
        text.Append("\n"u8);
        foreach (var lot in inputs.Lots ?? [])
        {
            while (!Utf8.TryWrite(text.Free, c,
                $"lot={lot.Id}|{lot.InstrumentId}|{lot.Acquired:yyyy-MM-dd}|{lot.Quantity}|{lot.CostBasis}|{lot.HoldingPeriodStart:yyyy-MM-dd}|{lot.WashSaleAdjustment}\n", out n))
            {
                text.Grow();
            }
            text.Advance(n);
        }
        return Convert.ToHexStringLower(SHA256.HashData(text.Written));
    }

    [ThreadStatic]
    private static InputText? hashText;

    /// <summary>The input text as UTF-8, in a buffer kept for the next decision; with the text of the doubles seen so far.</summary>
    private sealed class InputText
    {
        private const int KnownSlots = 4096;

        private readonly long[] knownBits = new long[KnownSlots];

        public AuditPolicyJson Policy { get; } = new();

        /// <summary>Layout 2's bytes, kept for the next decision.</summary>
        public ByteText Binary { get; } = new(4 * 1024);

        private readonly byte[]?[] knownText = new byte[KnownSlots][];
        private byte[] bytes = new byte[16 * 1024];
        private int length;

        public Span<byte> Free => bytes.AsSpan(length);

        public ReadOnlySpan<byte> Written => bytes.AsSpan(0, length);

        public void Clear() => length = 0;

        public void Grow() => Array.Resize(ref bytes, bytes.Length * 2);

        public void Advance(int count) => length += count;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Append(ReadOnlySpan<byte> utf8)
        {
            while (bytes.Length - length < utf8.Length)
            {
                Grow();
            }
            utf8.CopyTo(bytes.AsSpan(length));
            length += utf8.Length;
        }

        /// <summary>
        /// Appends JSON text with its line endings each made one space, as <see cref="string.ReplaceLineEndings(string)"/>
        /// does (CR LF, CR, LF, FF, NEL, LS, PS).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void AppendOnOneLine(ReadOnlySpan<byte> utf8)
        {
            while (bytes.Length - length < utf8.Length)
            {
                Grow();
            }
            while (utf8.IndexOfAny(LineEndingStarts) is var at and >= 0)
            {
                utf8[..at].CopyTo(bytes.AsSpan(length));
                length += at;
                var rest = utf8[at..];
                var ending = rest switch
                {
                    [(byte)'\r', (byte)'\n', ..] => 2,
                    [(byte)'\r' or (byte)'\n' or (byte)'\f', ..] => 1,
                    [0xC2, 0x85, ..] => 2,
                    [0xE2, 0x80, 0xA8 or 0xA9, ..] => 3,
                    _ => 0,
                };
                if (ending == 0)
                {
                    bytes[length++] = rest[0];
                    utf8 = rest[1..];
                    continue;
                }
                bytes[length++] = (byte)' ';
                utf8 = rest[ending..];
            }
            utf8.CopyTo(bytes.AsSpan(length));
            length += utf8.Length;
        }

        // The first byte of each line ending string.ReplaceLineEndings knows, in UTF-8.
        private static readonly System.Buffers.SearchValues<byte> LineEndingStarts = System.Buffers.SearchValues.Create([(byte)'\r', (byte)'\n', (byte)'\f', 0xC2, 0xE2]);

        /// <summary>
        /// The policy's JSON on one line. A policy is never changed once made (an edit makes a new one), so its text is
        /// made once and kept beside the policy object while it lives, for every thread: a firm has a policy per
        /// account, too many for a small table to keep.
        /// </summary>
        public byte[] PolicyOnOneLine(InvestmentPolicy policy)
        {
            if (PolicyLines.TryGetValue(policy, out var line))
            {
                return line;
            }
            var start = length;
            AppendOnOneLine(Policy.Write(policy));
            line = bytes.AsSpan(start, length - start).ToArray();
            length = start;
            PolicyLines.AddOrUpdate(policy, line);
            return line;
        }

        private static readonly ConditionalWeakTable<InvestmentPolicy, byte[]> PolicyLines = new();

        /// <summary>An id's UTF-8, encoded once while it stays in the table.</summary>
        public byte[] Utf8Of(string id) => idText.Get(id, 0, static (text, _) => System.Text.Encoding.UTF8.GetBytes(text));

        private readonly ReferenceTable<string, byte[]> idText = new(KnownSlots);

        /// <summary>A double's shortest round-trip text ("R"), formatted once per value seen.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public ReadOnlySpan<byte> Known(double value)
        {
            var bits = BitConverter.DoubleToInt64Bits(value);
            var slot = (int)((ulong)(bits * -7046029254386353131L) >> 52);
            if (knownText[slot] is { } known && knownBits[slot] == bits)
            {
                return known;
            }
            Span<byte> text = stackalloc byte[64];
            if (!value.TryFormat(text, out var written, "R", CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"{value} did not fit in {text.Length} bytes");
            }
            knownBits[slot] = bits;
            return knownText[slot] = text[..written].ToArray();
        }
    }

    /// <summary>Every account's input hash before a run changes anything (lots are relieved as a run applies its trades).</summary>
    public static string[] HashAll(AccountBook book, DateOnly asOf, IReadOnlyList<PendingCashFlow> cashFlows, LotBook? lots = null)
    {
        var netFlow = new decimal[book.AccountCount];
        foreach (var pending in cashFlows)
        {
            netFlow[pending.Account] += pending.Flow.SignedAmount;
        }
        var hashes = new string[book.AccountCount];
        for (var a = 0; a < hashes.Length; a++)
        {
            var id = book.AccountId(a);
            hashes[a] = Hash(book, a, asOf, netFlow[a], lots is not null && lots.HasAccount(id) ? [.. lots.AllLots(id)] : null);
        }
        return hashes;
    }
}

/// <summary>One slot of the inputs: instrument, quantity, the price used and the target weight.</summary>
public readonly record struct AuditInputSlot(string InstrumentId, double Quantity, double Mark, double Target);

/// <summary>What one decision used, copied out of the book (see <see cref="AuditInputs.Capture"/>); its hash is computed once, when first asked for.</summary>
public sealed class AuditInputSnapshot(
    DateOnly asOf, string accountId, string householdId, string modelId, double cash, decimal netFlow, AuditInputSlot[] slots,
    InvestmentPolicy policy, DateOnly? lastRebalanced, TaxLot[]? lots)
{
    private string? hash;

    public DateOnly AsOf { get; } = asOf;

    public string AccountId { get; } = accountId;

    public string HouseholdId { get; } = householdId;

    public string ModelId { get; } = modelId;

    public double Cash { get; } = cash;

    public decimal NetFlow { get; } = netFlow;

    public IReadOnlyList<AuditInputSlot> Slots => slots;

    /// <summary>The slots as the array they are, for the hash's loop (an interface's enumerator is an object per hash).</summary>
    internal ReadOnlySpan<AuditInputSlot> SlotSpan => slots;

    public InvestmentPolicy Policy { get; } = policy;

    public DateOnly? LastRebalanced { get; } = lastRebalanced;

    public IReadOnlyList<TaxLot>? Lots { get; } = lots;

    /// <summary>The input hash in the current layout (see <see cref="AuditInputs.Hash(AuditInputSnapshot, int)"/>).</summary>
    public string Hash => hash ??= AuditInputs.Hash(this, AuditInputs.Layout);
}
