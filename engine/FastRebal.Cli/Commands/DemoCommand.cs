using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>fastrebal demo</c>: with no files, generates a firm, prices it from the real history under data/ (or a
/// generated set), sweeps, rebalances the accounts that must trade and prints what happened.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var accounts = new Option<int>("--accounts") { Description = "Number of accounts", DefaultValueFactory = _ => 100_000 };
        var positions = new Option<int>("--positions") { Description = "Positions per account", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var command = new Command("demo", "Generate a firm, sweep it, rebalance the accounts in breach and summarise") { accounts, positions, seed, json };
        command.SetAction(parse => ExitCodes.Guard(() => Run(parse.GetValue(accounts), parse.GetValue(positions), parse.GetValue(seed), parse.GetValue(json))));
        return command;
    }

    public static int Run(int accounts, int positions, int seed, bool json)
    {
        if (accounts < 1 || positions < 2 || positions > 200)
        {
            throw new UsageException($"--accounts must be at least 1 and --positions between 2 and 200 (got {accounts} and {positions})");
        }
        var progress = new Progress(quiet: json);
        var history = FirmGenerator.LoadHistory(seed);
        progress.Step($"prices from {history.Source}");
        var firm = progress.Time($"generating {accounts:N0} accounts x {positions} positions", () => FirmGenerator.Generate(new FirmSpec(accounts, positions, seed), history), out var generateTime);
        var book = firm.Book;
        // The first pass warms the JIT; the figures below come from the second, as a long-running engine would see them.
        RebalanceRun.Execute(book, firm.AsOf, firm.CashFlows);
        var result = progress.Time("sweeping, deciding and sizing trades", () => RebalanceRun.Execute(book, firm.AsOf, firm.CashFlows), out _);
        var summary = RunSummary.From(book, result, 0);

        RebalanceRun.ApplyFilled(book, result, firm.CashFlows);
        var after = new DriftReport(book);
        DriftSweep.Run(book, after);
        var breachesAfter = Enumerable.Range(0, book.AccountCount).Count(after.Breaches);

        var example = result.Decisions.FirstOrDefault(d => d.Action == DecisionAction.Rebalance && d.TradeCount > 0);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                asOf = firm.AsOf,
                priceSource = firm.PriceSource,
                positions,
                generateMs = generateTime.TotalMilliseconds,
                sweepMs = result.SweepTime.TotalMilliseconds,
                decideMs = result.DecideTime.TotalMilliseconds,
                sweepPath = DriftSweep.BestPath.ToString(),
                summary,
                accountsInBreachAfterFills = breachesAfter,
            }, ScenarioDocument.JsonOptions));
            return ExitCodes.Ok;
        }

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"FastRebal demo: {accounts:N0} accounts x {positions} positions, as of {firm.AsOf:yyyy-MM-dd}, prices from {firm.PriceSource}"));
        Console.WriteLine(string.Create(c, $"  generated in {generateTime.TotalSeconds:0.00} s; drift sweep {result.SweepTime.TotalMilliseconds:0.00} ms ({DriftSweep.BestPath}); decisions and trades {result.DecideTime.TotalMilliseconds:0} ms"));
        Console.WriteLine(string.Create(c, $"  accounts in breach: {summary.AccountsInBreach:N0} ({(double)summary.AccountsInBreach / accounts:0.0%})"));
        Console.WriteLine("    by model: " + string.Join(" | ", summary.BreachesByModel.Select(p => string.Create(c, $"{p.Key} {p.Value:N0}"))));
        Console.WriteLine("  decisions: " + string.Join(" | ", summary.DecisionsByAction.Select(p => string.Create(c, $"{p.Key} {p.Value:N0}"))));
        Console.WriteLine(string.Create(c, $"  trades: {summary.Trades:N0} (buys {summary.BuyNotional:N0}, sells {summary.SellNotional:N0})"));
        Console.WriteLine(string.Create(c, $"  after the released trades fill: {breachesAfter:N0} account(s) still in breach (held for approval, blocked, or within rounding)"));
        if (example is not null)
        {
            Console.WriteLine($"  e.g. {example.AccountId} (IPS {example.PolicyId} v{example.PolicyVersion}): {example.Reason}");
            foreach (var trade in result.Trades.Where(t => t.AccountId == example.AccountId).Take(4))
            {
                Console.WriteLine(string.Create(c, $"       {trade.Side} {trade.Quantity:0.####} {trade.InstrumentId} @ {trade.Price:0.00}: {trade.Reason}"));
            }
        }
        return ExitCodes.Ok;
    }
}
