using System.Globalization;
using System.Text.Json;
using FastRebal.Cli;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Tests;

[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>The fastrebal command end to end, through its real entry point.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class CliTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Example => Path.Combine(AppContext.BaseDirectory, "Examples", "quickstart.json");

    private static (int ExitCode, string Output, string Error) Cli(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Rebalance_of_the_readme_example_explains_every_account()
    {
        var outFile = Path.Combine(directory, "out.json");

        var (code, _, error) = Cli("rebalance", "--scenario", Example, "--out", outFile);

        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(File.ReadAllText(outFile));
        var decisions = json.RootElement.GetProperty("decisions").EnumerateArray().ToDictionary(d => d.GetProperty("accountId").GetString()!);
        Assert.Equal("rebalance", decisions["ACC-1"].GetProperty("action").GetString());
        Assert.Equal("bandBreach", decisions["ACC-1"].GetProperty("rule").GetString());
        Assert.Equal("IPS-ACC-1", decisions["ACC-1"].GetProperty("policyId").GetString());
        Assert.Equal("cashFlow", decisions["ACC-2"].GetProperty("action").GetString());
        var trades = json.RootElement.GetProperty("trades").EnumerateArray().ToList();
        Assert.Contains(trades, t => t.GetProperty("accountId").GetString() == "ACC-3" && t.GetProperty("instrumentId").GetString() == "OLDCO"
            && t.GetProperty("side").GetString() == "sell" && t.GetProperty("quantity").GetDecimal() == 120);
        Assert.DoesNotContain(trades, t => t.GetProperty("accountId").GetString() == "ACC-2" && t.GetProperty("side").GetString() == "sell");
        Assert.Empty(json.RootElement.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public void Rebalance_writes_csv_with_a_row_per_decision_and_trade()
    {
        var outFile = Path.Combine(directory, "out.csv");

        var (code, _, _) = Cli("rebalance", "--scenario", Example, "--format", "csv", "--out", outFile, "--quiet");

        Assert.Equal(ExitCodes.Ok, code);
        var lines = File.ReadAllLines(outFile);
        Assert.Equal(Runs.RunReport.CsvHeader, lines[0]);
        Assert.Equal(3, lines.Count(l => l.StartsWith("decision,", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("trade,ACC-1,Rebalance,BandBreach,SPY,Sell,10,", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_account_exits_2_names_the_problem_and_the_good_accounts_still_run()
    {
        var scenario = Path.Combine(directory, "bad.json");
        var text = File.ReadAllText(Example).Replace("{ \"instrumentId\": \"AGG\", \"quantity\": 200 }", "{ \"instrumentId\": \"XYZ\", \"quantity\": 200 }", StringComparison.Ordinal);
        File.WriteAllText(scenario, text);
        var outFile = Path.Combine(directory, "out.json");

        var (code, _, error) = Cli("rebalance", "--scenario", scenario, "--out", outFile);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("account ACC-2, positions[1].instrumentId: unknown or rejected instrument 'XYZ'", error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(outFile));
        Assert.Equal(2, json.RootElement.GetProperty("decisions").GetArrayLength());
        Assert.Single(json.RootElement.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public void Malformed_or_missing_files_exit_2_with_the_reason()
    {
        var broken = Path.Combine(directory, "broken.json");
        File.WriteAllText(broken, "{ \"asOf\": \"2025-01-01\", \"accounts\": [ { ] }");

        var malformed = Cli("rebalance", "--scenario", broken, "--out", Path.Combine(directory, "o.json"));
        var missing = Cli("rebalance", "--scenario", Path.Combine(directory, "nope.json"));

        Assert.Equal(ExitCodes.BadInput, malformed.ExitCode);
        Assert.Contains("line 1", malformed.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, missing.ExitCode);
        Assert.Contains("not found", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_option_exits_2()
    {
        var (code, _, error) = Cli("rebalance", "--scenario", Example, "--frobnicate");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("frobnicate", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_is_deterministic_and_its_file_loads_back_without_errors()
    {
        var first = Path.Combine(directory, "a.json");
        var second = Path.Combine(directory, "b.json");
        var other = Path.Combine(directory, "c.json");

        Assert.Equal(ExitCodes.Ok, Cli("generate", "--accounts", "300", "--positions", "12", "--seed", "5", "--out", first, "--quiet").ExitCode);
        Assert.Equal(ExitCodes.Ok, Cli("generate", "--accounts", "300", "--positions", "12", "--seed", "5", "--out", second, "--quiet").ExitCode);
        Assert.Equal(ExitCodes.Ok, Cli("generate", "--accounts", "300", "--positions", "12", "--seed", "6", "--out", other, "--quiet").ExitCode);

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        Assert.NotEqual(File.ReadAllBytes(first), File.ReadAllBytes(other));
        var loaded = ScenarioLoader.Load(first);
        Assert.Empty(loaded.Errors);
        Assert.Equal(300, loaded.Book.AccountCount);
        Assert.InRange(loaded.Book.SlotCount, 300 * 12, 300 * 13);
    }

    [Fact]
    public void Sweep_reports_the_sweep_and_the_streaming_baseline_from_the_same_run()
    {
        var (code, output, _) = Cli("sweep", "--accounts", "2000", "--positions", "20", "--iterations", "3", "--json");

        Assert.Equal(ExitCodes.Ok, code);
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("sweepMedianMs").GetDouble() > 0);
        Assert.True(json.RootElement.GetProperty("streamingMedianMs").GetDouble() > 0);
        Assert.True(json.RootElement.GetProperty("hotBytesPerPosition").GetDouble() <= 64);
    }

    [Fact]
    public void Demo_runs_with_no_files_and_trades_the_accounts_in_breach()
    {
        var (code, output, _) = Cli("demo", "--accounts", "3000", "--json");

        Assert.Equal(ExitCodes.Ok, code);
        using var json = JsonDocument.Parse(output);
        var summary = json.RootElement.GetProperty("summary");
        Assert.Equal(3000, summary.GetProperty("accounts").GetInt32());
        Assert.True(summary.GetProperty("accountsInBreach").GetInt32() > 0);
        Assert.True(summary.GetProperty("trades").GetInt32() > 0);
        Assert.True(json.RootElement.GetProperty("accountsInBreachAfterFills").GetInt32() < summary.GetProperty("accountsInBreach").GetInt32());
    }

    [Fact]
    public void Demo_with_lots_times_the_plans_made_tax_aware_over_the_taxable_accounts_lots_and_leaves_the_summary_alone()
    {
        var (code, output, _) = Cli("demo", "--accounts", "3000", "--json", "--lots");
        var (_, plain, _) = Cli("demo", "--accounts", "3000", "--json");

        Assert.Equal(ExitCodes.Ok, code);
        using var json = JsonDocument.Parse(output);
        using var without = JsonDocument.Parse(plain);
        var lots = json.RootElement.GetProperty("lots");
        // The generated firm: about two accounts in three taxable, each position 3 to 5 lots.
        Assert.InRange(lots.GetProperty("taxableAccounts").GetInt32(), 1500, 2500);
        Assert.InRange(lots.GetProperty("count").GetInt32(), 3 * lots.GetProperty("taxableAccounts").GetInt32(), 5 * 20 * lots.GetProperty("taxableAccounts").GetInt32());
        Assert.True(lots.GetProperty("taxMs").GetDouble() > 0);
        // Each figure is printed to the microsecond, so their sum may differ from the printed total by one in the last place.
        var sum = json.RootElement.GetProperty("decideMs").GetDouble() + lots.GetProperty("taxMs").GetDouble();
        Assert.InRange(lots.GetProperty("decideWithLotsMs").GetDouble() - sum, -0.0015, 0.0015);
        Assert.Equal(without.RootElement.GetProperty("summary").GetRawText(), json.RootElement.GetProperty("summary").GetRawText());
        Assert.False(without.RootElement.TryGetProperty("lots", out _));
    }

    [Fact]
    public void Demo_of_the_realistic_firm_names_the_six_most_breached_models_and_counts_the_rest()
    {
        var (code, output, _) = Cli("demo", "--accounts", "3000");

        Assert.Equal(ExitCodes.Ok, code);
        var line = output.Split('\n').Single(l => l.TrimStart().StartsWith("by model: ", StringComparison.Ordinal));
        var parts = line.Trim()["by model: ".Length..].Split(" | ");
        Assert.Equal(7, parts.Length);
        Assert.Matches(@"^\d+ more model\(s\) [\d,]+$", parts[^1]);
        var counts = parts[..^1].Select(p => int.Parse(p[(p.LastIndexOf(' ') + 1)..].Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(counts.OrderByDescending(n => n), counts);
    }

    [Fact]
    public void Run_replays_real_closes_through_the_pipeline_writes_a_blotter_and_reports_its_figures_as_json()
    {
        var blotter = Path.Combine(directory, "blotter.csv");

        var (code, output, error) = Cli("run", "--accounts", "2000", "--from", "2020-02-28", "--to", "2020-03-31", "--blotter", blotter, "--slice-interval", "00:00:00", "--json");

        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        // March 2020: markets fell far enough to push accounts out of band and send orders.
        Assert.Equal(2000, root.GetProperty("accounts").GetInt32());
        Assert.True(root.GetProperty("verifiedPriceChanges").GetInt64() > 0);
        Assert.True(root.GetProperty("ordersSent").GetInt64() > 0);
        Assert.True(root.GetProperty("priceToDecision").GetProperty("samples").GetInt64() > 0);
        Assert.False(root.TryGetProperty("fault", out _), "a run without a fault reports none");
        Assert.True(File.ReadLines(blotter).Count() > 1);
    }

    [Fact]
    public void Run_generates_the_realistic_firm_unless_told_uniform_and_replays_real_closes_through_it()
    {
        string[] args = ["run", "--accounts", "400", "--from", "2020-02-28", "--to", "2020-03-13", "--digest", "--json"];

        var (code, output, error) = Cli(args);
        var (realisticCode, realisticOutput, _) = Cli([.. args, "--firm-shape", "realistic"]);
        var (uniformCode, uniformOutput, _) = Cli([.. args, "--firm-shape", "uniform"]);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(ExitCodes.Ok, realisticCode);
        Assert.Equal(ExitCodes.Ok, uniformCode);
        using var json = JsonDocument.Parse(output[..output.LastIndexOf("state digest", StringComparison.Ordinal)]);
        Assert.True(json.RootElement.GetProperty("verifiedPriceChanges").GetInt64() > 0);
        Assert.True(json.RootElement.GetProperty("decisions").GetInt64() > 0);
        Assert.False(json.RootElement.TryGetProperty("fault", out _));
        // A lockstep replay is repeatable, so the digest tells the firms apart: the default is the realistic one.
        Assert.Equal(Digest(realisticOutput), Digest(output));
        Assert.NotEqual(Digest(uniformOutput), Digest(output));

        static string Digest(string printed) => printed.Split('\n').Single(l => l.StartsWith("state digest ", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_with_the_probe_feed_measures_tick_to_order_on_a_quiet_book()
    {
        var (code, output, error) = Cli("run", "--feed", "probe", "--accounts", "1000", "--duration", "00:00:03", "--warmup", "00:00:01", "--slice-interval", "00:00:00", "--json");

        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(output);
        Assert.StartsWith("probe", json.RootElement.GetProperty("feed").GetString());
        Assert.True(json.RootElement.GetProperty("tickToOrder").GetProperty("samples").GetInt64() > 0, output);
    }

    [Theory]
    [InlineData("--feed", "sideways")]
    [InlineData("--volatility", "0")]
    [InlineData("--sources", "0")]
    public void Run_refuses_bad_options_with_exit_code_2_naming_the_option(string option, string value)
    {
        var (code, _, error) = Cli("run", "--accounts", "100", option, value);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(option, error);
    }

    [Fact]
    public void Run_with_an_audit_file_leaves_a_chain_that_verifies_with_a_decision_for_every_decision_it_counted()
    {
        var audit = Path.Combine(directory, "audit.jsonl");

        var (code, output, error) = Cli("run", "--accounts", "1000", "--from", "2020-02-28", "--to", "2020-03-13", "--audit", audit, "--json");
        var (verified, verifyOutput, verifyError) = Cli("audit", "verify", "--file", audit);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.True(verified == ExitCodes.Ok, verifyError);
        Assert.StartsWith("OK:", verifyOutput);
        using var json = JsonDocument.Parse(output);
        var decisions = File.ReadLines(audit).Count(l => l.Contains("\"kind\":\"Decision\"", StringComparison.Ordinal));
        Assert.Equal(json.RootElement.GetProperty("decisions").GetInt64(), decisions);
    }
}
