using System.Collections.Concurrent;
using CsCheck;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>
/// Lots in the live book: the struct-of-arrays <see cref="LotTable"/> moves exactly as the one-shot <see cref="LotBook"/>
/// does, and the evaluation stage decides and fills a taxable book as the one-shot tax-aware run does.
/// </summary>
public class LiveLotsTests
{
    private static readonly DateOnly AsOf = new(2025, 9, 26);

    private static readonly LotMethod[] AllMethods = Enum.GetValues<LotMethod>();

    private static void AssertSameLots(IEnumerable<TaxLot> expected, IEnumerable<TaxLot> actual, string where)
    {
        static string Text(TaxLot l) => $"{l.Id} {l.InstrumentId} {l.Acquired} {l.HoldingPeriodStart} {l.Quantity} {l.CostBasis} {l.WashSaleAdjustment}";
        Assert.True(expected.Select(Text).SequenceEqual(actual.Select(Text)), $"{where}:\nexpected {string.Join("; ", expected.Select(Text))}\nactual   {string.Join("; ", actual.Select(Text))}");
    }

    [Fact]
    public void The_lot_table_relieves_and_opens_lots_exactly_as_the_lot_book_does_by_every_method()
    {
        Gen.Int.Sample(seed =>
        {
            var scenario = TaxRunPropertyTests.RandomHousehold(seed, plain: true).LoadClean();
            var book = scenario.Scenario.Book;
            var lots = scenario.Lots;
            var table = LotTable.From(book, lots);
            var random = new Random(seed);
            for (var step = 0; step < 12; step++)
            {
                var a = random.Next(book.AccountCount);
                var accountId = book.AccountId(a);
                if (!lots.HasAccount(accountId))
                {
                    Assert.False(table.IsTracked(a));
                    continue;
                }
                var instrument = new[] { "SPY", "AGG", "VTI" }[random.Next(3)];
                var slot = table.SlotOf(a, instrument);
                if (slot < 0)
                {
                    continue;
                }
                var day = AsOf.AddDays(step * 40);
                var price = (decimal)Math.Round(50 + (random.NextDouble() * 600), 2);
                if (random.NextDouble() < 0.4)
                {
                    var shares = random.Next(1, 30);
                    var bought = lots.Buy(accountId, instrument, day, shares, price);
                    var opened = table.Open(slot, day, shares, price);
                    Assert.Equal(bought, opened);
                }
                else if (lots.Quantity(accountId, instrument) > 0)
                {
                    var method = AllMethods[random.Next(AllMethods.Length)];
                    var held = lots.Lots(accountId, instrument);
                    var named = method == LotMethod.SpecificLots ? held.Where(_ => random.NextDouble() < 0.6).Select(l => l.Id).ToList() : null;
                    var shares = Math.Min(lots.Quantity(accountId, instrument), random.Next(1, 80));
                    var selection = LotSelector.Select(held, shares, price, day, method, specificLots: named);
                    AssertSameLots(held, table.Lots(slot), $"seed {seed} step {step}: before a sale");
                    lots.Sell(accountId, instrument, selection);
                    var before = table.Realized(a);
                    table.Relieve(a, slot, selection);
                    Assert.Equal(before.ShortTerm + selection.ShortTermGain, table.Realized(a).ShortTerm);
                    Assert.Equal(before.LongTerm + selection.LongTermGain, table.Realized(a).LongTerm);
                }
                AssertSameLots(lots.Lots(accountId, instrument), table.Lots(slot), $"seed {seed} step {step}");
                Assert.Equal(lots.Quantity(accountId, instrument), table.Quantity(slot));
            }
            Assert.Equal(book.AccountCount == 0 ? 0 : lots.Accounts.Sum(id => lots.AllLots(id).Count()), table.Count);
        }, iter: 200);
    }

