using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Persistence;

namespace FastRebal.Engine.Pipeline;

/// <summary>The engine's input journal: <see cref="JournalEntry"/> records, and the two the pipeline writes most.</summary>
public sealed class EngineJournal(string directory) : InputJournal<JournalEntry>(directory), IBatchJournal
{
    /// <summary>A run of verified price changes: the feed positions they cover, the verifier's changes, and the prices.</summary>
    public long AppendVerified(long firstPosition, int tickCount, long lastDay, VerifierDelta delta, List<PriceEvent> prices) =>
        Append(new JournalEntry { Kind = JournalEntryKind.Verified, FirstPosition = firstPosition, TickCount = tickCount, LastDay = lastDay, Delta = delta, Prices = prices.Count == 0 ? null : [.. prices] });

    /// <summary>An evaluation batch's inputs other than prices: its clock, fills, operator commands and execution reports, and how far it swept.</summary>
    public void AppendBatch(long sequence, long marketTime, long feedPosition, IReadOnlyList<AccountFill> fills, IReadOnlyList<(ControlCommand? Original, JournaledCommand Resolved)> commands, int sweepLimit = 0, IReadOnlyList<Orders.Execution.ExecutionReport>? reports = null)
    {
        Append(new JournalEntry
        {
            Kind = JournalEntryKind.Batch,
            Sequence = sequence,
            MarketTime = marketTime,
            FeedPosition = feedPosition,
            Fills = fills.Count == 0 ? null : [.. fills],
            Commands = commands.Count == 0 ? null : [.. commands.Select(c => c.Resolved)],
            SweepLimit = sweepLimit,
            Reports = reports is null || reports.Count == 0 ? null : [.. reports],
        });
        EndBatch(sequence);
    }
}
