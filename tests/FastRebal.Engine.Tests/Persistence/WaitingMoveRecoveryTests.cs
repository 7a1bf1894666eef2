using FastRebal.Engine.Ingestion;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Persistence;

/// <summary>
/// A move to another IPS that waits for the account's trades in flight is journaled with its batch: an engine
/// restarted from the journal alone ends with the same state, the move still waiting.
/// </summary>
public sealed class WaitingMoveRecoveryTests : IDisposable
{
    private static readonly MarketHistory History = FirmGenerator.LoadHistory(5);
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-waiting-move-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>A firm's venue that never answers: every trade sent stays in flight.</summary>
    private sealed class SilentGateway : IOrderSink
    {
        public int Sent;

        public void Send(ChildOrder order) => Interlocked.Increment(ref Sent);

        public void Cancel(string orderId, string reason)
        {
        }
    }

    private EngineHost Engine()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(600, 20, 5, AsOf: new DateOnly(2020, 1, 31)), History);
        return new(firm.Book, new ReplayFeed(firm.Book.Instruments, firm.History, firm.AsOf, new DateOnly(2020, 2, 28), sources: 3, daysPerSecond: 20, noiseBps: 0),
            new SilentGateway(), new EngineOptions
            {
                ExternalVenue = true,
                Slicing = new SlicingPolicy { Interval = TimeSpan.Zero },
                Durability = new DurabilityOptions { Directory = Path.Combine(folder, "state"), CheckpointInterval = Timeout.InfiniteTimeSpan, CheckpointOnStop = false, CheckpointAfterOpening = false, CheckpointJournalBytes = 0, CheckpointReplayBudget = TimeSpan.Zero },
            });
    }

    /// <summary>The evaluation stage's state and its per-account chunks (call between batches, or on a stopped engine).</summary>
    private static (EvaluationImage Image, FastRebal.Engine.Persistence.AccountChunk[] Chunks) Capture(EngineHost engine)
    {
        var chunks = FastRebal.Engine.Persistence.BookState.Capture(engine.Book, new EngineImage());
        return (engine.Evaluation.Capture(chunks), chunks);
    }

    [Fact]
    public async Task A_move_waiting_for_trades_in_flight_survives_a_restart_from_the_journal()
    {
        string digest, account;
        await using (var engine = Engine())
        {
            engine.Start();
            await Waiting.Until(() => ((SilentGateway)engine.Sink).Sent > 0, "the opening's orders");
            var (_, chunks) = await engine.Evaluation.ReadBetweenBatches(() => Capture(engine)).WaitAsync(TimeSpan.FromSeconds(30));
            var a = chunks.SelectMany(c => Enumerable.Range(c.First, c.Count).Where(i => c.OpenTrades[i - c.First] > 0)).First();
            account = engine.Book.AccountId(a);
            var policy = engine.Book.Policy(a);
            var target = new NamedPolicy(policy with { Id = "IPS-MOVED", Version = 1 }, new TaxPolicyInput(null, LotMethod.Fifo, null, null, null, null, null, null, null));

            var answer = await engine.Control.Send(new MoveToPolicy("ops", "client asked", account, target)).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.True(answer.Applied, answer.Detail);
            Assert.Equal($"{account} has trades in flight: it moves to policy 'IPS-MOVED' once they are done, and trades nothing new meanwhile", answer.Detail);
            await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
            engine.Stop();
            Assert.Equal([account], Capture(engine).Image.WaitingMoves.Select(m => m.AccountId));
            Assert.Equal(policy.Id, engine.Book.Policy(a).Id);
            digest = engine.StateDigest();
        }

        await using var recovered = Engine();
        await recovered.CheckpointAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Null(recovered.Durability!.Recovery!.Checkpoint);
        Assert.Equal(digest, recovered.StateDigest());
        Assert.Equal([account], Capture(recovered).Image.WaitingMoves.Select(m => m.AccountId));
    }
}
