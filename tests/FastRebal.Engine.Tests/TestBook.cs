using FastRebal.Engine.Model;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Tests;

/// <summary>Builds small scenarios for tests, going through the same loader and validation as a scenario file.</summary>
internal sealed class TestBook
{
    public static readonly DateOnly AsOf = new(2025, 6, 30);

    private readonly List<Instrument> instruments = [];
    private readonly List<Price> prices = [];
    private readonly List<TargetModel> models = [];
    private readonly List<Account> accounts = [];
    private readonly List<CashFlow> flows = [];

    /// <summary>A policy that rebalances on a plain 5% absolute band and nothing else.</summary>
    public static InvestmentPolicy Policy(
        double band = 0.05,
        BandType bandType = BandType.Absolute,
        RebalanceTrigger trigger = RebalanceTrigger.Threshold,
        CalendarSchedule calendar = CalendarSchedule.None,
        decimal reserveAmount = 0,
        double reservePercent = 0,
        decimal minTrade = 0,
        bool fractional = false,
        RebalanceMode mode = RebalanceMode.ToTarget,
        int minDays = 0,
        IReadOnlyList<string>? restricted = null) => new()
        {
            Id = "IPS-1",
            Version = 3,
            BandWidth = band,
            BandType = bandType,
            Trigger = trigger,
            Calendar = calendar,
            CashReserveAmount = reserveAmount,
            CashReservePercent = reservePercent,
            MinTradeValue = minTrade,
            FractionalShares = fractional,
            Mode = mode,
            MinDaysBetweenRebalances = minDays,
            RestrictedInstruments = restricted,
        };

    public TestBook Instrument(string id, double price, string assetClass = "US Equity", decimal lot = 1, bool fractional = false, bool liquid = true, bool restricted = false, decimal? adv = null)
    {
        instruments.Add(new Instrument(id, id, assetClass, lot, fractional, liquid, restricted, adv));
        prices.Add(new Price(id, price));
        return this;
    }

    public TestBook Model(string id, params (string Instrument, double Weight)[] weights)
    {
        models.Add(new TargetModel(id, id, [.. weights.Select(w => new ModelWeight(w.Instrument, w.Weight))]));
        return this;
    }

    public TestBook Account(string id, string model, decimal cash, InvestmentPolicy? policy = null, DateOnly? lastRebalanced = null, params (string Instrument, decimal Quantity)[] positions)
    {
        accounts.Add(new Account(id, "H-" + id, model, cash, [.. positions.Select(p => new Position(p.Instrument, p.Quantity))], policy ?? Policy(), lastRebalanced));
        return this;
    }

    public TestBook Flow(string account, CashFlowKind kind, decimal amount)
    {
        flows.Add(new CashFlow(account, kind, amount));
        return this;
    }

    public ScenarioDocument Document(DateOnly? asOf = null) => new(asOf ?? AsOf, instruments, models, prices, accounts, flows);

    public LoadedScenario Load(DateOnly? asOf = null) => ScenarioLoader.Build(Document(asOf));

    /// <summary>Loads and runs the scenario single-threaded.</summary>
    public (LoadedScenario Scenario, RunResult Result) Run(DateOnly? asOf = null)
    {
        var loaded = Load(asOf);
        Assert.Empty(loaded.Errors);
        return (loaded, RebalanceRun.Execute(loaded.Book, loaded.AsOf, loaded.CashFlows, new RunOptions { Parallel = false }));
    }
}
