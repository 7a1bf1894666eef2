using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Orders.Execution;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Risk;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Pipeline;

/// <summary>Figures of the order stage, read by the status snapshot and metrics.</summary>
public sealed class OrderCounters
{
    public long TradesReceived;
    public long Blocks;
    public long ChildrenSent;
    public long ChildrenCancelled;
    public long Fills;

    /// <summary>Children the venue acknowledged.</summary>
    public long Acknowledged;

    /// <summary>Children the venue refused.</summary>
    public long Rejected;

    /// <summary>Children whose rest the venue confirmed cancelled.</summary>
    public long VenueCancelled;

    /// <summary>Children whose rest ran out of time at the venue.</summary>
    public long Expired;

    /// <summary>Cancels the engine asked the venue for (kill switch, or the rest of a partial fill).</summary>
    public long CancelsRequested;

    /// <summary>Reports ignored: a fill id already applied, or a report for an order that has ended or was never sent.</summary>
    public long ReportsIgnored;

    /// <summary>Fills for more than the order had open: the excess is not applied (a break the holdings sync shows).</summary>
    public long Overfills;
}

/// <summary>
/// The last stage, one batch at a time on its own thread: trades released by the risk gate become block orders per
/// instrument and side, blocks are sliced and scheduled, children that are due leave through the order sink (unless
/// the kill switch is engaged: then every pending child is cancelled, and every working one is asked to be), and the
/// venue's execution reports move each child on (acknowledged, filled in part or in full, rejected, cancelled,
/// expired). A block closes when none of its children can trade any more; what it filled is then allocated to the
/// accounts at its average price and queued for the evaluation stage to apply to the book. Reports come from the
/// simulated venue on this thread (driven by market time, so a replay repeats them), or from a firm's venue through
/// the journaled <see cref="OrderEventKind.Report"/> events.
/// </summary>
public sealed class OrderStage
{
    private readonly AccountBook book;
    private readonly Slicer slicer;
    private readonly Func<int, decimal> averageDailyVolume;
    private readonly OrderScheduler scheduler = new();
    private readonly IOrderSink sink;
    private readonly SimulatedVenue? venue;
    private readonly PartialFillPolicy partialFills;
    private readonly KillSwitch killSwitch;
    private readonly ConcurrentQueue<AccountFill> fills;
    private readonly LatencyRecorder tickToOrder;

    // The trades received since the last blocks were formed, as values: a trade the stage receives is not an object.
    private readonly List<BlockTrade> batchTrades = [];
    private readonly Dictionary<(string Account, string Instrument, TradeSide Side), long> originOf = [];
    private readonly Dictionary<string, LiveBlock> blocks = new(StringComparer.Ordinal);

    // Children sent and not yet ended, by order id. Locked only so a host may list them (OpenOrders) from its thread.
    private readonly Dictionary<string, WorkingChild> working = new(StringComparer.Ordinal);
    private readonly Lock workingGate = new();
    private List<ExecutionReport> released = [];
    private List<ExecutionReport> applying = [];
    private long marketTime;
    private long lastRecordedOrigin = long.MaxValue;

    public OrderStage(
        AccountBook book,
        SlicingPolicy slicing,
        Func<int, decimal> averageDailyVolume,
        IOrderSink sink,
        SimulatedVenue? venue,
        KillSwitch killSwitch,
        ConcurrentQueue<AccountFill> fills,
        LatencyRecorder tickToOrder,
        PartialFillPolicy partialFills = PartialFillPolicy.KeepOpen)
    {
        this.partialFills = partialFills;
        this.book = book;
        slicer = new Slicer(slicing);
        this.averageDailyVolume = averageDailyVolume;
        this.sink = sink;
        this.venue = venue;
        this.killSwitch = killSwitch;
        this.fills = fills;
        this.tickToOrder = tickToOrder;
    }

    public OrderCounters Counters { get; } = new();

    /// <summary>Child orders scheduled and not yet sent.</summary>
    public int Pending => Volatile.Read(ref pending);

    private int pending;

    /// <summary>A block with what the stage needs to route its fills: the accounts and instrument by index.</summary>
    private sealed class LiveBlock(BlockOrder order, int instrument, int[] accounts, long origin)
    {
        public BlockOrder Order { get; } = order;

        public int Instrument { get; } = instrument;

        /// <summary>The book's index of each allocation's account, in the block's allocation order.</summary>
        public int[] Accounts { get; } = accounts;

