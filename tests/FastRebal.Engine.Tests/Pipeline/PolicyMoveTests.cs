using System.Collections.Concurrent;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Tax;
using static FastRebal.Engine.Tests.Pipeline.MarketClock;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>
/// Moving an account to another named IPS while the engine runs: the policy and the tax elections change together on
/// the move's day, every refusal changes nothing, and a checkpoint keeps the moved elections.
/// </summary>
public class PolicyMoveTests
{
    private static readonly DateOnly Day1 = new(2025, 6, 2);

    private static TaxPolicyInput Elections(LotMethod method, TaxStatus status = TaxStatus.Taxable, IReadOnlyDictionary<string, IReadOnlyList<string>>? specific = null) =>
        new(status, method, specific, GainsBudget: null, DeferLongTermWithinDays: null, Harvest: null, ShortTermTaxRate: null, LongTermTaxRate: null, CashOnly: null);

    /// <summary>A tight band (X, 75% A against a 50% target, is out of it) with the given lot method.</summary>
    private static NamedPolicy Tight(LotMethod method, TaxStatus status = TaxStatus.Taxable) =>
        new(TestBook.Policy(band: 0.05) with { Id = "IPS-TIGHT", Version = 2, TaxStatus = status }, Elections(method, status));

    /// <summary>The stage over <see cref="ThreeAccountBook"/>.</summary>
    private sealed class Engine
    {
        public Engine(params BookEvent[] events)
            : this(1, events)
        {
        }

        /// <param name="approvalExpiryDays">Market days a held plan stands (0: until decided).</param>
        public Engine(int approvalExpiryDays, params BookEvent[] events)
        {
            Book = ThreeAccountBook.Book();
            Tax = ThreeAccountBook.Lots(Book, Day1);
            Stage = new EvaluationStage(Book, Control, Fills, new OpenGate(), Published, new LatencyRecorder("test"), tax: Tax, bookEvents: events, approvalExpiryDays: approvalExpiryDays);
        }

        public State.AccountBook Book { get; }

        public TaxBook Tax { get; }

        public ControlPlane Control { get; } = new();

        public ConcurrentQueue<AccountFill> Fills { get; } = new();

        public PublishedTrades Published { get; } = new();

        public EvaluationStage Stage { get; }

        /// <summary>Fills every trade published so far in full at its price, in one batch.</summary>
        public void FillAll(DateOnly day)
        {
            foreach (var t in Published.Published.OrderBy(t => t.Side == TradeSide.Sell ? 0 : 1))
            {
                Fills.Enqueue(new AccountFill(t.Account, t.Instrument, t.Side, t.Quantity, t.Price, TradeComplete: true));
            }
            Published.Published.Clear();
            Stage.Open(Open(day));
        }

        /// <summary>X's lots of A: (acquired, shares) in the order kept.</summary>
        public (DateOnly, decimal)[] LotsOfA() => [.. Tax.Lots.Lots(Tax.Lots.SlotOf(0, "A")).Select(l => (l.Acquired, l.Quantity))];

        public EvaluationImage Capture() => Stage.Capture(BookState.Capture(Book, new EngineImage()));
    }

    [Theory]
    [InlineData(LotMethod.HighestCost, 25, 75)] // the dear new lot goes first: a loss
    [InlineData(LotMethod.Fifo, 75, 25)] // the cheap old lot goes first: a gain
    public void A_move_applies_on_its_day_and_the_new_lot_method_picks_the_lots_the_rebalance_sells(LotMethod method, int newLotLeft, int oldLotLeft)
    {
        var engine = new Engine(BookEvent.MoveTo(Day1.AddDays(1), "X", Tight(method), "events.csv line 2"));

        engine.Stage.Open(Open(Day1));
        var before = (engine.Book.Policy(0).Id, engine.Published.Published.Count);
        engine.Stage.Open(Open(Day1.AddDays(1)));

        Assert.Equal(("IPS-1", 0), before);
        Assert.Equal(("IPS-TIGHT", 2), (engine.Book.Policy(0).Id, engine.Book.Policy(0).Version));
        Assert.Equal(method, engine.Tax.Settings(0).LotMethod);
        Assert.Equal(LotMethod.Fifo, engine.Tax.Settings(1).LotMethod);
        Assert.Equal("IPS-1", engine.Book.Policy(1).Id);
        // Re-decided on the move's day under the tight band: X sells 50 A and buys 50 B.
        Assert.Contains(engine.Published.Published, t => t is { Account: 0, Side: TradeSide.Sell, Quantity: 50 });
        engine.FillAll(Day1.AddDays(1));
        Assert.Equal([(Day1.AddDays(-400), (decimal)oldLotLeft), (Day1.AddDays(-10), (decimal)newLotLeft)], engine.LotsOfA().Where(l => l.Item2 > 0));
    }

