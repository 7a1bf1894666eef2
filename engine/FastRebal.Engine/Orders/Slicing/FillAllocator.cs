using System.Buffers;

namespace FastRebal.Engine.Orders.Slicing;

/// <summary>One account's share of a block's fills, at the block's average price.</summary>
public readonly record struct AllocatedFill(string AccountId, decimal Quantity, decimal Price);

/// <summary>
/// Average-price allocation, the way brokers allocate block trades to client accounts: the block's fills are
/// gathered while it works, and when it closes (completely filled, or stopped early) the filled quantity is shared
/// among the accounts once, pro rata to what each asked for, every account at the block's average price. No account
/// can get a worse price than another, and the work is one pass over the accounts per block rather than per fill.
/// </summary>
/// <remarks>
/// Shares are in each account's own step (whole lots, or fractions where the account trades them), never more than
/// it asked for, and sum exactly to the fill. The steps that rounding leaves over go by largest remainder; ties are
/// broken by a rotation that moves with the block's sequence, so no account is always first in line.
/// </remarks>
public static class FillAllocator
{
    /// <summary>
    /// Shares what the block has filled so far among its accounts, one share per allocation in the block's order; a
    /// block is allocated once, when it closes.
    /// </summary>
    public static List<AllocatedFill> Allocate(BlockOrder block)
    {
        var shares = new decimal[block.Allocations.Count];
        var price = Allocate(block, shares);
        var result = new List<AllocatedFill>(shares.Length);
        for (var i = 0; i < shares.Length; i++)
        {
            result.Add(new AllocatedFill(block.Allocations[i].AccountId, shares[i], price));
        }
        return result;
    }

    /// <summary>
    /// <see cref="Allocate(BlockOrder)"/> into <paramref name="shares"/> (one per allocation, in the block's order),
    /// for a host that routes the shares by position: returns the price every share is at. Allocates nothing for a
    /// block of up to <see cref="StackAccounts"/> accounts.
    /// </summary>
    internal static decimal Allocate(BlockOrder block, Span<decimal> shares)
    {
        if (block.IsAllocated)
        {
            throw new InvalidOperationException($"block {block.Id} was already allocated");
        }
        var accounts = block.Allocations;
        var count = accounts.Count;
        if (shares.Length != count)
        {
            throw new ArgumentException($"{shares.Length} shares for the {count} accounts of block {block.Id}", nameof(shares));
        }
        var filled = block.Filled;
        var price = block.AveragePrice;
        var rented = count <= StackAccounts ? null : ArrayPool<decimal>.Shared.Rent(count);
        var exact = rented is null ? stackalloc decimal[count] : rented.AsSpan(0, count);
        try
        {
            var given = 0m;
            for (var i = 0; i < count; i++)
            {
                var a = accounts[i];
                exact[i] = filled * a.Requested / block.Quantity;
                shares[i] = Math.Min(a.Requested, decimal.Floor(exact[i] / a.Step) * a.Step);
                given += shares[i];
            }
            var left = filled - given;
            if (left > 0)
            {
                left = ShareTheRest(block, shares, exact, left);
            }
            if (left > 0)
            {
                // Only a block closed part-filled keeps a rest (a complete fill always splits): it is smaller than any
                // account's step and stays with the firm, as a broker's error account would hold it.
                block.Unallocated = left;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<decimal>.Shared.Return(rented);
            }
        }
        for (var i = 0; i < count; i++)
        {
            accounts[i].Filled = shares[i];
            accounts[i].FilledNotional = shares[i] * price;
        }
        block.IsAllocated = true;
        return price;
    }

    /// <summary>Accounts of a block whose working figures (and a host's shares) fit on the stack.</summary>
    internal const int StackAccounts = 256;

    /// <summary>
    /// Gives out the steps rounding left over, largest remainder first (ties by the block's rotation); returns what no
    /// account's step could take.
    /// </summary>
    private static decimal ShareTheRest(BlockOrder block, Span<decimal> shares, ReadOnlySpan<decimal> exact, decimal left)
    {
        var accounts = block.Allocations;
        var count = accounts.Count;
        var rotation = (int)(block.BatchSequence % count);
        var rented = count <= StackAccounts ? null : ArrayPool<Turn>.Shared.Rent(count);
        var order = rented is null ? stackalloc Turn[count] : rented.AsSpan(0, count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                order[i] = new Turn(exact[i] - shares[i], (i - rotation + count) % count, i);
            }
            // Every account has its own place in the rotation, so this order is total: the same as a stable sort's.
            order.Sort(static (x, y) => x.Remainder != y.Remainder ? y.Remainder.CompareTo(x.Remainder) : x.Place.CompareTo(y.Place));
            for (var round = 0; left > 0; round++)
            {
                var progressed = false;
                foreach (var turn in order)
                {
                    // One step each in the first round (the largest remainders first). A part-filled block can leave more
                    // than that (whole-share accounts' remainders, which only finer-step accounts can take): later rounds
                    // give each account all it can take, so the rounds stay few whatever the steps.
                    var i = turn.Account;
                    var step = accounts[i].Step;
                    var take = round == 0 ? step : Math.Min(decimal.Floor(left / step), decimal.Floor((accounts[i].Requested - shares[i]) / step)) * step;
                    if (take > 0 && left >= take && shares[i] + take <= accounts[i].Requested)
                    {
                        shares[i] += take;
                        left -= take;
                        progressed = true;
                        if (left <= 0)
                        {
                            break;
                        }
                    }
                }
                if (!progressed)
                {
                    break;
                }
            }
            return left;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<Turn>.Shared.Return(rented);
            }
        }
    }

    /// <summary>An account's place in the line for the leftover steps: its remainder, its place in the rotation, its index.</summary>
    private readonly record struct Turn(decimal Remainder, int Place, int Account);
}
