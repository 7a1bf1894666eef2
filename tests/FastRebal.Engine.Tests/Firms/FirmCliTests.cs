using System.Globalization;
using FastRebal.Cli;

namespace FastRebal.Engine.Tests.Firms;

/// <summary><c>run --firm</c> and <c>generate --format firm</c> through the real entry point.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class FirmCliTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-firmcli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Example => FirmFolderTests.Example;

    [Fact]
    public void Run_trades_the_example_firm_with_its_own_lots_from_its_as_of_date()
    {
        var (code, output, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--digest");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("live pipeline: 12 accounts, replay of", output, StringComparison.Ordinal);
        Assert.Contains("2025-04-01 to 2025-06-30", output, StringComparison.Ordinal);
        Assert.Contains("tax lots", output, StringComparison.Ordinal);
        Assert.Contains("firm as of 2025-03-31: 12 of 12 accounts loaded, 0 input error(s)", error, StringComparison.Ordinal);
        // The same files give the same end state.
        var again = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--digest");
        Assert.Equal(Digest(output), Digest(again.Output));
    }

    [Fact]
    public void Run_reports_a_bad_row_runs_the_other_accounts_and_exits_with_bad_input()
    {
        var folder = CopyOfExample();
        var positions = Path.Combine(folder, "positions.csv");
        File.WriteAllText(positions, File.ReadAllText(positions).Replace("A-1003,SPY,611", "A-1003,SPY,six hundred", StringComparison.Ordinal));

        var (code, output, error) = CliRunner.Run("run", "--firm", folder, "--to", "2025-04-30");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("fastrebal: bad input: positions.csv line 12, quantity: expects a number (like 1234.56), got 'six hundred'; the account is left out", error, StringComparison.Ordinal);
        Assert.Contains("live pipeline: 11 accounts", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    /// <summary>The example custodian file: the book's end of 2025-04-29 but for three deliberate breaks.</summary>
    private static string Custodian => Path.Combine(Path.GetDirectoryName(Example)!, "custodian", "holdings-2025-04-29.csv");

    [Fact]
    public void A_holdings_sync_lists_the_breaks_of_the_custodians_file_and_accept_breaks_takes_the_acceptable_ones()
    {
        var (code, output, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-05-30", "--holdings", Custodian, "--digest");
        var accepted = CliRunner.Run("run", "--firm", Example, "--to", "2025-05-30", "--holdings", Custodian, "--accept-breaks", "--digest");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("holdings sync holdings-2025-04-29.csv (as of 2025-04-29): 12 account(s) compared, 3 break(s) open in 3 account(s)", output, StringComparison.Ordinal);
        Assert.Contains("A-1003       QuantityDiffers    AGG      book 2522, custodian 2517", output, StringComparison.Ordinal);
        Assert.Contains("A-1007       CashDiffers        cash     book 15662.14, custodian 15912.14", output, StringComparison.Ordinal);
        Assert.Contains("A-1010       MissingInBook      VTI      book 0, custodian 12 (cannot be accepted", output, StringComparison.Ordinal);
        Assert.True(accepted.ExitCode == ExitCodes.Ok, accepted.Error);
        Assert.Contains("1 break(s) open in 1 account(s)", accepted.Output, StringComparison.Ordinal);
        Assert.NotEqual(Digest(output), Digest(accepted.Output));
    }

    [Fact]
    public void A_holdings_file_with_a_bad_row_names_it_and_leaves_only_that_account_unreconciled()
    {
        var file = Path.Combine(directory, "holdings.csv");
        File.WriteAllLines(file, [.. File.ReadAllLines(Custodian).Select(l => l.StartsWith("2025-04-29,A-1003,AGG,", StringComparison.Ordinal) ? "2025-04-29,A-1003,AGG,25x7" : l)]);

        var (code, output, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-05-30", "--holdings", file);
        var early = CliRunner.Run("run", "--firm", Example, "--holdings", Path.Combine(directory, "none.csv"));
        var acceptAlone = CliRunner.Run("run", "--firm", Example, "--accept-breaks");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("quantity: expects a number (like 1234.56), got '25x7'; the account is not reconciled", error, StringComparison.Ordinal);
        Assert.Contains("11 account(s) compared, 2 break(s) open in 2 account(s)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("A-1003", output.Split("holdings sync")[1], StringComparison.Ordinal);
        Assert.Contains("no such holdings file", early.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, acceptAlone.ExitCode);
        Assert.Contains("--accept-breaks needs --holdings", acceptAlone.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--accounts", "10", "--accounts shape a generated firm")]
    [InlineData("--firm-shape", "uniform", "--firm-shape shape a generated firm")]
    [InlineData("--lots", null, "--lots and --harvest give a generated firm lots")]
    [InlineData("--from", "2025-01-02", "--from: with --firm the book is priced on the firm's own as-of date")]
    public void Run_with_a_firm_refuses_the_options_of_a_generated_one(string option, string? value, string message)
    {
        string[] args = value is null ? ["run", "--firm", Example, option] : ["run", "--firm", Example, option, value];

        var (code, _, error) = CliRunner.Run(args);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_refuses_a_firm_path_that_does_not_exist()
    {
        var (code, _, error) = CliRunner.Run("run", "--firm", Path.Combine(directory, "nowhere"));

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no such firm folder or scenario file", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_generated_firm_folder_with_lots_runs_through_run_firm()
    {
        var folder = Path.Combine(directory, "generated");
        var generated = CliRunner.Run("generate", "--accounts", "300", "--positions", "8", "--format", "firm", "--lots", "--out", folder, "--quiet");
        Assert.True(generated.ExitCode == ExitCodes.Ok, generated.Error);
        Assert.True(File.Exists(Path.Combine(folder, "lots.csv")));

        var (code, output, error) = CliRunner.Run("run", "--firm", folder, "--feed", "random", "--duration", "00:00:01", "--warmup", "00:00:00");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("live pipeline: 300 accounts", output, StringComparison.Ordinal);
        Assert.Contains("tax lots", output, StringComparison.Ordinal);
        // A folder already holding files is not written over.
        var again = CliRunner.Run("generate", "--accounts", "10", "--format", "firm", "--out", folder, "--quiet");
        Assert.Equal(ExitCodes.BadInput, again.ExitCode);
        Assert.Contains("a firm folder is written into a new or empty folder", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_refuses_lots_in_a_scenario_file_and_an_unknown_format()
    {
        Assert.Contains("--lots needs --format firm", CliRunner.Run("generate", "--lots", "--out", Path.Combine(directory, "s.json")).Error, StringComparison.Ordinal);
        Assert.Contains("--format must be scenario or firm (got 'xml')", CliRunner.Run("generate", "--format", "xml", "--out", Path.Combine(directory, "s.xml")).Error, StringComparison.Ordinal);
    }

    /// <summary>A deposit, a withdrawal, a fee and a dividend to invest in the example firm's quarter.</summary>
    public const string Events = """
        date,account_id,kind,amount,note,reinvest
        2025-04-15,A-1001,deposit,50000,bonus
        2025-05-01,A-1003,withdrawal,25000,house
        2025-05-01,A-1007,fee,3750,Q2 advisory fee
        2025-06-02,A-1004,dividend,1200
        2025-06-16,A-1005,interest,310,coupon paid out,no
        """;

    [Fact]
    public void Book_events_are_applied_on_their_day_audited_and_change_the_end_state()
    {
        var events = Path.Combine(directory, "events.csv");
        File.WriteAllText(events, Events);
        var audit = Path.Combine(directory, "audit.jsonl");

        var (code, output, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--digest", "--events", events, "--audit", audit);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("book events: 5 from", error, StringComparison.Ordinal);
        var records = FastRebal.Engine.Audit.FileAuditStore.Read(audit).Records.Select(r => r.Entry).ToList();
        var applied = records.Where(r => r.Rule == "BookEvent").ToList();
        Assert.Equal(5, applied.Count);
        Assert.StartsWith("applied: Interest of 310.00 kept as cash in A-1005", applied[4].Explanation, StringComparison.Ordinal);
        Assert.DoesNotContain(records.SkipWhile(r => r != applied[4]), r => r.Kind == FastRebal.Engine.Audit.AuditKind.Decision && r.AccountId == "A-1005" && r.Rule == "CashFlow");
        Assert.Equal("events.csv line 2: bonus, dated 2025-04-15", applied[0].ActorReason);
        Assert.StartsWith("applied: Deposit of 50000.00 queued for A-1001", applied[0].Explanation, StringComparison.Ordinal);
        Assert.StartsWith("applied: Fee of 3750.00 queued for A-1007", applied[2].Explanation, StringComparison.Ordinal);
        // The withdrawal is raised by selling, decided as a cash flow right after it lands.
        Assert.Contains(records.SkipWhile(r => r != applied[1]), r => r.Kind == FastRebal.Engine.Audit.AuditKind.Trade && r.AccountId == "A-1003" && r.Rule == "CashFlow");
        var without = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--digest");
        Assert.NotEqual(Digest(without.Output), Digest(output));
    }

    [Fact]
    public void A_close_event_transfers_the_account_out_in_kind_as_ledger_rows_and_the_account_never_trades_again()
    {
        var events = Path.Combine(directory, "events.csv");
        File.WriteAllText(events, "date,account_id,kind,note\n2025-05-15,A-1002,close,client moved to another firm\n");
        var ledger = Path.Combine(directory, "ledger.csv");
        var bookOut = Path.Combine(directory, "book.csv");

        var (code, _, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--events", events, "--ledger", ledger, "--book-out", bookOut);

        Assert.True(code == ExitCodes.Ok, error);
        var rows = File.ReadAllLines(ledger).Skip(1).Select(l => l.Split(',')).Where(r => r[1] == "A-1002").ToList();
        var transfers = rows.Where(r => r[2] == "transfer-out").ToList();
        Assert.NotEmpty(transfers);
        Assert.All(transfers, r => Assert.True(DateOnly.Parse(r[0], CultureInfo.InvariantCulture) >= new DateOnly(2025, 5, 15)));
        // Nothing moves in the account after its close: every row after the first transfer is a transfer.
        Assert.All(rows.SkipWhile(r => r[2] != "transfer-out"), r => Assert.Equal("transfer-out", r[2]));
        // The book at the end holds nothing for it.
        Assert.All(File.ReadAllLines(bookOut).Skip(1).Select(l => l.Split(',')).Where(r => r[1] == "A-1002"), r => Assert.Equal(0m, decimal.Parse(r[3], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void A_bad_book_event_is_named_by_line_and_column_and_the_others_still_apply()
    {
        var events = Path.Combine(directory, "events.csv");
        File.WriteAllText(events, Events + """

            2025-03-01,A-1004,deposit,10,before the book's day
            2025-04-15,A-9999,deposit,10
            2025-04-16,A-1002,gift,10
            2025-04-17,A-1002,deposit,-5
            """);

        var (code, _, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-05-30", "--events", events);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("events.csv line 7, date: 2025-03-01 is before the book's as-of date 2025-03-31", error, StringComparison.Ordinal);
        Assert.Contains("events.csv line 8, account_id: no account 'A-9999' in the book", error, StringComparison.Ordinal);
        Assert.Contains("events.csv line 9, kind: 'gift' is not valid; valid values: deposit, dividend, withdrawal, fee, interest, ips", error, StringComparison.Ordinal);
        Assert.Contains("events.csv line 10, amount: must be positive", error, StringComparison.Ordinal);
        Assert.Contains("book events: 5 from", error, StringComparison.Ordinal);
    }

    /// <summary>The cash flows of <see cref="Events"/> and a move of A-1003 from IPS-STANDARD to IPS-TIGHT (a tighter band, highest-cost lots, a gains budget).</summary>
    public const string EventsWithMove = """
        date,account_id,kind,amount,note,policy_id,reinvest
        2025-04-15,A-1001,deposit,50000,bonus,
        2025-05-01,A-1003,withdrawal,25000,house,
        2025-05-01,A-1007,fee,3750,Q2 advisory fee,
        2025-05-02,A-1003,ips,,client asked for a tighter band,IPS-TIGHT
        2025-06-02,A-1004,dividend,1200,,
        2025-06-16,A-1005,interest,310,coupon paid out,,no
        """;

    /// <summary>The cash flows of <see cref="Events"/> with a close of A-1002 in the middle of the quarter.</summary>
    /// <summary>
    /// Two accounts opened (one funded at once, one by a later deposit), a move to a model over the account's own
    /// instruments (in place) and one to a model with an instrument it has no place for (to a free row), then deposits.
    /// </summary>
    public const string EventsOpeningAndMovingAccounts = """
        date,account_id,kind,amount,note,policy_id,model_id,household_id
        2025-04-15,A-2001,open,250000,new client,IPS-STANDARD,GROWTH-80,H-NEW
        2025-05-02,A-2002,open,,funded later,IPS-RETIREMENT,INCOME-30,
        2025-05-05,A-1003,model,,income now,,INCOME-30,
        2025-05-06,A-1005,model,,more bonds,,BALANCED-60,
        2025-05-09,A-2002,deposit,50000,rollover,,,
        2025-05-12,A-1005,deposit,10000,bonus,,,
        """;

    /// <summary>Cash flows with corporate actions: a 3-for-2 split, a ticker change and a 1-for-2 reverse split.</summary>
    public const string EventsWithCorporateActions = """
        date,account_id,kind,amount,note,instrument_id,ratio,symbol
        2025-04-15,A-1001,deposit,50000,bonus,,,
        2025-05-05,,split,,3-for-2 split,EFA,3:2,
        2025-05-12,,symbol,,ticker change,VNQ,,VNQX
        2025-06-02,,split,,1-for-2 reverse split,GLD,1:2,
        """;

    public const string EventsWithClose = """
        date,account_id,kind,amount,note,reinvest
        2025-04-15,A-1001,deposit,50000,bonus
        2025-05-01,A-1003,withdrawal,25000,house
        2025-05-05,A-1002,close,,client moved to another firm
        2025-06-02,A-1004,dividend,1200
        """;

    [Fact]
    public void An_ips_event_moves_the_account_on_its_day_audited_and_changes_the_end_state()
    {
        var (withMove, cashOnly) = (Path.Combine(directory, "move.csv"), Path.Combine(directory, "flows.csv"));
        File.WriteAllText(withMove, EventsWithMove);
        File.WriteAllText(cashOnly, Events);
        var audit = Path.Combine(directory, "audit.jsonl");

        var (code, output, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--digest", "--events", withMove, "--audit", audit);
        var flows = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--digest", "--events", cashOnly);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("book events: 6 from", error, StringComparison.Ordinal);
        var move = Assert.Single(FastRebal.Engine.Audit.FileAuditStore.Read(audit).Records, r => r.Entry.Rule == "BookEvent" && r.Entry.Explanation.Contains("moved", StringComparison.Ordinal)).Entry;
        Assert.Equal("move.csv line 5: client asked for a tighter band, dated 2025-05-02", move.ActorReason);
        Assert.Equal("applied: A-1003 moved from policy 'IPS-STANDARD' version 3 to policy 'IPS-TIGHT' version 1; tax elections now lot method HighestCost, gains budget 5000.00, harvesting off", move.Explanation);
        Assert.True(flows.ExitCode == ExitCodes.Ok, flows.Error);
        Assert.NotEqual(Digest(flows.Output), Digest(output));
    }

    [Fact]
    public void Splits_and_a_symbol_change_apply_on_their_days_audited_in_the_ledger_and_the_replay_quotes_the_new_shares()
    {
        var events = Path.Combine(directory, "corporate.csv");
        File.WriteAllText(events, EventsWithCorporateActions);
        var (audit, ledger) = (Path.Combine(directory, "audit.jsonl"), Path.Combine(directory, "ledger.csv"));

        var (code, output, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--events", events, "--audit", audit, "--ledger", ledger);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("book events: 4 from", error, StringComparison.Ordinal);
        // The replay quotes EFA and GLD in their new shares from the ex-dates.
        Assert.DoesNotContain("frozen EFA", output, StringComparison.Ordinal);
        Assert.DoesNotContain("frozen GLD", output, StringComparison.Ordinal);
        // The verifier knew the splits ahead: their ex-dates' quotes were verified at once, and no trade was refused for a frozen price.
        Assert.Matches(@"risk rejects\s+0\s", output);
        var records = FastRebal.Engine.Audit.FileAuditStore.Read(audit).Records.Where(r => r.Entry.Rule == "BookEvent").Select(r => r.Entry).ToList();
        var split = Assert.Single(records, r => r.Explanation.Contains("split of EFA", StringComparison.Ordinal));
        Assert.Equal("corporate.csv line 3: 3-for-2 split, effective 2025-05-05", split.ActorReason);
        Assert.StartsWith("applied: split of EFA (EFA), 1.5 new share(s) for each old one, applied by book events: ", split.Explanation, StringComparison.Ordinal);
        Assert.Contains(records, r => r.Explanation == "applied: VNQ trades as VNQX (was VNQ) from 2025-05-12; its positions, lots and targets are unchanged");
        Assert.Contains(records, r => r.Explanation.StartsWith("applied: split of GLD (GLD), 0.5 new share(s)", StringComparison.Ordinal));
        // Each holder's split rows add half its EFA; a fraction of a share left the account as cash.
        var rows = File.ReadAllLines(ledger).Skip(1).Select(l => l.Split(',')).Where(r => r[2] == "split").ToList();
        Assert.Contains(rows, r => r[0] == "2025-05-05" && r[3] == "EFA" && decimal.Parse(r[5], CultureInfo.InvariantCulture) > 0);
        Assert.All(rows, r => Assert.True(r[0] is "2025-05-05" or "2025-06-02", string.Join(",", r)));
    }

    [Fact]
    public void Accounts_opened_and_moved_to_another_model_by_events_are_audited_and_in_the_book_at_the_end_and_need_free_rows()
    {
        var events = Path.Combine(directory, "open.csv");
        File.WriteAllText(events, EventsOpeningAndMovingAccounts);
        var (audit, bookOut) = (Path.Combine(directory, "audit.jsonl"), Path.Combine(directory, "book.csv"));

        var (code, output, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--events", events, "--open-capacity", "3", "--audit", audit, "--book-out", bookOut);
        var full = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--events", events, "--audit", Path.Combine(directory, "audit-full.jsonl"));
        var generated = CliRunner.Run("run", "--accounts", "100", "--duration", "00:00:01", "--open-capacity", "3");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("open capacity: 3 free row(s) to open accounts in", error, StringComparison.Ordinal);
        Assert.Contains("live pipeline: 14 accounts", output, StringComparison.Ordinal);
        var records = FastRebal.Engine.Audit.FileAuditStore.Read(audit).Records.Where(r => r.Entry.Rule == "BookEvent").Select(r => r.Entry.Explanation).ToList();
        Assert.Contains("applied: A-2001 opened by book events in household H-NEW on model 'GROWTH-80' under policy 'IPS-STANDARD' version 3; lot method TaxOptimal, harvesting on, with 250,000.00 to invest; 2 free row(s) left", records);
        Assert.Contains(records, r => r.StartsWith("applied: A-1003 moved from model 'BALANCED-60' to model 'INCOME-30' in its own row", StringComparison.Ordinal));
        Assert.Contains(records, r => r.StartsWith("applied: A-1005 moved from model 'GROWTH-80' to model 'BALANCED-60' to a free row", StringComparison.Ordinal));
        // The book at the end holds both new accounts, invested; the free row left is not in it.
        var rows = File.ReadAllLines(bookOut).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.True(rows.Count(r => r[1] == "A-2001" && r[2] != "CASH") >= 3);
        Assert.True(rows.Count(r => r[1] == "A-2002" && r[2] != "CASH") >= 2);
        // A-1005 is in the book once, in its new row, holding IEF, which its old model had no place for.
        Assert.Single(rows, r => r[1] == "A-1005" && r[2] == "CASH");
        Assert.Contains(rows, r => r[1] == "A-1005" && r[2] == "IEF");
        Assert.DoesNotContain(rows, r => r[1].Length == 0);
        // Without free rows each opening is refused and audited, and the deposit into the account never opened too.
        Assert.True(full.ExitCode == ExitCodes.Ok, full.Error);
        var refused = FastRebal.Engine.Audit.FileAuditStore.Read(Path.Combine(directory, "audit-full.jsonl")).Records.Where(r => r.Entry.Rule == "BookEvent").Select(r => r.Entry.Explanation).ToList();
        Assert.Contains("refused: open of A-2001: the book keeps no free rows to open accounts in (run --open-capacity, Console:OpenCapacity)", refused);
        Assert.Contains("refused: cash flow: unknown account 'A-2002'", refused);
        Assert.Contains("refused: move to model 'BALANCED-60' refused: account A-1005 has no place for every instrument of model 'BALANCED-60', and no row is free to move it to (run --open-capacity, Console:OpenCapacity)", refused);
        Assert.Equal(ExitCodes.BadInput, generated.ExitCode);
        Assert.Contains("--open-capacity needs --firm", generated.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_ips_event_is_named_by_line_and_column_and_the_others_still_apply()
    {
        var events = Path.Combine(directory, "events.csv");
        File.WriteAllText(events, EventsWithMove + """

            2025-05-02,A-1001,ips,,,IPS-NOPE
            2025-05-02,A-1001,ips,100,,IPS-TIGHT
            2025-05-02,A-1001,ips
            2025-05-02,A-1001,deposit,100,,IPS-TIGHT
            """);

        var (code, _, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-05-30", "--events", events);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("events.csv line 8, policy_id: no policy 'IPS-NOPE' in the firm's firm.json (it has IPS-RETIREMENT, IPS-STANDARD, IPS-TIGHT); the event is not applied", error, StringComparison.Ordinal);
        Assert.Contains("events.csv line 9, amount: an ips event moves an account to another policy and takes no amount", error, StringComparison.Ordinal);
        Assert.Contains("events.csv line 10, policy_id: is required for an ips event", error, StringComparison.Ordinal);
        Assert.Contains("events.csv line 11, policy_id: only an ips or open event names a policy", error, StringComparison.Ordinal);
        Assert.Contains("book events: 6 from", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_firms_pending_cash_flows_are_applied_at_the_opening()
    {
        var folder = CopyOfExample();
        File.WriteAllText(Path.Combine(folder, "cash_flows.csv"), "account_id,kind,amount\nA-1005,deposit,20000\n");
        var audit = Path.Combine(directory, "audit.jsonl");

        var (code, output, error) = CliRunner.Run("run", "--firm", folder, "--to", "2025-04-30", "--audit", audit, "--digest");

        Assert.True(code == ExitCodes.Ok, error);
        var applied = Assert.Single(FastRebal.Engine.Audit.FileAuditStore.Read(audit).Records, r => r.Entry.Rule == "BookEvent");
        Assert.Equal("the firm's pending cash flows, dated 2025-03-31", applied.Entry.ActorReason);
        // The first record: applied at the opening, before anything was decided.
        Assert.Equal(1, applied.Sequence);
        Assert.NotEqual(Digest(CliRunner.Run("run", "--firm", Example, "--to", "2025-04-30", "--digest").Output), Digest(output));
    }

    [Fact]
    public void Rebalance_harvest_and_kpi_read_a_firm_folder_as_they_read_a_scenario_file()
    {
        var (decisions, harvests) = (Path.Combine(directory, "rebalance.csv"), Path.Combine(directory, "harvest.csv"));
        var rebalance = CliRunner.Run("rebalance", "--scenario", Example, "--format", "csv", "--quiet", "--out", decisions);
        var harvest = CliRunner.Run("harvest", "--scenario", Example, "--format", "csv", "--quiet", "--out", harvests);
        var kpi = CliRunner.Run("kpi", "--scenario", Example);

        Assert.True(rebalance.ExitCode == ExitCodes.Ok, rebalance.Error);
        Assert.Equal(12, File.ReadLines(decisions).Count(l => l.StartsWith("decision,", StringComparison.Ordinal)));
        Assert.Contains(File.ReadLines(decisions), l => l.StartsWith("trade,A-1001,Rebalance,CalendarDue,SPY,Buy,8,559.39", StringComparison.Ordinal));
        Assert.True(harvest.ExitCode == ExitCodes.Ok, harvest.Error);
        Assert.Contains("exposure kept in VTI", File.ReadAllText(harvests), StringComparison.Ordinal);
        Assert.True(kpi.ExitCode == ExitCodes.Ok, kpi.Error);
    }

    private string CopyOfExample()
    {
        var folder = Path.Combine(directory, "firm");
        Directory.CreateDirectory(folder);
        foreach (var path in Directory.GetFiles(Example))
        {
            File.Copy(path, Path.Combine(folder, Path.GetFileName(path)));
        }
        return folder;
    }

    private static string Digest(string output) => output.Split('\n').Single(l => l.StartsWith("state digest ", StringComparison.Ordinal));
}