    [Fact]
    public async Task An_operator_moves_an_account_and_each_refusal_names_its_reason_and_changes_nothing()
    {
        // Z's plan held for approval on day 1 must still be held when the moves apply on day 2.
        var engine = new Engine(approvalExpiryDays: 0);
        engine.Stage.Open(Open(Day1));
        var deferred = engine.Control.Send(new MoveToPolicy("ops", "client retired", "Y", Tight(LotMethod.HighestCost, TaxStatus.TaxDeferred)));
        var unknown = engine.Control.Send(new MoveToPolicy("ops", "typo", "NOPE", Tight(LotMethod.HighestCost)));
        var restricted = engine.Control.Send(new MoveToPolicy("ops", "esg", "Y", Tight(LotMethod.HighestCost) with { Policy = Tight(LotMethod.HighestCost).Policy with { RestrictedInstruments = ["A"] } }));
        var same = engine.Control.Send(new MoveToPolicy("ops", "again", "Y", new NamedPolicy(TestBook.Policy() with { Version = 9 }, Elections(LotMethod.HighestCost))));
        var unknownLot = engine.Control.Send(new MoveToPolicy("ops", "name the lots", "Y", Tight(LotMethod.SpecificLots) with { Tax = Elections(LotMethod.SpecificLots, specific: new Dictionary<string, IReadOnlyList<string>> { ["A"] = ["no-such-lot"] }) }));
        var moved = engine.Control.Send(new MoveToPolicy("ops", "client asked", "X", Tight(LotMethod.HighestCost)));
        var held = engine.Control.Send(new MoveToPolicy("ops", "client asked", "Z", Tight(LotMethod.HighestCost)));
        engine.Stage.Open(Open(Day1.AddDays(1)));
        // X now has trades in flight (its rebalance under the tight band): a move back waits until they are done.
        var inFlight = engine.Control.Send(new MoveToPolicy("ops", "back", "X", new NamedPolicy(TestBook.Policy(band: 0.3) with { Id = "IPS-WIDE" }, Elections(LotMethod.Fifo))));
        engine.Stage.Open(Open(Day1.AddDays(1)));

        Assert.Contains("policy.taxStatus cannot change on a running book (Taxable to TaxDeferred", (await deferred).Detail, StringComparison.Ordinal);
        Assert.Contains("reload the account", (await deferred).Detail, StringComparison.Ordinal);
        Assert.Contains("unknown account 'NOPE'", (await unknown).Detail, StringComparison.Ordinal);
        Assert.Contains("policy.restrictedInstruments cannot change on a running book", (await restricted).Detail, StringComparison.Ordinal);
        Assert.Contains("already on policy 'IPS-1' (version 3)", (await same).Detail, StringComparison.Ordinal);
        Assert.Contains("policy.specificLots.A A: unknown lot 'no-such-lot'", (await unknownLot).Detail, StringComparison.Ordinal);
        Assert.Equal("X has trades in flight: it moves to policy 'IPS-WIDE' once they are done, and trades nothing new meanwhile", (await inFlight).Detail);
        Assert.True((await inFlight).Applied);
        Assert.Contains("Z has trades waiting for approval; approve or reject them", (await held).Detail, StringComparison.Ordinal);
        Assert.Equal("IPS-1", engine.Book.Policy(2).Id);
        Assert.All([deferred, unknown, restricted, same, unknownLot, held], r => Assert.False(r.Result.Applied));
        Assert.True((await moved).Applied, (await moved).Detail);
        Assert.Equal("X moved from policy 'IPS-1' version 3 to policy 'IPS-TIGHT' version 2; tax elections now lot method HighestCost, gains budget none, harvesting off", (await moved).Detail);
        Assert.Equal(("IPS-1", 3, LotMethod.Fifo), (engine.Book.Policy(1).Id, engine.Book.Policy(1).Version, engine.Tax.Settings(1).LotMethod));
        Assert.Equal(("IPS-TIGHT", LotMethod.HighestCost), (engine.Book.Policy(0).Id, engine.Tax.Settings(0).LotMethod));
    }

