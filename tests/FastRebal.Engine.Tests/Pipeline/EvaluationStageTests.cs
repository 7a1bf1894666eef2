using System.Collections.Concurrent;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Pipeline;

public class EvaluationStageTests
{
    private static readonly long Day1 = new DateTime(2025, 6, 30, 15, 0, 0, DateTimeKind.Utc).Ticks;

    private sealed class RecordingPublisher : IOrderPublisher
    {
        public List<OrderEvent> Trades { get; } = [];

        /// <summary>Everything published, trades and block heartbeats, in order.</summary>
        public List<OrderEvent> All { get; } = [];

        public void Publish(in OrderEvent order)
        {
            All.Add(order);
            if (order.Kind == OrderEventKind.Trade)
            {
                Trades.Add(order);
            }
        }
    }

    private sealed class FakeGate : IPlanGate
    {
        public string? Refusal { get; set; }

        public HashSet<int> Halted { get; } = [];

        public int Observed { get; private set; }

        /// <summary>How many fills the stage reported applied, per account.</summary>
        public Dictionary<int, int> FillsSeen { get; } = [];

        public void FillsApplied(int account, int model) => FillsSeen[account] = FillsSeen.GetValueOrDefault(account) + 1;

        public void ObserveDrift(int account, int model, double totalDrift, DateOnly day) => Observed++;

        public void ObserveDrifts(int firstAccount, ReadOnlySpan<double> totalDrift, DateOnly day) => Observed += totalDrift.Length;

        public void ObserveModelDrift(int model, double meanTotalDrift, DateOnly day)
        {
        }

        public void ObservePrice(int instrument, double price, DateOnly day)
        {
        }

        public bool IsHalted(int account, int model) => Halted.Contains(account);

        public bool Release(BreakerKind kind, int index, string who, string why) => kind == BreakerKind.Account && Halted.Remove(index);

        public string? Check(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime) => Refusal;

        public string? Preview(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime) => Refusal;
    }

    private sealed class Harness
    {
        public Harness(AccountBook book, int accountsPerBlock = EvaluationStage.DefaultAccountsPerBlock, IPlanGate? gate = null, int approvalExpiryDays = 1, AuditWriter? audit = null)
        {
            Book = book;
            Stage = new EvaluationStage(book, Control, Fills, gate ?? Gate, Publisher, new LatencyRecorder("test"), accountsPerBlock: accountsPerBlock, audit: audit,
                approvalExpiryDays: approvalExpiryDays);
            // The first batch of a day sweeps everything; start each test from a settled book.
            Batch();
            Publisher.Trades.Clear();
        }

        public AccountBook Book { get; }

        public ControlPlane Control { get; } = new();

        public ConcurrentQueue<AccountFill> Fills { get; } = new();

        public FakeGate Gate { get; } = new();

        public RecordingPublisher Publisher { get; } = new();

        public EvaluationStage Stage { get; }

        public void Batch(params (string Instrument, double Price)[] prices) => BatchAt(Day1, prices);

        public void BatchAt(long marketTime, params (string Instrument, double Price)[] prices)
        {
            foreach (var (id, price) in prices)
            {
                Stage.Add(new PriceEvent { Instrument = Book.Instruments.IndexOf(id), Price = price, MarketTime = marketTime, ReceivedAt = 1 });
            }
            Stage.Add(new PriceEvent { Instrument = -1, MarketTime = marketTime });
            Stage.EndBatch();
        }

        /// <summary>Fills every published trade in full at its price, as the order stage would report it.</summary>
        public void FillAll()
        {
            foreach (var t in Publisher.Trades)
            {
                Fills.Enqueue(new AccountFill(t.Account, t.Instrument, t.Side, t.Quantity, t.Price, TradeComplete: true));
            }
            Publisher.Trades.Clear();
        }
    }

