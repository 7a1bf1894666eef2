using System.Collections.Concurrent;
using FastRebal.Engine.Model;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using static FastRebal.Engine.Tests.Pipeline.MarketClock;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>Book events in the evaluation stage: applied on their day, counted in the checkpoint, and refused on a restore with other events.</summary>
public class BookEventTests
{
    private sealed class Publisher : IOrderPublisher
    {
        public void Publish(in OrderEvent order)
        {
        }
    }

    private static readonly DateOnly Day1 = new(2025, 6, 2);

    private static State.AccountBook Book() => new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5))
        .Account("X", "AB", 100, positions: [("A", 100), ("B", 100)])
        .Account("Y", "AB", 100, positions: [("A", 100), ("B", 100)])
        .Load().Book;

    private static EvaluationStage Stage(State.AccountBook book, params BookEvent[] events) =>
        new(book, new ControlPlane(), new ConcurrentQueue<AccountFill>(), new OpenGate(), new Publisher(), new LatencyRecorder("test"), bookEvents: events);

    private static BookEvent Deposit(DateOnly day, string account, decimal amount) => new(day, new CashFlow(account, CashFlowKind.Deposit, amount), "test");

    [Fact]
    public void An_event_is_applied_in_the_first_batch_of_its_day_and_only_once()
    {
        var book = Book();
        var stage = Stage(book, Deposit(Day1.AddDays(1), "Y", 500), Deposit(Day1, "X", 1000));

        stage.Open(Open(Day1));
        var afterFirstDay = (book.Cash[0], book.Cash[1]);
        stage.Open(Open(Day1));
        var sameDayAgain = (book.Cash[0], book.Cash[1]);
        stage.Open(Open(Day1.AddDays(1)));

        Assert.Equal((1100.0, 100.0), afterFirstDay);
        Assert.Equal(afterFirstDay, sameDayAgain);
        Assert.Equal(600.0, book.Cash[1]);
        Assert.Equal(2, stage.Capture(BookState.Capture(book, new EngineImage())).BookEventsApplied);
    }

    private sealed class Counting : IOrderPublisher
    {
        public int Orders { get; private set; }

        public void Publish(in OrderEvent order) => Orders++;
    }

    [Theory]
    [InlineData(CashFlowKind.Dividend)]
    [InlineData(CashFlowKind.Interest)]
    public void Income_kept_as_cash_raises_the_cash_and_is_not_invested_while_reinvested_income_is(CashFlowKind kind)
    {
        (double Cash, int Orders) Apply(bool? keepAsCash)
        {
            var book = Book();
            var orders = new Counting();
            BookEvent[] events = keepAsCash is { } keep ? [new BookEvent(Day1, new CashFlow("X", kind, 20) { KeepAsCash = keep }, "test")] : [];
            var stage = new EvaluationStage(book, new ControlPlane(), new ConcurrentQueue<AccountFill>(), new OpenGate(), orders, new LatencyRecorder("test"), bookEvents: events);
            stage.Open(Open(Day1));
            return (book.Cash[0], orders.Orders);
        }

        var none = Apply(keepAsCash: null);
        var kept = Apply(keepAsCash: true);
        var reinvested = Apply(keepAsCash: false);

        // 20 of cash in a 2,120 account leaves it inside its band: only a flow queued to be invested trades for it.
        Assert.Equal((120.0, none.Orders), kept);
        Assert.Equal(120.0, reinvested.Cash);
        Assert.True(reinvested.Orders > none.Orders, "a reinvested dividend is invested at the account's next decision");
    }

    [Fact]
    public async Task Only_income_can_be_kept_as_cash()
    {
        var book = Book();
        var control = new ControlPlane();
        var stage = new EvaluationStage(book, control, new ConcurrentQueue<AccountFill>(), new OpenGate(), new Publisher(), new LatencyRecorder("test"));
        var refused = control.Send(new ApplyCashFlow("ops", "test", new CashFlow("X", CashFlowKind.Deposit, 20) { KeepAsCash = true }));

        stage.Open(Open(Day1));

        Assert.True(refused.IsCompleted, "the day's opening applies the commands waiting for it");
        var result = await refused;
        Assert.False(result.Applied);
        Assert.Contains("only a dividend or interest can be kept as cash", result.Detail, StringComparison.Ordinal);
        Assert.Equal(100.0, book.Cash[0]);
    }

    [Fact]
    public void A_checkpoint_restores_into_an_engine_with_the_same_events_and_is_refused_by_one_with_others()
    {
        var book = Book();
        BookEvent[] events = [Deposit(Day1, "X", 1000), Deposit(Day1.AddDays(5), "Y", 500)];
        var stage = Stage(book, events);
        stage.Open(Open(Day1));
        var image = new EngineImage();
        var chunks = BookState.Capture(book, image);
        var captured = stage.Capture(chunks);
        Assert.Equal(1, captured.BookEventsApplied);

        var sameBook = Book();
        var same = Stage(sameBook, events);
        same.Restore(captured, chunks);
        var other = Stage(Book(), Deposit(Day1, "X", 999), events[1]);
        var refused = Assert.Throws<StateMismatchException>(() => other.Restore(captured, chunks));
        var fewer = Stage(Book());

        Assert.Equal(1, same.Capture(BookState.Capture(sameBook, new EngineImage())).BookEventsApplied);
        Assert.Contains("the saved state applied 1 book event(s) that are not the first 1 of this engine's 2", refused.Message, StringComparison.Ordinal);
        Assert.Throws<StateMismatchException>(() => fewer.Restore(captured, chunks));
    }
}
