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

    internal static string Hash(AuditInputSnapshot inputs)
    {
        var text = new StringBuilder("fastrebal-inputs-v1\n");
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"asOf={inputs.AsOf:yyyy-MM-dd}\naccount={inputs.AccountId}\nhousehold={inputs.HouseholdId}\n");
        text.Append(c, $"model={inputs.ModelId}\ncash={inputs.Cash:R}\nnetFlow={inputs.NetFlow}\n");
        foreach (var slot in inputs.Slots)
        {
            text.Append(c, $"slot={slot.InstrumentId}|{slot.Quantity:R}|{slot.Mark:R}|{slot.Target:R}\n");
        }
        text.Append("policy=").Append(PolicyText(inputs.Policy)).Append('\n');
        text.Append(c, $"lastRebalanced={inputs.LastRebalanced:yyyy-MM-dd}\n");
        foreach (var lot in inputs.Lots ?? [])
        {
            text.Append(c, $"lot={lot.Id}|{lot.InstrumentId}|{lot.Acquired:yyyy-MM-dd}|{lot.Quantity}|{lot.CostBasis}|{lot.HoldingPeriodStart:yyyy-MM-dd}|{lot.WashSaleAdjustment}\n");
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The policy's line of the layout, kept per policy object: a policy is immutable and shared by many decisions.</summary>
    private static string PolicyText(InvestmentPolicy policy) => PolicyTexts.GetValue(policy, p =>
    {
        // Dictionaries serialize in insertion order; sort them so two equal policies read from different files hash alike.
        var sorted = p with { AssetClassBands = p.AssetClassBands is null ? null : new SortedDictionary<string, double>(p.AssetClassBands.ToDictionary(), StringComparer.Ordinal) };
        return JsonSerializer.Serialize(sorted, ScenarioDocument.JsonOptions).ReplaceLineEndings(" ");
    });

    private static readonly ConditionalWeakTable<InvestmentPolicy, string> PolicyTexts = new();

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
