using FastRebal.Engine.Audit;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Model;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using FastRebal.Engine.Simulation;

namespace FastRebal.Engine.Tests.Pipeline;

public class EngineHostTests
{
    private static readonly MarketHistory History = FirmGenerator.LoadHistory(5);

    [Theory]
    [InlineData(FirmShape.Uniform)]
    [InlineData(FirmShape.Realistic)]
    public async Task A_replay_runs_to_the_end_applies_the_last_closes_and_sends_orders_for_the_accounts_it_pushes_out_of_band(FirmShape shape)
    {
        var firm = FirmGenerator.Generate(new FirmSpec(1500, 20, 5, AsOf: new DateOnly(2020, 1, 31), Shape: shape), History);
        var feed = new ReplayFeed(firm.Book.Instruments, firm.History, firm.AsOf, new DateOnly(2020, 4, 30), sources: 3, noiseBps: 0);
        var sink = new InMemoryOrderSink();
        await using var engine = new EngineHost(firm.Book, feed, sink, new EngineOptions { Slicing = new SlicingPolicy { Interval = TimeSpan.Zero } });

        engine.Start();
        await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var status = engine.Status();
        engine.Stop();

        // Spring 2020 moved markets far enough to push accounts out of band.
        Assert.True(status.FeedCompleted);
        Assert.Null(status.Fault);
        Assert.True(status.Decisions > 0);
        Assert.True(sink.Sent > 0);
        Assert.Equal(new DateOnly(2020, 4, 30), status.MarketDay);
        var spy = firm.Book.Instruments.IndexOf("SPY");
        Assert.Equal(firm.History["SPY"].On(new DateOnly(2020, 4, 30)), firm.Book.Prices[spy], 6);
        var last = firm.Book.Instruments.All.Count - 3;
        Assert.Equal(firm.History[firm.Book.Instruments[last].Symbol].On(new DateOnly(2020, 4, 30)), firm.Book.Prices[last], 6);
        Assert.True(firm.Book.Cash.ToArray().All(c => c >= 0));
    }