    [Fact]
    public async Task A_move_waits_for_the_accounts_trades_in_flight_trading_nothing_new_and_a_checkpoint_keeps_it_waiting()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        var tighten = engine.Control.Send(new MoveToPolicy("ops", "client asked", "X", Tight(LotMethod.HighestCost)));
        engine.Stage.Open(Open(Day1.AddDays(1)));
        Assert.True((await tighten).Applied);
        Assert.Contains(engine.Published.Published, t => t.Account == 0);

        // X's rebalance under the tight band is in flight: the move back waits, and a second one is refused.
        var widen = engine.Control.Send(new MoveToPolicy("ops", "back", "X", new NamedPolicy(TestBook.Policy(band: 0.3) with { Id = "IPS-WIDE" }, Elections(LotMethod.Lifo))));
        var again = engine.Control.Send(new MoveToPolicy("ops", "twice", "X", new NamedPolicy(TestBook.Policy(band: 0.3) with { Id = "IPS-OTHER" }, Elections(LotMethod.Lifo))));
        engine.Stage.Open(Open(Day1.AddDays(2)));
        Assert.True((await widen).Applied, (await widen).Detail);
        Assert.Equal("X already waits to move to policy 'IPS-WIDE' once its trades in flight are done", (await again).Detail);
        Assert.Equal("IPS-TIGHT", engine.Book.Policy(0).Id);

        // A checkpoint taken while it waits keeps the move; the restored engine applies it once the fills are in.
        var chunks = BookState.Capture(engine.Book, new EngineImage());
        var image = engine.Stage.Capture(chunks);
        image.EncodeHeldPlans();
        Assert.Equal(["X"], image.WaitingMoves.Select(m => m.AccountId));
        var restored = new Engine();
        restored.Stage.Restore(image, chunks);
        restored.Published.Published.AddRange(engine.Published.Published);

