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

    /// <summary>Copies the book's holdings into chunks (and its prices into the image).</summary>
    public static AccountChunk[] Capture(AccountBook book, ICheckpointImage image)
    {
        var c = book.Columns;
        image.Prices = [.. book.PriceArray];
        var chunks = new AccountChunk[ChunkCount(book)];
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
                LastRebalanced = new int[count],
            };
            for (var k = 0; k < count; k++)
            {
                chunk.LastRebalanced[k] = c.LastRebalanced[first + k] is { } day ? day.DayNumber : -1;
            }
        }
        image.AccountCount = book.AccountCount;
        return chunks;
    }

    public static int ChunkCount(AccountBook book) => (book.AccountCount + ChunkAccounts - 1) / ChunkAccounts;

    /// <summary>
    /// The policies of chunk <paramref name="index"/>, or null when every one is the very object <paramref name="saved"/>
    /// holds from the last checkpoint (policies are immutable: an edit replaces the object). Updates <paramref name="saved"/>.
    /// </summary>
    public static PolicyChunk? CapturePolicies(AccountBook book, int index, InvestmentPolicy?[] saved)
    {
        var c = book.Columns;
        var first = index * ChunkAccounts;
        var count = Math.Min(ChunkAccounts, book.AccountCount - first);
        var unchanged = true;
        for (var a = first; a < first + count && unchanged; a++)
        {
            unchanged = ReferenceEquals(c.Policies[a], saved[a]);
        }
        if (unchanged)
        {
            return null;
        }
        var chunk = new PolicyChunk { First = first, Policies = new PolicyImage[count] };
        for (var k = 0; k < count; k++)
        {
            chunk.Policies[k] = PolicyImage.From(c.Policies[first + k]);
            saved[first + k] = c.Policies[first + k];
        }
        return chunk;
    }

    public static void Restore(AccountBook book, ICheckpointImage image, IReadOnlyList<AccountChunk> chunks, IReadOnlyList<PolicyChunk> policyChunks)
    {
        var c = book.Columns;
        if (image.Prices.Length != book.PriceArray.Length || image.AccountCount != book.AccountCount || chunks.Sum(k => k.Count) != book.AccountCount)
        {
            throw new StateMismatchException($"the checkpoint holds {image.AccountCount} accounts and {image.Prices.Length} instruments; this book has {book.AccountCount} and {book.PriceArray.Length}");
        }
        image.Prices.CopyTo(book.PriceArray, 0);
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
                c.LastRebalanced[a] = chunk.LastRebalanced[k] < 0 ? null : DateOnly.FromDayNumber(chunk.LastRebalanced[k]);
            }
        }
        foreach (var chunk in policyChunks)
        {
            for (var k = 0; k < chunk.Policies.Length; k++)
            {
                var a = chunk.First + k;
                var policy = chunk.Policies[k].ToPolicy();
                c.Policies[a] = policy;
                c.BandWidth[a] = policy.BandWidth;
                c.RelativeBand[a] = policy.BandType == BandType.Relative;
                c.ReserveAmount[a] = (double)policy.CashReserveAmount;
                c.ReservePercent[a] = policy.CashReservePercent;
            }
        }
    }
}
