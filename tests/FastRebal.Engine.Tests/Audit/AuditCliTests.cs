using System.Globalization;
using FastRebal.Cli;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Tests.Audit;

/// <summary>The audit trail end to end through the real entry point: rebalance/harvest/approve --audit, audit verify, report, export.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class AuditCliTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-audit-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Example(string name) => Path.Combine(AppContext.BaseDirectory, "Examples", name);

    private string PathOf(string name) => Path.Combine(directory, name);

    // Records carry the real time; a window around today keeps a run near midnight inside it.
    private static string Yesterday => DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Tomorrow => DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static (int ExitCode, string Output, string Error) Cli(params string[] args) => CliRunner.Run(args);

    private string RebalanceQuickstart()
    {
        var audit = PathOf("audit.jsonl");
        var (code, _, error) = Cli("rebalance", "--scenario", Example("quickstart.json"), "--out", PathOf("out.json"), "--quiet", "--audit", audit);
        Assert.True(code == ExitCodes.Ok, error);
        return audit;
    }

    [Fact]
    public void Rebalance_with_audit_records_each_decision_and_trade_with_policy_and_input_hash()
    {
        var audit = RebalanceQuickstart();

        var records = FileAuditStore.Read(audit).Records.ToList();
        // quickstart.json: 3 decisions; ACC-1 2 trades, ACC-2 2 trades, ACC-3 3 trades.
        Assert.Equal(10, records.Count);
        Assert.Equal(3, records.Count(r => r.Entry.Kind == AuditKind.Decision));
        Assert.Equal(7, records.Count(r => r.Entry.Kind == AuditKind.Trade));
        var decision = records[0];
        Assert.Equal(("ACC-1", "HH-1", "IPS-ACC-1", 2, "BandBreach"), (decision.Entry.AccountId, decision.Entry.HouseholdId, decision.Entry.PolicyId, decision.Entry.PolicyVersion, decision.Entry.Rule));
        Assert.Contains("band breach: max drift 6.77% (relative 16.9%) outside the ±5.00% absolute band", decision.Entry.Explanation, StringComparison.Ordinal);
        var sell = records[1];
        Assert.Equal(("SPY", "Sell", "10", "500"), (sell.Entry.Figure("instrument"), sell.Entry.Figure("side"), sell.Entry.Figure("quantity"), sell.Entry.Figure("price")));
        Assert.Equal("Sell 10 SPY at 500.00 (5,000.00) for a band breach: band breach: SPY 66.45% -> 60.00%, target 60.00%", sell.Entry.Explanation);
        // A trade keeps its own reason's parts; the drift and band are its decision's, in the decision's record (same account and input hash).
        Assert.Equal(("sizing", "band breach", null), (sell.Entry.ReasonCode, sell.Entry.Figure("label"), sell.Entry.Figure("bandWidth")));
        Assert.Equal(("rebalance", "0.05", decision.Entry.InputHash), (decision.Entry.ReasonCode, decision.Entry.Figure("bandWidth"), sell.Entry.InputHash));

        // The input hash is the account's inputs as loaded, recomputable by anyone holding the scenario.
        var loaded = ScenarioLoader.Load(Example("quickstart.json"));
        var expected = AuditInputs.HashAll(loaded.Book, loaded.AsOf, loaded.CashFlows);
        Assert.Equal(expected[loaded.Book.FindAccount("ACC-1")], decision.Entry.InputHash);
        Assert.Equal(expected[loaded.Book.FindAccount("ACC-2")], records.First(r => r.Entry.AccountId == "ACC-2").Entry.InputHash);
        Assert.NotEqual(expected[0], expected[1]);

        // A second run continues the same chain.
        RebalanceQuickstart();
        Assert.Equal(20, FileAuditStore.Read(audit).Records.Count());
    }

    [Fact]
    public void Verify_prints_count_and_daily_roots_for_an_intact_chain_and_names_a_tampered_record()
    {
        var audit = RebalanceQuickstart();

        var (code, output, _) = Cli("audit", "verify", "--file", audit);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.StartsWith("OK: 10 record(s), sequence 1 to 10, tail hash ", output, StringComparison.Ordinal);
        var records = FileAuditStore.Read(audit).Records.ToList();
        var root = Convert.ToHexStringLower(MerkleTree.Root([.. records.Select(r => Convert.FromHexString(r.Hash))]));
        Assert.Contains($"merkle root {root}", output, StringComparison.Ordinal);

        var lines = File.ReadAllLines(audit);
        lines[4] = lines[4].Replace("\"quantity\",\"6\"", "\"quantity\",\"60\"", StringComparison.Ordinal);
        Assert.NotEqual(File.ReadAllLines(audit)[4], lines[4]);
        File.WriteAllLines(audit, lines);

        var (tamperedCode, tamperedOutput, _) = Cli("audit", "verify", "--file", audit);

        Assert.Equal(ExitCodes.BadInput, tamperedCode);
        Assert.StartsWith("BROKEN: Edited at record 5: record 5 (", tamperedOutput, StringComparison.Ordinal);
        Assert.Contains("line 5", tamperedOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Appending_to_a_broken_chain_is_refused()
    {
        var audit = RebalanceQuickstart();
        var lines = File.ReadAllLines(audit);
        File.WriteAllLines(audit, lines.Where((_, i) => i != 2));
        var before = File.ReadAllBytes(audit);

        var (code, _, error) = Cli("rebalance", "--scenario", Example("quickstart.json"), "--out", PathOf("out2.json"), "--quiet", "--audit", audit);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("the audit chain is broken, nothing was appended: record 3 is missing", error, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(audit));
    }

    [Fact]
    public void Report_csv_explains_each_decision_and_trade_of_the_account()
    {
        var audit = RebalanceQuickstart();
        var report = PathOf("acc1.csv");

        var (code, _, error) = Cli("audit", "report", "--file", audit, "--account", "ACC-1", "--from", Yesterday, "--to", Tomorrow, "--format", "csv", "--out", report);

        Assert.True(code == ExitCodes.Ok, error);
        var lines = File.ReadAllLines(report);
        Assert.Equal("sequence,timestamp,kind,account_id,policy_id,policy_version,rule,what_and_why,drift_and_band,figures,actor,why,input_hash,hash", lines[0]);
        Assert.Equal(4, lines.Length);
        var records = FileAuditStore.Read(audit).Records.ToList();
        Assert.StartsWith("1,", lines[1], StringComparison.Ordinal);
        Assert.Contains(",Decision,ACC-1,IPS-ACC-1,2,BandBreach,Decision for ACC-1 under IPS IPS-ACC-1 v2: rebalance: band breach: max drift 6.77%", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"max drift 6.77% (relative 16.9%), total drift 6.61%; ±5.00% absolute band\"", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(records[0].Hash, lines[1], StringComparison.Ordinal);
        Assert.Contains("Trade for ACC-1 under IPS IPS-ACC-1 v2: Sell 10 SPY at 500.00 (5,000.00) for a band breach: band breach: SPY 66.45% -> 60.00%", lines[2], StringComparison.Ordinal);
        Assert.Contains("Buy 50 AGG", lines[3], StringComparison.Ordinal);
        // A trade's record keeps its own reason; its row shows the drift and band of its decision (same account and input hash).
        Assert.Contains("\"max drift 6.77% (relative 16.9%), total drift 6.61%; ±5.00% absolute band\"", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("ACC-2", StringComparison.Ordinal));

        var (emptyCode, _, _) = Cli("audit", "report", "--file", audit, "--account", "ACC-1", "--from", "2020-01-01", "--to", "2020-01-31", "--out", PathOf("empty.csv"));
        Assert.Equal(ExitCodes.Ok, emptyCode);
        Assert.Single(File.ReadAllLines(PathOf("empty.csv")));
    }

    [Fact]
    public void Report_html_is_encoded_and_shows_the_chain_status_and_daily_root()
    {
        var audit = RebalanceQuickstart();
        var report = PathOf("acc3.html");

        var (code, _, error) = Cli("audit", "report", "--file", audit, "--account", "ACC-3", "--from", Yesterday, "--to", Tomorrow, "--format", "html", "--out", report);

        Assert.True(code == ExitCodes.Ok, error);
        var html = File.ReadAllText(report);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("Chain verified: 10 record(s), 1 to 10, intact", html, StringComparison.Ordinal);
        Assert.Contains("OLDCO 15.97% -&gt; 0.00%", html, StringComparison.Ordinal);
        Assert.DoesNotContain("-> 0.00%", html, StringComparison.Ordinal);
        Assert.Equal(4, html.Split("<tr><td>").Length - 1 - 1); // 4 records of ACC-3 plus 1 daily root row
        Assert.Contains("Daily Merkle roots", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_on_a_tampered_chain_says_so_and_exits_2()
    {
        var audit = RebalanceQuickstart();
        File.WriteAllText(audit, File.ReadAllText(audit).Replace("\"Sell\"", "\"Buy\"", StringComparison.Ordinal));

        var (code, _, error) = Cli("audit", "report", "--file", audit, "--account", "ACC-1", "--from", Yesterday, "--to", Tomorrow, "--format", "html", "--out", PathOf("r.html"));

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("BROKEN: record 2", error, StringComparison.Ordinal);
        Assert.Contains("Chain NOT intact", File.ReadAllText(PathOf("r.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void Harvest_and_approve_with_audit_record_the_harvest_the_submission_and_who_approved_why()
    {
        var audit = PathOf("tax-audit.jsonl");
        var queue = PathOf("queue.json");
        Assert.Equal(ExitCodes.Ok, Cli("harvest", "--scenario", Example("tax.json"), "--approvals", queue, "--out", PathOf("h1.json"), "--quiet", "--audit", audit).ExitCode);
        var id = Cli("approvals", "--queue", queue).Output.Split('\n')[0].Split(' ')[0];

        var (code, _, error) = Cli("approve", "--queue", queue, "--id", id, "--who", "alice", "--why", "client asked", "--audit", audit);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(ExitCodes.Ok, Cli("harvest", "--scenario", Example("tax.json"), "--approvals", queue, "--out", PathOf("h2.json"), "--quiet", "--audit", audit).ExitCode);

        var records = FileAuditStore.Read(audit).Records.ToList();
        Assert.True(FileAuditStore.VerifyFiles(audit).Intact);
        Assert.Contains(records, r => r.Entry is { Kind: AuditKind.Harvest, AccountId: "T1", Rule: "PendingApproval", PolicyId: "IPS-T1", PolicyVersion: 4 } && r.Entry.Figure("instrument") == "SPY");
        Assert.Contains(records, r => r.Entry is { Kind: AuditKind.Harvest, AccountId: "T1", Rule: "Skipped" } && r.Entry.Figure("instrument") == "AGG");
        Assert.Contains(records, r => r.Entry is { Kind: AuditKind.Approval, Rule: "submitted", Actor: "engine" } && r.Entry.Figure("item") == id);
        var approval = Assert.Single(records, r => r.Entry is { Kind: AuditKind.Approval, Rule: "approved" });
        Assert.Equal(("alice", "client asked", "T1", "IPS-T1", 4), (approval.Entry.Actor, approval.Entry.ActorReason, approval.Entry.AccountId, approval.Entry.PolicyId, approval.Entry.PolicyVersion));
        Assert.Contains(records, r => r.Entry is { Kind: AuditKind.Harvest, Rule: "Harvested" });
        Assert.Contains(records, r => r.Entry is { Kind: AuditKind.Trade, Rule: "Harvest" } && r.Entry.Figure("side") == "Sell" && r.Entry.Explanation.Contains("lots relieved: SPY-B 40", StringComparison.Ordinal));
        // The approval record comes before the trades it released.
        Assert.True(records.IndexOf(approval) < records.FindIndex(r => r.Entry.Kind == AuditKind.Trade));
    }

    [Fact]
    public void Export_prunes_the_live_file_and_verify_accepts_it_alone_and_with_its_archive()
    {
        var audit = RebalanceQuickstart();
        var archive = PathOf("archive.jsonl");

        var (code, output, error) = Cli("audit", "export", "--file", audit, "--before", Tomorrow, "--archive", archive, "--who", "ops");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.StartsWith("exported 10 record(s) to ", output, StringComparison.Ordinal);
        Assert.Contains("checkpoint record 11", output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, Cli("audit", "verify", "--file", audit).ExitCode);
        Assert.Equal(ExitCodes.Ok, Cli("audit", "verify", "--file", archive).ExitCode);
        var (both, bothOutput, _) = Cli("audit", "verify", "--archive", archive, "--file", audit);
        Assert.Equal(ExitCodes.Ok, both);
        Assert.StartsWith("OK: 11 record(s), sequence 1 to 11", bothOutput, StringComparison.Ordinal);
        var live = Assert.Single(FileAuditStore.Read(audit).Records);
        Assert.Equal((AuditKind.Checkpoint, "ops"), (live.Entry.Kind, live.Entry.Actor));

        // Records keep going into the pruned file.
        RebalanceQuickstart();
        Assert.Equal(ExitCodes.Ok, Cli("audit", "verify", "--archive", archive, "--file", audit).ExitCode);

        var (again, _, againError) = Cli("audit", "export", "--file", audit, "--before", Tomorrow, "--archive", archive);
        Assert.Equal(ExitCodes.BadInput, again);
        Assert.Contains("the archive already exists with other records", againError, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_keeping_today_live_exports_nothing_from_a_chain_written_today()
    {
        var audit = RebalanceQuickstart();
        var before = File.ReadAllBytes(audit);

        var (code, output, error) = Cli("audit", "export", "--file", audit, "--keep-days", "1", "--archive", PathOf("a.jsonl"));

        Assert.True(code == ExitCodes.Ok, error);
        Assert.StartsWith("nothing to export: no record before ", output, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(audit));
        Assert.False(File.Exists(PathOf("a.jsonl")));
        Assert.Equal(ExitCodes.BadInput, Cli("audit", "export", "--file", audit, "--keep-days", "0", "--archive", PathOf("a.jsonl")).ExitCode);
        Assert.Equal(ExitCodes.BadInput, Cli("audit", "export", "--file", audit, "--archive", PathOf("a.jsonl")).ExitCode);
    }

    [Fact]
    public void Bad_dates_and_missing_files_are_named()
    {
        var (code, _, error) = Cli("audit", "report", "--file", PathOf("none.jsonl"), "--account", "A", "--from", "2025-01-01", "--to", "2025-01-02");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("audit file not found", error, StringComparison.Ordinal);

        var audit = RebalanceQuickstart();
        var (dateCode, _, dateError) = Cli("audit", "report", "--file", audit, "--account", "A", "--from", "26/09/2025", "--to", "2025-01-02");
        Assert.Equal(ExitCodes.BadInput, dateCode);
        Assert.Contains("--from: '26/09/2025' is not a date like 2025-09-26", dateError, StringComparison.Ordinal);
    }
}
