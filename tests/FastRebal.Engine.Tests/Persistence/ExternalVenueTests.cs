using System.Collections.Concurrent;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Orders.Execution;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Simulation;

namespace FastRebal.Engine.Tests.Persistence;

/// <summary>
/// A firm's own venue behind the execution seam: its reports come back on another thread, whenever the venue sends
/// them; the durable engine journals them with the batch that applies them, so a restart ends on the same state.
/// </summary>
public sealed class ExternalVenueTests : IDisposable
{
    private static readonly MarketHistory History = FirmGenerator.LoadHistory(5);
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-venue-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>The gateway's outbound side: the orders the engine sent, for the venue thread to answer.</summary>
    private sealed class Gateway : IOrderSink
    {
        public ConcurrentQueue<ChildOrder> Sent { get; } = new();

        public void Send(ChildOrder order) => Sent.Enqueue(order);

        public void Cancel(string orderId, string reason)
        {
        }
    }

    private static GeneratedFirm Firm() => FirmGenerator.Generate(new FirmSpec(1200, 20, 5, AsOf: new DateOnly(2020, 1, 31)), History);

    /// <remarks>
    /// The replay is paced at three days a second (about fourteen seconds): once a feed has ended no batch carries a
    /// venue's reports in, and a full test run on two cores held the venue's first answers past a seven-second replay.
    /// </remarks>
    private EngineHost Engine(GeneratedFirm firm, IOrderSink gateway) =>
        new(firm.Book, new ReplayFeed(firm.Book.Instruments, firm.History, firm.AsOf, new DateOnly(2020, 3, 31), sources: 3, daysPerSecond: 3, noiseBps: 0), gateway, new EngineOptions
        {
            ExternalVenue = true,
            Slicing = new SlicingPolicy { Interval = TimeSpan.Zero },
            Durability = new DurabilityOptions { Directory = Path.Combine(folder, "state"), CheckpointInterval = Timeout.InfiniteTimeSpan, CheckpointOnStop = false, CheckpointAfterOpening = false, CheckpointJournalBytes = 0, CheckpointReplayBudget = TimeSpan.Zero },
        });

    /// <summary>
    /// The venue: every fifth order refused; the others acknowledged, 60% filled (that fill delivered twice) and the
    /// rest expired. Runs until told to stop, on a thread of its own (a firm's gateway has one; on the thread pool, a
    /// busy test run could hold its answers back until the feed had ended); returns how many orders it answered.
    /// </summary>
    private static Task<int> Venue(Gateway gateway, ExecutionReports reports, CancellationToken stop) =>
        Task.Factory.StartNew(() => Answer(gateway, reports, stop), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static int Answer(Gateway gateway, ExecutionReports reports, CancellationToken stop)
    {
        var answered = 0;
        while (!stop.IsCancellationRequested)
        {
            while (gateway.Sent.TryDequeue(out var order))
            {
                if (answered++ % 5 == 4)
                {
                    reports.Report(ExecutionReport.Reject(order.Id, "outside the price band"));
                    continue;
                }
                reports.Report(ExecutionReport.Ack(order.Id));
                var traded = decimal.Floor(order.Quantity * 0.6m);
                if (traded > 0)
                {
                    var fill = ExecutionReport.Filled(order.Id, "V-" + order.Id, traded, order.LimitPrice);
                    reports.Report(fill);
                    reports.Report(fill);
                }
                reports.Report(ExecutionReport.Expire(order.Id));
            }
            Thread.Sleep(2);
        }
        return answered;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reports_from_a_firms_venue_move_the_book_and_a_restart_replays_them_to_the_same_state(bool checkpointMidway)
    {
        string digest;
        IReadOnlyList<ChildOrder> open;
        await using (var engine = Engine(Firm(), new Gateway()))
        {
            var gateway = (Gateway)engine.Sink;
            engine.Start();
            // The opening's orders are out, and with no venue answering nothing has filled.
            await Waiting.Until(() => !gateway.Sent.IsEmpty, "the first orders");
            await Task.Delay(200);
            Assert.Equal(0, engine.Evaluation.Counters.FillsApplied);
            Assert.Equal(0, engine.Orders.Counters.Fills);

            using var stop = new CancellationTokenSource();
            var venue = Venue(gateway, engine.Executions, stop.Token);
            // The feed paces the batches that carry the reports in: the first fills reach the book while it runs.
            await Waiting.Until(() => engine.Evaluation.Counters.FillsApplied > 0, "the first fills in the book");
            if (checkpointMidway)
            {
                await engine.CheckpointAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            var answered = await venue;
            engine.Stop();

            var counters = engine.Orders.Counters;
            Assert.True(answered > 50, $"the venue answered {answered} orders");
            Assert.True(counters.Fills > 0 && counters.Rejected > 0 && counters.Expired > 0, $"fills {counters.Fills}, rejected {counters.Rejected}, expired {counters.Expired}");
            Assert.True(counters.ReportsIgnored > 0, "every fill was delivered twice; the second must be ignored");
            Assert.True(engine.Evaluation.Counters.FillsApplied > 0);
            digest = engine.StateDigest();
            open = engine.Orders.OpenOrders();
        }

        await using var recovered = Engine(Firm(), new Gateway());
        await recovered.CheckpointAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(checkpointMidway, recovered.Durability!.Recovery!.Checkpoint is not null);
        Assert.Equal(digest, recovered.StateDigest());
        Assert.Equal(open, recovered.Orders.OpenOrders());
    }
}
