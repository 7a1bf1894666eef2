using System.Runtime.InteropServices;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Orders.Slicing;

/// <summary>Groups accounts' trades into block orders.</summary>
public static class BlockAggregator
{
    /// <summary>
    /// One block per instrument and side, in instrument-id then side order (so the ids and their order are the same
    /// for the same trades). Buys and sells of different accounts are not netted: each account is owed its own
    /// trade at a fair price, and crossing clients internally is a decision for compliance, not for a slicer.
    /// </summary>
    public static List<BlockOrder> Aggregate(IEnumerable<Trade> trades, long batchSequence, InstrumentTable instruments)
    {
        var gathered = new List<BlockTrade>(trades.TryGetNonEnumeratedCount(out var count) ? count : 0);
        foreach (var trade in trades)
        {
            gathered.Add(new BlockTrade(trade.AccountId, trade.InstrumentId, instruments.IndexOf(trade.InstrumentId), trade.Side, trade.Quantity, trade.Price));
        }
        return Aggregate(CollectionsMarshal.AsSpan(gathered), batchSequence, instruments);
    }

    /// <summary>
    /// <see cref="Aggregate(IEnumerable{Trade}, long, InstrumentTable)"/> for trades as the order stage keeps them (a
    /// value each, not an object per trade it receives).
    /// </summary>
    internal static List<BlockOrder> Aggregate(ReadOnlySpan<BlockTrade> trades, long batchSequence, InstrumentTable instruments)
    {
        var groups = new SortedDictionary<(string Instrument, TradeSide Side), List<Allocation>>();
        // This thread's set, emptied: the order stage aggregates every few hundred accounts, and a set grown anew each
        // time cost more than the blocks it guards.
        var seen = seenTrades ??= [];
        seen.Clear();
        foreach (var trade in trades)
        {
            if (trade.Quantity <= 0)
            {
                throw new ArgumentException($"account {trade.AccountId}: trade quantity for {trade.InstrumentId} must be positive, got {trade.Quantity}", nameof(trades));
            }
            var instrument = instruments[trade.Instrument];
            var step = trade.Quantity % instrument.LotSize == 0 ? instrument.LotSize : AccountSnapshot.FractionalStep;
            if (!groups.TryGetValue((trade.InstrumentId, trade.Side), out var list))
            {
                groups[(trade.InstrumentId, trade.Side)] = list = [];
            }
            if (!seen.Add((trade.AccountId, trade.InstrumentId, trade.Side)))
            {
                throw new ArgumentException($"account {trade.AccountId} has two {trade.Side} trades in {trade.InstrumentId} in one batch", nameof(trades));
            }
            list.Add(new Allocation(trade.AccountId, trade.Quantity, step, trade.Price));
        }
        var blocks = new List<BlockOrder>(groups.Count);
        foreach (var (key, allocations) in groups)
        {
            blocks.Add(new BlockOrder(batchSequence, key.Instrument, key.Side, allocations));
        }
        return blocks;
    }

    [ThreadStatic]
    private static HashSet<(string Account, string Instrument, TradeSide Side)>? seenTrades;
}

/// <summary>One account's trade as a block gathers it: its instrument by id and by its index in the instrument table.</summary>
internal readonly record struct BlockTrade(string AccountId, string InstrumentId, int Instrument, TradeSide Side, decimal Quantity, decimal Price);
