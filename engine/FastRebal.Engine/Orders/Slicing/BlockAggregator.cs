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
        var groups = new SortedDictionary<(string Instrument, TradeSide Side), List<Allocation>>();
        var seen = new HashSet<(string Account, string Instrument, TradeSide Side)>();
        foreach (var trade in trades)
        {
            if (trade.Quantity <= 0)
            {
                throw new ArgumentException($"account {trade.AccountId}: trade quantity for {trade.InstrumentId} must be positive, got {trade.Quantity}", nameof(trades));
            }
            var instrument = instruments[instruments.IndexOf(trade.InstrumentId)];
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
        return [.. groups.Select(g => new BlockOrder(batchSequence, g.Key.Instrument, g.Key.Side, g.Value))];
    }
}
