using System.Collections.Concurrent;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;
using static FastRebal.Engine.Tests.Pipeline.MarketClock;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>
/// Opening an account while running: it takes the next of the rows the book keeps free, gets its model's targets,
/// its IPS and tax elections, invests the cash it brings, and a checkpoint gives it back its row.
/// </summary>
public class OpenAccountTests
{
    private static readonly DateOnly Day1 = new(2025, 6, 2);

    private static NamedPolicy Named(string id, LotMethod method, TaxStatus status = TaxStatus.Taxable, IReadOnlyList<string>? restricted = null) =>
        new(TestBook.Policy(band: 0.05) with { Id = id, Version = 1, TaxStatus = status, RestrictedInstruments = restricted },
            new TaxPolicyInput(status, method, null, null, null, null, null, null, null));

    /// <summary>X holds A and B on model AB; C is a third instrument model AC targets; two rows are kept free.</summary>
    private sealed class Engine
    {
        public Engine(int freeRows = 2, params BookEvent[] events)
        {
            var loaded = new TestBook().Instrument("A", 10).Instrument("B", 20).Instrument("C", 5).Model("AB", ("A", 0.5), ("B", 0.5)).Model("AC", ("A", 0.4), ("C", 0.6))
                .Account("X", "AB", 0, policy: TestBook.Policy(band: 0.3), positions: [("A", 100), ("B", 50)])
                .Load().Book;
            Book = AccountBook.WithFreeRows(loaded, freeRows, loaded.Policy(0));
            var lots = new LotTable(Book);
            lots.Track(0);
            Tax = new TaxBook(lots, [.. Enumerable.Repeat(new AccountTaxSettings { LotMethod = LotMethod.Fifo }, Book.AccountCount)]);
            Stage = new EvaluationStage(Book, Control, Fills, new OpenGate(), Published, new LatencyRecorder("test"), tax: Tax, bookEvents: events);
        }

        public AccountBook Book { get; }

        public TaxBook Tax { get; }

        public ControlPlane Control { get; } = new();

        public ConcurrentQueue<AccountFill> Fills { get; } = new();

        public PublishedTrades Published { get; } = new();

        public EvaluationStage Stage { get; }
    }

    [Fact]
    public async Task An_opened_account_takes_a_free_row_with_its_models_targets_and_elections_and_invests_its_cash()
    {
        var engine = new Engine();
        engine.Stage.Open(Open(Day1));
        Assert.Equal((3, 1, 2), (engine.Book.AccountCount, engine.Book.OpenAccountCount, engine.Book.FreeRows));
        Assert.True(engine.Book.IsFreeRow(1));
        Assert.Equal(-1, engine.Book.FindAccount(""));

        var open = engine.Control.Send(new OpenAccount("ada", "new client", "N-1", "H-9", "AC", Named("IPS-NEW", LotMethod.HighestCost), 10_000));
        engine.Stage.Open(Open(Day1) + TimeSpan.TicksPerHour);

        var answer = await open;
        Assert.True(answer.Applied, answer.Detail);
        Assert.Equal("N-1 opened by ada in household H-9 on model 'AC' under policy 'IPS-NEW' version 1; lot method HighestCost, harvesting off, with 10,000.00 to invest; 1 free row(s) left", answer.Detail);
        var a = engine.Book.FindAccount("N-1");
        Assert.Equal(1, a);
        Assert.Equal(("H-9", "AC", "IPS-NEW"), (engine.Book.HouseholdId(a), engine.Book.Models[engine.Book.ModelIndex(a)].Id, engine.Book.Policy(a).Id));
        Assert.Equal([0.4, 0.0, 0.6], engine.Book.Targets[engine.Book.SlotStart[a]..engine.Book.SlotStart[a + 1]].ToArray());
        Assert.Equal((LotMethod.HighestCost, true), (engine.Tax.Settings(a).LotMethod, engine.Tax.Lots.IsTracked(a)));
        Assert.False(engine.Stage.IsClosed(a));
        // Its cash is invested at once: 4,000 of A and 6,000 of C.
        var bought = engine.Published.Published.Where(t => t.Account == a).ToDictionary(t => t.Instrument, t => t.Quantity);
        Assert.Equal(new Dictionary<int, decimal> { [0] = 400, [2] = 1200 }, bought);
        Assert.Equal(10_000.0, engine.Book.Cash[a]);
        Assert.Equal(2, engine.Book.OpenAccountCount);
    }

