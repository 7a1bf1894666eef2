using FastRebal.Engine.Ingestion;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Simulation;

namespace FastRebal.Engine.Tests.Persistence;

/// <summary>The durable engine in-process: what it journals comes back after a restart, with or without a checkpoint.</summary>
public sealed class DurableEngineTests : IDisposable
{
    private static readonly MarketHistory History = FirmGenerator.LoadHistory(5);
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-durable-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static GeneratedFirm Firm(FirmShape shape = FirmShape.Uniform) => FirmGenerator.Generate(new FirmSpec(1200, 20, 5, AsOf: new DateOnly(2020, 1, 31), Shape: shape), History);

    private EngineHost Engine(GeneratedFirm firm, bool checkpointOnStop, DateOnly? to = null, long checkpointJournalBytes = 0, TimeSpan checkpointReplayBudget = default, double daysPerSecond = 0,
        Func<IPriceFeed, IPriceFeed>? wrapFeed = null, bool lockstep = true, int priceRing = 1 << 16) =>
        new(firm.Book, (wrapFeed ?? (f => f))(new ReplayFeed(firm.Book.Instruments, firm.History, firm.AsOf, to ?? new DateOnly(2020, 3, 31), sources: 3, daysPerSecond: daysPerSecond, noiseBps: 0)), new BlotterFileSink(Path.Combine(folder, "blotter.csv")), new EngineOptions
        {
            Lockstep = lockstep,
            PriceRingCapacity = priceRing,
            Slicing = new SlicingPolicy { Interval = TimeSpan.Zero },
            Durability = new DurabilityOptions { Directory = Path.Combine(folder, "state"), CheckpointInterval = Timeout.InfiniteTimeSpan, CheckpointOnStop = checkpointOnStop, CheckpointJournalBytes = checkpointJournalBytes, CheckpointReplayBudget = checkpointReplayBudget, CheckpointAfterOpening = false },
        });

    [Fact]
    public async Task Operator_commands_and_the_kill_switch_come_back_from_the_journal_alone()
    {
        var firm = Firm();
        var account = firm.Book.AccountId(7);
        await using (var engine = Engine(firm, checkpointOnStop: false))
        {
            engine.Start();
            var edit = await engine.Control.Send(new EditPolicy("admin", "client asked for a wider band", account, null, p => p with { BandWidth = 0.15 }));
            var deposit = await engine.Control.Send(new ApplyCashFlow("ops", "client deposit", new CashFlow(account, CashFlowKind.Deposit, 25_000m)));
            engine.KillSwitch.Engage("ops", "venue outage", engine.Evaluation.Sequence, DateTimeOffset.UtcNow);
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            engine.Stop();
            Assert.True(edit.Applied && deposit.Applied, edit.Detail + deposit.Detail);
            Assert.Empty(engine.Durability!.Store.List());
        }

        var again = Firm();
        Assert.NotEqual(0.15, again.Book.Policy(7).BandWidth, 9);
        await using var recovered = Engine(again, checkpointOnStop: false);
        recovered.Start();
        recovered.Stop();

        var report = recovered.Durability!.Recovery!;
        Assert.True(report.Recovered);
        Assert.Null(report.Checkpoint);
        Assert.True(report.BatchesReplayed > 30);
        Assert.Equal(0.15, again.Book.Policy(7).BandWidth, 9);
        Assert.Equal(2, again.Book.Policy(7).Version);
        Assert.True(recovered.KillSwitch.IsEngaged);
        Assert.Equal(("ops", "venue outage"), (recovered.KillSwitch.State.Who, recovered.KillSwitch.State.Why));
    }

