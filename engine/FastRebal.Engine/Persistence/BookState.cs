using System.Security.Cryptography;
using System.Text;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// The book's mutable state (holdings, cash, prices, policies, last rebalance) in and out of a checkpoint. The
/// layout (accounts, slots, instruments) is not saved: it comes from the book the engine is built on, and the
/// fingerprint makes sure a checkpoint is only ever loaded into the book it was taken from.
/// </summary>
internal static class BookState
{
    /// <summary>Accounts per chunk: about 1.3 MB of holdings at 20 positions, well inside a FASTER page.</summary>
    public const int ChunkAccounts = 8192;

    public static string Fingerprint(AccountBook book)
    {
        var c = book.Columns;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var instrument in book.Instruments.All)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(instrument.Id + "\n"));
        }
        foreach (var id in c.AccountIds)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(id + "\n"));
        }
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.SlotStart.AsSpan()));
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.InstrumentIndex.AsSpan()));
        return $"{book.AccountCount} accounts, {book.SlotCount} slots, {book.Instruments.Count} instruments, {Convert.ToHexString(hash.GetHashAndReset())[..16]}";
    }

    /// <summary>Copies the book into chunks (and prices and the distinct policies into the image).</summary>
    public static AccountChunk[] Capture(AccountBook book, EngineImage image)
    {
        var c = book.Columns;
        image.Prices = [.. book.PriceArray];
        var policyIndex = new Dictionary<InvestmentPolicy, int>(ReferenceEqualityComparer.Instance);
        var policies = new List<string>();
        var chunks = new AccountChunk[(book.AccountCount + ChunkAccounts - 1) / ChunkAccounts];
        for (var i = 0; i < chunks.Length; i++)
        {
            var first = i * ChunkAccounts;
            var count = Math.Min(ChunkAccounts, book.AccountCount - first);
            var chunk = chunks[i] = new AccountChunk
            {
                First = first,
                Count = count,
                Quantity = c.Quantity[c.SlotStart[first]..c.SlotStart[first + count]],
                Cash = c.Cash[first..(first + count)],
                Policy = new int[count],
                LastRebalanced = new int[count],
            };
            for (var k = 0; k < count; k++)
            {
                var policy = c.Policies[first + k];
                if (!policyIndex.TryGetValue(policy, out var index))
                {
                    policyIndex[policy] = index = policies.Count;
                    policies.Add(StateJson.Write(policy));
                }
                chunk.Policy[k] = index;
                chunk.LastRebalanced[k] = c.LastRebalanced[first + k] is { } day ? day.DayNumber : -1;
            }
        }
        image.Policies = [.. policies];
        image.AccountCount = book.AccountCount;
        return chunks;
    }

    public static void Restore(AccountBook book, EngineImage image, IReadOnlyList<AccountChunk> chunks)
    {
        var c = book.Columns;
        if (image.Prices.Length != book.PriceArray.Length || image.AccountCount != book.AccountCount || chunks.Sum(k => k.Count) != book.AccountCount)
        {
            throw new StateMismatchException($"the checkpoint holds {image.AccountCount} accounts and {image.Prices.Length} instruments; this book has {book.AccountCount} and {book.PriceArray.Length}");
        }
        image.Prices.CopyTo(book.PriceArray, 0);
        var policies = image.Policies.Select(StateJson.Read<InvestmentPolicy>).ToArray();
        foreach (var chunk in chunks)
        {
            var first = chunk.First;
            var slots = c.SlotStart[first + chunk.Count] - c.SlotStart[first];
            if (chunk.Quantity.Length != slots)
            {
                throw new StateMismatchException($"checkpoint chunk at account {first} holds {chunk.Quantity.Length} positions; this book has {slots} there");
            }
            chunk.Quantity.CopyTo(c.Quantity, c.SlotStart[first]);
            chunk.Cash.CopyTo(c.Cash, first);
            for (var k = 0; k < chunk.Count; k++)
            {
                var a = first + k;
                var policy = policies[chunk.Policy[k]];
                c.Policies[a] = policy;
                c.BandWidth[a] = policy.BandWidth;
                c.RelativeBand[a] = policy.BandType == BandType.Relative;
                c.ReserveAmount[a] = (double)policy.CashReserveAmount;
                c.ReservePercent[a] = policy.CashReservePercent;
                c.LastRebalanced[a] = chunk.LastRebalanced[k] < 0 ? null : DateOnly.FromDayNumber(chunk.LastRebalanced[k]);
            }
        }
    }
}
