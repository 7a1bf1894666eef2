using System.Collections.Concurrent;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;
using static FastRebal.Engine.Tests.Pipeline.MarketClock;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>
/// Moving an account to another model while running: in its own row when it has a place for each of the model's
/// instruments, otherwise into a free row with its holdings, lots and cash; it waits for trades in flight, and a
/// checkpoint gives it back its row and targets.
/// </summary>
public class ModelMoveTests
{
    private static readonly DateOnly Day1 = new(2025, 6, 2);

    /// <summary>X holds 100 A and 50 B (1,000 each, in balance) on model AB with a 5% band; Y likewise. Model BA is 70% B, model AC holds C.</summary>
    private sealed class Engine
    {
        public Engine(int freeRows = 2, params BookEvent[] events)
        {
            var loaded = new TestBook().Instrument("A", 10).Instrument("B", 20).Instrument("C", 5)
                .Model("AB", ("A", 0.5), ("B", 0.5)).Model("BA", ("A", 0.3), ("B", 0.7)).Model("AC", ("A", 0.4), ("C", 0.6))
                .Account("X", "AB", 0, policy: TestBook.Policy(band: 0.05), positions: [("A", 100), ("B", 50)])
                .Account("Y", "AB", 0, policy: TestBook.Policy(band: 0.05), positions: [("A", 100), ("B", 50)])
                .Load().Book;
            Book = AccountBook.WithFreeRows(loaded, freeRows, loaded.Policy(0));
            var lots = new LotTable(Book);
            for (var a = 0; a < 2; a++)
            {
                lots.Track(a);
                for (var s = Book.SlotStart[a]; s < Book.SlotStart[a + 1]; s++)
                {
                    lots.AddBought(s, Day1.AddDays(-400), (decimal)Book.Quantities[s], (decimal)Book.Quantities[s] * 4);
                }
            }
            Tax = new TaxBook(lots, [.. Enumerable.Range(0, Book.AccountCount).Select(a => new AccountTaxSettings { LotMethod = a == 0 ? LotMethod.Lifo : LotMethod.Fifo })]);
            Stage = new EvaluationStage(Book, Control, Fills, new OpenGate(), Published, new LatencyRecorder("test"), tax: Tax, bookEvents: events);
        }

        public AccountBook Book { get; }

        public TaxBook Tax { get; }

        public ControlPlane Control { get; } = new();

        public ConcurrentQueue<AccountFill> Fills { get; } = new();

        public PublishedTrades Published { get; } = new();

        public EvaluationStage Stage { get; }

        public double Quantity(string account, string instrument) =>
            Book.SlotOf(Book.FindAccount(account), Book.Instruments.IndexOf(instrument)) is var s and >= 0 ? Book.Quantities[s] : double.NaN;

        public Dictionary<string, decimal> Traded(int a) => Published.Published.Where(t => t.Account == a)
            .ToDictionary(t => Book.Instruments[t.Instrument].Id, t => t.Side == TradeSide.Buy ? t.Quantity : -t.Quantity);

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
    public async Task A_model_over_the_accounts_own_instruments_is_taken_in_place_and_the_account_rebalances_to_it()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        Assert.Empty(engine.Published.Published);

        var move = engine.Control.Send(new MoveToModel("ada", "client wants more bonds", "X", "BA"));
        engine.Stage.Open(Open(Day1) + TimeSpan.TicksPerHour);

        Assert.Equal("X moved from model 'AB' to model 'BA' in its own row; it keeps its IPS, holdings, lots and cash, and is decided again against the new targets", (await move).Detail);
        Assert.Equal((0, "BA"), (engine.Book.FindAccount("X"), engine.Book.Models[engine.Book.ModelIndex(0)].Id));
        Assert.Equal([0.3, 0.7], engine.Book.Targets[engine.Book.SlotStart[0]..engine.Book.SlotStart[1]].ToArray());
        // 1,000 in A of 2,000 is 400 over 30%: 40 A sold, 20 B bought.
        Assert.Equal(new Dictionary<string, decimal> { ["A"] = -40, ["B"] = 20 }, engine.Traded(0));
        Assert.Empty(engine.Traded(1));
        Assert.Equal(2, engine.Book.FreeRows);
    }

    [Fact]
    public async Task A_model_with_an_instrument_the_account_has_no_place_for_moves_it_to_a_free_row_with_its_holdings_and_lots()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        var cash = engine.Book.Cash[0];

        var move = engine.Control.Send(new MoveToModel("ada", "client wants real assets", "X", "AC"));
        engine.Stage.Open(Open(Day1) + TimeSpan.TicksPerHour);