    private static Harness TwoAccounts(InvestmentPolicy? policy = null, bool illiquidD = false, AuditWriter? audit = null) => new(new TestBook()
        .Instrument("A", 10).Instrument("B", 10).Instrument("C", 10).Instrument("D", 10, liquid: !illiquidD)
        .Model("AB", ("A", 0.5), ("B", 0.5))
        .Model("CD", ("C", 0.5), ("D", 0.5))
        .Account("X", "AB", 0, policy, positions: [("A", 100), ("B", 100)])
        .Account("Y", "CD", 0, policy, positions: [("C", 100), ("D", 100)])
        .Load().Book, audit: audit);

    [Fact]
    public void A_full_sweep_runs_on_its_schedule_even_when_ticks_touch_only_some_accounts()
    {
        var h = TwoAccounts();
        var sweeps = h.Stage.Counters.FullSweeps;

        // A is held by X alone: one account of two is not more than half the book, so a tick on A re-sweeps X only.
        h.BatchAt(Day1 + TimeSpan.FromSeconds(30).Ticks, ("A", 10.01));
        Assert.Equal(sweeps, h.Stage.Counters.FullSweeps);

        h.BatchAt(Day1 + TimeSpan.FromSeconds(61).Ticks, ("A", 10.02));
        Assert.Equal(sweeps + 1, h.Stage.Counters.FullSweeps);
        h.BatchAt(Day1 + TimeSpan.FromSeconds(90).Ticks);
        Assert.Equal(sweeps + 1, h.Stage.Counters.FullSweeps);
    }