    [Fact]
    public async Task Engaging_the_kill_switch_drops_the_order_rate_to_zero_and_cancels_what_was_scheduled()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(3000, 20, 9), History);
        var feed = new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 9, ticksPerSecond: 20_000, stepVolatility: 0.004);
        var sink = new KillSwitchWatchingSink();
        await using var engine = new EngineHost(firm.Book, feed, sink, new EngineOptions
        {
            Slicing = new SlicingPolicy { Interval = TimeSpan.FromMilliseconds(5), MaxChildNotional = 20_000m },
            Verification = new VerificationPolicy { DefaultStaleness = TimeSpan.FromMinutes(5) },
        });
        engine.Start();
        await Waiting.Until(() => sink.Sent > 20, "orders to flow", seconds: 20);

        sink.Watch(engine.KillSwitch);
        engine.KillSwitch.Engage("ops", "test", 0, DateTimeOffset.UtcNow);
        // The order stage may be busy with a batch when the switch is thrown; it reads the switch before every child.
        await Waiting.Until(() => engine.Status().OrderRingBacklog == 0 && engine.Orders.Pending == 0, "the order stage to cancel what was scheduled", seconds: 20);
        var sentAtStop = sink.Sent;
        await Task.Delay(300);

        Assert.Null(engine.Status().Fault);
        // At most the one child already past its check when the switch was thrown on another thread.
        Assert.InRange(sink.SentWhileEngaged, 0, 1);
        Assert.Equal(sentAtStop, sink.Sent);
        Assert.Equal(0, engine.Orders.Pending);
        Assert.True(sink.Cancelled > 0);
    }

    [Theory]
    [InlineData(FirmShape.Uniform)]
    [InlineData(FirmShape.Realistic)]
    public async Task A_busy_feed_rolls_its_passes_and_stopping_finishes_the_one_under_way(FirmShape shape)
    {
        // More accounts than one rolling slice, and quotes fast enough that every batch counts as busy.
        var firm = FirmGenerator.Generate(new FirmSpec(EvaluationStage.RollingSlice + 4000, 20, 11, Shape: shape), History);
        var feed = new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 11, ticksPerSecond: 200_000);
        var engine = new EngineHost(firm.Book, feed, new InMemoryOrderSink(), new EngineOptions
        {
            Verification = new VerificationPolicy { DefaultStaleness = TimeSpan.FromMinutes(5) },
        });
        engine.Start();
        var sawPassUnderWay = false;
        await Waiting.Until(() => (sawPassUnderWay |= engine.Evaluation.PassUnderWay) && engine.Status().Batches > 50, "batches that end with a pass under way", seconds: 20);

        engine.Stop();

        Assert.Null(engine.Status().Fault);
        Assert.False(engine.Evaluation.PassUnderWay);
        // Every account's figures were computed from the prices the book ended with: a fresh sweep agrees.
        var fresh = new DriftReport(firm.Book);
        firm.Book.RefreshMarks();
        DriftSweep.Run(firm.Book, fresh, parallel: false);
        Assert.Equal(fresh.TotalValue, engine.Evaluation.Drift.TotalValue);
        await engine.DisposeAsync();
    }

    [Fact]
    public async Task A_policy_change_sent_through_the_control_plane_shows_up_in_the_accounts_next_decision()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(500, 20, 3), History);
        var feed = new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 3, ticksPerSecond: 1000);
        await using var engine = new EngineHost(firm.Book, feed, new InMemoryOrderSink(), new EngineOptions
        {
            Verification = new VerificationPolicy { DefaultStaleness = TimeSpan.FromMinutes(5) },
        });
        engine.Start();
        var account = firm.Book.AccountId(0);
        var before = firm.Book.Policy(0).Version;

        var result = await engine.Control.Send(new EditPolicy("admin", "client asked for a wider band", account, null, p => p with { BandWidth = 0.2 })).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Applied, result.Detail);
        Assert.Equal(0.2, firm.Book.BandWidths[0]);
        Assert.Equal(before + 1, firm.Book.Policy(0).Version);
    }

    [Fact]
    public async Task Commands_sent_after_the_engine_stopped_are_refused_not_lost()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(100, 10, 1), History);
        var engine = new EngineHost(firm.Book, new RandomWalkFeed(firm.Book.Prices, 3, 1, 100), new InMemoryOrderSink());
        engine.Start();
        await engine.DisposeAsync();

        var result = await engine.Control.Send(new SweepAll("ops", "after stop"));

        Assert.False(result.Applied);
    }

    /// <summary>Counts orders that reached the sink while the kill switch was engaged.</summary>
    private sealed class KillSwitchWatchingSink : IOrderSink
    {
        private KillSwitch? watched;
        private long sent;
        private long cancelled;
        private long sentWhileEngaged;

        public long Sent => Interlocked.Read(ref sent);

        public long Cancelled => Interlocked.Read(ref cancelled);

        public long SentWhileEngaged => Interlocked.Read(ref sentWhileEngaged);

        public void Watch(KillSwitch killSwitch) => Volatile.Write(ref watched, killSwitch);

        public void Send(ChildOrder order)
        {
            Interlocked.Increment(ref sent);
            if (Volatile.Read(ref watched)?.IsEngaged == true)
            {
                Interlocked.Increment(ref sentWhileEngaged);
            }
        }

        public void Cancel(string orderId, string reason) => Interlocked.Increment(ref cancelled);
    }

    [Fact]
    public async Task The_embedding_example_in_the_readme_runs_as_written()
    {
        var folder = Directory.CreateTempSubdirectory("fastrebal-embed").FullName;
        var firm = FirmGenerator.Generate(new FirmSpec(2_000), History);
        var feed = new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 1);
        await using (var engine = new EngineHost(firm.Book, feed, new BlotterFileSink(Path.Combine(folder, "blotter.csv")),
            new EngineOptions { KillSwitchPath = Path.Combine(folder, "killswitch.json") }))
        {
            engine.Start();
            var applied = await engine.Control.Send(new ApplyCashFlow("ops", "client deposit", new CashFlow("A0000042", CashFlowKind.Deposit, 10_000m)));
            engine.KillSwitch.Engage("ops", "venue outage", 0, DateTimeOffset.UtcNow);
            var status = engine.Status();

            Assert.True(applied.Applied, applied.Detail);
            Assert.True(status.KillSwitch.Engaged);
            Assert.Equal("venue outage", status.KillSwitch.Why);
        }

        // The switch's state outlives the engine: a new one on the same file starts engaged. That engine kept no
        // audit trail; one that does records the state it starts in, since its trail has no record of it.
        var store = new MemoryAuditStore();
        await using var restarted = new EngineHost(firm.Book, feed, new InMemoryOrderSink(), new EngineOptions { KillSwitchPath = Path.Combine(folder, "killswitch.json"), Audit = new AuditChain(store) });
        Assert.True(restarted.KillSwitch.IsEngaged);
        Assert.True(File.Exists(Path.Combine(folder, "blotter.csv")));
        restarted.Start();
        restarted.Stop();
        Assert.Contains(store.Records, r => r.Entry is { Kind: AuditKind.OperatorAction, Rule: "KillSwitchEngaged", Actor: "ops", ActorReason: "venue outage" });
    }

    [Fact]
    public async Task The_running_engine_audits_its_decisions_trades_operator_commands_and_kill_switch_in_an_intact_chain()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(1500, 20, 5, AsOf: new DateOnly(2020, 1, 31)), History);
        var feed = new ReplayFeed(firm.Book.Instruments, firm.History, firm.AsOf, new DateOnly(2020, 3, 31), sources: 3, noiseBps: 0);
        var store = new MemoryAuditStore();
        await using var engine = new EngineHost(firm.Book, feed, new InMemoryOrderSink(), new EngineOptions
        {
            Slicing = new SlicingPolicy { Interval = TimeSpan.Zero },
            Audit = new AuditChain(store),
        });

        engine.Start();
        var edit = await engine.Control.Send(new EditPolicy("admin", "client asked for a wider band", firm.Book.AccountId(0), null, p => p with { BandWidth = 0.2 }));
        await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
        engine.KillSwitch.Engage("ops", "end of test", 0, DateTimeOffset.UtcNow);
        var status = engine.Status();
        engine.Stop();

        Assert.True(edit.Applied, edit.Detail);
        var records = store.Records;
        Assert.True(store.Verify().Intact, store.Verify().Message);
        // Every decision the stage counted is in the trail, and every released trade.
        Assert.Equal(status.Decisions, records.Count(r => r.Entry.Kind == AuditKind.Decision));
        Assert.Equal(status.TradesReleased, records.Count(r => r.Entry.Kind == AuditKind.Trade));
        var trade = records.First(r => r.Entry.Kind == AuditKind.Trade).Entry;
        var account = firm.Book.FindAccount(trade.AccountId);
        Assert.Equal(firm.Book.Policy(account).Id, trade.PolicyId);
        Assert.Matches("^[0-9a-f]{64}$", trade.InputHash);
        Assert.Contains(records, r => r.Entry is { Kind: AuditKind.OperatorAction, Rule: nameof(EditPolicy), Actor: "admin", ActorReason: "client asked for a wider band" });
        Assert.Contains(records, r => r.Entry is { Kind: AuditKind.OperatorAction, Rule: "KillSwitchEngaged", Actor: "ops", ActorReason: "end of test" });
    }
}
