using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>fastrebal demo</c>: with no files, generates a firm, prices it from the real history under data/ (or a
/// generated set), sweeps, rebalances the accounts that must trade and prints what happened.
/// </summary>
public static class DemoCommand
{
    /// <summary>Models named on the summary's breach line; the rest are counted together.</summary>
    private const int ModelsShown = 6;

    public static Command Create()
    {
        var firm = new FirmOptions(defaultAccounts: 100_000, FirmShape.Realistic);
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var lots = new Option<bool>("--lots") { Description = "Also time the plans made tax-aware over the taxable accounts' lots (3 to 5 per position, as run --lots gives them)" };
        var command = new Command("demo", "Generate a firm, sweep it, rebalance the accounts in breach and summarise") { json, lots };
        firm.AddTo(command);
        command.SetAction(parse => ExitCodes.Guard(() => Run(firm.Read(parse), parse.GetValue(json), parse.GetValue(lots))));
        return command;
    }

    public static int Run(FirmSpec spec, bool json, bool lots = false)
    {
        var (accounts, positions) = (spec.Accounts, spec.PositionsPerAccount);
        var progress = new Progress(quiet: json);
        var firm = FirmOptions.Generate(spec, progress, out var generateTime);
        var book = firm.Book;
        // The first pass warms the JIT and the report's memory; the figures below come from the second, as a
        // long-running engine that keeps its report would see them.
        var report = new DriftReport(book);
        RebalanceRun.Execute(book, firm.AsOf, firm.CashFlows, report: report);
        // A batch job: room for what the run keeps is set aside before it decides (a BatchRegion), and the collection
        // that makes the room counts in the time.
        var reserving = TimeSpan.Zero;
        var result = progress.Time("sweeping, deciding and sizing trades", () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var region = BatchRegion.Enter(BatchRegion.RunBytes(book));
            reserving = clock.Elapsed;
            return RebalanceRun.Execute(book, firm.AsOf, firm.CashFlows, report: report);
        }, out _);
        var decideTime = reserving + result.DecideTime;
        var summary = RunSummary.From(book, result, 0);
        // The run's own sweep time includes whatever the GC and thread pool were doing; a median is the honest figure.
        var sweepMs = MedianSweepMilliseconds(book, 7);

        (int Lots, int Accounts, TimeSpan Time)? taxed = lots ? TimeTaxAware(firm, spec.Seed, report, progress) : null;

        RebalanceRun.ApplyFilled(book, result, firm.CashFlows);
        var after = new DriftReport(book);
        DriftSweep.Run(book, after);
        var stillInBreach = Enumerable.Range(0, book.AccountCount).Where(after.Breaches).ToList();
        var breachesAfter = stillInBreach.Count;
        // Why they are still out: not traded (the IPS said wait, or an operator must act), or traded but lots too coarse.
        var stillInBreachBy = stillInBreach.GroupBy(a => result.Decisions[a].Action == DecisionAction.NoTrade ? result.Decisions[a].Rule.ToString() : result.Decisions[a].Action.ToString())
            .OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count());

        var example = result.Decisions.FirstOrDefault(d => d.Action == DecisionAction.Rebalance && d.TradeCount > 0);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                asOf = firm.AsOf,
                priceSource = firm.PriceSource,
                positions,
                generateMs = generateTime.TotalMilliseconds,
                sweepMs = sweepMs,
                decideMs = decideTime.TotalMilliseconds,
                sweepPath = DriftSweep.BestPath.ToString(),
                summary,
                accountsInBreachAfterFills = breachesAfter,
                stillInBreachByDecision = stillInBreachBy,
                lots = taxed is { } t ? new { count = t.Lots, taxableAccounts = t.Accounts, taxMs = t.Time.TotalMilliseconds, decideWithLotsMs = (decideTime + t.Time).TotalMilliseconds } : null,
            }, ScenarioDocument.JsonOptions));
            return ExitCodes.Ok;
        }

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"FastRebal demo: {accounts:N0} accounts x {positions} positions, as of {firm.AsOf:yyyy-MM-dd}, prices from {firm.PriceSource}"));
        Console.WriteLine(string.Create(c, $"  generated in {generateTime.TotalSeconds:0.00} s; drift sweep {sweepMs:0.00} ms (median of 7, {DriftSweep.BestPath}); decisions and trades {decideTime.TotalMilliseconds:0} ms"));
        if (taxed is { } tax)
        {
            Console.WriteLine(string.Create(c, $"  with tax lots ({tax.Lots:N0} in {tax.Accounts:N0} taxable accounts): plans made tax-aware in {tax.Time.TotalMilliseconds:0} ms more, decisions and trades {(decideTime + tax.Time).TotalMilliseconds:0} ms"));
        }
        Console.WriteLine(string.Create(c, $"  accounts in breach: {summary.AccountsInBreach:N0} ({(double)summary.AccountsInBreach / accounts:0.0%})"));
        // A realistic firm has dozens of models: the line names the most breached and counts the rest.
        var byModel = summary.BreachesByModel.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
        var more = byModel.Count > ModelsShown ? string.Create(c, $" | {byModel.Count - ModelsShown} more model(s) {byModel.Skip(ModelsShown).Sum(p => p.Value):N0}") : "";
        Console.WriteLine("    by model: " + string.Join(" | ", byModel.Take(ModelsShown).Select(p => string.Create(c, $"{p.Key} {p.Value:N0}"))) + more);
        Console.WriteLine("  decisions: " + string.Join(" | ", summary.DecisionsByAction.Select(p => string.Create(c, $"{p.Key} {p.Value:N0}"))));
        Console.WriteLine(string.Create(c, $"  trades released: {summary.Trades:N0} (buys {summary.BuyNotional:N0}, sells {summary.SellNotional:N0}); held for approval: {summary.HeldTrades:N0}"));
        Console.WriteLine(string.Create(c, $"  after the released trades fill: {breachesAfter:N0} account(s) still in breach, by decision: ")
            + string.Join(" | ", stillInBreachBy.Select(p => string.Create(c, $"{p.Key} {p.Value:N0}"))));
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

    /// <summary>
    /// Decides and sizes the book again, then times making every plan tax-aware as the live engine does
    /// (<see cref="TaxPlanAdjuster"/> over the struct-of-arrays lots and an empty household ledger). A run of its own,
    /// so the summary above stays the plain run's.
    /// </summary>
    private static (int Lots, int Accounts, TimeSpan Time) TimeTaxAware(GeneratedFirm firm, int seed, DriftReport report, Progress progress)
    {
        var book = firm.Book;
        var tax = progress.Time("tax lots", () => FirmLots.LiveTax(firm, seed, harvest: false), out _);
        // Room for this run and its tax-aware plans, as for the timed run above.
        using var region = BatchRegion.Enter(BatchRegion.RunBytes(book, runs: 2));
        var run = RebalanceRun.Execute(book, firm.AsOf, firm.CashFlows, report: report);
        var netFlow = new decimal[book.AccountCount];
        foreach (var pending in firm.CashFlows)
        {
            netFlow[pending.Account] += pending.Flow.SignedAmount;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var a = 0; a < book.AccountCount; a++)
        {
            if (run.Plans[a] is { IsBlocked: false } plan)
            {
                TaxPlanAdjuster.Adjust(book, a, firm.AsOf, run.Decisions[a], plan, tax.Settings(a), (decimal)book.Cash[a] + netFlow[a], netFlow[a], tax.Lots.For(a), tax.Ledger, batched: false, substitutesInBook: true);
            }
        }
        return (tax.Lots.Count, tax.Lots.TrackedAccounts, clock.Elapsed);
    }

    private static double MedianSweepMilliseconds(AccountBook book, int runs)
    {
        var report = new DriftReport(book);
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            DriftSweep.Run(book, report);
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[runs / 2];
    }
}
