using FastRebal.Engine.Drift;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Reconciliation;

namespace FastRebal.Engine.Pipeline;

// Recovery and checkpoints: replaying journaled batches, and capturing and restoring the stage's state.
public sealed partial class EvaluationStage
{
    /// <summary>
    /// Recovery replays batches with nothing else running, so every slice is swept on both cores, by a partner of its
    /// own when the host asked for none (<see cref="System.Threading.Tasks.Parallel"/> wakes too slowly for a busy
    /// feed's slices). <see cref="EndReplay"/> releases it.
    /// </summary>
    internal void BeginReplay()
    {
        if (partner is null && Environment.ProcessorCount > 1)
        {
            partner = new SweepPartner();
            partnerForReplay = true;
        }
    }

    /// <summary>The replay is over: a partner taken for it is released, and live slices sweep as the host asked.</summary>
    internal void EndReplay()
    {
        if (partnerForReplay)
        {
            ReleaseSweepPartner();
            partnerForReplay = false;
        }
    }

    /// <summary>
    /// Evaluates a journaled batch again (recovery): the verified prices it applied, then its clock, fills and
    /// commands exactly as recorded. Nothing is journaled again.
    /// </summary>
    internal void Replay(JournalEntry entry, ReadOnlySpan<PriceEvent> prices)
    {
        replaying = true;
        try
        {
            foreach (ref readonly var price in prices)
            {
                Add(price);
            }
            batchMarketTime = entry.MarketTime;
            lastFeedPosition = Math.Max(lastFeedPosition, entry.FeedPosition);
            sweepLimit = entry.SweepLimit;
            batchFills.Clear();
            batchFills.AddRange(entry.Fills ?? []);
            batchReports.Clear();
            batchReports.AddRange(entry.Reports ?? []);
            batchCommands.Clear();
            foreach (var command in entry.Commands ?? [])
            {
                batchCommands.Add((null, command));
            }
            // The verifier stands as the journal had it at this batch, as when the batch was journaled live.
            ReferencePrices?.Take();
            // The audit writer drops what the chain already holds (see AuditWriter.ResumeAfter) and adds what a crash lost.
            Evaluate();
        }
        finally
        {
            replaying = false;
        }
        if (sequence != entry.Sequence)
        {
            throw new InvalidDataException($"journal replay out of step: entry {entry.Sequence} replayed as batch {sequence}");
        }
    }

    /// <summary>
    /// After recovery stopped at damage: the next batch is numbered after every batch the journal says it held, so no
    /// order id of a batch lost to the damage (perhaps already sent) is ever used again.
    /// </summary>
    internal void NumberAfter(long batch)
    {
        if (batch > sequence)
        {
            Volatile.Write(ref sequence, batch);
        }
    }

    /// <summary>
    /// The stage's state between batches, for a checkpoint: scalars into the image, per-account arrays into the
    /// chunks (which already hold the book's part). Call on the evaluation thread, between batches.
    /// </summary>
    internal EvaluationImage Capture(IReadOnlyList<AccountChunk> chunks)
    {
        foreach (var chunk in chunks)
        {
            var range = new Range(chunk.First, chunk.First + chunk.Count);
            chunk.OpenTrades = openTrades[range];
            chunk.Rebalancing = rebalancing[range];
            chunk.PendingFlow = pendingFlow[range];
            chunk.ParkedExcess = parkedExcess[range];
            chunk.ParkedOn = [.. parkedOn[range].Select(d => d.DayNumber)];
            // Kept whether or not a pass is under way: a chunk's record then keeps one size, so the store overwrites it
            // in place instead of appending a larger version each time a pass starts.
            chunk.Marks = book.c.Mark[book.SlotStart[chunk.First]..book.SlotStart[chunk.First + chunk.Count]];
            chunk.Lots = tax?.Lots.Capture(chunk.First, chunk.Count);
        }
        var held = awaitingApproval.OrderBy(p => p.Key).ToArray();
        var harvests = harvesting.OrderBy(h => h.Key).ToArray();
        var harvestLots = harvests.SelectMany(h => h.Value.Lots.OrderBy(l => l.Key).Select(l => (Account: h.Key, Instrument: l.Key, Lots: l.Value))).ToArray();
        return new EvaluationImage
        {
            Day = day.DayNumber,
            Sequence = sequence,
            BlockSequence = blockSequence,
            BatchMarketTime = batchMarketTime,
            LastFullSweepAt = lastFullSweepAt,
            PassCursor = passCursor,
            PassRemaining = passRemaining,
            AwaitingAccounts = [.. held.Select(p => p.Key)],
            // Copies of the lists, since an approval may change the plan after this batch; JSON comes later, off this thread.
            HeldPlans = [.. held.Select(p => new HeldPlan(p.Value.Decision, [.. p.Value.Plan.Trades], [.. p.Value.Plan.Warnings.Select(w => w.ToString())], p.Value.Plan.ApprovalReason, p.Value.Plan.CashBefore, p.Value.Plan.Reserve) { Since = awaitingApprovalView[p.Key].Since, RiskCheck = awaitingApprovalView[p.Key].RiskCheck })],
            PendingFills = [.. fills],
            PendingReports = executions?.Snapshot() ?? [],
            Reconciliation = Reconciliation is { } report ? ReconciliationImage.From(report) : null,
            Counters = Counters.ToArray(),
            NearBandAccounts = nearBandReady ? nearBand[..nearBandCount] : [],
            NearBandInstruments = nearBandReady ? nearBandInstrument[..nearBandCount] : [],
            NearBandSides = nearBandReady ? nearBandSide[..nearBandCount] : [],
            NearBandPrices = nearBandReady ? [.. nearBandPrices] : [],
            Ledger = tax?.Ledger.Capture(),
            HarvestAccounts = [.. harvests.Select(h => h.Key)],
            HarvestSources = [.. harvests.Select(h => (int)h.Value.Source)],
            HarvestLotAccounts = [.. harvestLots.Select(l => l.Account)],
            HarvestLotInstruments = [.. harvestLots.Select(l => l.Instrument)],
            HarvestLotIds = [.. harvestLots.Select(l => l.Lots)],
            BookEventsApplied = bookEventsApplied,
            BookEventsDigest = BookEventsDigest(bookEventsApplied),
            MovedAccounts = [.. changedTaxSettings.Keys],
            MovedTaxSettings = [.. changedTaxSettings.Values.Select(s => StateJson.Write(s))],
            ClosedAccounts = [.. Enumerable.Range(0, closed.Length).Where(a => closed[a])],
            ClosingAccounts = [.. closing.Keys],
            ClosingWho = [.. closing.Values.Select(c => c.Who)],
            ClosingWhy = [.. closing.Values.Select(c => c.Why)],
            WaitingMoves = [.. moving.Values],
            WaitingSplits = [.. splitting.Values],
            CorporateActions = [.. corporateActions],
            RowChanges = [.. rowChanges],
        };
    }

