using System.CommandLine;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;

namespace FastRebal.Cli.Commands;

/// <summary>The --accounts, --positions, --seed and --firm-shape options of every command that generates a firm, and the generating itself.</summary>
internal sealed class FirmOptions(int defaultAccounts, FirmShape defaultShape = FirmShape.Uniform)
{
    /// <summary>The most accounts a generated firm may have: ten million, a large firm's whole book.</summary>
    public const int MaxAccounts = 10_000_000;

    /// <summary>The most positions (accounts x positions) a generated firm may hold, so the book's slot count stays far inside its 32-bit indices.</summary>
    public const long MaxSlots = 500_000_000;

    private readonly Option<int> accounts = new("--accounts") { Description = "Number of accounts", DefaultValueFactory = _ => defaultAccounts };
    private readonly Option<int> positions = new("--positions") { Description = "Instruments per model (2..200)", DefaultValueFactory = _ => 20 };
    private readonly Option<int> seed = new("--seed") { Description = "Random seed: the same seed gives the same firm", DefaultValueFactory = _ => 42 };
    private readonly Option<string> shape = new("--firm-shape")
    {
        Description = "realistic (models over different lineups drawn from 300 instruments: a tick touches the accounts holding it) or uniform (four models over the same instruments: a tick touches every account)",
        DefaultValueFactory = _ => FirmGenerator.ShapeName(defaultShape),
    };

    public void AddTo(Command command)
    {
        command.Options.Add(accounts);
        command.Options.Add(positions);
        command.Options.Add(seed);
        command.Options.Add(shape);
    }

    /// <summary>The options that shape the generated firm which the command line gives (not those left at their defaults).</summary>
    public IReadOnlyList<string> Given(ParseResult parse) =>
        [.. new Option[] { accounts, positions, shape }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name)];

    public FirmSpec Read(ParseResult parse)
    {
        var shapeName = parse.GetValue(shape);
        var firmShape = FirmGenerator.ParseShape(shapeName)
            ?? throw new UsageException($"--firm-shape must be {FirmGenerator.ShapeNames} (got '{TextLimit.Clip(shapeName ?? "", 100)}')");
        var spec = new FirmSpec(parse.GetValue(accounts), parse.GetValue(positions), parse.GetValue(seed), Shape: firmShape);
        if (spec.Accounts < 1 || spec.Accounts > MaxAccounts || spec.PositionsPerAccount < 2 || spec.PositionsPerAccount > 200)
        {
            throw new UsageException($"--accounts must be 1 to {MaxAccounts:N0} and --positions 2 to 200 (got {spec.Accounts:N0} and {spec.PositionsPerAccount})");
        }
        if ((long)spec.Accounts * spec.PositionsPerAccount > MaxSlots)
        {
            throw new UsageException($"--accounts x --positions must be at most {MaxSlots:N0} (got {(long)spec.Accounts * spec.PositionsPerAccount:N0})");
        }
        return spec;
    }

    /// <summary>Generates the firm, priced from data/ when it is found, reporting progress.</summary>
    public static GeneratedFirm Generate(FirmSpec spec, Progress progress, out TimeSpan elapsed)
    {
        var history = FirmGenerator.LoadHistory(spec.Seed);
        progress.Step($"prices from {history.Source}");
        return progress.Time($"generating {spec.Accounts:N0} accounts x {spec.PositionsPerAccount} positions ({FirmGenerator.ShapeName(spec.Shape)} firm)", () => FirmGenerator.Generate(spec, history), out elapsed);
    }
}
