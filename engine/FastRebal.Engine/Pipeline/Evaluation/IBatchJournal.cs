namespace FastRebal.Engine.Pipeline;

/// <summary>Where the evaluation stage writes each batch's inputs before applying them.</summary>
internal interface IBatchJournal
{
    void AppendBatch(long sequence, long marketTime, long feedPosition, IReadOnlyList<AccountFill> fills, IReadOnlyList<(ControlCommand? Original, JournaledCommand Resolved)> commands, int sweepLimit = 0, IReadOnlyList<Orders.Execution.ExecutionReport>? reports = null);
}
