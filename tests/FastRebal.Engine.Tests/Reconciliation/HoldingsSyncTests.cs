using System.Collections.Concurrent;
using FastRebal.Engine.Model;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Reconciliation;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Tax;
using FastRebal.Engine.Tests.Pipeline;
using static FastRebal.Engine.Tests.Pipeline.MarketClock;

namespace FastRebal.Engine.Tests.Reconciliation;

/// <summary>
/// The holdings sync: a custodian's end-of-day file read with every bad row named, compared with the book break by
/// break, and the custodian's figures taken for an account only as a whole, through the control plane.
/// </summary>
public sealed class HoldingsSyncTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2025, 6, 2);
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-holdings-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private sealed class Publisher : IOrderPublisher
    {
        public void Publish(in OrderEvent order)
        {
        }
    }

    /// <summary>X and Y hold 100 A and 100 B (in band) and 100 of cash; W holds the same; C is in the security master, in no model.</summary>
    private static State.AccountBook Book() => new TestBook().Instrument("A", 10).Instrument("B", 10).Instrument("C", 10).Model("AB", ("A", 0.5), ("B", 0.5))
        .Account("W", "AB", 100, positions: [("A", 100), ("B", 100)])
        .Account("X", "AB", 100, positions: [("A", 100), ("B", 100)])
        .Account("Y", "AB", 100, positions: [("A", 100), ("B", 100)])
        .Load().Book;

    private string File(string name, params string[] lines)
    {
        var path = Path.Combine(folder, name);
        System.IO.File.WriteAllLines(path, ["as_of,account_id,instrument_id,quantity", .. lines]);
        return path;
    }

    /// <summary>
    /// X: 10 fewer B. Y: an instrument the firm does not know, and 50 more cash. W: matches (its B in two rows). Z: an
    /// account the book does not have.
    /// </summary>
    private CustodianHoldings Custodian() => CustodianHoldings.Read(File("holdings-2025-06-02.csv",
        "2025-06-02,W,A,100", "2025-06-02,W,B,60", "2025-06-02,W,B,40", "2025-06-02,W,CASH,100",
        "2025-06-02,X,A,100", "2025-06-02,X,B,90", "2025-06-02,X,CASH,100",
        "2025-06-02,Y,A,100", "2025-06-02,Y,B,100", "2025-06-02,Y,ZZZ,5", "2025-06-02,Y,CASH,150",
        "2025-06-02,Z,A,1"));

    [Fact]
    public void The_file_adds_up_rows_and_names_each_bad_row_whose_account_is_then_not_reconciled()
    {
        var holdings = CustodianHoldings.Read(File("custodian.csv",
            "2025-06-02,X,A,60", "2025-06-02,X,A,40", "2025-06-02,X,CASH,12.5",
            "2025-06-02,Y,A,1x",
            "2025-06-03,W,A,5",
            "2025-06-02,V,B,-3"));

        Assert.Equal(new DateOnly(2025, 6, 2), holdings.AsOf);
        Assert.Equal(100m, holdings.Accounts["X"].Positions["A"]);
        Assert.Equal(12.5m, holdings.Accounts["X"].Cash);
        Assert.Equal(["X"], holdings.Accounts.Keys);
        Assert.Equal(["V", "W", "Y"], holdings.NotReconciled.Order(StringComparer.Ordinal));
        Assert.Collection(holdings.Errors,
            e => Assert.Equal(("custodian.csv line 5", "quantity"), (e.Subject, e.Field)),
            e => Assert.Contains("2025-06-03, but the file is as of 2025-06-02", e.Message, StringComparison.Ordinal),
            e => Assert.Contains("must not be negative", e.Message, StringComparison.Ordinal));
        Assert.All(holdings.Errors, e => Assert.EndsWith("the account is not reconciled", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_without_its_columns_or_without_a_dated_row_is_refused()
    {
        var noColumn = Path.Combine(folder, "short.csv");
        System.IO.File.WriteAllLines(noColumn, ["account_id,instrument_id,quantity", "X,A,1"]);

        Assert.Contains("as_of", Assert.Throws<ScenarioFormatException>(() => CustodianHoldings.Read(noColumn)).Message, StringComparison.Ordinal);
        Assert.Contains("no row with a readable as_of date", Assert.Throws<ScenarioFormatException>(() => CustodianHoldings.Read(File("empty.csv"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_difference_is_a_break_and_each_says_whether_it_can_be_accepted()
    {
        var book = Book();
        var holdings = Custodian();
        var withC = CustodianHoldings.Read(File("c.csv", "2025-06-02,X,A,100", "2025-06-02,X,B,100", "2025-06-02,X,C,5"));

        var report = HoldingsReconciler.Compare(book, holdings);
        var noPlace = HoldingsReconciler.Compare(book, withC).For("X").Single();

        Assert.Equal(3, report.AccountsCompared);
        Assert.Equal(
            [("X", BreakKind.QuantityDiffers, "B", 100m, 90m, true), ("Y", BreakKind.UnknownInstrument, "ZZZ", 0m, 5m, false), ("Y", BreakKind.CashDiffers, null, 100m, 150m, true), ("Z", BreakKind.UnknownAccount, null, 0m, 0m, false)],
            report.Breaks.Select(b => (b.AccountId, b.Kind, b.InstrumentId, b.BookQuantity, b.CustodianQuantity, b.Acceptable)));
        Assert.Equal((BreakKind.MissingInBook, false), (noPlace.Kind, noPlace.Acceptable));
        Assert.Contains("no place for this instrument", noPlace.Why, StringComparison.Ordinal);
        Assert.Contains(HoldingsReconciler.Compare(book, withC).Breaks, b => b is { AccountId: "W", Kind: BreakKind.AccountNotInFile });
        Assert.All(HoldingsReconciler.Compare(book, holdings, inFlight: a => a == 1).For("X"), b => Assert.Contains("trades in flight", b.Why, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_operator_takes_the_custodians_figures_for_an_account_whose_breaks_can_all_be_accepted_and_for_no_other()
    {
        var book = Book();
        var control = new ControlPlane();
        var stage = new EvaluationStage(book, control, new ConcurrentQueue<AccountFill>(), new OpenGate(), new Publisher(), new LatencyRecorder("test"));
        stage.Open(Open(Day1));

        var sync = control.Send(new ReconcileHoldings("ops", "end of day", Custodian()));
        stage.Open(Open(Day1.AddDays(1)));
        var acceptX = control.Send(new AcceptCustodianHoldings("ops", "custodian confirmed the sale", "X"));
        var acceptY = control.Send(new AcceptCustodianHoldings("ops", "take the custodian's", "Y"));
        var acceptW = control.Send(new AcceptCustodianHoldings("ops", "nothing to take", "W"));
        stage.Open(Open(Day1.AddDays(1)));

        Assert.Contains("3 account(s) compared, 4 break(s) open in 3 account(s)", (await sync).Detail, StringComparison.Ordinal);
        Assert.True((await acceptX).Applied, (await acceptX).Detail);
        Assert.Contains("B 100 -> 90", (await acceptX).Detail, StringComparison.Ordinal);
        Assert.Equal(90.0, book.Quantities[book.SlotStart[1] + 1]);
        Assert.False((await acceptY).Applied);
        Assert.Contains("ZZZ cannot be accepted", (await acceptY).Detail, StringComparison.Ordinal);
        Assert.Equal(100.0, book.Cash[2]); // nothing of Y changed, its cash break included
        Assert.False((await acceptW).Applied);
        Assert.Equal(["Y", "Y", "Z"], stage.Reconciliation!.Breaks.Select(b => b.AccountId));
    }

    [Fact]
    public void A_scheduled_sync_accepting_breaks_runs_after_the_close_of_its_day_and_a_checkpoint_keeps_what_is_still_open()
    {
        var book = Book();
        var stage = new EvaluationStage(book, new ControlPlane(), new ConcurrentQueue<AccountFill>(), new OpenGate(), new Publisher(), new LatencyRecorder("test"),
            bookEvents: [BookEvent.Sync(Custodian(), accept: true)]);

        stage.Open(Open(Day1));
        Assert.Null(stage.Reconciliation);
        stage.Open(Open(Day1.AddDays(1)));

        Assert.Equal(90.0, book.Quantities[book.SlotStart[1] + 1]);
        Assert.Equal(100.0, book.Cash[2]);
        Assert.Equal(["Y", "Y", "Z"], stage.Reconciliation!.Breaks.Select(b => b.AccountId));
        var chunks = BookState.Capture(book, new EngineImage());
        var image = stage.Capture(chunks);
        var restored = new EvaluationStage(Book(), new ControlPlane(), new ConcurrentQueue<AccountFill>(), new OpenGate(), new Publisher(), new LatencyRecorder("test"),
            bookEvents: [BookEvent.Sync(Custodian(), accept: true)]);
        restored.Restore(image, chunks);
        Assert.Equal(stage.Reconciliation.Breaks, restored.Reconciliation!.Breaks);
        Assert.Equal(stage.Reconciliation.Custodian["Y"].Cash, restored.Reconciliation.Custodian["Y"].Cash);
    }

    [Fact]
    public async Task Taking_the_custodians_figures_moves_the_lots_without_realizing_a_gain()
    {
        var book = Book();
        var lots = new LotTable(book);
        for (var account = 0; account < book.AccountCount; account++)
        {
            lots.Track(account);
            for (var s = book.SlotStart[account]; s < book.SlotStart[account + 1]; s++)
            {
                lots.AddBought(s, Day1.AddDays(-400), 50, 250);
                lots.AddBought(s, Day1.AddDays(-10), 50, 600);
            }
        }
        var control = new ControlPlane();
        var stage = new EvaluationStage(book, control, new ConcurrentQueue<AccountFill>(), new OpenGate(), new Publisher(), new LatencyRecorder("test"), tax: new TaxBook(lots, new AccountTaxSettings()));
        stage.Open(Open(Day1));
        var holdings = CustodianHoldings.Read(File("lots.csv", "2025-06-02,X,A,110", "2025-06-02,X,B,70", "2025-06-02,X,CASH,100"));
        _ = control.Send(new ReconcileHoldings("ops", "end of day", holdings));
        stage.Open(Open(Day1.AddDays(1)));
        var accepted = control.Send(new AcceptCustodianHoldings("ops", "custodian confirmed", "X"));
        stage.Open(Open(Day1.AddDays(1)));

        Assert.True((await accepted).Applied, (await accepted).Detail);
        var a = lots.Lots(lots.SlotOf(1, 0));
        var b = lots.Lots(lots.SlotOf(1, 1));
        Assert.Equal(110m, a.Sum(l => l.Quantity));
        Assert.Contains(a, l => l.Quantity == 10 && l.CostBasis == 100m && l.Acquired == Day1.AddDays(1));
        Assert.Equal(70m, b.Sum(l => l.Quantity));
        Assert.Equal([50m, 20m], b.Select(l => l.Quantity)); // the newest lot gave up its shares first
        Assert.Equal((0m, 0m), lots.Realized(1));
    }
}