        public long Origin { get; } = origin;

        public bool FirstChildSent { get; set; }

        /// <summary>Children scheduled or working: the block closes when the last of them ends.</summary>
        public int Outstanding { get; set; }

        /// <summary>The newest input batch behind the block's trades: its orders wait until the journal has it on disk.</summary>
        public long InputBatch { get; init; }
    }

    /// <summary>A child sent to the venue that may still trade: what it has filled, and the fill ids already applied.</summary>
    private sealed class WorkingChild(ChildOrder order, LiveBlock block)
    {
        public ChildOrder Order { get; } = order;

        public LiveBlock Block { get; } = block;

        public decimal Filled { get; set; }

        public bool Acknowledged { get; set; }

        public bool CancelRequested { get; set; }

        public List<string> FillIds { get; } = [];
    }

    /// <summary>
    /// The children sent and not yet ended: what a firm's gateway asks its venue about after a restart, so reports
    /// that were lost with the process are delivered again. Safe from any thread.
    /// </summary>
    public IReadOnlyList<ChildOrder> OpenOrders()
    {
        lock (workingGate)
        {
            return [.. working.Values.Select(w => w.Order).OrderBy(o => o.Id, StringComparer.Ordinal)];
        }
    }

    /// <summary>The durable engine's journal: no child leaves before the batch that caused it is on disk. None when null.</summary>
    internal EngineJournal? Journal { get; set; }

    private long batchOfPendingTrades;

    /// <summary>
    /// Open orders for a checkpoint: working blocks and scheduled children. Call only while the stage is idle (its
    /// ring drained), when no trade waits to form a block.
    /// </summary>
    internal OrderStageImage Capture()
    {
        if (batchTrades.Count > 0)
        {
            throw new InvalidOperationException("the order stage has trades not yet formed into blocks; checkpoint between batches");
        }
        return new()
        {
            MarketTime = marketTime,
            Blocks = [.. blocks.Values.OrderBy(b => b.Order.Id, StringComparer.Ordinal).Select(Image)],
            Children = [.. scheduler.Pending().Select(c => StateJson.Write(c, EngineJson.Default.ChildOrder))],
            Counters = [Counters.TradesReceived, Counters.Blocks, Counters.ChildrenSent, Counters.ChildrenCancelled, Counters.Fills],
            Working = [.. working.Values.OrderBy(w => w.Order.Id, StringComparer.Ordinal).Select(w => new WorkingChildImage
            {
                Order = StateJson.Write(w.Order, EngineJson.Default.ChildOrder),
                Filled = w.Filled,
                Acknowledged = w.Acknowledged,
                CancelRequested = w.CancelRequested,
                FillIds = [.. w.FillIds],
            })],
            Venue = venue is { Working: > 0 } ? venue.Capture() : null,
        };
    }

    private static OpenBlock Image(LiveBlock live)
    {
        var allocations = live.Order.Allocations;
        var image = new OpenBlock
        {
            BatchSequence = live.Order.BatchSequence,
            InstrumentId = live.Order.InstrumentId,
            Side = live.Order.Side,
            Filled = live.Order.Filled,
            FilledNotional = live.Order.FilledNotional,
            FirstChildSent = live.FirstChildSent,
            Accounts = new int[allocations.Count],
            Requested = new decimal[allocations.Count],
            Step = new decimal[allocations.Count],
            Price = new decimal[allocations.Count],
            AllocatedFilled = new decimal[allocations.Count],
            AllocatedNotional = new decimal[allocations.Count],
        };
        for (var i = 0; i < allocations.Count; i++)
        {
            var a = allocations[i];
            (image.Accounts[i], image.Requested[i], image.Step[i], image.Price[i], image.AllocatedFilled[i], image.AllocatedNotional[i]) =
                (live.Accounts[i], a.Requested, a.Step, a.Price, a.Filled, a.FilledNotional);
        }
        image.Step = OpenBlock.Compact(image.Step, zeroIsEmpty: false);
        image.Price = OpenBlock.Compact(image.Price, zeroIsEmpty: false);
        image.AllocatedFilled = OpenBlock.Compact(image.AllocatedFilled, zeroIsEmpty: true);
        image.AllocatedNotional = OpenBlock.Compact(image.AllocatedNotional, zeroIsEmpty: true);
        return image;
    }

