using System.Collections.Concurrent;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using FastRebal.Engine.Tax;
using static FastRebal.Engine.Tests.Pipeline.MarketClock;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>
/// Corporate actions while the engine runs: a split multiplies every holding and lot of the instrument and divides its
/// price (value, cost basis and drift unchanged), pays a fraction of a share as cash in lieu, waits for trades in
/// flight; a symbol change renames the instrument; a checkpoint keeps both.
/// </summary>
public class CorporateActionTests
{
    private sealed class Ledger : IBookLedger
    {
        public List<(int Account, BookMovementKind Kind, int Instrument, decimal Quantity, decimal Cash)> Rows { get; } = [];

        public void Record(DateOnly day, int account, BookMovementKind kind, int instrument, decimal quantity, decimal cash) => Rows.Add((account, kind, instrument, quantity, cash));
    }

    private static readonly DateOnly Day1 = new(2025, 6, 2);

    /// <summary>The stage over <see cref="ThreeAccountBook"/>.</summary>
    private sealed class Engine
    {
        public Engine(params BookEvent[] events)
        {
            Book = ThreeAccountBook.Book();
            Tax = ThreeAccountBook.Lots(Book, Day1);
            Stage = new EvaluationStage(Book, Control, Fills, new OpenGate(), Published, new LatencyRecorder("test"), tax: Tax, bookEvents: events) { BookLedger = Ledger };
        }

        public State.AccountBook Book { get; }

        public TaxBook Tax { get; }

        public ControlPlane Control { get; } = new();

        public ConcurrentQueue<AccountFill> Fills { get; } = new();

        public PublishedTrades Published { get; } = new();

        public Ledger Ledger { get; } = new();

        public EvaluationStage Stage { get; }

        public double Quantity(string account, string instrument) => Book.Quantities[Book.SlotOf(Book.FindAccount(account), Book.Instruments.IndexOf(instrument))];

        /// <summary>The account's lots of the instrument: (acquired, shares, cost basis) in the order kept.</summary>
        public (DateOnly, decimal, decimal)[] Lots(string account, string instrument) =>
            [.. Tax.Lots.Lots(Tax.Lots.SlotOf(Book.FindAccount(account), instrument)).Select(l => (l.Acquired, l.Quantity, l.CostBasis))];

        public decimal Value(int a)
        {
            var value = (decimal)Book.Cash[a];
            for (var s = Book.SlotStart[a]; s < Book.SlotStart[a + 1]; s++)
            {
                value += (decimal)(Book.Quantities[s] * Book.Prices[Book.InstrumentIndices[s]]);
            }
            return value;
        }

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
    }

    [Fact]
    public void A_split_on_its_day_multiplies_holdings_and_lots_divides_the_price_and_leaves_value_and_basis_alone()
    {
        var engine = new Engine(BookEvent.Corporate(Day1.AddDays(1), new CorporateAction("A", 2, null), "events.csv line 2"));
        engine.Stage.Open(Open(Day1));
        var values = Enumerable.Range(0, 3).Select(engine.Value).ToArray();
        var before = (engine.Quantity("X", "A"), engine.Book.Prices[0]);

        engine.Stage.Open(Open(Day1.AddDays(1)));

        Assert.Equal((150.0, 10.0), before);
        Assert.Equal((300.0, 200.0, 300.0), (engine.Quantity("X", "A"), engine.Quantity("Y", "A"), engine.Quantity("Z", "A")));
        Assert.Equal((50.0, 100.0), (engine.Quantity("X", "B"), engine.Quantity("Y", "B")));
        Assert.Equal(5.0, engine.Book.Prices[0]);
        Assert.Equal(values, Enumerable.Range(0, 3).Select(engine.Value));
        Assert.Equal([(Day1.AddDays(-400), 150m, 375m), (Day1.AddDays(-10), 150m, 900m)], engine.Lots("X", "A"));
        Assert.Equal(2.0, engine.Book.Instruments.SplitFactor(0));
        Assert.Equal(1.0, engine.Book.Instruments.SplitFactor(1));
        // Weights did not move: X stays in its band and trades nothing.
        Assert.DoesNotContain(engine.Published.Published, t => t.Account == 0);
        Assert.Equal([(0, BookMovementKind.Split, 0, 150m, 0m), (1, BookMovementKind.Split, 0, 100m, 0m), (2, BookMovementKind.Split, 0, 150m, 0m)],
            engine.Ledger.Rows.Where(r => r.Kind == BookMovementKind.Split));
        Assert.Equal((0m, 0m), engine.Tax.Lots.Realized(0));
    }

    [Fact]
    public async Task A_fraction_of_a_share_is_paid_as_cash_in_lieu_and_sold_from_the_lots()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        var cash = engine.Book.Cash[1];

        // 4-for-3: X's 150 A become 200; Y's 100 become 133 and a third, paid out at the new price of 7.50.
        var split = engine.Control.Send(new SplitInstrument("ops", "4-for-3 split", "A", 4m / 3m));
        engine.Stage.Open(Open(Day1.AddDays(1)));

