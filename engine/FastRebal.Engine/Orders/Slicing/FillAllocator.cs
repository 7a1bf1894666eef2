namespace FastRebal.Engine.Orders.Slicing;

/// <summary>One account's share of a fill.</summary>
public readonly record struct AllocatedFill(string AccountId, decimal Quantity, decimal Price, bool AllocationComplete);

/// <summary>
/// Shares each fill of a block among its accounts pro rata to what each is still owed, in each account's own step
/// (whole lots, or fractions where the account trades them), never more than an account is owed and summing exactly
/// to the fill. Every account's share of a fill is at that fill's price, so over the block each account's average
/// price is the block's average up to rounding; the leftover steps rounding creates go by largest remainder, ties
/// broken by a rotation that moves with every fill, so no account is always first in line.
/// </summary>
public static class FillAllocator
{
    public static List<AllocatedFill> Allocate(BlockOrder block, decimal quantity, decimal price)
    {
        if (quantity <= 0 || quantity > block.Quantity - block.Filled)
        {
            throw new ArgumentOutOfRangeException(nameof(quantity), $"block {block.Id}: fill of {quantity} does not fit the {block.Quantity - block.Filled} still open");
        }
        var accounts = block.Allocations;
        var remainingTotal = block.Quantity - block.Filled;
        var shares = new decimal[accounts.Count];
        var given = 0m;
        for (var i = 0; i < accounts.Count; i++)
        {
            var a = accounts[i];
            var exact = quantity * a.Remaining / remainingTotal;
            shares[i] = Math.Min(a.Remaining, decimal.Floor(exact / a.Step) * a.Step);
            given += shares[i];
        }

        // Hand out what rounding left, one step at a time, to the largest fractional remainders first.
        var rotation = block.FillCount;
        var order = Enumerable.Range(0, accounts.Count)
            .OrderByDescending(i => (quantity * accounts[i].Remaining / remainingTotal) - shares[i])
            .ThenBy(i => (i - rotation + accounts.Count) % accounts.Count)
            .ToArray();
        var left = quantity - given;
        while (left > 0)
        {
            var progressed = false;
            foreach (var i in order)
            {
                var step = accounts[i].Step;
                if (left >= step && shares[i] + step <= accounts[i].Remaining)
                {
                    shares[i] += step;
                    left -= step;
                    progressed = true;
                    if (left <= 0)
                    {
                        break;
                    }
                }
            }
            if (!progressed)
            {
                throw new InvalidOperationException($"block {block.Id}: a fill of {quantity} cannot be split in the accounts' steps ({left} left over)");
            }
        }

        var fills = new List<AllocatedFill>(accounts.Count);
        for (var i = 0; i < accounts.Count; i++)
        {
            if (shares[i] == 0)
            {
                continue;
            }
            var a = accounts[i];
            a.Filled += shares[i];
            a.FilledNotional += shares[i] * price;
            fills.Add(new AllocatedFill(a.AccountId, shares[i], price, a.IsComplete));
        }
        block.Filled += quantity;
        block.FilledNotional += quantity * price;
        block.FillCount++;
        return fills;
    }
}
