using FastRebal.Engine.Firms;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Firms;

/// <summary>The events file's ips kind: only the columns each kind needs, and a policy the firm names.</summary>
public sealed class BookEventFileTests : IDisposable
{
    private static readonly DateOnly AsOf = new(2025, 6, 2);
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-events-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static State.AccountBook Book() => new TestBook().Instrument("A", 10).Model("M", ("A", 1.0))
        .Account("X", "M", 100, positions: [("A", 10)])
        .Load().Book;

    private static readonly NamedPolicy Tight = new(TestBook.Policy(band: 0.03) with { Id = "IPS-TIGHT", Version = 1 },
        new TaxPolicyInput(null, LotMethod.HighestCost, null, null, null, null, null, null, null));

    private string File(params string[] lines)
    {
        var path = Path.Combine(folder, "events.csv");
        System.IO.File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void A_file_of_moves_needs_no_amount_column_and_each_row_names_a_policy_of_the_firm()
    {
        var (events, errors) = BookEventFile.Read(File("date,account_id,kind,policy_id", "2025-06-03,X,ips,IPS-TIGHT", "2025-06-04,X,IPS,IPS-TIGHT"), Book(), AsOf, [Tight]);

        Assert.Empty(errors);
        Assert.Equal([(new DateOnly(2025, 6, 3), "X", "IPS-TIGHT"), (new DateOnly(2025, 6, 4), "X", "IPS-TIGHT")], events.Select(e => (e.Date, e.Move!.AccountId, e.Move.Policy.Policy.Id)));
        Assert.All(events, e => Assert.Null(e.Flow));
    }

    [Fact]
    public void A_generated_firm_has_no_named_policies_so_its_ips_rows_are_errors_and_its_cash_flows_still_read()
    {
        var (events, errors) = BookEventFile.Read(File("date,account_id,kind,amount,policy_id", "2025-06-03,X,ips,,IPS-TIGHT", "2025-06-03,X,deposit,5,"), Book(), AsOf, policies: null);

        var error = Assert.Single(errors);
        Assert.Equal(("events.csv line 2", "policy_id"), (error.Subject, error.Field));
        Assert.Contains("a generated firm has no named policies; an ips event needs run --firm with a firm folder", error.Message, StringComparison.Ordinal);
        Assert.Equal(CashFlowKind.Deposit, Assert.Single(events).Flow!.Kind);
    }

    [Fact]
    public void A_firm_without_named_policies_says_so()
    {
        var (events, errors) = BookEventFile.Read(File("date,account_id,kind,policy_id", "2025-06-03,X,ips,IPS-TIGHT"), Book(), AsOf, policies: []);

        Assert.Empty(events);
        Assert.Contains("the firm names no policies", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Income_is_reinvested_unless_its_row_says_no_and_other_kinds_take_no_reinvest_value()
    {
        var (events, errors) = BookEventFile.Read(File("date,account_id,kind,amount,reinvest",
            "2025-06-03,X,dividend,5,no", "2025-06-03,X,interest,6,", "2025-06-03,X,Dividend,7,YES", "2025-06-03,X,deposit,8,no", "2025-06-03,X,dividend,9,maybe"), Book(), AsOf, [Tight]);

        Assert.Equal([(CashFlowKind.Dividend, 5m, true), (CashFlowKind.Interest, 6m, false), (CashFlowKind.Dividend, 7m, false)],
            events.Select(e => (e.Flow!.Kind, e.Flow.Amount, e.Flow.KeepAsCash)));
        Assert.Equal([("events.csv line 5", "reinvest"), ("events.csv line 6", "reinvest")], errors.Select(e => (e.Subject, e.Field)));
        Assert.Contains("only a dividend or interest is reinvested or kept as cash", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("'maybe' is not valid; valid values: yes (the default: invest it), no (keep it as cash)", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cash_flow_still_needs_its_amount()
    {
        var (events, errors) = BookEventFile.Read(File("date,account_id,kind", "2025-06-03,X,deposit"), Book(), AsOf, [Tight]);

        Assert.Empty(events);
        Assert.Equal(("events.csv line 2", "amount"), (Assert.Single(errors).Subject, errors[0].Field));
    }

    [Fact]
    public void A_close_row_closes_its_account_and_takes_no_amount_or_policy()
    {
        var (events, errors) = BookEventFile.Read(File("date,account_id,kind,amount,policy_id", "2025-06-03,X,close,,", "2025-06-04,X,close,5,", "2025-06-04,X,close,,IPS-TIGHT"), Book(), AsOf, [Tight]);

        Assert.Equal([(new DateOnly(2025, 6, 3), "X")], events.Select(e => (e.Date, e.Closing)));
        Assert.Null(events[0].Flow);
        Assert.Equal([("events.csv line 3", "amount"), ("events.csv line 4", "policy_id")], errors.Select(e => (e.Subject, e.Field)));
        Assert.Contains("takes no amount", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_and_symbol_rows_name_an_instrument_and_no_account_and_each_bad_one_says_which_column()
    {
        var (events, errors) = BookEventFile.Read(File("date,account_id,kind,amount,note,instrument_id,ratio,symbol",
            "2025-06-03,,split,,2-for-1,A,2,",
            "2025-06-04,,split,,,A,3:2,",
            "2025-06-05,,SPLIT,,reverse,A,1:10,",
            "2025-06-06,,symbol,,ticker change,A,,AA",
            "2025-06-06,X,split,,,A,2,",
            "2025-06-06,,split,,,NOPE,2,",
            "2025-06-06,,split,,,A,1,",
            "2025-06-06,,split,,,A,two,",
            "2025-06-06,,split,,,A,3:0,",
            "2025-06-06,,split,,,A,,",
            "2025-06-06,,split,5,,A,2,",
            "2025-06-06,,symbol,,,A,2,AA",
            "2025-06-06,,symbol,,,A,,A A",
            "2025-06-06,,split,,,A,2,AA",
            "2025-06-06,X,deposit,5,,A,,"), Book(), AsOf, [Tight]);

        Assert.Equal([(new DateOnly(2025, 6, 3), new CorporateAction("A", 2m, null)), (new DateOnly(2025, 6, 4), new CorporateAction("A", 1.5m, null)),
            (new DateOnly(2025, 6, 5), new CorporateAction("A", 0.1m, null)), (new DateOnly(2025, 6, 6), new CorporateAction("A", null, "AA"))],
            events.Select(e => (e.Date, e.Action!)));
        Assert.Equal("events.csv line 2: 2-for-1", events[0].Source);
        Assert.Equal(
        [
            ("events.csv line 6", "account_id"), ("events.csv line 7", "instrument_id"), ("events.csv line 8", "ratio"), ("events.csv line 9", "ratio"),
            ("events.csv line 10", "ratio"), ("events.csv line 11", "ratio"), ("events.csv line 12", "amount"), ("events.csv line 13", "ratio"),
            ("events.csv line 14", "symbol"), ("events.csv line 15", "symbol"), ("events.csv line 16", "instrument_id"),
        ], errors.Select(e => (e.Subject, e.Field)));
        Assert.Contains("a split event applies to every account holding the instrument; leave account_id empty", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("no instrument 'NOPE' in the book", errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("other than 1", errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("expects a number or new:old (like 2 or 3:2), got 'two'", errors[3].Message, StringComparison.Ordinal);
        Assert.Contains("expects new:old with two positive numbers", errors[4].Message, StringComparison.Ordinal);
        Assert.Contains("is required for a split", errors[5].Message, StringComparison.Ordinal);
        Assert.Contains("a ticker has no spaces", errors[8].Message, StringComparison.Ordinal);
        Assert.Contains("only a split or symbol event names an instrument", errors[10].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_open_row_names_a_new_account_its_model_and_policy_and_later_rows_may_name_it()
    {
        var (events, errors) = BookEventFile.Read(File("date,account_id,kind,amount,policy_id,model_id,household_id",
            "2025-06-03,N-1,open,5000,IPS-TIGHT,M,H-1",
            "2025-06-04,N-1,deposit,100,,,",
            "2025-06-05,N-2,open,,IPS-TIGHT,M,",
            "2025-06-05,X,open,,IPS-TIGHT,M,",
            "2025-06-05,N-1,open,,IPS-TIGHT,M,",
            "2025-06-05,N-3,open,,IPS-NOPE,M,",
            "2025-06-05,N-4,open,,IPS-TIGHT,NOPE,",
            "2025-06-05,N-5,open,,IPS-TIGHT,,",
            "2025-06-05,N-6,open,-1,IPS-TIGHT,M,",
            "2025-06-05,N-9,deposit,5,,,",
            "2025-06-05,X,deposit,5,,M,"), Book(), AsOf, [Tight]);

        Assert.Equal(
        [
            new AccountOpening("N-1", "H-1", "M", Tight, 5000),
            new AccountOpening("N-2", "N-2", "M", Tight, 0),
        ], events.Where(e => e.Opening is not null).Select(e => e.Opening!));
        Assert.Equal("N-1", Assert.Single(events, e => e.Flow is not null).Flow!.AccountId);
        Assert.Equal(
        [
            ("events.csv line 5", "account_id"), ("events.csv line 6", "account_id"), ("events.csv line 7", "policy_id"), ("events.csv line 8", "model_id"),
            ("events.csv line 9", "model_id"), ("events.csv line 10", "amount"), ("events.csv line 11", "account_id"), ("events.csv line 12", "model_id"),
        ], errors.Select(e => (e.Subject, e.Field)));
        Assert.Contains("account 'X' is in the book already", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("no model 'NOPE' in the firm (it has M)", errors[3].Message, StringComparison.Ordinal);
        Assert.Contains("opened by no earlier row", errors[6].Message, StringComparison.Ordinal);
        Assert.Contains("only an open or model event names a model_id", errors[7].Message, StringComparison.Ordinal);
    }
}
