using System.Text.Json;
using FastRebal.Cli;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>The tax commands end to end through the real entry point, on the README's tax example.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class TaxCliTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-tax-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Example => Path.Combine(AppContext.BaseDirectory, "Examples", "tax.json");

    private static (int ExitCode, string Output, string Error) Cli(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Rebalance_of_the_tax_example_shows_lots_the_gains_budget_the_wash_sale_substitute_blocks_and_the_approval()
    {
        var outFile = Path.Combine(directory, "out.csv");

        var (code, _, error) = Cli("rebalance", "--scenario", Example, "--format", "csv", "--out", outFile, "--quiet");

        Assert.True(code == ExitCodes.Ok, error);
        var lines = File.ReadAllLines(outFile);
        // T1: FIFO with a 1,000 gains budget sells 4 SPY from lot SPY-A (+210/sh = 840 long-term) instead of 9.
        Assert.Contains(lines, l => l.StartsWith("trade,T1,Rebalance,BandBreach,SPY,Sell,4,600,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("lot,T1,,,SPY,Sell,4,600,2400,", StringComparison.Ordinal) && l.Contains("gain 840.00, LongTerm", StringComparison.Ordinal));
        // T2 sold SPY at a loss on 2025-09-15: its deposit buys VTI, not SPY.
        Assert.Contains(lines, l => l.StartsWith("trade,T2,", StringComparison.Ordinal) && l.Contains(",VTI,Buy,", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("trade,T2,", StringComparison.Ordinal) && l.Contains(",SPY,Buy,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("block,BAL6040,,,SPY,Sell,6,600,3600,", StringComparison.Ordinal) && l.EndsWith("S1 4; S2 2", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("approval,P1,Pending,IlliquidHoldings,", StringComparison.Ordinal));
    }

    [Fact]
    public void Harvest_then_approve_then_harvest_again_releases_the_large_harvest()
    {
        var queue = Path.Combine(directory, "queue.json");
        var first = Path.Combine(directory, "h1.json");

        var (code, _, error) = Cli("harvest", "--scenario", Example, "--approvals", queue, "--out", first, "--quiet");
        Assert.True(code == ExitCodes.Ok, error);
        using (var json = JsonDocument.Parse(File.ReadAllText(first)))
        {
            var harvests = json.RootElement.GetProperty("harvests").EnumerateArray().ToList();
            Assert.Contains(harvests, h => h.GetProperty("instrumentId").GetString() == "SPY" && h.GetProperty("status").GetString() == "pendingApproval");
            Assert.Contains(harvests, h => h.GetProperty("instrumentId").GetString() == "AGG" && h.GetProperty("status").GetString() == "skipped");
            Assert.Empty(json.RootElement.GetProperty("trades").EnumerateArray());
        }

        var (listCode, listing, _) = Cli("approvals", "--queue", queue);
        Assert.Equal(ExitCodes.Ok, listCode);
        var id = listing.Split('\n')[0].Split(' ')[0];
        Assert.StartsWith("APR-20250926-T1-LargeHarvest-", id, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.BadInput, Cli("approve", "--queue", queue, "--id", "APR-missing", "--who", "alice", "--why", "x").ExitCode);
        Assert.Equal(ExitCodes.Ok, Cli("approve", "--queue", queue, "--id", id, "--who", "alice", "--why", "client asked").ExitCode);
        Assert.Equal(ExitCodes.BadInput, Cli("reject", "--queue", queue, "--id", id, "--who", "bob", "--why", "too late").ExitCode);

        var second = Path.Combine(directory, "h2.json");
        Assert.Equal(ExitCodes.Ok, Cli("harvest", "--scenario", Example, "--approvals", queue, "--out", second, "--quiet").ExitCode);
        using var after = JsonDocument.Parse(File.ReadAllText(second));
        var spy = after.RootElement.GetProperty("harvests").EnumerateArray().Single(h => h.GetProperty("instrumentId").GetString() == "SPY");
        Assert.Equal("harvested", spy.GetProperty("status").GetString());
        Assert.Equal(592m, spy.GetProperty("estimatedTaxSaved").GetDecimal());
        Assert.Equal(2, after.RootElement.GetProperty("trades").GetArrayLength());
        var audit = JsonDocument.Parse(File.ReadAllText(queue)).RootElement.GetProperty("audit").EnumerateArray().Select(a => a.GetProperty("action").GetString()).ToList();
        Assert.Equal(["submitted", "approved"], audit);
    }

    [Fact]
    public void Kpi_runs_on_a_generated_firm_with_no_files()
    {
        var (code, output, error) = Cli("kpi", "--accounts", "300", "--json");

        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(output);
        var firm = json.RootElement.GetProperty("report").GetProperty("firm");
        Assert.Equal(300, firm.GetProperty("accounts").GetInt32());
        Assert.True(firm.GetProperty("trackingError").GetDouble() > 0);
        Assert.True(firm.GetProperty("rebalances").GetInt32() > 0);
        Assert.True(firm.GetProperty("realizedShortTerm").GetDecimal() + firm.GetProperty("realizedLongTerm").GetDecimal() != 0);
        Assert.Equal(300, json.RootElement.GetProperty("report").GetProperty("accounts").GetArrayLength());
    }

    [Fact]
    public void Kpi_runs_on_a_scenario_and_counts_its_history()
    {
        var (code, output, error) = Cli("kpi", "--scenario", Example, "--json");

        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(output);
        var t2 = json.RootElement.GetProperty("report").GetProperty("accounts").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "T2");
        // T2's history: a SPY loss of 800 on 2025-09-15 (short-term); this run's rebalance adds one rebalance.
        Assert.Equal(-800m + 3m, t2.GetProperty("realizedShortTerm").GetDecimal() + t2.GetProperty("realizedLongTerm").GetDecimal());
        Assert.Equal(2, t2.GetProperty("rebalances").GetInt32());
    }
}
