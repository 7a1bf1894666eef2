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
    /// <summary>Shares what the block has filled so far among its accounts; a block is allocated once, when it closes.</summary>
    public static List<AllocatedFill> Allocate(BlockOrder block)
    {
        if (block.IsAllocated)
        {
            throw new InvalidOperationException($"block {block.Id} was already allocated");
        }
        var accounts = block.Allocations;
        var filled = block.Filled;
        var price = block.AveragePrice;
        var shares = new decimal[accounts.Count];
        var exact = new decimal[accounts.Count];
        var given = 0m;
        for (var i = 0; i < accounts.Count; i++)
        {
            var a = accounts[i];
            exact[i] = filled * a.Requested / block.Quantity;
            shares[i] = Math.Min(a.Requested, decimal.Floor(exact[i] / a.Step) * a.Step);
            given += shares[i];
        }

        var left = filled - given;
        if (left > 0)
        {
            var rotation = (int)(block.BatchSequence % accounts.Count);
            var order = Enumerable.Range(0, accounts.Count)
                .OrderByDescending(i => exact[i] - shares[i])
                .ThenBy(i => (i - rotation + accounts.Count) % accounts.Count)
                .ToArray();
            for (var round = 0; left > 0; round++)
            {
                var progressed = false;
                foreach (var i in order)
                {
                    // One step each in the first round (the largest remainders first). A part-filled block can leave more
                    // than that (whole-share accounts' remainders, which only finer-step accounts can take): later rounds
                    // give each account all it can take, so the rounds stay few whatever the steps.
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
                    // Only a block closed part-filled can get here (a complete fill always splits): the rest is smaller
                    // than any account's step and stays with the firm, as a broker's error account would hold it.
                    block.Unallocated = left;
                    break;
                }
            }
        }

        var result = new List<AllocatedFill>(accounts.Count);
        for (var i = 0; i < accounts.Count; i++)
        {
            var a = accounts[i];
            a.Filled = shares[i];
            a.FilledNotional = shares[i] * price;
            result.Add(new AllocatedFill(a.AccountId, shares[i], price));
        }
        block.IsAllocated = true;
        return result;
    }
}
