namespace FastRebal.Engine.Pipeline;

/// <summary>Figures of the evaluation stage, read by the host's status snapshot and metrics.</summary>
public sealed class EvaluationCounters
{
    public long PriceChanges;
    public long Batches;
    public long FullSweeps;
    public long AccountsEvaluated;
    public long Decisions;
    public long Rebalances;
    public long CashFlowsInvested;
    public long Blocked;
    public long NeedsApproval;
    public long HeldByRisk;
    public long TradesReleased;
    public long FillsApplied;

    /// <summary>Fills the book refused (no slot for the instrument, or a sale of more than the account holds).</summary>
    public long FillErrors;
    public long CommandsApplied;
    public long CommandsRefused;

    /// <summary>Sell fills that relieved tax lots, buy fills that opened one, and sold shares no lot held (lots then sum to less than the position).</summary>
    public long LotSales;
    public long LotsOpened;
    public long LotShortfalls;

    /// <summary>Wash sales the fills caused (a loss matched with a household purchase within 30 days).</summary>
    public long WashSales;

    /// <summary>Harvests and swap backs the scheduled scans placed, and losses worth harvesting they could not (wash-sale rule, no substitute...).</summary>
    public long Harvests;
    public long HarvestsSkipped;

    /// <summary>Holdings syncs run (each compares a custodian's file with the book).</summary>
    public long HoldingsSyncs;

    /// <summary>Items held for an operator that expired undecided when their last market day was over.</summary>
    public long ApprovalsExpired;

    /// <summary>Fills applied that left the account's cash below zero (buys filled before the sells that fund them).</summary>
    public long FillsOnDebit;

    internal long[] ToArray() =>
        [PriceChanges, Batches, FullSweeps, AccountsEvaluated, Decisions, Rebalances, CashFlowsInvested, Blocked, NeedsApproval, HeldByRisk, TradesReleased, FillsApplied, FillErrors, CommandsApplied, CommandsRefused, LotSales, LotsOpened, LotShortfalls, WashSales, Harvests, HarvestsSkipped, HoldingsSyncs, ApprovalsExpired, FillsOnDebit];

    internal void Restore(long[] saved)
    {
        var all = new long[24];
        saved.AsSpan(0, Math.Min(saved.Length, all.Length)).CopyTo(all);
        (PriceChanges, Batches, FullSweeps, AccountsEvaluated, Decisions, Rebalances, CashFlowsInvested, Blocked) = (all[0], all[1], all[2], all[3], all[4], all[5], all[6], all[7]);
        (NeedsApproval, HeldByRisk, TradesReleased, FillsApplied, FillErrors, CommandsApplied, CommandsRefused) = (all[8], all[9], all[10], all[11], all[12], all[13], all[14]);
        (LotSales, LotsOpened, LotShortfalls, WashSales, Harvests, HarvestsSkipped, HoldingsSyncs) = (all[15], all[16], all[17], all[18], all[19], all[20], all[21]);
        (ApprovalsExpired, FillsOnDebit) = (all[22], all[23]);
    }
}