    [Fact]
    public void On_the_realistic_firm_a_tick_re_sweeps_only_the_accounts_whose_model_holds_the_instrument()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(3000, 20, 5, Shape: FirmShape.Realistic), FirmGenerator.LoadHistory(5));
        var h = new Harness(firm.Book);
        var held = h.Book.Models[0].ResolvedWeights()[^1].InstrumentId;
        var instrument = h.Book.Instruments.IndexOf(held);
        var holders = Enumerable.Range(0, h.Book.AccountCount).Count(a => h.Book.InstrumentIndices[h.Book.SlotStart[a]..h.Book.SlotStart[a + 1]].Contains(instrument));
        var (sweeps, evaluated) = (h.Stage.Counters.FullSweeps, h.Stage.Counters.AccountsEvaluated);

        h.BatchAt(Day1 + TimeSpan.FromSeconds(30).Ticks, (held, h.Book.Prices[instrument] * 1.001));

        Assert.InRange(holders, 1, (h.Book.AccountCount / 2) - 1);
        Assert.Equal(sweeps, h.Stage.Counters.FullSweeps);
        Assert.Equal(holders, h.Stage.Counters.AccountsEvaluated - evaluated);
    }

    [Fact]
    public void A_breach_held_by_the_minimum_days_is_decided_once_a_day_however_far_it_drifts()
    {
        var h = new Harness(new TestBook()
            .Instrument("A", 10).Instrument("B", 10)
            .Model("AB", ("A", 0.5), ("B", 0.5))
            .Account("X", "AB", 0, TestBook.Policy(minDays: 30), lastRebalanced: new DateOnly(2025, 6, 20), positions: [("A", 100), ("B", 100)])
            .Load().Book);
        var decisions = h.Stage.Counters.Decisions;

        h.Batch(("A", 13));
        h.Batch(("A", 16));
        h.Batch(("A", 20));

        // Rebalanced 10 days ago with a 30-day minimum: the first breach is decided (no trade), the rest wait for tomorrow.
        Assert.Equal(decisions + 1, h.Stage.Counters.Decisions);
        Assert.Empty(h.Publisher.Trades);
        h.BatchAt(Day1 + TimeSpan.TicksPerDay, ("A", 20.5));
        Assert.Equal(decisions + 2, h.Stage.Counters.Decisions);
    }

    [Fact]
    public void The_first_account_released_in_a_batch_forms_blocks_at_once_and_the_rest_in_groups()
    {
        var builder = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5));
        for (var i = 0; i < 5; i++)
        {
            builder.Account($"X{i}", "AB", 0, positions: [("A", 100), ("B", 100)]);
        }
        var h = new Harness(builder.Load().Book, accountsPerBlock: 2);
        h.Publisher.All.Clear();

        // A at 13 puts all five accounts 6.5 points over their band: each sells A and buys B.
        h.Batch(("A", 13));

        // Heartbeats (block boundaries) come after account 1, after accounts 2-3, after 4-5, and at the batch's end.
        var shape = string.Concat(h.Publisher.All.Select(e => e.Kind == OrderEventKind.Trade ? "t" : "|"));
        Assert.Equal("tt|tttt|tttt||", shape);
        var blocks = h.Publisher.All.Where(e => e.Kind == OrderEventKind.Heartbeat).Select(e => e.Sequence).ToList();
        Assert.Equal(blocks.Distinct().Order(), blocks);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationStage(h.Book, h.Control, h.Fills, h.Gate, h.Publisher, new LatencyRecorder("x"), accountsPerBlock: 0));
    }

    [Fact]
    public void A_price_that_breaks_the_band_releases_the_accounts_trades_once_and_fills_bring_it_back_in_band()
    {
        var h = TwoAccounts();

        // A at 13: X is 1300 / 2300 = 56.5% A, 6.5 points over a 5-point band. Y does not hold A.
        h.Batch(("A", 13));

        Assert.Equal([0], h.Publisher.Trades.Select(t => t.Account).Distinct());
        Assert.Contains(h.Publisher.Trades, t => t.Side == TradeSide.Sell && h.Book.Instruments[t.Instrument].Id == "A");
        Assert.Contains(h.Publisher.Trades, t => t.Side == TradeSide.Buy && h.Book.Instruments[t.Instrument].Id == "B");
        Assert.Equal(1, h.Stage.Counters.AccountsEvaluated - 2);

        var released = h.Publisher.Trades.ToList();
        h.Publisher.Trades.Clear();
        h.Batch(("A", 13.1));
        Assert.Empty(h.Publisher.Trades);

        h.Publisher.Trades.AddRange(released);
        Assert.Empty(h.Gate.FillsSeen);
        h.FillAll();
        h.Batch();

        // Each applied fill tells the breakers that trading, not the market, moved X's drift.
        Assert.Equal(new Dictionary<int, int> { [0] = released.Count }, h.Gate.FillsSeen);
        Assert.False(h.Stage.Drift.Breaches(0));
        Assert.True(h.Book.Cash[0] >= 0);
        Assert.Equal(TestBook.AsOf, h.Book.LastRebalanced(0));
        Assert.Empty(h.Publisher.Trades);
    }

    /// <summary>A at 13 puts X out of band: it releases one sell of A and one buy of B, taken off the publisher here.</summary>
    private static (OrderEvent Sell, OrderEvent Buy) ReleasedSellAndBuy(Harness h)
    {
        h.Batch(("A", 13));
        var sell = Assert.Single(h.Publisher.Trades, t => t.Side == TradeSide.Sell);
        var buy = Assert.Single(h.Publisher.Trades, t => t.Side == TradeSide.Buy);
        h.Publisher.Trades.Clear();
        return (sell, buy);
    }

    [Fact]
    public void A_buy_that_fills_before_the_sell_funding_it_is_applied_on_a_debit_the_sell_then_clears()
    {
        var h = TwoAccounts();
        var (sell, buy) = ReleasedSellAndBuy(h);
        var b = h.Book.SlotOf(0, buy.Instrument);
        var heldBefore = h.Book.Quantities[b];

        // The venue fills the buy first: X has no cash, yet it owns the shares now, and the book says so.
        h.Fills.Enqueue(new AccountFill(0, buy.Instrument, TradeSide.Buy, buy.Quantity, buy.Price, TradeComplete: true));
        h.Batch();
        Assert.Equal(heldBefore + (double)buy.Quantity, h.Book.Quantities[b], 9);
        Assert.Equal(-(double)(buy.Quantity * buy.Price), h.Book.Cash[0], 6);
        Assert.Equal((1, 1, 0), (h.Stage.Counters.FillsApplied, h.Stage.Counters.FillsOnDebit, h.Stage.Counters.FillErrors));
        // Its trades are not done, so it is not decided again from a book halfway through them.
        Assert.Empty(h.Publisher.Trades);

        h.Fills.Enqueue(new AccountFill(0, sell.Instrument, TradeSide.Sell, sell.Quantity, sell.Price, TradeComplete: true));
        h.Batch();
        Assert.True(h.Book.Cash[0] >= 0);
        Assert.False(h.Stage.Drift.Breaches(0));
        Assert.Equal((2, 1, 0), (h.Stage.Counters.FillsApplied, h.Stage.Counters.FillsOnDebit, h.Stage.Counters.FillErrors));
        Assert.Empty(h.Publisher.Trades);
    }

    [Fact]
    public void A_debit_left_once_the_trades_are_done_is_settled_by_selling_at_once()
    {
        var h = TwoAccounts();
        var (sell, buy) = ReleasedSellAndBuy(h);

        // The sell fills below the plan's price and the buy above it: once both are done, X owes cash it does not have,
        // and it is within its band, so nothing else would decide it before its next breach or calendar date.
        h.Fills.Enqueue(new AccountFill(0, sell.Instrument, TradeSide.Sell, sell.Quantity, sell.Price * 0.97m, TradeComplete: true));
        h.Fills.Enqueue(new AccountFill(0, buy.Instrument, TradeSide.Buy, buy.Quantity, buy.Price * 1.03m, TradeComplete: true));
        h.Batch();
        Assert.True(h.Book.Cash[0] < 0);
        Assert.False(h.Stage.Drift.Breaches(0));

        // The batch that applied the fills swept X again, decided it for its cash and sells enough to clear the debit
        // (before, nothing decided it until its next breach or calendar date).
        var settle = Assert.Single(h.Publisher.Trades);
        Assert.Equal((0, TradeSide.Sell), (settle.Account, settle.Side));
        Assert.True(settle.Quantity * settle.Price >= -(decimal)h.Book.Cash[0]);
        h.FillAll();
        h.Batch();
        Assert.True(h.Book.Cash[0] >= 0);
        Assert.Empty(h.Publisher.Trades);
    }

    [Fact]
    public void A_fill_that_would_sell_more_than_the_account_holds_is_refused_counted_and_audited_and_changes_nothing()
    {
        var store = new MemoryAuditStore();
        var audit = new AuditWriter(new AuditChain(store), chunkSize: 1);
        var h = TwoAccounts(audit: audit);
        var a = h.Book.Instruments.IndexOf("A");
        var (quantity, cash) = (h.Book.Quantities[h.Book.SlotOf(0, a)], h.Book.Cash[0]);

        h.Fills.Enqueue(new AccountFill(0, a, TradeSide.Sell, 101, 10, TradeComplete: true));
        h.Fills.Enqueue(new AccountFill(0, h.Book.Instruments.IndexOf("C"), TradeSide.Buy, 1, 10, TradeComplete: true));
        h.Batch();

        Assert.Equal((quantity, cash), (h.Book.Quantities[h.Book.SlotOf(0, a)], h.Book.Cash[0]));
        Assert.Equal((0, 2), (h.Stage.Counters.FillsApplied, h.Stage.Counters.FillErrors));

        // Each refusal is a break with the venue, and the trail says which fill, what the book held and why.
        audit.Complete();
        var refused = store.Records.Select(r => r.Entry).Where(e => e.Rule == AuditEntries.FillRefusedRule).ToList();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, e => Assert.Equal((AuditKind.Fill, "X"), (e.Kind, e.AccountId)));
        Assert.Equal(
            "Sell 101 A filled at 10.00 and refused by the book: the book holds 100 A, less than the sale; nothing applied, so the venue and the book differ until reconciled",
            refused[0].Explanation);
        // Then the engine batch it came from, as on every live record.
        Assert.Equal(["instrument=A", "side=Sell", "quantity=101", "price=10", "held=100", "outcome=WouldGoShort", "batch=2"], refused[0].Figures.Select(f => $"{f.Name}={f.Value}"));
        Assert.Contains("the account has no holding of C in the book", refused[1].Explanation, StringComparison.Ordinal);
        Assert.Equal("NoSlot", refused[1].Figures.Single(f => f.Name == "outcome").Value);
        Assert.True(store.Verify().Intact);
    }

    [Fact]
    public void A_model_whose_accounts_are_rebalanced_back_to_target_is_not_halted_and_a_market_move_of_them_halts_it()
    {
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5))
            .Account("X", "AB", 0, positions: [("A", 300), ("B", 10)])
            .Account("Y", "AB", 0, positions: [("A", 300), ("B", 10)])
            .Load().Book;
        var risk = new RiskGate(book.AccountCount, book.Models.Count, book.Instruments, new PreTradeLimits(),
            new KillSwitch(new InMemoryKillSwitchStore()), new BookPrices(book));
        // The day opens with both accounts about 47 points from target, and the first batch rebalances them.
        var h = new Harness(book, gate: new RiskPlanGate(risk, referenceIndex: -1));
        Assert.Equal(0.4677, h.Stage.Drift.TotalDrift[0], 4);
        Assert.Equal(2, h.Stage.Counters.Rebalances);

        // The fills take the model's mean drift from 47 points to almost none, in a batch that sweeps the whole book.
        h.Publisher.Trades.AddRange(h.Publisher.All.Where(o => o.Kind == OrderEventKind.Trade));
        h.FillAll();
        h.BatchAt(Day1 + TimeSpan.FromSeconds(61).Ticks);
        Assert.True(h.Stage.Drift.TotalDrift[0] < 0.01);
        Assert.Equal(2, h.Stage.Counters.FullSweeps);
        Assert.False(risk.Models.IsHalted(0));
        Assert.Equal(0, risk.Accounts.HaltedCount);

        // A tripling of A in one day moves both accounts 25 points: the accounts and their model halt.
        h.BatchAt(Day1 + TimeSpan.FromSeconds(122).Ticks, ("A", 30));
        Assert.Equal(2, risk.Accounts.HaltedCount);
        Assert.True(risk.Models.IsHalted(0));
    }

    [Fact]
    public void Prices_within_one_batch_are_conflated_and_the_last_one_wins()
    {
        var h = TwoAccounts();

        h.Batch(("A", 13), ("A", 10.2));

        Assert.Equal(10.2, h.Book.Prices[h.Book.Instruments.IndexOf("A")]);
        Assert.Empty(h.Publisher.Trades);
        Assert.Equal(2 + 2, h.Stage.Counters.PriceChanges + 2);
    }

    [Fact]
    public void A_plan_the_gate_refuses_sends_nothing_and_says_why()
    {
        var h = TwoAccounts();
        h.Gate.Refusal = "kill switch engaged by ops: test";

        h.Batch(("A", 13));

        Assert.Empty(h.Publisher.Trades);
        var decision = Assert.Single(h.Stage.RecentDecisions());
        Assert.Contains("held by the risk gate: kill switch engaged", decision.Reason);
        Assert.Equal(1, h.Stage.Counters.HeldByRisk);
    }

    [Fact]
    public void A_halted_account_is_not_decided()
    {
        var h = TwoAccounts();
        h.Gate.Halted.Add(0);

        h.Batch(("A", 13));

        Assert.Empty(h.Publisher.Trades);
        Assert.True(h.Gate.Observed > 0);
    }

    [Fact]
    public async Task A_released_account_breaker_lets_the_account_trade_in_the_next_batch()
    {
        var h = TwoAccounts();
        h.Gate.Halted.Add(0);
        h.Batch(("A", 13));
        Assert.Empty(h.Publisher.Trades);

        var notHalted = h.Control.Send(new ReleaseBreaker("ops", "reviewed", BreakerKind.Account, "Y"));
        var unknown = h.Control.Send(new ReleaseBreaker("ops", "reviewed", BreakerKind.Account, "nobody"));
        var release = h.Control.Send(new ReleaseBreaker("ops", "reviewed: the move was a real price", BreakerKind.Account, "X"));
        h.Batch();

        Assert.False((await notHalted).Applied);
        Assert.Contains("not halted", (await notHalted).Detail);
        Assert.Contains("unknown account 'nobody'", (await unknown).Detail);
        Assert.True((await release).Applied);
        Assert.Empty(h.Gate.Halted);
        Assert.NotEmpty(h.Publisher.Trades);
    }

    [Fact]
    public async Task A_deposit_is_cash_at_once_and_invested_without_selling()
    {
        var h = TwoAccounts();

        var result = h.Control.Send(new ApplyCashFlow("ops", "client deposit", new CashFlow("Y", CashFlowKind.Deposit, 1000)));
        h.Batch();

        Assert.True((await result).Applied);
        Assert.Equal(1000, h.Book.Cash[1]);
        Assert.NotEmpty(h.Publisher.Trades);
        Assert.All(h.Publisher.Trades, t => Assert.Equal(TradeSide.Buy, t.Side));
        Assert.Equal(1000m, h.Publisher.Trades.Sum(t => t.Quantity * t.Price));
    }

    [Fact]
    public void A_withdrawal_is_raised_by_selling_and_leaves_the_account_when_the_sells_fill()
    {
        var h = TwoAccounts();

        h.Control.Send(new ApplyCashFlow("ops", "client withdrawal", new CashFlow("X", CashFlowKind.Withdrawal, 400)));
        h.Batch();
        Assert.All(h.Publisher.Trades, t => Assert.Equal(TradeSide.Sell, t.Side));
        var raised = h.Publisher.Trades.Sum(t => t.Quantity * t.Price);
        h.FillAll();
        h.Batch();

        Assert.Equal((double)(raised - 400), h.Book.Cash[0], 6);
    }

    [Fact]
    public async Task A_policy_edit_for_a_model_changes_every_account_on_it_or_none()
    {
        var h = TwoAccounts();

        var bad = h.Control.Send(new EditPolicy("admin", "widen", null, "AB", p => p with { BandWidth = 2 }));
        h.Batch();
        var refused = await bad;
        Assert.False(refused.Applied);
        Assert.Contains("bandWidth", refused.Detail);
        Assert.Equal(0.05, h.Book.BandWidths[0]);

        var good = h.Control.Send(new EditPolicy("admin", "conservative client", null, "AB", p => p with { BandWidth = 0.10 }));
        h.Batch(("A", 13));
        Assert.True((await good).Applied);
        Assert.Equal(0.10, h.Book.BandWidths[0]);
        Assert.Equal(h.Book.Policy(1).Version + 1, h.Book.Policy(0).Version);
        // 6.5 points of drift is inside the new 10-point band.
        Assert.Empty(h.Publisher.Trades);
    }

    /// <summary>
    /// Z holds A and B (liquid) and C (illiquid, a fifth of the model). A doubling of A puts A and C out of band: the
    /// plan sells A and buys B, and waits for an operator because C cannot be traded automatically.
    /// </summary>
    private static Harness HeldWithTrades(int approvalExpiryDays = 1)
    {
        var h = new Harness(new TestBook()
            .Instrument("A", 10).Instrument("B", 10).Instrument("C", 10, liquid: false)
            .Model("ABC", ("A", 0.4), ("B", 0.4), ("C", 0.2))
            .Account("Z", "ABC", 0, positions: [("A", 40), ("B", 40), ("C", 20)])
            .Load().Book, approvalExpiryDays: approvalExpiryDays);
        h.Batch(("A", 20));
        Assert.Empty(h.Publisher.Trades);
        var held = Assert.Single(h.Stage.PendingApprovals());
        Assert.True(held.HasTrades);
        Assert.Contains(held.Trades, t => t.InstrumentId == "A" && t.Side == TradeSide.Sell && t.Price == 20m);
        return h;
    }

    [Fact]
    public async Task An_approval_releases_the_held_trades_sized_again_at_the_prices_of_the_batch_it_is_given_in()
    {
        var h = HeldWithTrades();
        var heldSale = h.Stage.PendingApprovals()[0].Trades.Single(t => t.InstrumentId == "A");

        // A rises further before the operator approves: what goes out is priced and sized at 25, not at the held 20.
        h.Batch(("A", 25));
        var answer = h.Control.Send(new DecideApproval("ops", "checked the illiquid fund", "Z", Approve: true));
        h.Batch();

        var result = await answer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(result.Applied, result.Detail);
        Assert.Contains("released, sized at this batch's prices", result.Detail);
        var sale = Assert.Single(h.Publisher.Trades, t => t.Side == TradeSide.Sell);
        Assert.Equal(25m, sale.Price);
        Assert.NotEqual(heldSale.Quantity, sale.Quantity);
        Assert.Equal(0, h.Stage.AwaitingApproval);
        Assert.Contains("approved by ops: checked the illiquid fund", h.Stage.RecentDecisions()[0].Reason);
    }

    [Fact]
    public async Task An_approval_for_an_account_back_within_its_bands_releases_nothing_and_says_so()
    {
        var h = HeldWithTrades();

        h.Batch(("A", 10));
        var answer = h.Control.Send(new DecideApproval("ops", "checked", "Z", Approve: true));
        h.Batch();

        var result = await answer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("within its bands", result.Detail);
        Assert.Empty(h.Publisher.Trades);
        Assert.Equal(0, h.Stage.AwaitingApproval);
    }

    [Fact]
    public async Task A_held_item_expires_when_its_market_day_ends_and_the_account_is_held_again_at_the_next_days_prices()
    {
        var h = HeldWithTrades();
        var first = h.Stage.PendingApprovals()[0];
        Assert.Equal(DateOnly.FromDateTime(new DateTime(Day1)), first.LastDay);

        var nextDay = Day1 + TimeSpan.FromDays(1).Ticks;
        h.BatchAt(nextDay, ("A", 22));

        Assert.Equal(1, h.Stage.Counters.ApprovalsExpired);
        var again = Assert.Single(h.Stage.PendingApprovals());
        Assert.Equal(first.Since.AddDays(1), again.Since);
        Assert.Contains(again.Trades, t => t.InstrumentId == "A" && t.Price == 22m);
        Assert.NotEqual(first.Id, again.Id);
        Assert.Empty(h.Publisher.Trades);

        // An approval sent as the next day opens comes after the day's expiry: it finds no item, says why, and
        // releases nothing (the account is held again, at that day's prices).
        var answer = h.Control.Send(new DecideApproval("ops", "late", "Z", Approve: true));
        h.BatchAt(nextDay + TimeSpan.FromDays(1).Ticks);
        var late = await answer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(late.Applied);
        Assert.Contains("expires when its last market day is over", late.Detail);
        Assert.Empty(h.Publisher.Trades);
        Assert.Equal(2, h.Stage.Counters.ApprovalsExpired);
    }

    [Fact]
    public void With_no_expiry_a_held_item_stands_until_an_operator_decides()
    {
        var h = HeldWithTrades(approvalExpiryDays: 0);
        var first = h.Stage.PendingApprovals()[0];
        Assert.Null(first.LastDay);

        h.BatchAt(Day1 + TimeSpan.FromDays(3).Ticks, ("A", 22));

        Assert.Equal(0, h.Stage.Counters.ApprovalsExpired);
        Assert.Equal(first, Assert.Single(h.Stage.PendingApprovals()));
    }

    [Fact]
    public void A_held_item_shows_what_the_risk_gate_would_say_of_its_trades()
    {
        var h = HeldWithTrades();
        Assert.Equal("the risk gate would pass them at the held prices", h.Stage.PendingApprovals()[0].RiskCheck);

        h.Gate.Refusal = "order notional over the limit";
        h.BatchAt(Day1 + TimeSpan.FromDays(1).Ticks, ("A", 21));

        Assert.Equal("the risk gate would refuse them at the held prices: order notional over the limit", h.Stage.PendingApprovals()[0].RiskCheck);
    }

    [Fact]
    public async Task An_illiquid_holding_out_of_band_waits_for_approval_and_an_approval_with_nothing_liquid_to_trade_sends_nothing()
    {
        var h = TwoAccounts(illiquidD: true);

        h.Batch(("C", 14));
        Assert.Empty(h.Publisher.Trades);
        Assert.Equal(1, h.Stage.AwaitingApproval);
        Assert.Equal(DecisionAction.NeedsApproval, h.Stage.RecentDecisions()[0].Action);
        var held = Assert.Single(h.Stage.PendingApprovals());
        Assert.False(held.HasTrades);
        Assert.Contains("nothing for the risk gate to check", held.RiskCheck);

        var unknown = h.Control.Send(new DecideApproval("ops", "ok", "X", Approve: true));
        var approve = h.Control.Send(new DecideApproval("ops", "checked with the client", "Y", Approve: true));
        h.Batch();

        Assert.False((await unknown).Applied);
        var approved = await approve;
        Assert.True(approved.Applied, approved.Detail);
        Assert.Contains("traded by hand", approved.Detail);
        Assert.Empty(h.Publisher.Trades);
        Assert.Equal(0, h.Stage.AwaitingApproval);
        Assert.Contains("acknowledged by ops", h.Stage.RecentDecisions()[0].Reason);
    }

    [Fact]
    public void A_command_without_who_or_why_is_refused_at_the_door()
    {
        var control = new ControlPlane();
        Assert.Throws<ArgumentException>(() => { _ = control.Send(new SweepAll("", "because")); });
        Assert.Throws<ArgumentException>(() => { _ = control.Send(new SweepAll("ops", " ")); });
    }

    [Fact]
    public async Task A_closed_account_leaves_the_book_in_kind_and_is_never_decided_again_and_a_close_waits_for_trades_in_flight()
    {
        var h = TwoAccounts();
        h.Book.ApplyCashFlow(0, 250);
        var closeNow = await SendAndBatch(h, new CloseAccount("admin", "client left", "Y"));
        Assert.True(closeNow.Applied, closeNow.Detail);
        Assert.Contains("Y closed by admin", closeNow.Detail);
        Assert.Contains("transferred out in kind", closeNow.Detail);
        Assert.True(h.Stage.IsClosed(1));

        // X breaches and trades: it closes once its fills are in, so none lands in a closed account.
        h.Batch(("A", 14));
        Assert.NotEmpty(h.Publisher.Trades);
        var early = await SendAndBatch(h, new CloseAccount("admin", "client left", "X"));
        Assert.True(early.Applied, early.Detail);
        Assert.Contains("closes once they are done", early.Detail);
        Assert.False(h.Stage.IsClosed(0));
        Assert.Contains("closed already, or closes once", (await SendAndBatch(h, new CloseAccount("admin", "twice", "X"))).Detail);

        h.FillAll();
        h.Batch();
        Assert.True(h.Stage.IsClosed(0));
        Assert.All(Enumerable.Range(h.Book.SlotStart[0], h.Book.SlotStart[1] - h.Book.SlotStart[0]), s => Assert.Equal(0, h.Book.Quantities[s]));
        Assert.Equal(0, h.Book.Cash[0]);

        // Prices that would breach any band, and a new day's calendar check: neither is decided again.
        var decided = h.Stage.RecentDecisions().Count;
        h.BatchAt(Day1 + TimeSpan.FromDays(1).Ticks, ("A", 30), ("C", 30));
        Assert.Empty(h.Publisher.Trades);
        Assert.Equal(decided, h.Stage.RecentDecisions().Count);
        Assert.Contains("closed already", (await SendAndBatch(h, new CloseAccount("admin", "again", "X"))).Detail);
        Assert.Contains("unknown account 'NOPE'", (await SendAndBatch(h, new CloseAccount("admin", "typo", "NOPE"))).Detail);
    }

    private static async Task<CommandResult> SendAndBatch(Harness h, ControlCommand command)
    {
        var answer = h.Control.Send(command);
        h.Batch();
        return await answer.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