    /// <summary>The first <paramref name="count"/> book events as a digest ("" for none).</summary>
    private string BookEventsDigest(int count)
    {
        if (count == 0)
        {
            return "";
        }
        var text = new System.Text.StringBuilder();
        foreach (var e in bookEvents.Take(count))
        {
            if (e.Holdings is { } h)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{e.Date:yyyy-MM-dd}|holdings|{h.Source}|{h.AsOf:yyyy-MM-dd}|{h.Accounts.Count}|{e.AcceptHoldings}\n");
            }
            else if (e.Move is { } move)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{e.Date:yyyy-MM-dd}|{move.AccountId}|ips|{move.Policy.Policy.Id}|{move.Policy.Policy.Version}\n");
            }
            else if (e.Closing is { } closing)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{e.Date:yyyy-MM-dd}|{closing}|close\n");
            }
            else if (e.ToModel is { } change)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{e.Date:yyyy-MM-dd}|{change.AccountId}|model|{change.ModelId}\n");
            }
            else if (e.Opening is { } opening)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{e.Date:yyyy-MM-dd}|{opening.AccountId}|open|{opening.HouseholdId}|{opening.ModelId}|{opening.Policy.Policy.Id}|{opening.Policy.Policy.Version}|{opening.Cash}\n");
            }
            else if (e.Action is { } action)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{e.Date:yyyy-MM-dd}|{action.InstrumentId}|{(action.Ratio is { } ratio ? $"split|{ratio}" : $"symbol|{action.Symbol}")}\n");
            }
            else
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{e.Date:yyyy-MM-dd}|{e.Flow!.AccountId}|{e.Flow.Kind}|{e.Flow.Amount}\n");
            }
        }
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Puts back a captured state (the book already restored), before the stage's thread starts.</summary>
    internal void Restore(EvaluationImage image, IReadOnlyList<AccountChunk> chunks)
    {
        if (chunks.Any(k => (k.Lots is null) != (tax is null)))
        {
            throw new StateMismatchException(tax is null
                ? "the saved state keeps tax lots and this engine keeps none; start it with the same lots (e.g. run --lots) or use another state folder"
                : "the saved state keeps no tax lots and this engine keeps them; start it without lots or use another state folder");
        }
        tax?.Lots.Clear();
        tax?.Ledger.Restore(image.Ledger ?? new Tax.WashSaleLedgerImage());
        harvesting.Clear();
        for (var i = 0; i < image.HarvestAccounts.Length; i++)
        {
            harvesting[image.HarvestAccounts[i]] = new HarvestInFlight((Tax.TradeSource)image.HarvestSources[i], []);
        }
        for (var i = 0; i < image.HarvestLotAccounts.Length; i++)
        {
            harvesting[image.HarvestLotAccounts[i]].Lots[image.HarvestLotInstruments[i]] = image.HarvestLotIds[i];
        }
        foreach (var chunk in chunks)
        {
            if (chunk.Lots is { } lots)
            {
                tax!.Lots.Restore(chunk.First, chunk.Count, lots);
            }
        }
        foreach (var chunk in chunks)
        {
            chunk.OpenTrades.CopyTo(openTrades, chunk.First);
            chunk.Rebalancing.CopyTo(rebalancing, chunk.First);
            chunk.PendingFlow.CopyTo(pendingFlow, chunk.First);
            chunk.ParkedExcess.CopyTo(parkedExcess, chunk.First);
            for (var i = 0; i < chunk.Count; i++)
            {
                parkedOn[chunk.First + i] = DateOnly.FromDayNumber(chunk.ParkedOn[i]);
            }
        }
        accountsWithPendingFlow = pendingFlow.Count(f => f != 0);
        day = DateOnly.FromDayNumber(image.Day);
        sequence = image.Sequence;
        blockSequence = image.BlockSequence;
        batchMarketTime = image.BatchMarketTime;
        lastFullSweepAt = image.LastFullSweepAt;
        passCursor = image.PassCursor;
        passRemaining = image.PassRemaining;
        // A checkpoint from before the list was kept has none: the next quiet move then collects it as it goes.
        nearBandReady = image.NearBandPrices.Length == nearBandPrices.Length && image.NearBandAccounts.Length <= NearBandCapacity;
        if (nearBandReady)
        {
            image.NearBandAccounts.CopyTo(nearBand, 0);
            nearBandCount = image.NearBandAccounts.Length;
            image.NearBandInstruments.CopyTo(nearBandInstrument, 0);
            image.NearBandSides.CopyTo(nearBandSide, 0);
            image.NearBandPrices.CopyTo(nearBandPrices, 0);
        }
        awaitingApproval.Clear();
        awaitingApprovalView.Clear();
        awaitingApprovalCount = 0;
        // A busy day holds hundreds of plans for approval: they are read on both cores, then put back in order.
        var heldPlans = new HeldPlan[image.AwaitingAccounts.Length];
        Parallel.For(0, heldPlans.Length, i => heldPlans[i] = StateJson.Read(image.AwaitingPlans[i], EngineJson.Default.HeldPlan));
        for (var i = 0; i < image.AwaitingAccounts.Length; i++)
        {
            var held = heldPlans[i];
            var plan = new TradePlan { CashBefore = held.CashBefore, Reserve = held.Reserve, ApprovalReason = held.ApprovalReason };
            plan.Trades.AddRange(held.Trades);
            plan.Warnings.AddRange(held.Warnings.Select(PlanWarning.InWords));
            Hold(image.AwaitingAccounts[i], plan, held.Decision, held.Since ?? day, restored: true, held.RiskCheck);
        }
        // Pending fills are not put back here: recovery matches them against the journal (see JournalReplay). Pending
        // reports are: any the journal also holds are applied once, and ignored when they come again.
        executions?.Restore(image.PendingReports);
        reconciliation = image.Reconciliation?.ToReport();
        // Rows first: a waiting move of an account opened or moved finds it by id.
        RestoreRowChanges(image);
        RestoreMoves(image);
        RestoreCorporateActions(image);
        Array.Clear(closed);
        foreach (var a in image.ClosedAccounts)
        {
            closed[a] = true;
        }
        closing.Clear();
        for (var i = 0; i < image.ClosingAccounts.Length; i++)
        {
            closing[image.ClosingAccounts[i]] = (image.ClosingWho[i], image.ClosingWhy[i]);
        }
        Counters.Restore(image.Counters);
        if (image.BookEventsApplied > bookEvents.Length || BookEventsDigest(image.BookEventsApplied) != image.BookEventsDigest)
        {
            throw new StateMismatchException($"the saved state applied {image.BookEventsApplied} book event(s) that are not the first {image.BookEventsApplied} of this engine's {bookEvents.Length}; start it with the same book events (e.g. the same run --events file) or use another state folder");
        }
        bookEventsApplied = image.BookEventsApplied;
        for (var a = 0; a < book.AccountCount; a++)
        {
            classBands.Refresh(a);
        }
        // Mid-pass, the marks the pass has not refreshed yet are older than the prices: put back exactly those.
        if (passRemaining > 0 && chunks.All(k => k.Marks is { } marks && marks.Length == book.SlotStart[k.First + k.Count] - book.SlotStart[k.First]))
        {
            foreach (var chunk in chunks)
            {
                chunk.Marks!.CopyTo(book.c.Mark, book.SlotStart[chunk.First]);
            }
        }
        else
        {
            book.RefreshMarks(parallel: true);
            passRemaining = 0;
        }
        // The drift figures are a function of the book: sweep once so the console and the breakers see them at once.
        DriftSweep.RunRange(book, report, 0, book.AccountCount, parallel: true);
        sweepAllRequested = false;
    }
}
