using System.CommandLine;
using FastRebal.Engine.Firms;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.Tax;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>fastrebal generate --accounts N --positions K --seed S --out PATH [--format firm [--lots]]</c>: a deterministic
/// synthetic firm as a scenario file, or as a firm folder (firm.json and the custodian CSV files <c>run --firm</c> reads).
/// </summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var firm = new FirmOptions(defaultAccounts: 1000);
        var output = new Option<string>("--out") { Description = "Scenario file to write (scenario), or a new folder (firm)", Required = true };
        var format = new Option<string>("--format") { Description = "scenario (one JSON file) or firm (a folder: firm.json, accounts.csv, positions.csv, prices.csv and, with --lots, lots.csv)", DefaultValueFactory = _ => "scenario" };
        var lots = new Option<bool>("--lots") { Description = "With --format firm: write the taxable accounts' lots (3 to 5 per position, as run --lots makes them) and tax-optimal relief in every policy" };
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines on standard error" };
        var command = new Command("generate", "Generate a synthetic firm as a scenario file or a firm folder") { output, format, lots, quiet };
        firm.AddTo(command);
        command.SetAction(parse => ExitCodes.Guard(() => Run(firm.Read(parse), parse.GetValue(output)!, new Progress(parse.GetValue(quiet)), parse.GetValue(format)!, parse.GetValue(lots))));
        return command;
    }

    public static int Run(FirmSpec spec, string outPath, Progress progress, string format = "scenario", bool lots = false)
    {
        if (format is not ("scenario" or "firm"))
        {
            throw new UsageException($"--format must be scenario or firm (got '{TextLimit.Clip(format, 100)}')");
        }
        if (lots && format != "firm")
        {
            throw new UsageException("--lots needs --format firm (a scenario file of a generated firm carries no lots)");
        }
        if (format == "firm")
        {
            return WriteFolder(spec, outPath, progress, lots);
        }
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

    private static int WriteFolder(FirmSpec spec, string folder, Progress progress, bool lots)
    {
        if (File.Exists(folder) || (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any()))
        {
            throw new UsageException($"--out {TextLimit.Clip(folder, 200)}: a firm folder is written into a new or empty folder");
        }
        var firm = FirmOptions.Generate(spec, progress, out _);
        var table = lots ? progress.Time("tax lots", () => FirmLots.Table(firm, spec.Seed), out _) : null;
        progress.Time($"writing the firm folder {folder}", () =>
        {
            FirmFolderWriter.Write(folder, firm.Book, firm.AsOf, table, table is null ? null : FirmLots.GeneratedSettings with { Harvest = new HarvestSettings() });
            return 0;
        }, out _);
        return ExitCodes.Ok;
    }
}