    /// <summary>Puts back the open orders of a checkpoint, before the stage's thread starts.</summary>
    internal void Restore(OrderStageImage image)
    {
        marketTime = image.MarketTime;
        blocks.Clear();
        foreach (var saved in image.Blocks)
        {
            var allocations = new List<Allocation>(saved.Accounts.Length);
            for (var i = 0; i < saved.Accounts.Length; i++)
            {
                var id = book.AccountId(saved.Accounts[i]);
                allocations.Add(new Allocation(id, saved.Requested[i], OpenBlock.At(saved.Step, i), OpenBlock.At(saved.Price, i))
                {
                    Filled = OpenBlock.At(saved.AllocatedFilled, i),
                    FilledNotional = OpenBlock.At(saved.AllocatedNotional, i),
                });
            }
            var order = new BlockOrder(saved.BatchSequence, saved.InstrumentId, saved.Side, allocations);
            order.RestoreFills(saved.Filled, saved.FilledNotional);
            blocks[order.Id] = new LiveBlock(order, book.Instruments.IndexOf(saved.InstrumentId), saved.Accounts, long.MaxValue) { FirstChildSent = saved.FirstChildSent };
        }
        scheduler.CancelAll();
        var scheduled = image.Children.Select(json => StateJson.Read(json, EngineJson.Default.ChildOrder)).ToList();
        scheduler.Add(scheduled);
        foreach (var child in scheduled)
        {
            blocks[child.BlockId].Outstanding++;
        }
        lock (workingGate)
        {
            working.Clear();
            foreach (var saved in image.Working)
            {
                var order = StateJson.Read(saved.Order, EngineJson.Default.ChildOrder);
                var live = blocks[order.BlockId];
                live.Outstanding++;
                var child = new WorkingChild(order, live) { Filled = saved.Filled, Acknowledged = saved.Acknowledged, CancelRequested = saved.CancelRequested };
                child.FillIds.AddRange(saved.FillIds);
                working[order.Id] = child;
            }
        }
        venue?.Restore(image.Venue);
        var c = image.Counters;
        if (c.Length >= 5)
        {
            (Counters.TradesReceived, Counters.Blocks, Counters.ChildrenSent, Counters.ChildrenCancelled, Counters.Fills) = (c[0], c[1], c[2], c[3], c[4]);
        }
        Volatile.Write(ref pending, scheduler.PendingCount);
    }

    /// <summary>Takes one event of the current batch.</summary>
    public void Add(in OrderEvent order)
    {
        marketTime = Math.Max(marketTime, order.MarketTime);
        if (order.Kind == OrderEventKind.Report)
        {
            Apply(order.Report!);
            return;
        }
        if (order.Kind == OrderEventKind.Heartbeat)
        {
            // The evaluation stage flushes blocks with a heartbeat (after a batch's first released account, every few
            // hundred accounts, and at the batch's end), so the trades before it form blocks named after it, whatever
            // the ring's batch boundaries were; their first children leave at once, not when the ring runs dry.
            // Children due from earlier blocks leave first, then each new block's as it is formed.
            SendDue();
            FormBlocks(order.Sequence);
            return;
        }
        Counters.TradesReceived++;
        batchOfPendingTrades = Math.Max(batchOfPendingTrades, order.Sequence);
        var trade = new BlockTrade(book.AccountId(order.Account), book.Instruments[order.Instrument].Id, order.Instrument, order.Side, order.Quantity, order.Price);
        batchTrades.Add(trade);
        originOf[(trade.AccountId, trade.InstrumentId, trade.Side)] = order.OriginTimestamp;
    }

    /// <summary>Sends what is due by now (children scheduled for later in a TWAP). Runs on the order thread only.</summary>
    public void EndBatch() => SendDue();

