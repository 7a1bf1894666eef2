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
}
