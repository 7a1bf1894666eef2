using System.Collections.Concurrent;
using CsCheck;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Tax;
using FastRebal.Engine.Tests.Pipeline;
using static FastRebal.Engine.Tests.Pipeline.MarketClock;

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
                // The harvest scan's shortcut agrees with its own test of each lot.
                var threshold = new HarvestSettings { Enabled = true, MinLossPercent = random.NextDouble() * 0.2, MinLossAmount = random.Next(0, 800) };
                Assert.Equal(lots.Lots(accountId, instrument).Any(l => HarvestScanner.IsHarvestable(l, price, threshold)), table.AnyHarvestable(slot, price, threshold));
            }
            Assert.Equal(book.AccountCount == 0 ? 0 : lots.Accounts.Sum(id => lots.AllLots(id).Count()), table.Count);
        }, iter: 200);
    }

    [Fact]
    public void A_lot_costs_the_table_56_bytes_and_only_a_wash_sales_figures_take_more()
    {
        var book = Simulation.FirmGenerator.Generate(new Simulation.FirmSpec(50, 20, 3), Simulation.FirmGenerator.LoadHistory(3)).Book;
        var before = GC.GetAllocatedBytesForCurrentThread();
        _ = new LotTable(book);
        var perBook = GC.GetAllocatedBytesForCurrentThread() - before;

        before = GC.GetAllocatedBytesForCurrentThread();
        var table = new LotTable(book, 100_000);
        var perLot = (GC.GetAllocatedBytesForCurrentThread() - before - perBook) / 100_000.0;

        // Next, quantity, basis, acquired, number, name and the wash-sale place: 4 + 16 + 16 + 4 + 4 + 8 + 4. With
        // the holding period and the adjustment in columns of their own it was 72.
        Assert.InRange(perLot, 56, 56.1);
        var slot = book.SlotStart[0];
        for (var i = 0; i < 1000; i++)
        {
            table.AddBought(slot, AsOf.AddDays(-i), 1, 100);
        }
        Assert.Equal(0, table.AdjustmentPlaces);
    }

    [Fact]
    public void Wash_sale_figures_read_back_bit_for_bit_and_a_freed_place_is_used_again()
    {
        var book = Simulation.FirmGenerator.Generate(new Simulation.FirmSpec(50, 20, 3), Simulation.FirmGenerator.LoadHistory(3)).Book;
        var table = new LotTable(book);
        var slot = book.SlotStart[0];
        var instrument = book.Instruments[book.InstrumentIndices[slot]].Id;
        // A loaded lot's zero with a scale is its own value: it must not come back as 0 (a digest reads its bits).
        table.Add(slot, new TaxLot("zero-scaled", instrument, AsOf.AddDays(-400), 10, 1000, null, 0.00m));
        table.Add(slot, new TaxLot("plain", instrument, AsOf.AddDays(-300), 10, 1000));
        table.Add(slot, new TaxLot("carried", instrument, AsOf.AddDays(-200), 10, 1000, AsOf.AddDays(-500), 12.345m));
        Assert.Equal(2, table.AdjustmentPlaces);

        static int[] Bits(decimal d) => decimal.GetBits(d);
        var lots = table.Lots(slot);
        Assert.Equal(Bits(0.00m), Bits(lots[0].WashSaleAdjustment));
        Assert.Equal(Bits(0m), Bits(lots[1].WashSaleAdjustment));
        Assert.Null(lots[1].HoldingSince);
        Assert.Equal((AsOf.AddDays(-500), 12.345m), (lots[2].HoldingSince!.Value, lots[2].WashSaleAdjustment));

        // Selling the carried lot whole frees its place; a wash sale on the plain lot takes it again.
        table.Relieve(0, slot, LotSelector.Select([lots[2]], 10, 90, AsOf, LotMethod.Fifo));
        var adjusted = table.AdjustForWashSale(slot, "plain", 4, 50, 30);
        Assert.NotNull(adjusted);
        Assert.Equal(2, table.AdjustmentPlaces);
        lots = table.Lots(slot);
        Assert.Equal(["zero-scaled", "plain", "plainb"], lots.Select(l => l.Id));
        Assert.Equal((4m, 450m, 50m), (lots[1].Quantity, lots[1].CostBasis, lots[1].WashSaleAdjustment));
        Assert.Equal(AsOf.AddDays(-330), lots[1].HoldingPeriodStart);
        Assert.Equal((6m, 600m, 0m, (DateOnly?)null), (lots[2].Quantity, lots[2].CostBasis, lots[2].WashSaleAdjustment, lots[2].HoldingSince));
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

    /// <summary>A live stage over a tax scenario's book, deciding and filling in batches of one market day.</summary>
    private sealed class LiveTax
    {
        private readonly long marketTime = new DateTime(2025, 9, 26, 15, 0, 0, DateTimeKind.Utc).Ticks;
        private readonly ConcurrentQueue<AccountFill> fills = new();

        public LiveTax(TaxScenario scenario, FastRebal.Engine.Audit.AuditChain? chain = null)
        {
            Book = scenario.Scenario.Book;
            var settings = Enumerable.Range(0, Book.AccountCount).Select(a => scenario.SettingsFor(Book.AccountId(a))).ToArray();
            var table = LotTable.From(Book, scenario.Lots);
            Tax = new TaxBook(table, settings, scenario.Relations, scenario.NewLedger(table.Store));
            Audit = chain is null ? null : new AuditWriter(chain, chunkSize: 1);
            Stage = new EvaluationStage(Book, Control, fills, new OpenGate(), Orders, new LatencyRecorder("test"), audit: Audit, tax: Tax);
        }

        public ControlPlane Control { get; } = new();

        public FastRebal.Engine.State.AccountBook Book { get; }

        public TaxBook Tax { get; }

        public AuditWriter? Audit { get; }

        public PublishedTrades Orders { get; } = new();

        public EvaluationStage Stage { get; }

        public void Batch()
        {
            Stage.Add(new PriceEvent { Instrument = -1, MarketTime = marketTime });
            Stage.EndBatch();
        }

        /// <summary>Fills the published trades of <paramref name="account"/> in full at their prices (and forgets them).</summary>
        public void Fill(string account)
        {
            foreach (var t in Orders.Published.Where(t => Book.AccountId(t.Account) == account).OrderBy(t => t.Side == TradeSide.Sell ? 0 : 1))
            {
                fills.Enqueue(new AccountFill(t.Account, t.Instrument, t.Side, t.Quantity, t.Price, TradeComplete: true));
            }
            Orders.Published.RemoveAll(t => Book.AccountId(t.Account) == account);
        }
    }

    /// <summary>
    /// Two accounts of one household at SPY 600 and AGG 100: W1 over its SPY target on a lot bought at 700, W2 under it.
    /// The book decides accounts in file order: <paramref name="buyerFirst"/> puts W2 first.
    /// </summary>
    private static TaxScenarioBuilder Household(string history = "", bool buyerFirst = false)
    {
        const string seller = """
            { "id": "W1", "householdId": "HH-W", "modelId": "BAL6040", "cash": 0,
              "positions": [
                { "instrumentId": "SPY", "quantity": 100, "lots": [ { "id": "L700", "acquired": "2025-06-02", "quantity": 100, "costBasis": 70000 } ] },
                { "instrumentId": "AGG", "quantity": 200, "lots": [ { "id": "G1", "acquired": "2024-06-03", "quantity": 200, "costBasis": 20000 } ] } ],
              "policy": { "id": "P-W1", "bandWidth": 0.05, "trigger": "threshold", "lotMethod": "fifo" } }
            """;
        const string buyer = """
            { "id": "W2", "householdId": "HH-W", "modelId": "BAL6040", "cash": 0,
              "positions": [
                { "instrumentId": "SPY", "quantity": 10, "lots": [ { "id": "S1", "acquired": "2024-01-02", "quantity": 10, "costBasis": 5000 } ] },
                { "instrumentId": "AGG", "quantity": 600, "lots": [ { "id": "G2", "acquired": "2024-06-03", "quantity": 600, "costBasis": 60000 } ] } ],
              "policy": { "id": "P-W2", "bandWidth": 0.05, "trigger": "threshold", "lotMethod": "fifo" } }
            """;
        var builder = new TaxScenarioBuilder().Substitutes("[]");
        builder = buyerFirst ? builder.Account(buyer).Account(seller) : builder.Account(seller).Account(buyer);
        if (history.Length > 0)
        {
            builder.Trade(history);
        }
        return builder;
    }

    [Fact]
    public void A_household_account_decided_after_another_released_a_loss_sale_does_not_buy_it_back()
    {
        var live = new LiveTax(Household().LoadClean());
        var w2 = live.Book.FindAccount("W2");

        live.Batch();

        // W1 (decided first) sells SPY at a loss; W2's buy of SPY in the same batch would wash it, so it is not placed.
        Assert.Contains(live.Orders.Published, t => live.Book.AccountId(t.Account) == "W1" && t.Side == TradeSide.Sell);
        Assert.DoesNotContain(live.Orders.Published, t => t.Account == w2 && t.Side == TradeSide.Buy && live.Book.Instruments[t.Instrument].Id == "SPY");
        var decision = live.Stage.RecentDecisions().Single(d => d.AccountId == "W2");
        Assert.Contains(decision.Warnings, w => w.ToString().Contains("SPY is being sold at a loss in W1 since 2025-09-26", StringComparison.Ordinal));

        // Once W1's trades are done the fill has recorded the sale itself: the window now runs from the sale.
        live.Fill("W1");
        live.Batch();
        Assert.Equal(0, live.Stage.Counters.WashSales);
        Assert.Contains("was sold at a loss in W1 on 2025-09-26", live.Tax.Ledger.RecentLossSale("HH-W", "SPY", AsOf.AddDays(1)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_live_buy_after_a_household_loss_sale_is_a_wash_sale_that_moves_the_loss_into_the_new_lot_and_is_audited()
    {
        var store = new FastRebal.Engine.Audit.MemoryAuditStore();
        // W2 is decided before W1 releases its sale, as happens when a buy's account comes first in the book.
        var live = new LiveTax(Household(buyerFirst: true).LoadClean(), new FastRebal.Engine.Audit.AuditChain(store));
        var w1 = live.Book.FindAccount("W1");
        var w2 = live.Book.FindAccount("W2");
        live.Batch();
        var sell = Assert.Single(live.Orders.Published, t => t.Account == w1 && t.Side == TradeSide.Sell);
        var buy = Assert.Single(live.Orders.Published, t => t.Account == w2 && t.Side == TradeSide.Buy && live.Book.Instruments[t.Instrument].Id == "SPY");

        // W1's sale realizes a loss of 100 a share on lot L700; W2's purchase the same day replaces those shares.
        live.Fill("W1");
        live.Fill("W2");
        live.Batch();
        live.Audit!.Complete();

        var lossPerShare = 700m - sell.Price;
        var replaced = Math.Min(sell.Quantity, buy.Quantity);
        Assert.Equal(1, live.Stage.Counters.WashSales);
        Assert.Equal(-lossPerShare * sell.Quantity, live.Tax.Lots.Realized(w1).ShortTerm);
        var spy = live.Tax.Lots.SlotOf(w2, "SPY");
        var opened = live.Tax.Lots.Lots(spy).Single(l => l.Id == "SPY-20250926-1");
        Assert.Equal(replaced * lossPerShare, opened.WashSaleAdjustment);
        Assert.Equal((replaced * buy.Price) + (replaced * lossPerShare), opened.CostBasis);
        // The replacement shares carry the sold shares' holding period (bought 2025-06-02, sold 2025-09-26).
        Assert.Equal(new DateOnly(2025, 6, 2), opened.HoldingPeriodStart);
        Assert.Equal((decimal)live.Book.Quantities[spy], live.Tax.Lots.Quantity(spy));

        var fills = store.Records.Where(r => r.Entry.Kind == FastRebal.Engine.Audit.AuditKind.Fill).ToList();
        Assert.Contains(fills, r => r.Entry.AccountId == "W1" && r.Entry.Explanation.Contains("lots relieved: L700", StringComparison.Ordinal));
        Assert.Contains(fills, r => r.Entry.AccountId == "W2" && r.Entry.Explanation.Contains("wash sale:", StringComparison.Ordinal)
            && r.Entry.Figures.Any(f => f.Name == "disallowedLoss" && decimal.Parse(f.Value, System.Globalization.CultureInfo.InvariantCulture) == replaced * lossPerShare));
        Assert.True(store.Verify().Intact);
    }

    [Fact]
    public void A_live_buy_inside_the_window_of_a_household_loss_sale_is_not_placed_and_the_decision_says_why()
    {
        var live = new LiveTax(Household("""{ "date": "2025-09-20", "accountId": "W1", "instrumentId": "SPY", "side": "sell", "quantity": 5, "realizedGain": -300 }""").LoadClean());
        var w2 = live.Book.FindAccount("W2");

        live.Batch();

        Assert.DoesNotContain(live.Orders.Published, t => t.Account == w2 && t.Side == TradeSide.Buy && live.Book.Instruments[t.Instrument].Id == "SPY");
        var decision = live.Stage.RecentDecisions().Single(d => d.AccountId == "W2");
        Assert.Contains(decision.Warnings, w => w.ToString().Contains("wash-sale rule", StringComparison.Ordinal) && w.ToString().Contains("2025-09-20", StringComparison.Ordinal));
    }

    /// <summary>
    /// HV holds SPY lots A (60 sh, basis 23,400) and B (40 sh bought 2025-08-01 for 25,600: a loss of 1,600, 6.25%) and
    /// one VTI share, so VTI (SPY's substitute) has a place in its book; AGG 300 at basis 30,000.
    /// </summary>
    private static TaxScenarioBuilder Harvestable(string harvest) => new TaxScenarioBuilder().Account($$"""
        { "id": "HV", "householdId": "HH-V", "modelId": "BAL6040", "cash": 0,
          "positions": [
            { "instrumentId": "SPY", "quantity": 100, "lots": [
                { "id": "A", "acquired": "2023-01-10", "quantity": 60, "costBasis": 23400 },
                { "id": "B", "acquired": "2025-08-01", "quantity": 40, "costBasis": 25600 } ] },
            { "instrumentId": "VTI", "quantity": 1, "lots": [ { "id": "V", "acquired": "2024-02-01", "quantity": 1, "costBasis": 250 } ] },
            { "instrumentId": "AGG", "quantity": 300, "lots": [ { "id": "G", "acquired": "2024-02-01", "quantity": 300, "costBasis": 30000 } ] } ],
          "policy": { "id": "IPS-HV", "version": 2, "bandWidth": 0.10, "trigger": "threshold", "harvest": {{harvest}} } }
        """);

    [Fact]
    public void The_live_engine_harvests_at_the_open_as_the_one_shot_day_does_and_audits_it()
    {
        const string on = """{ "enabled": true, "minLossPercent": 0.05, "minLossAmount": 500 }""";
        var oneShot = TaxAwareRun.Day(Harvestable(on).LoadClean(), now: new DateTimeOffset(2025, 9, 26, 21, 0, 0, TimeSpan.Zero));
        var store = new FastRebal.Engine.Audit.MemoryAuditStore();
        var live = new LiveTax(Harvestable(on).LoadClean(), new FastRebal.Engine.Audit.AuditChain(store));
        var hv = live.Book.FindAccount("HV");

        live.Batch();

        // Lot B is sold and the exposure kept in VTI: 40 x 600 = 24,000 buys 80 VTI, as the one-shot day's harvest does.
        var record = Assert.Single(oneShot.Harvests);
        Assert.Equal((HarvestStatus.Harvested, "VTI", 80m), (record.Status, record.SubstituteId, record.SubstituteQuantity));
        static string Key(string instrument, TradeSide side, decimal quantity) => $"{side} {quantity} {instrument}";
        Assert.Equal(
            oneShot.TaxedTrades.Where(t => t.Source == TradeSource.Harvest).Select(t => Key(t.Trade.InstrumentId, t.Trade.Side, t.Trade.Quantity)).Order(),
            live.Orders.Published.Select(t => Key(live.Book.Instruments[t.Instrument].Id, t.Side, t.Quantity)).Order());
        var decision = live.Stage.RecentDecisions().Single(d => d.AccountId == "HV");
        Assert.Equal(FastRebal.Engine.Decisions.DecisionRule.TaxLossHarvest, decision.Rule);

        live.Fill("HV");
        live.Batch();
        live.Audit!.Complete();

        // The fill sold lot B, not the account's method's choice, and opened the VTI lot; the last rebalance date stays.
        var spy = live.Tax.Lots.SlotOf(hv, "SPY");
        Assert.Equal(["A"], live.Tax.Lots.Lots(spy).Select(l => l.Id));
        Assert.Equal((-1_600m, 0m), live.Tax.Lots.Realized(hv));
        AssertSameLots(oneShot.Lots.Lots("HV", "VTI"), live.Tax.Lots.Lots(live.Tax.Lots.SlotOf(hv, "VTI")), "VTI");
        Assert.Null(live.Book.LastRebalanced(hv));
        Assert.Equal(1, live.Stage.Counters.Harvests);
        var harvest = Assert.Single(store.Records, r => r.Entry.Kind == FastRebal.Engine.Audit.AuditKind.Harvest);
        Assert.Equal("Harvested", harvest.Entry.Rule);
        Assert.Contains(store.Records, r => r.Entry.Kind == FastRebal.Engine.Audit.AuditKind.Fill && r.Entry.Rule == "Harvest" && r.Entry.Explanation.Contains("lots relieved: B 40", StringComparison.Ordinal));

        // The next day the substitute counts toward SPY: no trade, though the sweep sees SPY under its target.
        Assert.Empty(live.Orders.Published);
    }

    [Fact]
    public async Task A_live_harvest_above_the_approval_limit_waits_for_an_operator_then_sells_the_harvested_lots()
    {
        var live = new LiveTax(Harvestable("""{ "enabled": true, "minLossPercent": 0.05, "minLossAmount": 500, "approvalAbove": 1000 }""").LoadClean());
        var hv = live.Book.FindAccount("HV");

        live.Batch();

        Assert.Empty(live.Orders.Published);
        Assert.Contains(live.Stage.PendingApprovals(), p => p.Decision.AccountId == "HV" && p.Decision.Rule == FastRebal.Engine.Decisions.DecisionRule.TaxLossHarvest);
        var answer = live.Control.Send(new DecideApproval("ops", "checked the loss", "HV", Approve: true));
        live.Batch();
        var result = await answer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(result.Applied, result.Detail);
        Assert.Equal(2, live.Orders.Published.Count);

        live.Fill("HV");
        live.Batch();
        Assert.Equal(["A"], live.Tax.Lots.Lots(live.Tax.Lots.SlotOf(hv, "SPY")).Select(l => l.Id));
    }

    [Fact]
    public void A_weekly_monthly_or_quarterly_harvest_is_due_on_the_first_trading_day_of_its_period()
    {
        var friday = new DateOnly(2025, 9, 26);
        var monday = new DateOnly(2025, 9, 29);
        var tuesday = new DateOnly(2025, 9, 30);
        var october = new DateOnly(2025, 10, 1);
        Assert.True(HarvestScanner.IsDue(HarvestSchedule.Daily, monday, tuesday));
        Assert.True(HarvestScanner.IsDue(HarvestSchedule.Weekly, friday, monday));
        Assert.False(HarvestScanner.IsDue(HarvestSchedule.Weekly, monday, tuesday));
        Assert.False(HarvestScanner.IsDue(HarvestSchedule.Monthly, monday, tuesday));
        Assert.True(HarvestScanner.IsDue(HarvestSchedule.Monthly, tuesday, october));
        Assert.True(HarvestScanner.IsDue(HarvestSchedule.Quarterly, tuesday, october));
        Assert.False(HarvestScanner.IsDue(HarvestSchedule.Quarterly, new DateOnly(2025, 10, 31), new DateOnly(2025, 11, 3)));
        // The engine's first day has no day before it: every schedule scans then.
        Assert.True(HarvestScanner.IsDue(HarvestSchedule.Quarterly, default, october));
    }

    [Fact]
    public void The_ledger_forgets_what_can_no_longer_wash_and_its_checkpoint_keeps_the_rest()
    {
        var ledger = new WashSaleLedger(InstrumentRelations.None, new LotBook());
        ledger.RecordSale("H", "A", "SPY", new DateOnly(2025, 9, 1), [new LotRelief("L1", new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 2), 10, 5000, 6000, HoldingTerm.ShortTerm)], adjustLots: false);
        ledger.RecordSale("H", "A", "AGG", new DateOnly(2025, 9, 20), [new LotRelief("L2", new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 2), 10, 900, 1000, HoldingTerm.ShortTerm)], adjustLots: false);
        ledger.RecordBuy("H", "B", false, "VTI", new DateOnly(2025, 9, 25), 3, null, TradeSource.Rebalance, adjustLots: false);

        ledger.ForgetBefore(new DateOnly(2025, 10, 5));

        // The SPY sale of 2025-09-01 is 34 days back: a purchase today washes nothing; the AGG one (15 days) still would.
        Assert.Null(ledger.RecentLossSale("H", "SPY", new DateOnly(2025, 10, 5)));
        Assert.NotNull(ledger.RecentLossSale("H", "AGG", new DateOnly(2025, 10, 5)));
        var image = MemoryPack.MemoryPackSerializer.Deserialize<WashSaleLedgerImage>(MemoryPack.MemoryPackSerializer.Serialize(ledger.Capture()))!;
        var restored = new WashSaleLedger(InstrumentRelations.None, new LotBook());
        restored.Restore(image);
        Assert.Equal(MemoryPack.MemoryPackSerializer.Serialize(ledger.Capture()), MemoryPack.MemoryPackSerializer.Serialize(restored.Capture()));
        Assert.NotNull(restored.RecentLossSale("H", "AGG", new DateOnly(2025, 10, 5)));
        Assert.NotNull(restored.RecentReplacementBuy("H", "A", "VTI", new DateOnly(2025, 10, 5)));
        Assert.Single(image.SaleHousehold);
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
            var trades = new PublishedTrades();
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
