using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Tests.Audit;

namespace FastRebal.Engine.Tests.Pipeline;

public sealed class AuditWriterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static Decision DecisionOf(string account, int trades) => new(
        account, DecisionAction.Rebalance, DecisionRule.BandBreach, "band breach: SPY 66.0% outside 60.0% ± 5.0%", 100_000.25, 0.06, 0.1, 0.12,
        BandType.Absolute, 0.05, "IPS-" + account, 3, trades, [PlanWarning.InWords("lot sizes rounded")]);

    private static Trade TradeOf(string account, string instrument, decimal quantity) =>
        new(account, instrument, TradeSide.Sell, quantity, 500.125m, "SPY 66.0% -> 60.0%, target 60.0%");

    private static (IReadOnlyList<AuditInputSnapshot> Inputs, State.AccountBook Book) Book()
    {
        var book = new TestBook().Instrument("SPY", 500).Instrument("AGG", 100).Model("M", ("SPY", 0.6), ("AGG", 0.4))
            .Account("A1", "M", 1000m, null, null, ("SPY", 10m)).Account("A2", "M", 2000m, null, null, ("AGG", 30m)).Load().Book;
        return ([AuditInputs.Capture(book, 0, TestBook.AsOf, 0), AuditInputs.Capture(book, 1, TestBook.AsOf, 250m)], book);
    }

    [Fact]
    public void Records_keep_the_order_and_content_of_entries_built_one_by_one_on_the_stage()
    {
        var (inputs, book) = Book();
        var store = new MemoryAuditStore();
        // A chunk of 3 splits the batches' records over several hand-overs.
        var writer = new AuditWriter(new AuditChain(store), capacity: 6, chunkSize: 3);
        var expected = new List<AuditEntry>();
        static AuditEntry InBatch(AuditEntry e, long batch) => e with { Figures = [.. e.Figures, new AuditFigure(AuditWriter.BatchFigure, batch.ToString(System.Globalization.CultureInfo.InvariantCulture))] };

        var command = AuditEntries.OperatorAction("EditPolicy", "admin", "wider band", "policy edited");
        writer.Add(command);
        expected.Add(command);
        for (var batch = 1L; batch <= 3; batch++)
        {
            writer.StartBatch(batch);
            for (var a = 0; a < 2; a++)
            {
                var account = book.AccountId(a);
                var decision = DecisionOf(account, 2);
                var trades = new[] { TradeOf(account, "SPY", 1.5m * batch), TradeOf(account, "AGG", 2m) };
                foreach (var trade in trades)
                {
                    writer.AddTrade(book.HouseholdId(a), decision, trade, inputs[a]);
                    expected.Add(InBatch(AuditEntries.Trade(book, a, decision, trade, AuditInputs.Hash(book, a, TestBook.AsOf, a == 0 ? 0 : 250m)), batch));
                }
                var released = decision with { Reason = decision.Reason + "; released" };
                writer.AddDecision(book.HouseholdId(a), released, inputs[a]);
                expected.Add(InBatch(AuditEntries.Decision(book, a, released, inputs[a].Hash), batch));
            }
            var refused = AuditEntries.RiskRejection(book.AccountId(1), book.HouseholdId(1), book.Policy(1), "PlanRefused", "held", [new("trades", "2")]);
            writer.Add(refused, inputs[1]);
            expected.Add(InBatch(refused with { InputHash = inputs[1].Hash }, batch));
            writer.EndBatch();
        }
        writer.Complete();

        Assert.Equal(expected.Count, store.Records.Count);
        Assert.Equal(expected.Select(Text), store.Records.Select(r => Text(r.Entry)));
        Assert.True(AuditVerifier.Verify(store.Records).Intact);
        Assert.Equal(expected.Count, writer.Written);
    }

    private static string Text(AuditEntry e) =>
        $"{e.Kind}|{e.AccountId}|{e.HouseholdId}|{e.PolicyId}|{e.PolicyVersion}|{e.Rule}|{e.Explanation}|{e.Actor}|{e.ActorReason}|{e.InputHash}|{string.Join(";", e.Figures.Select(f => $"{f.Name}={f.Value}"))}";

    [Fact]
    public void A_batch_end_hands_its_records_to_the_chain_without_waiting_for_a_full_chunk()
    {
        var store = new MemoryAuditStore();
        var chain = new AuditChain(store);
        var writer = new AuditWriter(chain, chunkSize: 1000);
        writer.StartBatch(1);
        writer.Add(AuditTestData.Decision());
        writer.Add(AuditTestData.Trade());
        writer.EndBatch();

        Assert.True(SpinWait.SpinUntil(() => chain.LastSequence == 2, Patience), "the batch's two records never reached the chain");
        writer.Complete();
    }

    [Fact]
    public async Task Waiting_for_the_trail_puts_every_record_added_so_far_in_the_chain_even_mid_batch()
    {
        var store = new MemoryAuditStore();
        var chain = new AuditChain(store);
        var writer = new AuditWriter(chain, chunkSize: 1000);
        writer.StartBatch(1);
        for (var i = 0; i < 5; i++)
        {
            writer.Add(AuditTestData.Trade("ACC-" + i));
        }

        // A checkpoint waits for the trail on the stage's thread; it must never be ahead of what the chain holds.
        await Task.Run(writer.WaitUntilWritten).WaitAsync(Patience);

        Assert.Equal(5, chain.LastSequence);
        writer.Complete();
    }

    [Fact]
    public async Task The_stage_waits_for_room_when_the_chain_is_behind_and_loses_nothing()
    {
        var store = new GatedStore();
        var writer = new AuditWriter(new AuditChain(store), capacity: 4, chunkSize: 2);
        var adding = Task.Run(() =>
        {
            writer.StartBatch(1);
            for (var i = 0; i < 20; i++)
            {
                writer.Add(AuditTestData.Trade("ACC-" + i));
            }
            writer.EndBatch();
        });

        Assert.True(store.Entered.Wait(Patience), "the writer never reached the store");
        // The store holds its first chunk: the stage may fill the room behind it (the capacity less that chunk, being
        // prepared or prepared) and hold one chunk of its own, no more.
        await Task.WhenAny(adding, Task.Delay(300));
        Assert.False(adding.IsCompleted);
        Assert.InRange(writer.Added, 4, 2 + (4 - 2) + 2);
        store.Open.Set();
        await adding.WaitAsync(Patience);
        writer.Complete();

        Assert.Equal(Enumerable.Range(0, 20).Select(i => "ACC-" + i), store.Records.Select(r => r.Entry.AccountId));
        Assert.True(AuditVerifier.Verify(store.Records).Intact);
    }

    [Fact]
    public void A_chain_that_cannot_write_stops_the_stage_instead_of_letting_it_run_on()
    {
        var writer = new AuditWriter(new AuditChain(new FailingStore()), capacity: 4, chunkSize: 2);
        writer.StartBatch(1);

        var failure = Record.Exception(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                writer.Add(AuditTestData.Trade("ACC-" + i));
            }
            writer.WaitUntilWritten();
        });

        Assert.NotNull(failure);
        Assert.Contains("disk full", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Resuming_drops_the_records_the_chain_already_holds_and_keeps_the_rest()
    {
        var store = new MemoryAuditStore();
        var writer = new AuditWriter(new AuditChain(store), chunkSize: 2);
        writer.ResumeAfter(lastBatch: 2, recordsOfLastBatch: 1);
        for (var batch = 1L; batch <= 3; batch++)
        {
            writer.StartBatch(batch);
            writer.Add(AuditTestData.Decision($"B{batch}-1"));
            writer.Add(AuditTestData.Decision($"B{batch}-2"));
            writer.EndBatch();
        }
        writer.Complete();

        Assert.Equal(["B2-2", "B3-1", "B3-2"], store.Records.Select(r => r.Entry.AccountId));
    }

    /// <summary>A store whose appends wait until the test opens it.</summary>
    private sealed class GatedStore : IAuditStore
    {
        private readonly MemoryAuditStore inner = new();

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Open { get; } = new();

        public IReadOnlyList<AuditRecord> Records => inner.Records;

        public AuditRecord? Last => inner.Last;

        public void Append(AuditRecord record)
        {
            Entered.Set();
            Open.Wait();
            inner.Append(record);
        }

        public void Flush(bool durable)
        {
        }

        public IReadOnlyList<AuditRecord> ReadAll() => inner.ReadAll();

        public AuditVerification Verify() => inner.Verify();

        public void Dispose()
        {
        }
    }

    private sealed class FailingStore : IAuditStore
    {
        public AuditRecord? Last => null;

        public void Append(AuditRecord record) => throw new IOException("disk full");

        public void Flush(bool durable)
        {
        }

        public IReadOnlyList<AuditRecord> ReadAll() => [];

        public AuditVerification Verify() => AuditVerifier.Verify(Array.Empty<AuditRecord>());

        public void Dispose()
        {
        }
    }
}
