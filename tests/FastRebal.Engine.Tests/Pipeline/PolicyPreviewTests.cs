using System.Text.Json;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Simulation;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>A policy edit's dry run over a running engine's book, checked against the command line over the folders it wrote.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class PolicyPreviewTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-preview-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task A_preview_of_a_tighter_band_gives_the_figures_of_the_command_line_over_its_folder_and_changes_nothing()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(1500, 20, 9, Shape: FirmShape.Realistic), FirmGenerator.LoadHistory(9));
        var feed = new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 9, ticksPerSecond: 200);
        await using var engine = new EngineHost(firm.Book, feed, new InMemoryOrderSink(), new EngineOptions
        {
            Verification = new VerificationPolicy { DefaultStaleness = TimeSpan.FromMinutes(5) },
            Slicing = new SlicingPolicy { Interval = TimeSpan.Zero },
            Tax = FirmLots.LiveTax(firm, 9, harvest: false),
        });
        engine.Start();
        var model = firm.Book.Models[0].Id;
        var accounts = Enumerable.Range(0, firm.Book.AccountCount).Where(a => firm.Book.ModelIndex(a) == 0).Select(firm.Book.AccountId).ToList();
        var versions = accounts.Select(id => firm.Book.Policy(firm.Book.FindAccount(id)).Version).ToList();

        // A band of a fifth of a point: most of the model's accounts breach it.
        var preview = await PolicyPreview.RunAsync(engine, accounts, p => p with { BandType = BandType.Absolute, BandWidth = 0.002 }, folder)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(accounts.Count, preview.AsIs.Accounts);
        Assert.True(preview.AsEdited.AccountsTrading > preview.AsIs.AccountsTrading, $"{preview.AsEdited.AccountsTrading} trade as edited, {preview.AsIs.AccountsTrading} as they are");
        Assert.NotEmpty(preview.EnterBreach);
        Assert.True(preview.AsEdited.Turnover > preview.AsIs.Turnover);
        // The generated firm's taxable accounts carry lots: sales realize gains (or losses), estimated per lot.
        Assert.NotEqual(0m, preview.AsEdited.ShortTermGain + preview.AsEdited.LongTermGain);
        // The engine's book is untouched: no policy changed version.
        Assert.Equal(versions, accounts.Select(id => firm.Book.Policy(firm.Book.FindAccount(id)).Version).ToList());
        Assert.All(accounts, id => Assert.NotEqual(0.002, firm.Book.Policy(firm.Book.FindAccount(id)).BandWidth));

        foreach (var (name, figures) in new[] { (PolicyPreview.AsIsFolder, preview.AsIs), (PolicyPreview.AsEditedFolder, preview.AsEdited) })
        {
            var report = Path.Combine(folder, name + ".json");
            var (code, _, error) = CliRunner.Run("rebalance", "--scenario", Path.Combine(folder, name), "--out", report, "--quiet");
            Assert.True(code == 0, error);
            using var json = JsonDocument.Parse(File.ReadAllText(report));
            var summary = json.RootElement.GetProperty("summary");
            var trades = json.RootElement.GetProperty("trades").EnumerateArray().ToList();
            Assert.Equal(figures.Trades, summary.GetProperty("trades").GetInt32());
            Assert.Equal(figures.HeldForApproval, summary.GetProperty("heldTrades").GetInt32());
            Assert.Equal(figures.InBreach.Count, summary.GetProperty("accountsInBreach").GetInt32());
            Assert.Equal(figures.Turnover, summary.GetProperty("buyNotional").GetDecimal() + summary.GetProperty("sellNotional").GetDecimal());
            Assert.Equal(figures.AccountsTrading, trades.Select(t => t.GetProperty("accountId").GetString()).Distinct().Count());
            Assert.Equal(figures.ShortTermGain, trades.Sum(t => t.TryGetProperty("shortTermGain", out var g) ? g.GetDecimal() : 0m));
            Assert.Equal(figures.LongTermGain, trades.Sum(t => t.TryGetProperty("longTermGain", out var g) ? g.GetDecimal() : 0m));
        }
        Assert.Equal(accounts.Order(StringComparer.Ordinal), File.ReadLines(Path.Combine(folder, PolicyPreview.AsEditedFolder, "accounts.csv")).Skip(1).Select(l => l.Split(',')[0]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_preview_of_cash_only_elections_writes_them_into_the_edited_folder_and_sells_nothing()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(600, 20, 9, Shape: FirmShape.Realistic), FirmGenerator.LoadHistory(9));
        await using var engine = new EngineHost(firm.Book, new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 9, ticksPerSecond: 200), new InMemoryOrderSink(), new EngineOptions
        {
            Verification = new VerificationPolicy { DefaultStaleness = TimeSpan.FromMinutes(5) },
            Tax = FirmLots.LiveTax(firm, 9, harvest: false),
        });
        engine.Start();
        var taxable = Enumerable.Range(0, firm.Book.AccountCount).Where(a => engine.Evaluation.Tax!.Lots.IsTracked(a)).Select(firm.Book.AccountId).ToList();

        var preview = await PolicyPreview.RunAsync(engine, taxable, p => p with { BandType = BandType.Absolute, BandWidth = 0.002 }, folder, t => t with { CashOnly = true })
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Contains("\"cashOnly\": true", File.ReadAllText(Path.Combine(folder, PolicyPreview.AsEditedFolder, "firm.json")));
        Assert.DoesNotContain("cashOnly", File.ReadAllText(Path.Combine(folder, PolicyPreview.AsIsFolder, "firm.json")));
        Assert.True(preview.AsEdited.Trades > 0);
        // Cash only sells only to restore an account's cash reserve: the command line over the edited folder shows it.
        var report = Path.Combine(folder, "edited.json");
        var (code, _, error) = CliRunner.Run("rebalance", "--scenario", Path.Combine(folder, PolicyPreview.AsEditedFolder), "--out", report, "--quiet");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var sells = json.RootElement.GetProperty("trades").EnumerateArray().Where(t => t.GetProperty("side").GetString() == "sell").ToList();
        Assert.All(sells, t => Assert.StartsWith("cash flow (restore reserve)", t.GetProperty("reason").GetString(), StringComparison.Ordinal));
        Assert.All(engine.Book.AccountCount > 0 ? taxable : [], id => Assert.False(engine.Evaluation.Tax!.Settings(firm.Book.FindAccount(id)).CashOnly));
    }

    [Fact]
    public async Task A_preview_naming_an_unknown_account_fails_and_says_which()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(200, 20, 9), FirmGenerator.LoadHistory(9));
        await using var engine = new EngineHost(firm.Book, new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 9, ticksPerSecond: 200), new InMemoryOrderSink(), new EngineOptions
        {
            Verification = new VerificationPolicy { DefaultStaleness = TimeSpan.FromMinutes(5) },
        });
        engine.Start();

        var failed = await Assert.ThrowsAsync<ArgumentException>(() => PolicyPreview.RunAsync(engine, ["NOPE"], p => p, folder).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("unknown account 'NOPE'", failed.Message);
    }
}