        var answer = await split;
        Assert.True(answer.Applied, answer.Detail);
        Assert.Contains("2.50 cash in lieu paid in 1 account(s)", answer.Detail, StringComparison.Ordinal);
        Assert.Equal((200.0, 133.0), (engine.Quantity("X", "A"), engine.Quantity("Y", "A")));
        Assert.Equal(cash + 2.50, engine.Book.Cash[1], 6);
        var lots = engine.Lots("Y", "A");
        Assert.Equal(133m, decimal.Round(lots.Sum(l => l.Item2), 10));
        // The old lot (first in) gave the third of a share: 2.50 against a basis of 250 / 66.67 a share, long-term.
        Assert.Equal(600m, lots[1].Item3);
        var (shortTerm, longTerm) = engine.Tax.Lots.Realized(1);
        Assert.Equal((0m, 1.25m), (shortTerm, decimal.Round(longTerm, 6)));
        // The ledger has the shares the split added and the third paid out, with its cash.
        var rows = engine.Ledger.Rows.Where(r => r.Account == 1 && r.Kind == BookMovementKind.Split).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal((133m, 2.50m), (decimal.Round(100m + rows.Sum(r => r.Quantity), 10), rows.Sum(r => r.Cash)));
    }

    [Fact]
    public async Task A_reverse_split_divides_the_shares_and_a_fractional_instrument_keeps_its_fraction()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));

        var split = engine.Control.Send(new SplitInstrument("ops", "1-for-4 reverse split", "B", 0.25m));
        engine.Stage.Open(Open(Day1.AddDays(1)));

        Assert.True((await split).Applied);
        // 50 B become 12 and a half (paid out), 100 become 25.
        Assert.Equal((12.0, 25.0), (engine.Quantity("X", "B"), engine.Quantity("Y", "B")));
        Assert.Equal(40.0, engine.Book.Prices[1]);
        Assert.Equal(20.0, engine.Book.Cash[0], 6);
    }

    [Fact]
    public async Task A_split_waits_for_trades_in_flight_of_the_accounts_that_hold_the_instrument()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        // A deposit X invests: its trades are in flight.
        var deposit = engine.Control.Send(new ApplyCashFlow("ops", "bonus", new CashFlow("X", CashFlowKind.Deposit, 1000)));
        engine.Stage.Open(Open(Day1.AddDays(1)));
        Assert.True((await deposit).Applied);
        var inFlight = engine.Published.Published.Where(t => t.Account == 0).ToList();
        Assert.NotEmpty(inFlight);

        var split = engine.Control.Send(new SplitInstrument("ops", "2-for-1", "A", 2));
        var again = engine.Control.Send(new SplitInstrument("ops", "twice", "A", 3));
        engine.Stage.Open(Open(Day1.AddDays(2)));

        Assert.Equal("1 account(s) holding or targeting A have trades in flight: the split applies once they are done, and those accounts trade nothing new meanwhile", (await split).Detail);
        Assert.Equal("split of A: another split of it waits for trades in flight", (await again).Detail);
        Assert.Equal(10.0, engine.Book.Prices[0]);
        var boughtA = inFlight.Where(t => t.Instrument == 0).Sum(t => t.Side == TradeSide.Buy ? t.Quantity : -t.Quantity);

        // A checkpoint taken while it waits keeps it; the restored engine applies it once the fills are in, as the live one does.
        var chunks = BookState.Capture(engine.Book, new EngineImage());
        var image = engine.Stage.Capture(chunks);
        image.EncodeHeldPlans();
        Assert.Equal(["A"], image.WaitingSplits.Select(s => s.Target));
        var restored = new Engine();
        BookState.Restore(restored.Book, new EngineImage { Prices = [.. engine.Book.Prices], AccountCount = 3 }, chunks, []);
        restored.Stage.Restore(image, chunks);
        restored.Published.Published.AddRange(engine.Published.Published);

        foreach (var e in new[] { engine, restored })
        {
            e.FillAll(Day1.AddDays(3));
            Assert.Equal(5.0, e.Book.Prices[0]);
            Assert.Equal((double)((150 + boughtA) * 2), e.Quantity("X", "A"), 6);
            Assert.Empty(e.Stage.Capture(BookState.Capture(e.Book, new EngineImage())).WaitingSplits);
        }
    }

    [Fact]
    public async Task A_plan_waiting_for_approval_was_sized_in_old_shares_and_is_dropped_then_held_again_in_new_ones()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        var held = Assert.Single(engine.Stage.PendingApprovals());
        Assert.Equal("Z", held.Decision.AccountId);

        // Later the same day (a held plan expires at the day's end).
        var split = engine.Control.Send(new SplitInstrument("ops", "2-for-1", "A", 2));
        engine.Stage.Open(Open(Day1) + TimeSpan.TicksPerHour);

        Assert.Contains("1 plan(s) waiting for approval were sized in old shares and dropped", (await split).Detail, StringComparison.Ordinal);
        var again = Assert.Single(engine.Stage.PendingApprovals());
        Assert.Equal("Z", again.Decision.AccountId);
        Assert.Equal(held.Trades.Count, again.Trades.Count);
        Assert.All(again.Trades.Where(t => t.InstrumentId == "A"), t => Assert.Equal(5m, t.Price));
    }

    [Fact]
    public async Task A_symbol_change_renames_the_instrument_and_a_checkpoint_keeps_the_ticker_and_the_split_factor()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        var rename = engine.Control.Send(new ChangeSymbol("ops", "ticker change", "A", "AAA"));
        var split = engine.Control.Send(new SplitInstrument("ops", "2-for-1", "B", 2));
        engine.Stage.Open(Open(Day1.AddDays(1)));

        Assert.Equal($"A trades as AAA (was A) from {Day1.AddDays(1):yyyy-MM-dd}; its positions, lots and targets are unchanged", (await rename).Detail);
        Assert.True((await split).Applied);
        Assert.Equal(("A", "AAA"), (engine.Book.Instruments[0].Id, engine.Book.Instruments[0].Symbol));
        Assert.Equal(0, engine.Book.Instruments.FindSymbol("AAA"));

        var chunks = BookState.Capture(engine.Book, new EngineImage());
        var image = engine.Stage.Capture(chunks);
        image.EncodeHeldPlans();
        var restored = new Engine();
        restored.Stage.Restore(image, chunks);

        Assert.Equal("AAA", restored.Book.Instruments[0].Symbol);
        Assert.Equal(2.0, restored.Book.Instruments.SplitFactor(1));
        Assert.Equal(1.0, restored.Book.Instruments.SplitFactor(0));
    }

    [Fact]
    public async Task Every_refused_corporate_action_says_why_and_changes_nothing()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        var answers = new[]
        {
            engine.Control.Send(new SplitInstrument("ops", "typo", "NOPE", 2)),
            engine.Control.Send(new SplitInstrument("ops", "no-op", "A", 1)),
            engine.Control.Send(new SplitInstrument("ops", "negative", "A", -2)),
            engine.Control.Send(new SplitInstrument("ops", "absurd", "A", 5000)),
            engine.Control.Send(new ChangeSymbol("ops", "clash", "A", "B")),
            engine.Control.Send(new ChangeSymbol("ops", "same", "A", "A")),
            engine.Control.Send(new ChangeSymbol("ops", "space", "A", "A A")),
            engine.Control.Send(new ChangeSymbol("ops", "empty", "A", " ")),
            engine.Control.Send(new ChangeSymbol("ops", "typo", "NOPE", "N")),
        };
        engine.Stage.Open(Open(Day1.AddDays(1)));

        var details = new List<string>();
        foreach (var answer in answers)
        {
            var result = await answer;
            Assert.False(result.Applied, result.Detail);
            details.Add(result.Detail);
        }
        Assert.Equal(
        [
            "split: unknown instrument 'NOPE'",
            "split of A: a split ratio is the new shares per old share, other than 1, between 0.001 and 1000 (2 for 2-for-1, 0.1 for 1-for-10); got 1",
            "split of A: a split ratio is the new shares per old share, other than 1, between 0.001 and 1000 (2 for 2-for-1, 0.1 for 1-for-10); got -2",
            "split of A: a split ratio is the new shares per old share, other than 1, between 0.001 and 1000 (2 for 2-for-1, 0.1 for 1-for-10); got 5000",
            "symbol change of A: B is the ticker of instrument B",
            "symbol change of A: it trades as A already",
            "symbol change of A: a ticker has no spaces, commas or control characters, got 'A A'",
            "symbol change of A: a symbol change needs the new ticker",
            "symbol change: unknown instrument 'NOPE'",
        ], details);
        Assert.Equal((10.0, "A", 1.0), (engine.Book.Prices[0], engine.Book.Instruments[0].Symbol, engine.Book.Instruments.SplitFactor(0)));
        Assert.Empty(engine.Stage.Capture(BookState.Capture(engine.Book, new EngineImage())).CorporateActions);
    }

    [Fact]
    public void A_split_of_the_reference_index_is_not_a_fall_for_the_market_wide_breaker()
    {
        static bool HaltedAfter(bool split)
        {
            var book = new TestBook().Instrument("SPY", 400).Model("M", ("SPY", 1.0)).Account("X", "M", 0, positions: [("SPY", 1)]).Load().Book;
            var gate = new RiskPlanGate(new RiskGate(1, 1, book.Instruments, new PreTradeLimits(), new KillSwitch(new InMemoryKillSwitchStore()), new BookPrices(book)), referenceIndex: 0);
            gate.ObservePrice(0, 400, Day1);
            gate.ObservePrice(0, 400, Day1.AddDays(1));
            if (split)
            {
                gate.InstrumentSplit(0, 4);
            }
            gate.ObservePrice(0, 99, Day1.AddDays(1));
            return gate.Gate.Market.IsHalted;
        }

        Assert.True(HaltedAfter(split: false));
        Assert.False(HaltedAfter(split: true));
    }
}
