using System.CommandLine;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;

namespace FastRebal.Cli.Commands;

/// <summary><c>fastrebal generate --accounts N --positions K --seed S --out FILE</c>: a deterministic synthetic firm as a scenario file.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var accounts = new Option<int>("--accounts") { Description = "Number of accounts", DefaultValueFactory = _ => 1000 };
        var positions = new Option<int>("--positions") { Description = "Instruments per model (2..200)", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same firm", DefaultValueFactory = _ => 42 };
        var output = new Option<string>("--out") { Description = "Scenario file to write", Required = true };
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines on standard error" };
        var command = new Command("generate", "Generate a synthetic firm as a scenario file") { accounts, positions, seed, output, quiet };
        command.SetAction(parse => ExitCodes.Guard(() => Run(
            parse.GetValue(accounts), parse.GetValue(positions), parse.GetValue(seed), parse.GetValue(output)!, new Progress(parse.GetValue(quiet)))));
        return command;
    }

    public static int Run(int accounts, int positions, int seed, string outPath, Progress progress)
    {
        if (accounts < 1 || positions < 2 || positions > 200)
        {
            throw new UsageException($"--accounts must be at least 1 and --positions between 2 and 200 (got {accounts} and {positions})");
        }
        var history = FirmGenerator.LoadHistory(seed);
        progress.Step($"prices from {history.Source}");
        var firm = progress.Time($"generating {accounts:N0} accounts x {positions} positions", () => FirmGenerator.Generate(new FirmSpec(accounts, positions, seed), history), out _);
        progress.Time($"writing {outPath}", () =>
        {
            using var file = outPath == "-" ? Console.OpenStandardOutput() : File.Create(outPath);
            ScenarioWriter.Write(file, firm.Book, firm.AsOf, firm.CashFlows);
            return 0;
        }, out _);
        return ExitCodes.Ok;
    }
}
