using System.CommandLine;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;

namespace FastRebal.Cli.Commands;

/// <summary><c>fastrebal generate --accounts N --positions K --seed S --out FILE</c>: a deterministic synthetic firm as a scenario file.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var firm = new FirmOptions(defaultAccounts: 1000);
        var output = new Option<string>("--out") { Description = "Scenario file to write", Required = true };
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines on standard error" };
        var command = new Command("generate", "Generate a synthetic firm as a scenario file") { output, quiet };
        firm.AddTo(command);
        command.SetAction(parse => ExitCodes.Guard(() => Run(firm.Read(parse), parse.GetValue(output)!, new Progress(parse.GetValue(quiet)))));
        return command;
    }

    public static int Run(FirmSpec spec, string outPath, Progress progress)
    {
        OptionChecks.OutputFile("--out", outPath);
        var firm = FirmOptions.Generate(spec, progress, out _);
        progress.Time($"writing {outPath}", () =>
        {
            using var file = outPath == "-" ? Console.OpenStandardOutput() : File.Create(outPath);
            ScenarioWriter.Write(file, firm.Book, firm.AsOf, firm.CashFlows);
            return 0;
        }, out _);
        return ExitCodes.Ok;
    }
}
