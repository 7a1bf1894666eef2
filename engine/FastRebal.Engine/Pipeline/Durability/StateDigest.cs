using System.Security.Cryptography;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Risk;
using FastRebal.Engine.State;
using MemoryPack;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// One hash of everything a checkpoint keeps except counters and timestamps: the crash tests compare a recovered
/// engine with one that never stopped through it.
/// </summary>
internal static class StateDigest
{
    public static string Of(AccountBook book, EvaluationStage evaluation, RiskGate risk, OrderStage orders)
    {
        var image = new EngineImage();
        var chunks = BookState.Capture(book, image);
        var stage = evaluation.Capture(chunks);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryPackSerializer.Serialize(image.Prices));
        var fresh = new Model.InvestmentPolicy?[book.AccountCount];
        for (var i = 0; i < chunks.Length; i++)
        {
            hash.AppendData(MemoryPackSerializer.Serialize(BookState.CapturePolicies(book, i, fresh)));
        }
        foreach (var chunk in chunks)
        {
            hash.AppendData(MemoryPackSerializer.Serialize(chunk));
        }
        hash.AppendData(MemoryPackSerializer.Serialize(new long[] { stage.Day, stage.Sequence, stage.BlockSequence, stage.BatchMarketTime, stage.LastFullSweepAt }));
        hash.AppendData(MemoryPackSerializer.Serialize(stage.AwaitingAccounts));
        var r = risk.Capture();
        hash.AppendData(MemoryPackSerializer.Serialize(r.Accounts));
        hash.AppendData(MemoryPackSerializer.Serialize(r.Models));
        hash.AppendData(MemoryPackSerializer.Serialize(new[] { r.MarketTripped, r.MarketDay }));
        var o = orders.Capture();
        hash.AppendData(MemoryPackSerializer.Serialize(o.Blocks));
        hash.AppendData(MemoryPackSerializer.Serialize(o.Children));
        // Only an engine with orders working at the venue adds them, so the digests of engines without stay what they were.
        if (o.Working.Length > 0 || o.Venue is not null)
        {
            hash.AppendData(MemoryPackSerializer.Serialize(o.Working));
            hash.AppendData(MemoryPackSerializer.Serialize(o.Venue));
        }
        // Only an engine with book events adds how many it has applied, so the digests of engines without stay what they were.
        if (stage.BookEventsApplied > 0)
        {
            hash.AppendData(MemoryPackSerializer.Serialize(stage.BookEventsApplied));
        }
        // Only an engine that closed accounts adds them, so the digests of engines that closed none stay what they were.
        if (stage.ClosedAccounts.Length > 0 || stage.ClosingAccounts.Length > 0)
        {
            hash.AppendData(MemoryPackSerializer.Serialize(stage.ClosedAccounts));
            hash.AppendData(MemoryPackSerializer.Serialize(stage.ClosingAccounts));
        }
        // Only an engine with moves waiting for trades in flight adds them, so other digests stay what they were.
        if (stage.WaitingMoves.Length > 0)
        {
            hash.AppendData(MemoryPackSerializer.Serialize(stage.WaitingMoves));
        }
        // Only an engine that opened accounts or moved them to another model adds them, so other digests stay what they were.
        if (stage.RowChanges.Length > 0)
        {
            hash.AppendData(MemoryPackSerializer.Serialize(stage.RowChanges));
        }
        // Only an engine with corporate actions (applied or waiting) adds them, so other digests stay what they were.
        if (stage.CorporateActions.Length > 0 || stage.WaitingSplits.Length > 0)
        {
            hash.AppendData(MemoryPackSerializer.Serialize(stage.CorporateActions));
            hash.AppendData(MemoryPackSerializer.Serialize(stage.WaitingSplits));
        }
        // Only an engine whose tax elections changed while running (a move to another IPS, or an edit) adds them, so other digests stay what they were.
        if (stage.MovedAccounts.Length > 0)
        {
            hash.AppendData(MemoryPackSerializer.Serialize(stage.MovedAccounts));
            hash.AppendData(MemoryPackSerializer.Serialize(stage.MovedTaxSettings));
        }
        // Only an engine with lots adds them, so the digests of engines without stay what they were.
        if (evaluation.Tax is { } tax)
        {
            tax.Lots.AppendTo(hash);
            hash.AppendData(MemoryPackSerializer.Serialize(tax.Ledger.Capture()));
            hash.AppendData(MemoryPackSerializer.Serialize(new[] { stage.HarvestAccounts, stage.HarvestSources, stage.HarvestLotAccounts, stage.HarvestLotInstruments }));
            hash.AppendData(MemoryPackSerializer.Serialize(stage.HarvestLotIds));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
