using System.CommandLine;
using FastRebal.Cli;
using FastRebal.Cli.Commands;

var root = new RootCommand("fastrebal: automated portfolio rebalancing engine")
{
    RebalanceCommand.Create(),
    GenerateCommand.Create(),
    SweepCommand.Create(),
    DemoCommand.Create(),
    RunCommand.Create(),
    RunCommand.CreateCheckpoint(),
    HarvestCommand.Create(),
    ApprovalCommands.List(),
    ApprovalCommands.Approve(),
    ApprovalCommands.Reject(),
    KpiCommand.Create(),
    BacktestCommand.Create(),
    AuditCommand.Create(),
};

var parsed = root.Parse(args);
var askedForHelp = args.Any(a => a is "--help" or "-h" or "-?" or "--version");
if (parsed.Errors.Count > 0 && !askedForHelp)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"fastrebal: {error.Message}");
    }
    Console.Error.WriteLine("Try 'fastrebal --help'.");
    return ExitCodes.BadInput;
}
return parsed.Invoke();
