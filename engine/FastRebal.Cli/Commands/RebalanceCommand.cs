using System.CommandLine;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Cli.Commands;

/// <summary><c>fastrebal rebalance --scenario FILE [--out FILE] [--format json|csv]</c>: one run over a scenario file.</summary>
public static class RebalanceCommand
{
    public static Command Create()
    {
        var scenario = new Option<FileInfo>("--scenario") { Description = "Scenario file (JSON; format in README.md)", Required = true };
        var output = new Option<string?>("--out") { Description = "Where to write decisions and trades (default: standard output)" };
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "csv");
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines on standard error" };
        var command = new Command("rebalance", "Decide and size trades for every account of a scenario file") { scenario, output, format, quiet };
        command.SetAction(parse => ExitCodes.Guard(() => Run(
            parse.GetValue(scenario)!, parse.GetValue(output), parse.GetValue(format)!, new Progress(parse.GetValue(quiet)))));
        return command;
    }

    public static int Run(FileInfo scenarioFile, string? outPath, string format, Progress progress)
    {
        if (!scenarioFile.Exists)
        {
            throw new FileNotFoundException($"scenario file not found: {scenarioFile.FullName}");
        }
        var loaded = progress.Time($"loading {scenarioFile.Name}", () => ScenarioLoader.Load(scenarioFile.FullName), out _);
        foreach (var error in loaded.Errors)
        {
            Console.Error.WriteLine($"fastrebal: bad input: {error}");
        }
        progress.Step($"{loaded.Book.AccountCount} of {loaded.AccountsInInput} accounts valid, {loaded.Errors.Count} input error(s)");
        var result = progress.Time("rebalancing", () => RebalanceRun.Execute(loaded.Book, loaded.AsOf, loaded.CashFlows), out _);

        using (var stream = outPath is null or "-" ? Console.OpenStandardOutput() : File.Create(outPath))
        {
            if (format == "csv")
            {
                using var writer = new StreamWriter(stream, leaveOpen: true);
                RunReport.WriteCsv(writer, result, loaded.Errors);
            }
            else
            {
                RunReport.WriteJson(stream, loaded.Book, result, loaded.Errors);
            }
        }
        progress.Step($"{result.Trades.Count} trades for {result.Decisions.Count} accounts written to {outPath ?? "standard output"}");
        return loaded.Errors.Count > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
    }
}
