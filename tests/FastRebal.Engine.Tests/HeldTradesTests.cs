using System.Text.Json;
using FastRebal.Cli;

namespace FastRebal.Engine.Tests;

/// <summary>Trades waiting for approval are never listed or counted with the released ones, in any format, with or without tax fields.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class HeldTradesTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-held-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string TaxExample => Path.Combine(AppContext.BaseDirectory, "Examples", "tax.json");

    /// <summary>P1 holds an illiquid fund and is out of band: its trades wait for an operator. R1 simply rebalances.</summary>
    private const string Plain = """
        {
          "asOf": "2025-09-26",
          "instruments": [
            { "id": "SPY", "assetClass": "US Equity" }, { "id": "AGG", "assetClass": "US Bonds" },
            { "id": "PRIV", "assetClass": "Real Estate", "liquid": false }
          ],
          "models": [ { "id": "M", "targets": [ { "instrumentId": "SPY", "weight": 0.6 }, { "instrumentId": "AGG", "weight": 0.4 } ] } ],
          "prices": [ { "instrumentId": "SPY", "value": 600 }, { "instrumentId": "AGG", "value": 98.5 }, { "instrumentId": "PRIV", "value": 25 } ],
          "accounts": [
            { "id": "R1", "modelId": "M", "cash": 0, "positions": [ { "instrumentId": "SPY", "quantity": 20 }, { "instrumentId": "AGG", "quantity": 300 } ],
              "policy": { "id": "IPS-R1", "trigger": "threshold" } },
            { "id": "P1", "modelId": "M", "cash": 2000,
              "positions": [ { "instrumentId": "SPY", "quantity": 100 }, { "instrumentId": "AGG", "quantity": 500 }, { "instrumentId": "PRIV", "quantity": 1000 } ],
              "policy": { "id": "IPS-P1", "trigger": "threshold" } }
          ]
        }
        """;

    private string Write(string json)
    {
        var path = Path.Combine(directory, "scenario.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string[] Accounts(JsonElement trades) => [.. trades.EnumerateArray().Select(t => t.GetProperty("accountId").GetString()!).Distinct()];

    [Fact]
    public void Plain_json_lists_held_trades_apart_and_counts_only_released_ones_as_trades()
    {
        var outFile = Path.Combine(directory, "out.json");

        var (code, _, error) = CliRunner.Run("rebalance", "--scenario", Write(Plain), "--out", outFile, "--quiet");

        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(File.ReadAllText(outFile));
        var root = json.RootElement;
        Assert.Equal(["R1"], Accounts(root.GetProperty("trades")));
        Assert.Equal(["P1"], Accounts(root.GetProperty("heldTrades")));
        var summary = root.GetProperty("summary");
        Assert.Equal(root.GetProperty("trades").GetArrayLength(), summary.GetProperty("trades").GetInt32());
        Assert.Equal(root.GetProperty("heldTrades").GetArrayLength(), summary.GetProperty("heldTrades").GetInt32());
        Assert.True(summary.GetProperty("heldTrades").GetInt32() > 0);
    }

    [Fact]
    public void Plain_csv_marks_held_trades_with_their_own_record_type()
    {
        var outFile = Path.Combine(directory, "out.csv");

        var (code, _, error) = CliRunner.Run("rebalance", "--scenario", Write(Plain), "--format", "csv", "--out", outFile, "--quiet");

        Assert.True(code == ExitCodes.Ok, error);
        var lines = File.ReadAllLines(outFile);
        Assert.DoesNotContain(lines, l => l.StartsWith("trade,P1,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("held_trade,P1,NeedsApproval,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("trade,R1,Rebalance,", StringComparison.Ordinal));
    }

    [Fact]
    public void The_progress_text_says_how_many_trades_are_released_and_how_many_held()
    {
        var (code, _, error) = CliRunner.Run("rebalance", "--scenario", Write(Plain), "--out", Path.Combine(directory, "o.json"));

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Matches(@"\d+ trade\(s\) released and [1-9]\d* held for approval", error);
    }

    [Fact]
    public void Tax_json_and_csv_keep_held_trades_apart_with_their_approval()
    {
        var outFile = Path.Combine(directory, "out.json");
        var csvFile = Path.Combine(directory, "out.csv");

        var (code, _, error) = CliRunner.Run("rebalance", "--scenario", TaxExample, "--out", outFile, "--quiet");
        var (csvCode, _, _) = CliRunner.Run("rebalance", "--scenario", TaxExample, "--format", "csv", "--out", csvFile, "--quiet");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(ExitCodes.Ok, csvCode);
        using var json = JsonDocument.Parse(File.ReadAllText(outFile));
        var root = json.RootElement;
        Assert.DoesNotContain("P1", Accounts(root.GetProperty("trades")));
        Assert.Equal(["P1"], Accounts(root.GetProperty("heldTrades")));
        Assert.All(root.GetProperty("heldTrades").EnumerateArray(), t => Assert.StartsWith("APR-20250926-P1-IlliquidHoldings-", t.GetProperty("approvalId").GetString(), StringComparison.Ordinal));
        Assert.Equal(root.GetProperty("heldTrades").GetArrayLength(), root.GetProperty("summary").GetProperty("heldTrades").GetInt32());
        Assert.Contains(File.ReadAllLines(csvFile), l => l.StartsWith("held_trade,P1,", StringComparison.Ordinal));
    }

    [Fact]
    public void Harvest_lists_a_harvest_waiting_for_approval_as_held_trades_with_a_summary()
    {
        var outFile = Path.Combine(directory, "h.json");
        var csvFile = Path.Combine(directory, "h.csv");

        var (code, _, error) = CliRunner.Run("harvest", "--scenario", TaxExample, "--out", outFile, "--quiet");
        CliRunner.Run("harvest", "--scenario", TaxExample, "--format", "csv", "--out", csvFile, "--quiet");

        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(File.ReadAllText(outFile));
        var root = json.RootElement;
        Assert.Empty(root.GetProperty("trades").EnumerateArray());
        Assert.Equal(["T1"], Accounts(root.GetProperty("heldTrades")));
        var summary = root.GetProperty("summary");
        Assert.Equal(0, summary.GetProperty("trades").GetInt32());
        Assert.Equal(2, summary.GetProperty("heldTrades").GetInt32());
        Assert.Equal(1, summary.GetProperty("waitingForApproval").GetInt32());
        var lines = File.ReadAllLines(csvFile);
        Assert.Equal(2, lines.Count(l => l.StartsWith("held_trade,T1,", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.StartsWith("trade,", StringComparison.Ordinal));
    }
}