    [Fact]
    public async Task An_approval_decided_again_at_its_batchs_prices_and_the_days_expiries_replay_to_the_same_state()
    {
        string digest;
        long expired;
        await using (var engine = Engine(Firm(), checkpointOnStop: false))
        {
            engine.Start();
            var item = engine.Evaluation.PendingApprovals().First(p => p.HasTrades);
            var approval = await engine.Control.Send(new DecideApproval("ops", "reviewed", item.Decision.AccountId, Approve: true));
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            engine.Stop();
            // The replay runs days as fast as they are decided: the item may have expired before the approval came.
            Assert.True(approval.Applied || approval.Detail.Contains("expires when its last market day is over", StringComparison.Ordinal), approval.Detail);
            expired = engine.Evaluation.Counters.ApprovalsExpired;
            // Two months of days: yesterday's items expire at each opening, and their accounts are held again.
            Assert.True(expired > 10, $"{expired} expired");
            digest = engine.StateDigest();
        }

        await using var recovered = Engine(Firm(), checkpointOnStop: false);
        recovered.Start();
        recovered.Stop();
        Assert.Null(recovered.Durability!.Recovery!.Checkpoint);
        Assert.Equal(digest, recovered.StateDigest());
        Assert.Equal(expired, recovered.Evaluation.Counters.ApprovalsExpired);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_close_from_the_events_comes_back_from_the_journal_or_a_checkpoint_to_the_same_state(bool checkpointOnStop)
    {
        BookEvent[] events = [BookEvent.Close(new DateOnly(2020, 2, 20), "A0000007", "events.csv line 2"), BookEvent.Close(new DateOnly(2020, 3, 2), "A0000500", "events.csv line 3")];
        EngineHost Closing(GeneratedFirm firm) => new(firm.Book, new ReplayFeed(firm.Book.Instruments, firm.History, firm.AsOf, new DateOnly(2020, 3, 31), sources: 3, noiseBps: 0), new BlotterFileSink(Path.Combine(folder, "blotter.csv")), new EngineOptions
        {
            Lockstep = true,
            Slicing = new SlicingPolicy { Interval = TimeSpan.Zero },
            BookEvents = events,
            Durability = new DurabilityOptions { Directory = Path.Combine(folder, "state"), CheckpointInterval = Timeout.InfiniteTimeSpan, CheckpointOnStop = checkpointOnStop, CheckpointJournalBytes = 0, CheckpointReplayBudget = TimeSpan.Zero, CheckpointAfterOpening = false },
        });
        string digest;
        await using (var engine = Closing(Firm()))
        {
            engine.Start();
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            engine.Stop();
            Assert.True(engine.Evaluation.IsClosed(engine.Book.FindAccount("A0000007")));
            Assert.True(engine.Evaluation.IsClosed(engine.Book.FindAccount("A0000500")));
            Assert.Equal(0, engine.Book.Cash[engine.Book.FindAccount("A0000007")]);
            digest = engine.StateDigest();
        }

        await using var recovered = Closing(Firm());
        recovered.Start();
        recovered.Stop();
        Assert.Equal(checkpointOnStop, recovered.Durability!.Recovery!.Checkpoint is not null);
        Assert.Equal(digest, recovered.StateDigest());
        Assert.True(recovered.Evaluation.IsClosed(recovered.Book.FindAccount("A0000500")));
    }

    [Fact]
    public async Task A_clean_stop_checkpoints_and_the_next_start_replays_nothing_and_continues_where_the_feed_left_off()
    {
        string digest;
        long sequence;
        await using (var engine = Engine(Firm(), checkpointOnStop: true))
        {
            engine.Start();
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            engine.Stop();
            digest = engine.StateDigest();
            sequence = engine.Evaluation.Sequence;
            Assert.Equal(sequence, engine.Durability!.LastCheckpoint!.Sequence);
        }

        await using var recovered = Engine(Firm(), checkpointOnStop: false);
        recovered.Start();
        await recovered.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
        recovered.Stop();

        var report = recovered.Durability!.Recovery!;
        Assert.Equal(sequence, report.Checkpoint!.Sequence);
        Assert.Equal(0, report.BatchesReplayed);
        Assert.Equal(sequence, recovered.Evaluation.Sequence);
        Assert.Equal(digest, recovered.StateDigest());
    }

    [Fact]
    public async Task A_stop_that_leaves_prices_read_but_not_taken_recovers_to_the_state_and_the_feed_position_it_stopped_at()
    {
        string digest;
        long evaluated;
        long read;
        // Not in lockstep, and a small ring: the feed runs ahead of the evaluation, a batch takes at most the ring's
        // 64 prices, and a backlog waits in the ring.
        await using (var engine = Engine(Firm(), checkpointOnStop: false, to: new DateOnly(2020, 12, 31), lockstep: false, priceRing: 64))
        {
            engine.Start();
            Assert.True(SpinWait.SpinUntil(() => engine.Evaluation.Sequence >= 20, TimeSpan.FromSeconds(60)));
            engine.Stop(drainFeed: false);
            digest = engine.StateDigest();
            evaluated = engine.Evaluation.FeedPosition;
            read = engine.Status().TicksRead;
        }
        Assert.True(evaluated < read, $"the stop took {evaluated} of the {read} ticks read: nothing was left to test");

        // The journal holds the batches evaluated, and how far into the feed they read: where the next start reads on.
        await using var recovered = Engine(Firm(), checkpointOnStop: false, to: new DateOnly(2020, 12, 31), lockstep: false, priceRing: 64);
        await recovered.CheckpointAsync();
        Assert.True(recovered.Durability!.Recovery!.BatchesReplayed >= 20);
        Assert.Equal(evaluated, recovered.Evaluation.FeedPosition);
        Assert.Equal(digest, recovered.StateDigest());
    }

    [Fact]
    public async Task A_checkpoint_asked_for_once_the_feed_has_ended_is_refused_at_once_and_the_stop_still_checkpoints()
    {
        await using var engine = Engine(Firm(), checkpointOnStop: true, to: new DateOnly(2020, 2, 14));
        engine.Start();
        await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));