        Assert.Equal("X moved from model 'AB' to model 'AC' to a free row (it had no place for every instrument of the model; 1 free row(s) left); it keeps its IPS, holdings, lots and cash, and is decided again against the new targets", (await move).Detail);
        var x = engine.Book.FindAccount("X");
        Assert.Equal(2, x);
        Assert.True(engine.Book.IsFreeRow(0));
        Assert.True(engine.Stage.IsClosed(0));
        Assert.Equal((100.0, 50.0, 0.0), (engine.Quantity("X", "A"), engine.Quantity("X", "B"), engine.Quantity("X", "C")));
        Assert.Equal(cash, engine.Book.Cash[x]);
        Assert.Equal(0, engine.Book.Quantities[engine.Book.SlotStart[0]..engine.Book.SlotStart[1]].ToArray().Sum());
        Assert.Equal((2, 1), (engine.Book.OpenAccountCount, engine.Book.FreeRows));
        Assert.Equal([(100m, 400m)], engine.Tax.Lots.Lots(engine.Tax.Lots.SlotOf(x, "A")).Select(l => (l.Quantity, l.CostBasis)));
        Assert.Equal((LotMethod.Lifo, true), (engine.Tax.Settings(x).LotMethod, engine.Tax.Lots.IsTracked(x)));
        // Rebalanced to 40% A and 60% C from its new row: all of B sold, C bought.
        var traded = engine.Traded(x);
        Assert.Equal(-50, traded["B"]);
        Assert.True(traded["C"] > 0);
        Assert.Empty(engine.Traded(0));

        // A checkpoint gives the account its row back, with its holdings, lots and targets.
        var chunks = BookState.Capture(engine.Book, new EngineImage());
        var image = engine.Stage.Capture(chunks);
        image.EncodeHeldPlans();
        var restored = new Engine();
        BookState.Restore(restored.Book, new EngineImage { Prices = [.. engine.Book.Prices], AccountCount = 4 }, chunks, [.. Enumerable.Range(0, BookState.ChunkCount(engine.Book)).Select(i => BookState.CapturePolicies(engine.Book, i, new InvestmentPolicy?[4])!)]);
        restored.Stage.Restore(image, chunks);
        Assert.Equal(2, restored.Book.FindAccount("X"));
        Assert.True(restored.Book.IsFreeRow(0));
        Assert.Equal(engine.Book.Targets.ToArray(), restored.Book.Targets.ToArray());
        Assert.Equal(engine.Book.Quantities.ToArray(), restored.Book.Quantities.ToArray());
        Assert.Equal((LotMethod.Lifo, 100m), (restored.Tax.Settings(2).LotMethod, restored.Tax.Lots.Quantity(restored.Tax.Lots.SlotOf(2, "A"))));
        Assert.Equal((2, 1), (restored.Book.OpenAccountCount, restored.Book.FreeRows));
    }

    [Fact]
    public async Task A_model_move_waits_for_trades_in_flight_and_every_refusal_says_why()
    {
        var engine = new Engine(freeRows: 0);
        engine.Stage.Open(Open(Day1));
        var inPlace = engine.Control.Send(new MoveToModel("ada", "more bonds", "X", "BA"));
        engine.Stage.Open(Open(Day1) + TimeSpan.TicksPerHour);
        Assert.True((await inPlace).Applied);

        var answers = new[]
        {
            engine.Control.Send(new MoveToModel("ada", "typo", "NOPE", "AB")),
            engine.Control.Send(new MoveToModel("ada", "typo", "Y", "NOPE")),
            engine.Control.Send(new MoveToModel("ada", "same", "Y", "AB")),
            engine.Control.Send(new MoveToModel("ada", "no room", "Y", "AC")),
            engine.Control.Send(new MoveToModel("ada", "back", "X", "AB")),
            engine.Control.Send(new MoveToModel("ada", "again", "X", "AB")),
        };
        engine.Stage.Open(Open(Day1) + (2 * TimeSpan.TicksPerHour));
        var details = new List<string>();
        foreach (var answer in answers)
        {
            details.Add((await answer).Detail);
        }
        Assert.Equal(
        [
            "move to model 'AB': unknown account 'NOPE'",
            "move of Y: unknown model 'NOPE'",
            "move to model 'AB' refused: account Y is on model 'AB' already",
            "move to model 'AC' refused: account Y has no place for every instrument of model 'AC', and no row is free to move it to (run --open-capacity, Console:OpenCapacity)",
            "X has trades in flight: it moves to model 'AB' once they are done, and trades nothing new meanwhile",
            "X already waits to move to model 'AB' once its trades in flight are done",
        ], details);
        Assert.Equal("BA", engine.Book.Models[engine.Book.ModelIndex(0)].Id);
        Assert.Equal(["X"], engine.Stage.Capture(BookState.Capture(engine.Book, new EngineImage())).WaitingMoves.Select(m => m.AccountId));

        engine.FillAll(Day1.AddDays(1));
        Assert.Equal("AB", engine.Book.Models[engine.Book.ModelIndex(0)].Id);
        Assert.Empty(engine.Stage.Capture(BookState.Capture(engine.Book, new EngineImage())).WaitingMoves);
    }
}
