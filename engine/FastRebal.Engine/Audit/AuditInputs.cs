using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Audit;

/// <summary>
/// The input hash of a decision: SHA-256 over what the engine used for one account, in a fixed text layout
/// (one field per line), so anyone holding the same inputs can recompute it and show the decision saw exactly them.
/// </summary>
public static class AuditInputs
{
    /// <summary>
    /// Layout version 1: the valuation date, account, household, model, cash and net cash flow; per slot (book order)
    /// instrument, quantity, price used and target weight; the policy as JSON; the last rebalance; and, when given,
    /// the account's lots (id, instrument, acquired, quantity, basis, holding start, wash-sale adjustment).
    /// Doubles are written in their shortest round-trip form, decimals as they are.
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static string Hash(AuditInputSnapshot inputs)
    {
        // The writer hashes a decision's inputs at a time on one thread: the text and its bytes reuse that thread's buffers.
        var text = (hashText ??= new StringBuilder(4096)).Clear().Append("fastrebal-inputs-v1\n");
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"asOf={inputs.AsOf:yyyy-MM-dd}\naccount={inputs.AccountId}\nhousehold={inputs.HouseholdId}\n");
        text.Append(c, $"model={inputs.ModelId}\ncash={inputs.Cash:R}\nnetFlow={inputs.NetFlow}\n");
        foreach (var slot in inputs.Slots)
        {
            text.Append(c, $"slot={slot.InstrumentId}|{slot.Quantity:R}|{slot.Mark:R}|{slot.Target:R}\n");
        }
        var policy = inputs.Policy;
        // Dictionaries serialize in insertion order; sort them so two equal policies read from different files hash alike.
        policy = policy with { AssetClassBands = policy.AssetClassBands is null ? null : new SortedDictionary<string, double>(policy.AssetClassBands.ToDictionary(), StringComparer.Ordinal) };
        text.Append("policy=").Append(JsonSerializer.Serialize(policy, ScenarioDocument.JsonOptions).ReplaceLineEndings(" ")).Append('\n');
        text.Append(c, $"lastRebalanced={inputs.LastRebalanced:yyyy-MM-dd}\n");
        foreach (var lot in inputs.Lots ?? [])
        {
            text.Append(c, $"lot={lot.Id}|{lot.InstrumentId}|{lot.Acquired:yyyy-MM-dd}|{lot.Quantity}|{lot.CostBasis}|{lot.HoldingPeriodStart:yyyy-MM-dd}|{lot.WashSaleAdjustment}\n");
        }
        return Convert.ToHexStringLower(SHA256.HashData(Utf8(text)));
    }

    /// <summary>The text's UTF-8 bytes, in a buffer kept for the next call on this thread.</summary>
    private static ReadOnlySpan<byte> Utf8(StringBuilder text)
    {
        var bytes = hashBytes;
        var most = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (bytes is null || bytes.Length < most)
        {
            bytes = hashBytes = new byte[Math.Max(most, 8192)];
        }
        // One encoder across the chunks, so a character split between two chunks is encoded whole.
        var encoder = hashEncoder ??= Encoding.UTF8.GetEncoder();
        encoder.Reset();
        var written = 0;
        foreach (var chunk in text.GetChunks())
        {
            written += encoder.GetBytes(chunk.Span, bytes.AsSpan(written), flush: false);
        }
        written += encoder.GetBytes([], bytes.AsSpan(written), flush: true);
        return bytes.AsSpan(0, written);
    }

    [ThreadStatic]
    private static StringBuilder? hashText;

    [ThreadStatic]
    private static byte[]? hashBytes;

    [ThreadStatic]
    private static Encoder? hashEncoder;

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

    public IReadOnlyList<AuditInputSlot> Slots { get; } = slots;

    public InvestmentPolicy Policy { get; } = policy;

    public DateOnly? LastRebalanced { get; } = lastRebalanced;

    public IReadOnlyList<TaxLot>? Lots { get; } = lots;

    /// <summary>The input hash (lower-case hex SHA-256 of the layout described on <see cref="AuditInputs.Hash(AccountBook, int, DateOnly, decimal, IEnumerable{TaxLot}?)"/>).</summary>
    public string Hash => hash ??= AuditInputs.Hash(this);
}
