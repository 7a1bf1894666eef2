using System.CommandLine;
using FastRebal.Engine.Firms;
using System.Globalization;
using System.Text.Json;
using FastRebal.Engine.Kpi;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.Tax;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>fastrebal kpi [--scenario FILE]</c>: per account, model and firm: tracking error against the model (annualized,
/// from a year of real daily closes), turnover per quarter, realized short- and long-term gains, tax efficiency ratio,
/// harvested losses and rebalances. Without a scenario it runs on a generated firm whose lots follow how it was built.
/// </summary>
public static class KpiCommand
{
    public static Command Create()
    {
        var firm = new FirmOptions(defaultAccounts: 2_000);
        var scenario = new Option<FileInfo?>("--scenario") { Description = "Scenario file or firm folder (default: a generated firm, like demo)" };
        var json = new Option<bool>("--json") { Description = "Write the full report (every account) as JSON" };
        var command = new Command("kpi", "Tracking error, turnover, realized gains, tax efficiency, harvested losses and rebalances per account, model and firm") { scenario, json };
        firm.AddTo(command);
        command.SetAction(parse => ExitCodes.Guard(() => Run(parse.GetValue(scenario), firm.Read(parse), parse.GetValue(json))));
        return command;
    }

    public static int Run(FileInfo? scenarioFile, FirmSpec spec, bool json)
    {
        var progress = new Progress(quiet: json);
        TaxScenario tax;
        MarketHistory? history;
        string source;
        if (scenarioFile is null)
        {
            var generated = FirmOptions.Generate(spec, progress, out _);
            tax = TaxScenario.FromFirm(generated, FirmLots.Build(generated), FirmLots.GeneratedSettings, FirmLots.Substitutes(generated));
            history = generated.History;
            source = $"generated firm of {spec.Accounts:N0} accounts (seed {spec.Seed}), lots bought on each account's last rebalance, tax-optimal relief, harvesting at 5% and 500";
        }
        else
        {
            OptionChecks.InputFileOrFolder("--scenario", scenarioFile.FullName);
            tax = ImportedFirm.Load(scenarioFile.FullName).Scenario;
            foreach (var error in tax.Errors)
            {
                Console.Error.WriteLine($"fastrebal: bad input: {error}");
            }
            var data = MarketHistory.FindDataDirectory();
            history = data is null ? null : MarketHistory.LoadEtfs(data);
            source = scenarioFile.Name;
        }
        var book = tax.Scenario.Book;
        var run = progress.Time("harvest scan and rebalance (tax-aware)", () => TaxAwareRun.Day(tax), out _);
        var inputs = progress.Time("return series", () => KpiInputs.From(book, tax.Scenario.AsOf, run, tax.History, history), out _);
        var report = progress.Time("KPIs", () => KpiCalculator.Compute(inputs), out _);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { asOf = tax.Scenario.AsOf, source, priceHistory = history?.Source, report }, ScenarioDocument.JsonOptions));
            return tax.Errors.Count > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"FastRebal KPIs as of {tax.Scenario.AsOf:yyyy-MM-dd}: {source}"));
        Console.WriteLine($"  tracking error from {(history is null ? "no price history (not computed)" : $"{history.Source}, {KpiCalculator.TradingDaysPerYear} trading days")}; gains, harvests and turnover from today's harvest scan and rebalance{(tax.History.Count > 0 ? " and the household history" : "")}");
        var quarters = report.Firm.TurnoverByQuarter.Keys.ToList();
        Console.WriteLine(string.Create(c, $"  {"",-14} {"accounts",8} {"value",16} {"track.err",9} {string.Join(" ", quarters.Select(q => $"{"turn " + q,11}"))} {"realized ST",13} {"realized LT",13} {"tax eff.",8} {"harvested",11} {"rebal.",6}"));
        foreach (var figures in report.Models.Append(report.Firm))
        {
            Console.WriteLine(string.Create(c,
                $"  {figures.Name,-14} {figures.Accounts,8:N0} {figures.Value,16:N0} {Percent(figures.TrackingError),9} {string.Join(" ", quarters.Select(q => $"{Percent(figures.TurnoverByQuarter.GetValueOrDefault(q)),11}"))} {figures.RealizedShortTerm,13:N0} {figures.RealizedLongTerm,13:N0} {Ratio(figures.TaxEfficiencyRatio),8} {figures.HarvestedLosses,11:N0} {figures.Rebalances,6:N0}"));
        }
        if (report.Firm.Note is not null)
        {
            Console.WriteLine($"  note: {report.Firm.Note}");
        }
        return tax.Errors.Count > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
    }

    private static string Percent(double? value) => value is { } v ? v.ToString("0.00%", CultureInfo.InvariantCulture) : "n/a";

    private static string Ratio(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";
}