    [Fact]
    public async Task Every_refused_opening_says_why_and_takes_no_row()
    {
        var engine = new Engine(freeRows: 1);
        engine.Stage.Open(Open(Day1));
        var answers = new[]
        {
            engine.Control.Send(new OpenAccount("ada", "typo", "X", "X", "AB", Named("IPS-NEW", LotMethod.Fifo))),
            engine.Control.Send(new OpenAccount("ada", "typo", "N-1", "N-1", "NOPE", Named("IPS-NEW", LotMethod.Fifo))),
            engine.Control.Send(new OpenAccount("ada", "esg", "N-1", "N-1", "AC", Named("IPS-NEW", LotMethod.Fifo, restricted: ["A", "C"]))),
            engine.Control.Send(new OpenAccount("ada", "bad", "N-1", "N-1", "AC", Named("IPS-NEW", LotMethod.Fifo), -5)),
            engine.Control.Send(new OpenAccount("ada", "empty", " ", " ", "AC", Named("IPS-NEW", LotMethod.Fifo))),
            engine.Control.Send(new OpenAccount("ada", "first", "N-1", "N-1", "AC", Named("IPS-NEW", LotMethod.Fifo))),
            engine.Control.Send(new OpenAccount("ada", "twice", "N-1", "N-1", "AC", Named("IPS-NEW", LotMethod.Fifo))),
            engine.Control.Send(new OpenAccount("ada", "full", "N-2", "N-2", "AC", Named("IPS-NEW", LotMethod.Fifo))),
        };
        engine.Stage.Open(Open(Day1.AddDays(1)));

        var details = new List<(bool, string)>();
        foreach (var answer in answers)
        {
            var result = await answer;
            details.Add((result.Applied, result.Detail));
        }
        Assert.Equal(
        [
            (false, "open of X: account X is in the book already"),
            (false, "open of N-1: unknown model 'NOPE'"),
            (false, "open of N-1: every instrument of model 'AC' is restricted for this account"),
            (false, "open of N-1: the opening cash must be 0 to 1e15, got -5"),
            (false, "open of  : an account id is 1 to 128 characters without control characters, got ' '"),
            (true, "N-1 opened by ada in household N-1 on model 'AC' under policy 'IPS-NEW' version 1; lot method Fifo, harvesting off; 0 free row(s) left"),
            (false, "open of N-1: account N-1 is in the book already"),
            (false, "open of N-2: all 1 rows kept free to open accounts in are taken; restart with a larger open capacity and a new state folder"),
        ], details);
    }

    [Fact]
    public async Task A_checkpoint_gives_the_opened_accounts_their_rows_back_and_a_policy_edit_of_a_model_leaves_free_rows_alone()
    {
        var engine = new Engine(freeRows: 2, BookEvent.Open(Day1.AddDays(1), new AccountOpening("N-1", "H-1", "AB", Named("IPS-NEW", LotMethod.Lifo), 5000), "events.csv line 2"));
        engine.Stage.Open(Open(Day1));
        engine.Stage.Open(Open(Day1.AddDays(1)));
        var edit = engine.Control.Send(new EditPolicy("ada", "tighter", null, "AB", p => p with { BandWidth = 0.04 }));
        engine.Stage.Open(Open(Day1.AddDays(1)) + TimeSpan.TicksPerHour);
        Assert.Equal("policy updated on 2 account(s) by ada: tighter", (await edit).Detail);

        var chunks = BookState.Capture(engine.Book, new EngineImage());
        var image = engine.Stage.Capture(chunks);
        image.EncodeHeldPlans();
        var restored = new Engine(freeRows: 2, BookEvent.Open(Day1.AddDays(1), new AccountOpening("N-1", "H-1", "AB", Named("IPS-NEW", LotMethod.Lifo), 5000), "events.csv line 2"));
        BookState.Restore(restored.Book, new EngineImage { Prices = [.. engine.Book.Prices], AccountCount = 3 }, chunks, [.. Enumerable.Range(0, BookState.ChunkCount(engine.Book)).Select(i => BookState.CapturePolicies(engine.Book, i, new InvestmentPolicy?[3])!)]);
        restored.Stage.Restore(image, chunks);

        var a = restored.Book.FindAccount("N-1");
        Assert.Equal(1, a);
        Assert.Equal((1, "H-1", 0.04), (restored.Book.FreeRows, restored.Book.HouseholdId(a), restored.Book.Policy(a).BandWidth));
        Assert.Equal(engine.Book.Targets.ToArray(), restored.Book.Targets.ToArray());
        Assert.Equal((LotMethod.Lifo, false), (restored.Tax.Settings(a).LotMethod, restored.Stage.IsClosed(a)));
        Assert.True(restored.Stage.IsClosed(2));
        Assert.Equal(["N-1"], restored.Stage.Capture(BookState.Capture(restored.Book, new EngineImage())).RowChanges.Select(o => o.AccountId));
    }
}