    private void SendDue()
    {
        var now = new DateTimeOffset(Math.Max(marketTime, 1), TimeSpan.Zero);
        ReleaseVenueReports();
        if (killSwitch.IsEngaged)
        {
            CancelEverything();
        }
        foreach (var child in scheduler.Due(now))
        {
            // The kill switch is read again before every child: one engaged mid-batch stops the very next order.
            if (killSwitch.IsEngaged)
            {
                CancelEverything();
                break;
            }
            var live = blocks[child.BlockId];
            Journal?.EnsureDurable(live.InputBatch);
            sink.Send(child);
            Persistence.CrashPoints.Reach(Persistence.CrashPoints.OrderSent);
            Counters.ChildrenSent++;
            // A block's first child ends its tick-to-order time, counted once per tick: the blocks one flush forms
            // (an instrument and side each) share the tick that caused them.
            if (!live.FirstChildSent)
            {
                live.FirstChildSent = true;
                if (live.Origin != long.MaxValue && live.Origin != lastRecordedOrigin)
                {
                    lastRecordedOrigin = live.Origin;
                    tickToOrder.Record(live.Origin, Stopwatch.GetTimestamp());
                }
            }
            lock (workingGate)
            {
                working[child.Id] = new WorkingChild(child, live);
            }
            if (venue is not null)
            {
                venue.Accept(child, marketTime);
                ReleaseVenueReports();
            }
        }
        Volatile.Write(ref pending, scheduler.PendingCount);
    }

    /// <summary>
    /// Forms the pending trades into blocks and sends each block's due children as soon as that block is formed, so
    /// the first order of a flush does not wait for the rest of its blocks to be built (one account's trades make up
    /// to one block per instrument, and each block needs its ids, its slices and their schedule). The children leave
    /// in the same order as when every block was formed first: due children leave in time order, ties in the order
    /// they were added.
    /// </summary>
    private void FormBlocks(long batchSequence)
    {
        if (batchTrades.Count == 0)
        {
            return;
        }
        if (killSwitch.IsEngaged)
        {
            CancelEverything();
            return;
        }
        var now = new DateTimeOffset(Math.Max(marketTime, 1), TimeSpan.Zero);
        var formed = BlockAggregator.Aggregate(CollectionsMarshal.AsSpan(batchTrades), batchSequence, book.Instruments);
        batchTrades.Clear();
        for (var b = 0; b < formed.Count; b++)
        {
            if (killSwitch.IsEngaged)
            {
                // Engaged while this flush was going out: what was formed is cancelled and closed, and the trades of
                // the blocks not yet formed end here, unfilled.
                CancelEverything();
                EndUnformed(formed, b);
                break;
            }
            var block = formed[b];
            var instrument = book.Instruments.IndexOf(block.InstrumentId);
            var accounts = new int[block.Allocations.Count];
            var origin = long.MaxValue;
            for (var i = 0; i < accounts.Length; i++)
            {
                var allocation = block.Allocations[i];
                accounts[i] = book.FindAccount(allocation.AccountId);
                origin = Math.Min(origin, originOf.GetValueOrDefault((allocation.AccountId, block.InstrumentId, block.Side), long.MaxValue));
            }
            var children = slicer.Slice(block, averageDailyVolume(instrument), block.Allocations[0].Price, now);
            blocks[block.Id] = new LiveBlock(block, instrument, accounts, origin) { InputBatch = batchOfPendingTrades, Outstanding = children.Count };
            scheduler.Add(children);
            Counters.Blocks++;
            SendDue();
        }
        originOf.Clear();
        batchOfPendingTrades = 0;
    }

    /// <summary>Tells the book that the trades of the blocks from <paramref name="first"/> on will not happen.</summary>
    private void EndUnformed(List<BlockOrder> formed, int first)
    {
        for (var b = first; b < formed.Count; b++)
        {
            var instrument = book.Instruments.IndexOf(formed[b].InstrumentId);
            foreach (var allocation in formed[b].Allocations)
            {
                fills.Enqueue(new AccountFill(book.FindAccount(allocation.AccountId), instrument, formed[b].Side, 0, 0, TradeComplete: true));
            }
        }
    }

    /// <summary>Applies what the simulated venue has to say by now (nothing, for a firm's own venue).</summary>
    private void ReleaseVenueReports()
    {
        if (venue is null)
        {
            return;
        }
        // A report may lead to a cancel whose confirmation is due at once, so this goes on until the venue is quiet.
        for (venue.Release(marketTime, released); released.Count > 0; venue.Release(marketTime, released))
        {
            // Applied from the other list, so reports the venue releases meanwhile gather in an empty one.
            (applying, released) = (released, applying);
            foreach (var report in applying)
            {
                Apply(report);
            }
            applying.Clear();
        }
    }

