using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
    public static string Hash(AccountBook book, int account, DateOnly asOf, decimal netFlow, IEnumerable<TaxLot>? lots = null)
    {
        var text = new StringBuilder("fastrebal-inputs-v1\n");
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"asOf={asOf:yyyy-MM-dd}\naccount={book.AccountId(account)}\nhousehold={book.HouseholdId(account)}\n");
        text.Append(c, $"model={book.Models[book.ModelIndex(account)].Id}\ncash={book.Cash[account]:R}\nnetFlow={netFlow}\n");
        for (var s = book.SlotStart[account]; s < book.SlotStart[account + 1]; s++)
        {
            var instrument = book.Instruments[book.InstrumentIndices[s]];
            text.Append(c, $"slot={instrument.Id}|{book.Quantities[s]:R}|{book.Marks[s]:R}|{book.Targets[s]:R}\n");
        }
        var policy = book.Policy(account);
        // Dictionaries serialize in insertion order; sort them so two equal policies read from different files hash alike.
        policy = policy with { AssetClassBands = policy.AssetClassBands is null ? null : new SortedDictionary<string, double>(policy.AssetClassBands.ToDictionary(), StringComparer.Ordinal) };
        text.Append("policy=").Append(JsonSerializer.Serialize(policy, ScenarioDocument.JsonOptions).ReplaceLineEndings(" ")).Append('\n');
        text.Append(c, $"lastRebalanced={book.LastRebalanced(account):yyyy-MM-dd}\n");
        foreach (var lot in lots ?? [])
        {
            text.Append(c, $"lot={lot.Id}|{lot.InstrumentId}|{lot.Acquired:yyyy-MM-dd}|{lot.Quantity}|{lot.CostBasis}|{lot.HoldingPeriodStart:yyyy-MM-dd}|{lot.WashSaleAdjustment}\n");
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
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
