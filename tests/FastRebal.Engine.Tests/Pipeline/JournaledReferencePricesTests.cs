using System.Collections.Concurrent;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>
/// The risk gate checks a batch's plans against the verifier as it stood where the batch was journaled: a price the
/// ingest thread verifies while the batch is being decided waits for the next batch, as it does in a replay. (Read
/// live, a freeze that landed mid-batch refused the batch's later plans, and a recovery released them: the crash tests
/// with a firm's venue found the two engines trading differently.)
/// </summary>
public class JournaledReferencePricesTests
{
    private static readonly long Open = new DateTime(2025, 6, 30, 15, 0, 0, DateTimeKind.Utc).Ticks;

    /// <summary>Publishes the trades; at the first, the "ingest" verifies a jump in A (the verifier freezes A).</summary>
    private sealed class VerifyingMidBatch(PriceVerifier verifier, int instrument) : IOrderPublisher
    {
        public List<int> AccountsReleased { get; } = [];

        public void Publish(in OrderEvent order)
        {
            if (order.Kind != OrderEventKind.Trade || AccountsReleased.Contains(order.Account))
            {
                return;
            }
            AccountsReleased.Add(order.Account);
            if (AccountsReleased.Count == 1)
            {
                verifier.Offer(new SourceTick(instrument, 0, 30, Open + TimeSpan.TicksPerSecond));
            }
        }
    }

    [Fact]
    public void A_price_verified_while_a_batch_is_decided_reaches_the_risk_gate_with_the_next_batch()
    {
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5))
            .Account("X", "AB", 0, positions: [("A", 300), ("B", 10)])
            .Account("Y", "AB", 0, positions: [("A", 300), ("B", 10)])
            .Load().Book;
        var verifier = new PriceVerifier(book.Instruments, sources: 1, new VerificationPolicy { MinSources = 1 });
        for (var i = 0; i < book.Instruments.Count; i++)
        {
            verifier.Seed(i, book.Prices[i], Open);
        }
        var reference = new JournaledReferencePrices(verifier);
        var risk = new RiskGate(book.AccountCount, book.Models.Count, book.Instruments, new PreTradeLimits(), new KillSwitch(new InMemoryKillSwitchStore()), reference);
        var a = book.Instruments.IndexOf("A");
        var publisher = new VerifyingMidBatch(verifier, a);
        var stage = new EvaluationStage(book, new ControlPlane(), new ConcurrentQueue<AccountFill>(), new RiskPlanGate(risk, referenceIndex: -1), publisher, new LatencyRecorder("test"))
        {
            ReferencePrices = reference,
        };

        // The opening decides both accounts out of band; A's jump is verified (and frozen) after X's plan went out.
        stage.Open(Open);

        Assert.True(verifier.IsFrozen(a), "the jump should freeze A at the verifier");
        Assert.Equal([0, 1], publisher.AccountsReleased);
        Assert.Equal(0, stage.Counters.HeldByRisk);
        Assert.False(reference.IsFrozen(a));
        Assert.Equal(10, reference.VerifiedPrice(a));

        // The next batch is checked against the verifier as it stands now.
        stage.Add(new PriceEvent { Instrument = -1, MarketTime = Open + (2 * TimeSpan.TicksPerSecond) });
        stage.EndBatch();
        Assert.True(reference.IsFrozen(a));
    }

    [Fact]
    public void The_reference_prices_change_only_when_taken()
    {
        var book = new TestBook().Instrument("A", 10).Model("A", ("A", 1.0)).Account("X", "A", 0, positions: [("A", 10)]).Load().Book;
        var verifier = new PriceVerifier(book.Instruments, sources: 1, new VerificationPolicy { MinSources = 1 });
        verifier.Seed(0, 10, Open);
        var reference = new JournaledReferencePrices(verifier);

        verifier.Offer(new SourceTick(0, 0, 10.1, Open + TimeSpan.TicksPerSecond));
        Assert.Equal(10.1, verifier.VerifiedPrices[0]);
        Assert.Equal(10, reference.VerifiedPrice(0));

        reference.Take();
        Assert.Equal(10.1, reference.VerifiedPrice(0));
    }
}