    /// <summary>
    /// One execution report. A fill moves the block (the accounts get their shares when it closes); a fill id seen
    /// before, or a report for an order no longer working, changes nothing. A child ends when it is filled, refused,
    /// cancelled or expired; under <see cref="PartialFillPolicy.CancelRest"/> the rest of a part-filled child is
    /// cancelled at once.
    /// </summary>
    private void Apply(ExecutionReport report)
    {
        if (!working.TryGetValue(report.OrderId, out var child))
        {
            Counters.ReportsIgnored++;
            return;
        }
        switch (report.Kind)
        {
            case ExecutionReportKind.Acknowledged:
                Counters.Acknowledged += child.Acknowledged ? 0 : 1;
                child.Acknowledged = true;
                break;
            case ExecutionReportKind.Fill:
                if (child.FillIds.Contains(report.FillId!))
                {
                    Counters.ReportsIgnored++;
                    return;
                }
                child.FillIds.Add(report.FillId!);
                var quantity = Math.Min(report.Quantity, child.Order.Quantity - child.Filled);
                Counters.Overfills += quantity < report.Quantity ? 1 : 0;
                if (quantity > 0)
                {
                    Counters.Fills++;
                    child.Filled += quantity;
                    child.Block.Order.RecordFill(quantity, report.Price);
                }
                if (child.Filled >= child.Order.Quantity)
                {
                    End(child);
                }
                else if (partialFills == PartialFillPolicy.CancelRest && !child.CancelRequested)
                {
                    RequestCancel(child, "rest of a partial fill");
                }
                break;
            case ExecutionReportKind.Rejected:
                Counters.Rejected++;
                End(child);
                break;
            case ExecutionReportKind.Cancelled:
                Counters.VenueCancelled++;
                End(child);
                break;
            case ExecutionReportKind.Expired:
                Counters.Expired++;
                End(child);
                break;
            default:
                Counters.ReportsIgnored++;
                break;
        }
    }

    private void RequestCancel(WorkingChild child, string reason)
    {
        child.CancelRequested = true;
        Counters.CancelsRequested++;
        sink.Cancel(child.Order.Id, reason);
        venue?.Cancel(child.Order.Id, reason, marketTime);
    }

    /// <summary>A working child will trade no more.</summary>
    private void End(WorkingChild child)
    {
        lock (workingGate)
        {
            working.Remove(child.Order.Id);
        }
        ChildEnded(child.Block);
    }

    /// <summary>One of a block's children ended (or was cancelled before it was sent): the last one closes the block.</summary>
    private void ChildEnded(LiveBlock live)
    {
        if (--live.Outstanding == 0)
        {
            Close(live);
            blocks.Remove(live.Order.Id);
        }
    }

    /// <summary>Allocates what the block filled to its accounts at the average price and ends each account's trade.</summary>
    private void Close(LiveBlock live)
    {
        // The shares come in the block's allocation order, the order of the accounts' indices.
        var count = live.Accounts.Length;
        var rented = count <= FillAllocator.StackAccounts ? null : ArrayPool<decimal>.Shared.Rent(count);
        var shares = rented is null ? stackalloc decimal[count] : rented.AsSpan(0, count);
        var price = FillAllocator.Allocate(live.Order, shares);
        for (var i = 0; i < count; i++)
        {
            fills.Enqueue(new AccountFill(live.Accounts[i], live.Instrument, live.Order.Side, shares[i], price, TradeComplete: true));
        }
        if (rented is not null)
        {
            ArrayPool<decimal>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Cancels every scheduled child, asks the venue to cancel every working one, and tells the book which account
    /// trades will not complete. A block closes when its last child ends: what the market filled before the cancel
    /// took effect is the accounts' own, and the rest of each trade will not happen.
    /// </summary>
    private void CancelEverything()
    {
        var cancelled = scheduler.CancelAll();
        Counters.ChildrenCancelled += cancelled.Count;
        foreach (var child in cancelled)
        {
            sink.Cancel(child.Id, "kill switch");
            ChildEnded(blocks[child.BlockId]);
        }
        if (working.Count > 0)
        {
            foreach (var child in working.Values.Where(c => !c.CancelRequested).OrderBy(c => c.Order.Id, StringComparer.Ordinal).ToList())
            {
                RequestCancel(child, "kill switch");
            }
            ReleaseVenueReports();
        }
        foreach (var trade in batchTrades)
        {
            fills.Enqueue(new AccountFill(book.FindAccount(trade.AccountId), trade.Instrument, trade.Side, 0, 0, TradeComplete: true));
        }
        batchTrades.Clear();
        originOf.Clear();
    }
}