        // Before, the request waited for a batch that never came.
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.CheckpointAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("the feed has ended", refusal.Message, StringComparison.Ordinal);

        engine.Stop();
        Assert.Single(engine.Durability!.Store.List());
    }

    [Fact]
    public async Task A_checkpoint_the_schedule_asks_for_once_the_feed_has_ended_is_refused_not_left_waiting()
    {
        await using var engine = Engine(Firm(), checkpointOnStop: true, to: new DateOnly(2020, 2, 14));
        engine.Start();
        await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));

        // The durability timer asks the schedule directly, past the host's own check; before, this waited for ever.
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.Durability!.RequestCheckpoint().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("the feed has ended", refusal.Message, StringComparison.Ordinal);

        engine.Stop();
        Assert.Single(engine.Durability!.Store.List());
    }

    [Fact]
    public async Task A_checkpoint_asked_for_just_before_the_feed_ends_is_refused_when_it_ends_not_left_waiting()
    {
        var feed = default(EndHeldFeed);
        await using var engine = Engine(Firm(), checkpointOnStop: true, to: new DateOnly(2020, 2, 14), wrapFeed: f => feed = new EndHeldFeed(f));
        var pending = await CheckpointAskedAtHeldEnd(engine, feed);

        feed!.End();
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("the feed has ended", refusal.Message, StringComparison.Ordinal);

        engine.Stop();
        Assert.Single(engine.Durability!.Store.List());
    }

    [Fact]
    public async Task A_checkpoint_still_waiting_when_the_engine_stops_without_one_is_refused()
    {
        var feed = default(EndHeldFeed);
        await using var engine = Engine(Firm(), checkpointOnStop: false, to: new DateOnly(2020, 2, 14), wrapFeed: f => feed = new EndHeldFeed(f));
        var pending = await CheckpointAskedAtHeldEnd(engine, feed);

        engine.Stop();

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("the engine stopped before the checkpoint was cut", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(engine.Durability!.Store.List());
    }

    /// <summary>
    /// Starts the engine, waits until the feed is out of ticks and the engine has evaluated its last day (no batch
    /// comes until the feed ends), then asks for a checkpoint: the request is taken, and no batch comes to cut it.
    /// </summary>
    private static async Task<Task<CheckpointInfo>> CheckpointAskedAtHeldEnd(EngineHost engine, EndHeldFeed? feed)
    {
        engine.Start();
        await feed!.AtEnd.Task.WaitAsync(TimeSpan.FromSeconds(60));
        while (!engine.PipelineIdle)
        {
            await Task.Delay(5);
        }
        var pending = engine.CheckpointAsync();
        await Task.Delay(300);
        Assert.False(pending.IsCompleted);
        return pending;
    }

    /// <summary>A finite feed that, once out of ticks, says it is done only when told (a replay whose last read is slow to report its end).</summary>
    private sealed class EndHeldFeed(IPriceFeed inner) : IPriceFeed
    {
        private volatile bool ended;
        private int emptyReadsAtEnd;

        public TaskCompletionSource AtEnd { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => inner.Name;

        public int SourceCount => inner.SourceCount;

        public bool IsCompleted => ended && inner.IsCompleted;

        public long Now => inner.Now;

        public void End() => ended = true;

        public int Read(Span<SourceTick> destination)
        {
            var read = inner.Read(destination);
            // The second empty read: after the first, ingestion published the last day (a lockstep replay's day goes
            // out when the feed has nothing more to read).
            if (read == 0 && inner.IsCompleted && ++emptyReadsAtEnd >= 2)
            {
                AtEnd.TrySetResult();
            }
            return read;
        }
    }

    [Theory]
    [InlineData(FirmShape.Uniform)]
    [InlineData(FirmShape.Realistic)]
    public async Task An_engine_recovers_to_the_same_state_whichever_checkpoint_it_starts_from(FirmShape shape)
    {
        // One run takes checkpoints as it goes; recovering from each of them in turn must give the same end state.
        string digest;
        // Paced, so the feed still runs when each checkpoint is asked for (one is cut between batches).
        await using (var engine = Engine(Firm(shape), checkpointOnStop: false, daysPerSecond: 5))
        {
            engine.Start();
            for (var i = 0; i < 3; i++)
            {
                await engine.CheckpointAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            engine.Stop();
            digest = engine.StateDigest();
            Assert.Equal(3, engine.Durability!.Store.List().Count);
        }

        using (var store = new FasterStateStore<EngineImage>(Path.Combine(folder, "state", "state")))
        {
            store.Prune(1);
            Assert.Single(store.List());
        }
        await using var recovered = Engine(Firm(shape), checkpointOnStop: false);
        recovered.Start();
        recovered.Stop();

        Assert.NotNull(recovered.Durability!.Recovery!.Checkpoint);
        Assert.True(recovered.Durability.Recovery.BatchesReplayed > 0);
        Assert.Equal(digest, recovered.StateDigest());
    }

    [Fact]
    public async Task A_journal_that_grows_past_its_size_limit_brings_a_checkpoint_without_waiting_for_the_clock()
    {
        string digest;
        await using (var engine = Engine(Firm(), checkpointOnStop: false, checkpointJournalBytes: 256 << 10))
        {
            engine.Start();
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            engine.Stop();
            digest = engine.StateDigest();
            var checkpoint = engine.Durability!.LastCheckpoint;
            Assert.NotNull(checkpoint);
            // The newest checkpoint is no further back than the limit (and a batch) from the journal's end, and older
            // journal is dropped with the checkpoints it served.
            Assert.True(engine.Durability.Journal.TailAddress - checkpoint.ReplayFrom < (256 << 10) + (4 << 20));
            Assert.True(engine.Durability.Journal.BeginAddress > 0);
        }

        await using var recovered = Engine(Firm(), checkpointOnStop: false);
        recovered.Start();
        recovered.Stop();
        Assert.NotNull(recovered.Durability!.Recovery!.Checkpoint);
        Assert.Equal(digest, recovered.StateDigest());
    }

    [Fact]
    public async Task Evaluation_time_past_the_replay_budget_brings_a_checkpoint_so_a_recovery_replays_little()
    {
        string digest;
        long batches;
        await using (var engine = Engine(Firm(), checkpointOnStop: false, checkpointReplayBudget: TimeSpan.FromTicks(1)))
        {
            engine.Start();
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            engine.Stop();
            digest = engine.StateDigest();
            batches = engine.Evaluation.Sequence;
            // Every batch spends more than a tick deciding, so each one that finds no checkpoint being written cuts one.
            // Nothing else could: no interval, no journal size, none after the opening or at the stop. How far from the
            // end the newest lies depends on how long the disk takes to write one, so only that there is one is asserted.
            Assert.NotNull(engine.Durability!.LastCheckpoint);
            Assert.True(engine.Durability.LastCheckpoint.Sequence >= 1, $"newest checkpoint at batch {engine.Durability.LastCheckpoint.Sequence} of {batches}");
        }

        await using var recovered = Engine(Firm(), checkpointOnStop: false);
        recovered.Start();
        recovered.Stop();
        Assert.True(recovered.Durability!.Recovery!.BatchesReplayed < batches, $"replayed {recovered.Durability.Recovery.BatchesReplayed} of {batches}");
        Assert.Equal(digest, recovered.StateDigest());
    }

    [Fact]
    public async Task Plans_held_for_approval_come_back_from_a_checkpoint_exactly_with_their_trades_and_reasons()
    {
        string held;
        await using (var engine = Engine(Firm(), checkpointOnStop: true))
        {
            engine.Start();
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            engine.Stop();
            // The generated firm holds illiquid funds, so the opening leaves plans waiting for an operator.
            Assert.NotEmpty(engine.Evaluation.PendingApprovals());
            held = System.Text.Json.JsonSerializer.Serialize(engine.Evaluation.PendingApprovals());
        }

        await using var recovered = Engine(Firm(), checkpointOnStop: false);
        recovered.Start();
        recovered.Stop();
        Assert.Equal(0, recovered.Durability!.Recovery!.BatchesReplayed);
        Assert.Equal(held, System.Text.Json.JsonSerializer.Serialize(recovered.Evaluation.PendingApprovals()));
    }

    [Fact]
    public async Task A_paced_feed_resumes_at_once_after_a_restart_and_its_market_clock_goes_on_from_the_journal()
    {
        var opening = new DateTimeOffset(2020, 2, 3, 14, 30, 0, TimeSpan.Zero);
        EngineHost Paced(GeneratedFirm firm, double ticksPerSecond, List<long> stamps) =>
            new(firm.Book, new StampedFeed(new RandomWalkFeed(firm.Book.Prices, 3, 5, ticksPerSecond, meanReversion: 0.01, marketStart: opening), stamps), new BlotterFileSink(Path.Combine(folder, "blotter.csv")), new EngineOptions
            {
                Slicing = new SlicingPolicy { Interval = TimeSpan.Zero },
                Verification = new VerificationPolicy { MinSources = 2, DefaultStaleness = TimeSpan.FromMinutes(5) },
                Durability = new DurabilityOptions { Directory = Path.Combine(folder, "state"), CheckpointInterval = Timeout.InfiniteTimeSpan, CheckpointOnStop = false, CheckpointJournalBytes = 0, CheckpointReplayBudget = TimeSpan.Zero, CheckpointAfterOpening = false },
            });
        long ticks;
        var first = new List<long>();
        await using (var engine = Paced(Firm(), 20_000, first))
        {
            engine.Start();
            Assert.True(SpinWait.SpinUntil(() => engine.Status().TicksRead > 30_000, TimeSpan.FromSeconds(30)));
            // The market clock runs with the wall clock: make it move past the opening before stopping.
            Thread.Sleep(1500);
            engine.Stop();
            ticks = engine.Status().TicksRead;
        }
        var lastStamp = first.Max();

        // At 50 ticks a second, reading past the journal's ticks would take ten minutes or more.
        var second = new List<long>();
        await using var recovered = Paced(Firm(), 50, second);
        var started = System.Diagnostics.Stopwatch.StartNew();
        recovered.Start();
        Assert.True(SpinWait.SpinUntil(() => recovered.Status().TicksRead > ticks, TimeSpan.FromSeconds(20)), $"the feed read {recovered.Status().TicksRead} of {ticks} ticks");
        recovered.Stop();

        Assert.True(recovered.Durability!.Recovery!.BatchesReplayed > 0);
        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        // Only the ticks after the journal reached the engine's feed reader, stamped from where the market had got to.
        Assert.NotEmpty(second);
        Assert.True(second.Min() >= lastStamp, $"a resumed tick is stamped {new DateTime(second.Min(), DateTimeKind.Utc):O}, before the last journaled one {new DateTime(lastStamp, DateTimeKind.Utc):O}");
    }

    /// <summary>Keeps the market time of every tick the engine reads, passing the skip through.</summary>
    private sealed class StampedFeed(RandomWalkFeed inner, List<long> stamps) : IPriceFeed, IResumableFeed
    {
        public string Name => inner.Name;

        public int SourceCount => inner.SourceCount;

        public bool IsCompleted => inner.IsCompleted;

        public long Now => inner.Now;

        public long SkipTo(long ticks, long marketNow) => inner.SkipTo(ticks, marketNow);

        public int Read(Span<SourceTick> destination)
        {
            var read = inner.Read(destination);
            foreach (var tick in destination[..read])
            {
                stamps.Add(tick.Timestamp);
            }
            return read;
        }
    }
}
