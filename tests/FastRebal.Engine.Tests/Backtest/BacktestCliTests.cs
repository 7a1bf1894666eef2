using System.Text.Json;

namespace FastRebal.Engine.Tests.Backtest;

/// <summary><c>fastrebal backtest</c> through its real entry point, on the history shipped under data/.</summary>
[Collection(nameof(ConsoleCollection))]
public class BacktestCliTests
{
    private static string Firm => Path.Combine(AppContext.BaseDirectory, "Examples", "firm");

    [Fact]
    public void A_sweep_prints_one_row_per_policy_and_the_baseline()
    {
        var (code, output, error) = CliRunner.Run("backtest", "--window", "gfc", "--sweep", "threshold:5%,calendar:quarterly");
        Assert.True(code == 0, error);
        Assert.Contains("SPY 60%, AGG 40%, 2007-10-01 to 2009-06-30", output, StringComparison.Ordinal);
        foreach (var policy in new[] { "never", "threshold 5%", "calendar quarterly" })
        {
            Assert.Contains($"  {policy} ", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Json_gives_each_policys_figures_and_a_century_runs_on_the_built_series()
    {
        var (code, output, error) = CliRunner.Run("backtest", "--portfolio", "SP500:0.6,UST10:0.4", "--from", "1928-01-01", "--to", "1935-12-31", "--policy", "calendar:annual", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var policies = json.RootElement.GetProperty("policies").EnumerateArray().ToList();
        Assert.Equal(["never", "calendar annual"], policies.Select(p => p.GetProperty("name").GetString()));
        // 1929-1932: the 60/40 fell by more than a third at its worst.
        Assert.All(policies, p => Assert.True(p.GetProperty("maxDrawdown").GetDouble() < -0.33));
        Assert.Equal(7, policies[1].GetProperty("rebalances").GetInt32());
    }

    [Fact]
    public void Charts_are_written_as_png_files()
    {
        var folder = Directory.CreateTempSubdirectory("fastrebal-backtest-charts-").FullName;
        try
        {
            var (code, output, error) = CliRunner.Run("backtest", "--window", "covid", "--policy", "threshold:3%", "--chart", folder);
            Assert.True(code == 0, error);
            foreach (var name in new[] { "value", "drift", "turnover", "sweep" })
            {
                var bytes = File.ReadAllBytes(Path.Combine(folder, $"{name}.png"));
                Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
                Assert.Contains($"{name}.png", output, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_firm_backtest_reports_each_model_and_the_firm_with_taxes()
    {
        var (code, output, error) = CliRunner.Run("backtest", "--firm", Firm, "--window", "gfc", "--tax", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var models = json.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Equal(["GROWTH-80", "BALANCED-60", "INCOME-30"], models);
        var firm = json.RootElement.GetProperty("firm");
        Assert.Equal(12, firm.GetProperty("accounts").GetInt32());
        // The crisis left the taxable accounts with harvestable losses; the firm's IPSs harvest them.
        Assert.True(firm.GetProperty("harvestedLosses").GetDouble() > 0);
        Assert.Equal(12, json.RootElement.GetProperty("accounts").GetArrayLength());
    }

    [Fact]
    public void The_generated_firm_runs_under_its_own_policies_with_figures_per_model()
    {
        var (code, output, error) = CliRunner.Run("backtest", "--generated", "--accounts", "200", "--firm-shape", "uniform", "--window", "covid", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var models = json.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(4, models.Count);
        Assert.Equal(200, models.Sum(m => m.GetProperty("accounts").GetInt32()));
        Assert.Equal(200, json.RootElement.GetProperty("firm").GetProperty("accounts").GetInt32());
        Assert.True(json.RootElement.GetProperty("firm").GetProperty("rebalances").GetInt32() > 0);
        Assert.NotEmpty(json.RootElement.GetProperty("breakers").GetProperty("marketHalts").EnumerateArray());
    }

    [Theory]
    [InlineData("unknown policy 'weekly'", "--policy", "weekly:1")]
    [InlineData("weights sum to 0.9", "--portfolio", "SPY:0.5,AGG:0.4")]
    [InlineData("no price history for XYZ", "--portfolio", "SPY:0.5,XYZ:0.5")]
    [InlineData("unknown window 'crash'", "--window", "crash")]
    [InlineData("--from 'yesterday' is not a date", "--from", "yesterday")]
    [InlineData("cash flow '+5:weekly'", "--flow", "+5:weekly")]
    [InlineData("expected SYMBOL=SUBSTITUTE", "--harvest", "SPY")]
    public void A_mistake_is_a_clear_error_and_exit_code_2(string message, params string[] args)
    {
        var (code, _, error) = CliRunner.Run(["backtest", .. args]);
        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_firm_backtest_refuses_a_sweep_and_a_portfolio()
    {
        Assert.Equal(2, CliRunner.Run("backtest", "--firm", Firm, "--sweep", "threshold:1%..3%:1%").ExitCode);
        var (code, _, error) = CliRunner.Run("backtest", "--firm", Firm, "--portfolio", "SPY:1");
        Assert.Equal(2, code);
        Assert.Contains("a firm backtest takes its accounts' models and values from the firm", error, StringComparison.Ordinal);
    }
}