        foreach (var e in new[] { engine, restored })
        {
            e.FillAll(Day1.AddDays(3));
            Assert.Equal(("IPS-WIDE", LotMethod.Lifo), (e.Book.Policy(0).Id, e.Tax.Settings(0).LotMethod));
            Assert.Empty(e.Capture().WaitingMoves);
            // In its 30% band after the fills, X trades nothing under the wide IPS.
            Assert.DoesNotContain(e.Published.Published, t => t.Account == 0);
        }
    }

    [Fact]
    public void A_checkpoint_keeps_the_moved_elections_and_a_restore_with_another_move_is_refused()
    {
        BookEvent[] events = [BookEvent.MoveTo(Day1, "X", Tight(LotMethod.HighestCost), "test")];
        var engine = new Engine(events);
        var unmoved = new Engine();
        engine.Stage.Open(Open(Day1));
        unmoved.Stage.Open(Open(Day1));
        var chunks = BookState.Capture(engine.Book, new EngineImage());
        var image = engine.Stage.Capture(chunks);
        image.EncodeHeldPlans();

        var restored = new Engine(events);
        restored.Stage.Restore(image, chunks);
        var other = new Engine(BookEvent.MoveTo(Day1, "X", Tight(LotMethod.Lifo) with { Policy = Tight(LotMethod.Lifo).Policy with { Id = "IPS-OTHER" } }, "test"));

        Assert.Equal([0], image.MovedAccounts);
        Assert.Equal(LotMethod.HighestCost, restored.Tax.Settings(0).LotMethod);
        Assert.Equal(LotMethod.Fifo, restored.Tax.Settings(1).LotMethod);
        Assert.Equal([0], restored.Capture().MovedAccounts);
        Assert.Throws<StateMismatchException>(() => other.Stage.Restore(image, chunks));
        Assert.Empty(unmoved.Capture().MovedAccounts);
    }

    [Fact]
    public async Task A_policy_edit_changes_the_tax_elections_of_its_accounts_from_their_own_and_a_checkpoint_keeps_them()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));

        // Model AB (X and Y): highest cost first and harvesting on; every other election stays as each account has it.
        var answer = engine.Control.Send(new EditPolicy("admin", "tax-aware lot relief", null, "AB", p => p with { MinTradeValue = 50 })
        {
            EditTax = t => t with { LotMethod = LotMethod.HighestCost, Harvest = t.Harvest with { Enabled = true } },
        });
        engine.Stage.Open(Open(Day1.AddDays(1)));
        var result = await answer.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Applied, result.Detail);
        Assert.Contains("tax elections of 2 taxable account(s)", result.Detail);
        Assert.Equal((LotMethod.HighestCost, true), (engine.Tax.Settings(0).LotMethod, engine.Tax.Settings(0).Harvest.Enabled));
        Assert.Equal(LotMethod.HighestCost, engine.Tax.Settings(1).LotMethod);
        Assert.Equal((LotMethod.Fifo, false), (engine.Tax.Settings(2).LotMethod, engine.Tax.Settings(2).Harvest.Enabled));
        Assert.Equal(50m, engine.Book.Policy(1).MinTradeValue);

        // A bad election refuses the whole edit: no policy and no election changes.
        var bad = engine.Control.Send(new EditPolicy("admin", "oops", null, "AB", p => p with { MinTradeValue = 60 }) { EditTax = t => t with { GainsBudget = -1 } });
        engine.Stage.Open(Open(Day1.AddDays(2)));
        var refused = await bad.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(refused.Applied);
        Assert.Contains("policy.gainsBudget must not be negative", refused.Detail);
        Assert.Equal(50m, engine.Book.Policy(0).MinTradeValue);
        Assert.Null(engine.Tax.Settings(0).GainsBudget);

        // A checkpoint keeps the edited elections, and a restore puts them back.
        var chunks = BookState.Capture(engine.Book, new EngineImage());
        var image = engine.Stage.Capture(chunks);
        image.EncodeHeldPlans();
        Assert.Equal([0, 1], image.MovedAccounts);
        var restored = new Engine();
        restored.Stage.Restore(image, chunks);
        Assert.Equal((LotMethod.HighestCost, true), (restored.Tax.Settings(1).LotMethod, restored.Tax.Settings(1).Harvest.Enabled));
        Assert.Equal(LotMethod.Fifo, restored.Tax.Settings(2).LotMethod);
    }

    [Fact]
    public async Task A_closed_accounts_lots_leave_with_its_shares_realizing_nothing_and_a_checkpoint_keeps_it_closed()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        var realized = engine.Tax.Lots.Realized(1);

        var close = engine.Control.Send(new CloseAccount("admin", "client moved to another firm", "Y"));
        engine.Stage.Open(Open(Day1.AddDays(1)));
        var result = await close.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Applied, result.Detail);
        Assert.Equal(0, engine.Tax.Lots.LotCount(engine.Tax.Lots.SlotOf(1, "A")));
        Assert.Equal(0, engine.Tax.Lots.LotCount(engine.Tax.Lots.SlotOf(1, "B")));
        Assert.Equal(realized, engine.Tax.Lots.Realized(1));
        // X keeps its lots.
        Assert.Equal(2, engine.Tax.Lots.LotCount(engine.Tax.Lots.SlotOf(0, "B")));

        var chunks = BookState.Capture(engine.Book, new EngineImage());
        var image = engine.Stage.Capture(chunks);
        image.EncodeHeldPlans();
        Assert.Equal([1], image.ClosedAccounts);
        var restored = new Engine();
        restored.Stage.Restore(image, chunks);
        Assert.True(restored.Stage.IsClosed(1));
        Assert.False(restored.Stage.IsClosed(0));
    }
}
