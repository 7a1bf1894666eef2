using FastRebal.Engine.Runs;
using FastRebal.Engine.Simulation;

namespace FastRebal.Console.Services;

/// <summary>
/// Hosts the engine in-process: at start-up it generates the configured firm (the embedded default is 100k accounts
/// priced from the real history under data/), runs one rebalance pass, and keeps the result for the pages.
/// </summary>
public sealed class EngineSession(IConfiguration configuration, ILogger<EngineSession> logger) : BackgroundService
{
    private readonly TaskCompletionSource<EngineSnapshot> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the first pass has run.</summary>
    public Task<EngineSnapshot> Ready => ready.Task;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        try
        {
            var spec = new FirmSpec(
                configuration.GetValue("Engine:Accounts", 100_000),
                configuration.GetValue("Engine:Positions", 20),
                configuration.GetValue("Engine:Seed", 42));
            var firm = FirmGenerator.Generate(spec, FirmGenerator.LoadHistory(spec.Seed));
            var result = RebalanceRun.Execute(firm.Book, firm.AsOf, firm.CashFlows);
            var summary = RunSummary.From(firm.Book, result, 0);
            logger.LogInformation("Engine ready: {Accounts} accounts, {Breaches} in breach, {Trades} trades", summary.Accounts, summary.AccountsInBreach, summary.Trades);
            ready.TrySetResult(new EngineSnapshot(firm.AsOf, firm.PriceSource, summary, result.SweepTime, result.DecideTime));
        }
        catch (Exception e)
        {
            logger.LogError(e, "Engine failed to start");
            ready.TrySetException(e);
        }
    }, stoppingToken);
}

/// <summary>What the pages show of the latest pass.</summary>
public sealed record EngineSnapshot(DateOnly AsOf, string PriceSource, RunSummary Summary, TimeSpan SweepTime, TimeSpan DecideTime);