    [Fact]
    public void A_checkpoint_of_the_lot_table_puts_back_every_lot_id_and_figure()
    {
        var scenario = TaxRunPropertyTests.RandomHousehold(7, plain: true).Account("""
            { "id": "N1", "householdId": "N", "modelId": "BAL6040", "cash": 0,
              "positions": [ { "instrumentId": "SPY", "quantity": 30, "lots": [
                  { "id": "custodian-77", "acquired": "2024-01-02", "quantity": 30, "costBasis": 12000, "holdingSince": "2023-11-30" } ] } ],
              "policy": { "id": "PN", "bandWidth": 0.03, "trigger": "threshold" } }
            """).LoadClean();
        var book = scenario.Scenario.Book;
        var table = LotTable.From(book, scenario.Lots);
        var n1 = book.FindAccount("N1");
        var spy = table.SlotOf(n1, "SPY");
        table.Open(spy, AsOf, 5, 600);
        table.Relieve(n1, spy, LotSelector.Select(table.Lots(spy), 10, 610, AsOf, LotMethod.Fifo));

        var chunks = new[] { (First: 0, Count: book.AccountCount / 2), (First: book.AccountCount / 2, Count: book.AccountCount - (book.AccountCount / 2)) }
            .Select(c => (c.First, c.Count, Chunk: MemoryPack.MemoryPackSerializer.Deserialize<FastRebal.Engine.Persistence.LotChunk>(MemoryPack.MemoryPackSerializer.Serialize(table.Capture(c.First, c.Count)))!)).ToList();
        var restored = new LotTable(book);
        restored.Open(spy, AsOf, 1, 1);
        restored.Clear();
        foreach (var (first, count, chunk) in chunks)
        {
            restored.Restore(first, count, chunk);
        }

        Assert.Equal(table.Count, restored.Count);
        Assert.Equal(table.TrackedAccounts, restored.TrackedAccounts);
        for (var a = 0; a < book.AccountCount; a++)
        {
            Assert.Equal(table.IsTracked(a), restored.IsTracked(a));
            Assert.Equal(table.Realized(a), restored.Realized(a));
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                AssertSameLots(table.Lots(s), restored.Lots(s), $"account {a} slot {s}");
            }
        }
        Assert.Equal(["custodian-77", "SPY-20250926-1"], restored.Lots(spy).Select(l => l.Id));
        Assert.Equal(new DateOnly(2023, 11, 30), restored.Lots(spy)[0].HoldingPeriodStart);
        // The next lot opened the same day after the restore takes the next number, as it would have without one.
        Assert.Equal("SPY-20250926-2", restored.Open(spy, AsOf, 1, 600).Id);
        Assert.Throws<FastRebal.Engine.Persistence.StateMismatchException>(() => restored.Restore(0, 1, chunks[1].Chunk));
    }

    private sealed class OpenGate : IPlanGate
    {
        public void FillsApplied(int account, int model)
        {
        }

        public void ObserveDrift(int account, int model, double totalDrift, DateOnly day)
        {
        }

        public void ObserveDrifts(int firstAccount, ReadOnlySpan<double> totalDrift, DateOnly day)
        {
        }

        public void ObserveModelDrift(int model, double meanTotalDrift, DateOnly day)
        {
        }

        public void ObservePrice(int instrument, double price, DateOnly day)
        {
        }

        public bool IsHalted(int account, int model) => false;

        public bool Release(BreakerKind kind, int index, string who, string why) => false;

        public string? Check(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime) => null;
    }

    private sealed class Trades : IOrderPublisher
    {
        public List<OrderEvent> Published { get; } = [];

        public void Publish(in OrderEvent order)
        {
            if (order.Kind == OrderEventKind.Trade)
            {
                Published.Add(order);
            }
        }
    }

    [Fact]
    public void The_live_stage_trades_and_relieves_lots_as_the_one_shot_tax_aware_run_on_the_same_book()
    {
        var sells = 0;
        Gen.Int.Sample(seed =>
        {
            var oneShot = TaxAwareRun.Rebalance(TaxRunPropertyTests.RandomHousehold(seed, plain: true).LoadClean(), now: new DateTimeOffset(2025, 9, 26, 21, 0, 0, TimeSpan.Zero));
            var scenario = TaxRunPropertyTests.RandomHousehold(seed, plain: true).LoadClean();
            var book = scenario.Scenario.Book;
            var settings = Enumerable.Range(0, book.AccountCount).Select(a => scenario.SettingsFor(book.AccountId(a))).ToArray();
            var tax = new TaxBook(LotTable.From(book, scenario.Lots), settings);
            var fills = new ConcurrentQueue<AccountFill>();
            var trades = new Trades();
            var stage = new EvaluationStage(book, new ControlPlane(), fills, new OpenGate(), trades, new LatencyRecorder("test"), tax: tax);
            var marketTime = new DateTime(2025, 9, 26, 15, 0, 0, DateTimeKind.Utc).Ticks;
            void Batch()
            {
                stage.Add(new PriceEvent { Instrument = -1, MarketTime = marketTime });
                stage.EndBatch();
            }

            // The day opens: every account is swept and decided, as the one-shot run decides them.
            Batch();
            static string Key(string account, string instrument, TradeSide side, decimal quantity) => $"{account} {side} {quantity} {instrument}";
            var expected = oneShot.Run.Trades.Select(t => Key(t.AccountId, t.InstrumentId, t.Side, t.Quantity)).Order(StringComparer.Ordinal).ToList();
            var actual = trades.Published.Select(t => Key(book.AccountId(t.Account), book.Instruments[t.Instrument].Id, t.Side, t.Quantity)).Order(StringComparer.Ordinal).ToList();
            Assert.True(expected.SequenceEqual(actual), $"seed {seed}:\none-shot {string.Join("; ", expected)}\nlive     {string.Join("; ", actual)}");

            // Every trade fills in full at its price: the lots end as the one-shot run's do.
            Interlocked.Add(ref sells, trades.Published.Count(t => t.Side == TradeSide.Sell && tax.Lots.IsTracked(t.Account)));

            // Sells first, as the one-shot run applies them (a buy's cash comes from the sells).
            foreach (var t in trades.Published.OrderBy(t => t.Side == TradeSide.Sell ? 0 : 1))
            {
                fills.Enqueue(new AccountFill(t.Account, t.Instrument, t.Side, t.Quantity, t.Price, TradeComplete: true));
            }
            Batch();
            for (var a = 0; a < book.AccountCount; a++)
            {
                for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
                {
                    var instrument = book.Instruments[book.InstrumentIndices[s]].Id;
                    AssertSameLots(oneShot.Lots.Lots(book.AccountId(a), instrument), tax.Lots.Lots(s), $"seed {seed}: {book.AccountId(a)} {instrument}");
                    if (tax.Lots.IsTracked(a) && tax.Lots.LotCount(s) > 0)
                    {
                        Assert.Equal((decimal)book.Quantities[s], tax.Lots.Quantity(s));
                    }
                }
                var summary = oneShot.Accounts.Single(x => x.AccountId == book.AccountId(a));
                Assert.Equal((summary.RealizedShortTerm, summary.RealizedLongTerm), tax.Lots.Realized(a));
            }
        }, iter: 100);
        // The households are drawn so that many accounts sell lots: the comparison is not of empty books.
        Assert.True(sells > 50, $"only {sells} sells of taxable lots in 100 households");
    }
}
