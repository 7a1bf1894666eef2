using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FastRebal.Charts;
using FastRebal.Engine.Backtest;
using FastRebal.Engine.Firms;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>fastrebal backtest --portfolio "SPY:0.6,AGG:0.4" --policy threshold:5% --window gfc</c>: replays real history
/// through the decision core under one or many policies and prints what each would have cost and earned. With
/// <c>--firm DIR</c> or <c>--generated</c> it runs a whole firm's accounts, each under its own IPS or one policy.
/// </summary>
public static class BacktestCommand
{
    private const string DefaultPolicies = "calendar:quarterly,calendar:annual,threshold:5%,threshold:20%:relative";

    public static Command Create()
    {
        var portfolio = new Option<string>("--portfolio") { Description = $"Target weights: {PortfolioBacktest.Syntax}", DefaultValueFactory = _ => "SPY:0.6,AGG:0.4" };
        var policy = new Option<string[]>("--policy") { Description = $"A policy to test (repeatable): {BacktestPolicy.Syntax}", AllowMultipleArgumentsPerToken = false };
        var sweep = new Option<string?>("--sweep") { Description = "Many policies in one pass, e.g. \"threshold:1%..10%:1%,calendar:*\"" };
        var from = new Option<string?>("--from") { Description = "First day (yyyy-MM-dd); default: the first day every instrument has" };
        var to = new Option<string?>("--to") { Description = "Last day (yyyy-MM-dd); default: the last day every instrument has" };
        var window = new Option<string?>("--window") { Description = $"A named stress window instead of --from/--to: {string.Join(", ", HistoryWindows.All.Select(w => w.Name))}" };
        var value = new Option<double>("--value") { Description = "Starting value of the portfolio", DefaultValueFactory = _ => 1_000_000 };
        var commission = new Option<double>("--commission") { Description = "Fixed commission per trade" };
        var commissionBps = new Option<double>("--commission-bps") { Description = "Commission in basis points of each trade" };
        var spreadBps = new Option<double>("--spread-bps") { Description = "Bid-ask spread in basis points (a trade pays half)" };
        var flow = new Option<string[]>("--flow") { Description = $"A scheduled cash flow (repeatable): {CashFlowSchedule.Syntax}" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var chart = new Option<string?>("--chart") { Description = "Write the charts (value, drift, turnover, sweep) into this folder" };
        var chartFormat = new Option<ChartFormat>("--chart-format") { Description = "png or svg", DefaultValueFactory = _ => ChartFormat.Png };
        var firmFolder = new Option<string?>("--firm") { Description = "A firm folder or scenario file: its accounts, models and IPSs instead of --portfolio" };
        var generated = new Option<bool>("--generated") { Description = "The generated firm (--accounts, --positions, --seed, --firm-shape) instead of --portfolio" };
        var taxed = new Option<bool>("--tax") { Description = "Taxable accounts: lots, wash sales, yearly tax on net realized gains paid the next January" };
        var lotMethod = new Option<LotMethod>("--lot-method") { Description = "How sales pick lots (with --tax)", DefaultValueFactory = _ => LotMethod.TaxOptimal };
        var shortRate = new Option<decimal>("--short-term-rate") { Description = "Tax rate on short-term gains (with --tax)", DefaultValueFactory = _ => 0.37m };
        var longRate = new Option<decimal>("--long-term-rate") { Description = "Tax rate on long-term gains (with --tax)", DefaultValueFactory = _ => 0.20m };
        var harvest = new Option<string?>("--harvest") { Description = "Harvest losses into substitutes, e.g. \"SPY=VTI,AGG=IEF\" (implies --tax; each substitute needs history)" };
        var noBreakers = new Option<bool>("--no-breakers") { Description = "Run without the circuit breakers (by default a halt lasts its day and is released at the next close)" };
        var firm = new FirmOptions(defaultAccounts: 10_000);
        var command = new Command("backtest", "Replay history through the decision core under one or many rebalancing policies")
        {
            portfolio, policy, sweep, from, to, window, value, commission, commissionBps, spreadBps, flow, json, chart, chartFormat, firmFolder, generated,
            taxed, lotMethod, shortRate, longRate, harvest, noBreakers,
        };
        firm.AddTo(command);
        command.SetAction(parse => ExitCodes.Guard(() => Run(new Request(
            parse.GetValue(portfolio)!, parse.GetValue(policy) ?? [], parse.GetValue(sweep), parse.GetValue(from), parse.GetValue(to), parse.GetValue(window),
            parse.GetValue(value), new TradingCosts(parse.GetValue(commission), parse.GetValue(commissionBps), parse.GetValue(spreadBps)),
            parse.GetValue(flow) ?? [], parse.GetValue(json), parse.GetValue(chart), parse.GetValue(chartFormat),
            parse.GetValue(firmFolder), parse.GetValue(generated) ? firm.Read(parse) : null,
            parse.GetResult(portfolio) is { Implicit: false } || parse.GetResult(value) is { Implicit: false },
            parse.GetValue(taxed) || parse.GetValue(harvest) is not null ? new TaxRequest(parse.GetValue(lotMethod), parse.GetValue(shortRate), parse.GetValue(longRate), parse.GetValue(harvest)) : null,
            !parse.GetValue(noBreakers)))));
        return command;
    }

    /// <summary>What the command line asked for.</summary>
    public sealed record Request(
        string Portfolio, string[] Policies, string? Sweep, string? From, string? To, string? Window, double Value, TradingCosts Costs, string[] Flows, bool Json,
        string? ChartFolder = null, ChartFormat ChartFormat = ChartFormat.Png, string? Firm = null, FirmSpec? Generated = null, bool PortfolioGiven = false,
        TaxRequest? Tax = null, bool Breakers = false);

    /// <summary>The tax options: the lot method, the rates, and the substitutes harvests buy (none: no harvesting).</summary>
    public sealed record TaxRequest(LotMethod LotMethod, decimal ShortTermRate, decimal LongTermRate, string? Harvest);

    /// <summary>The backtest's tax settings from the options, naming what is wrong.</summary>
    private static BacktestTax? Tax(TaxRequest? request)
    {
        if (request is null)
        {
            return null;
        }
        if (request.ShortTermRate is < 0 or > 1 || request.LongTermRate is < 0 or > 1)
        {
            throw new UsageException($"--short-term-rate and --long-term-rate must be 0 to 1 (got {request.ShortTermRate} and {request.LongTermRate})");
        }
        var groups = new List<IReadOnlyList<string>>();
        foreach (var pair in (request.Harvest ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0 || parts[0] == parts[1])
            {
                throw new UsageException($"--harvest '{TextLimit.Clip(pair, 40)}': expected SYMBOL=SUBSTITUTE pairs, e.g. SPY=VTI,AGG=IEF");
            }
            groups.Add([parts[0].ToUpperInvariant(), parts[1].ToUpperInvariant()]);
        }
        var settings = new AccountTaxSettings
        {
            LotMethod = request.LotMethod,
            ShortTermTaxRate = request.ShortTermRate,
            LongTermTaxRate = request.LongTermRate,
            Harvest = new HarvestSettings { Enabled = groups.Count > 0 },
        };
        return new BacktestTax(settings, groups.Count > 0 ? new InstrumentRelations(groups) : null);
    }

    public static int Run(Request request)
    {
        var progress = new Progress(quiet: request.Json);
        var (weights, policies, first, last, options) = Read(request);
        if (request.ChartFolder is not null)
        {
            OptionChecks.StateFolder("--chart", request.ChartFolder);
        }
        if (request.Firm is not null || request.Generated is not null)
        {
            return RunFirm(request, progress, policies, first, last, options);
        }
        var history = LoadHistory(progress);
        var result = progress.Time($"backtesting {policies.Count} policies", () => Usage(() =>
            PortfolioBacktest.Run(history, weights, policies, first, last, request.Value, options)), out var elapsed);
        var charts = request.ChartFolder is null
            ? []
            : progress.Time("drawing the charts", () => BacktestChartSet.Save(request.ChartFolder, result, request.ChartFormat), out _);
        if (request.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                portfolio = weights.ToDictionary(w => w.Symbol, w => w.Weight),
                history = weights.Select(w => new { symbol = w.Symbol, source = TotalReturnHistory.Describe(w.Symbol) }),
                result.From, result.To, result.TradingDays, result.Costs, result.Flows, result.Held, result.WithdrawalShortfall,
                breakers = Breakers(result.Breakers),
                policies = result.Accounts,
                charts,
                elapsedMs = elapsed.TotalMilliseconds,
            }, ScenarioDocument.JsonOptions));
            return ExitCodes.Ok;
        }
        Print(result, weights, elapsed);
        PrintCharts(charts);
        return ExitCodes.Ok;
    }

    private static MarketHistory LoadHistory(Progress progress)
    {
        var data = MarketHistory.FindDataDirectory() ?? throw new UsageException("no data/ folder with the market history was found; set FASTREBAL_DATA to it");
        return progress.Time("loading the market history", () => TotalReturnHistory.Load(data), out _);
    }

    /// <summary>A firm's accounts, each under its own IPS (or the one policy given): figures per model and for the firm.</summary>
    private static int RunFirm(Request request, Progress progress, IReadOnlyList<BacktestPolicy> policies, DateOnly first, DateOnly last, BacktestOptions options)
    {
        if (request.Firm is not null && request.Generated is not null)
        {
            throw new UsageException("give either --firm or --generated, not both");
        }
        if (request.PortfolioGiven)
        {
            throw new UsageException("--portfolio and --value describe one portfolio; a firm backtest takes its accounts' models and values from the firm");
        }
        if (request.Sweep is not null || request.Policies.Length > 1)
        {
            throw new UsageException("a firm backtest runs each account under its own IPS, or under the one --policy given; a sweep compares policies on one --portfolio");
        }
        var policy = request.Policies.Length == 1 ? policies[0] : null;
        AccountBook book;
        MarketHistory history;
        string source;
        var errors = 0;
        if (request.Generated is { } spec)
        {
            var generated = FirmOptions.Generate(spec, progress, out _);
            (book, history) = (generated.Book, generated.History);
            if (options.Tax is not null)
            {
                // The generated firm's own tax settings and substitutes, as demo and kpi use them; the rates and lot method asked for win.
                options = options with { Tax = options.Tax with { Settings = Firm(FirmLots.GeneratedSettings, options.Tax.Settings), Relations = FirmLots.Substitutes(generated) } };
            }
            source = $"generated firm of {spec.Accounts:N0} accounts ({FirmGenerator.ShapeName(spec.Shape)}, seed {spec.Seed}); prices from {generated.PriceSource}";
        }
        else
        {
            OptionChecks.InputFileOrFolder("--firm", request.Firm!);
            var firm = progress.Time("loading the firm", () => ImportedFirm.Load(request.Firm!), out _);
            foreach (var error in firm.Errors)
            {
                Console.Error.WriteLine($"fastrebal: bad input: {error}");
            }
            errors = firm.Errors.Count;
            (book, history, source) = (firm.Book, LoadHistory(progress), $"{firm.Source}, as of {firm.AsOf:yyyy-MM-dd}");
            if (options.Tax is not null)
            {
                // Each account's own elections (lot method, rates, harvesting) and the firm's substitutes.
                var perAccount = Enumerable.Range(0, book.AccountCount).Where(a => !book.IsFreeRow(a))
                    .ToDictionary(a => book.AccountId(a), a => firm.Scenario.SettingsFor(book.AccountId(a)), StringComparer.Ordinal);
                options = options with { Tax = options.Tax with { Relations = firm.Scenario.Relations, PerAccount = perAccount } };
            }
        }
        var result = progress.Time($"backtesting {book.OpenAccountCount:N0} accounts", () => Usage(() =>
            FirmBacktest.Run(book, history, first, last, policy, options)), out var elapsed);
        var charts = request.ChartFolder is null
            ? []
            : progress.Time("drawing the charts", () => BacktestChartSet.Save(request.ChartFolder, result, request.ChartFormat), out _);
        var exit = errors > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
        if (request.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                source,
                policy = policy?.Name ?? "each account's IPS",
                result.From, result.To, result.TradingDays, result.Costs, result.Flows, result.Held, result.WithdrawalShortfall,
                breakers = Breakers(result.Breakers),
                firm = result.Firm,
                models = result.Models,
                accounts = result.Accounts.Count <= MaxAccountsInJson ? result.Accounts : null,
                accountsLeftOut = result.Accounts.Count <= MaxAccountsInJson ? (int?)null : result.Accounts.Count,
                charts,
                elapsedMs = elapsed.TotalMilliseconds,
                accountDaysPerSecond = result.AccountDays / Math.Max(elapsed.TotalSeconds, 1e-9),
            }, ScenarioDocument.JsonOptions));
            return exit;
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"FastRebal firm backtest: {source}, {result.From:yyyy-MM-dd} to {result.To:yyyy-MM-dd} ({result.TradingDays:N0} trading days)"));
        Console.WriteLine($"  each account starts at its model's weights with its value today; policy: {policy?.Name ?? "each account's own IPS"}");
        PrintTable(result, [.. result.Models, result.Firm], "model", elapsed);
        PrintCharts(charts);
        return exit;
    }

    private static object? Breakers(BreakerReport? report) => report is null ? null : new
    {
        reference = report.Reference,
        policy = report.Policy,
        marketHalts = report.MarketHalts.Select(h => new { day = h.Day, level = h.Level }),
        accountHalts = report.AccountHalts,
        note = report.Note,
    };

    /// <summary>The generated firm's tax settings with the lot method and rates the command line gave.</summary>
    private static AccountTaxSettings Firm(AccountTaxSettings firm, AccountTaxSettings asked) =>
        firm with { LotMethod = asked.LotMethod, ShortTermTaxRate = asked.ShortTermTaxRate, LongTermTaxRate = asked.LongTermTaxRate };

    /// <summary>Accounts listed one by one in a firm backtest's JSON; a larger firm gives its models and the firm only.</summary>
    private const int MaxAccountsInJson = 10_000;

    private static (IReadOnlyList<(string Symbol, double Weight)>, IReadOnlyList<BacktestPolicy>, DateOnly, DateOnly, BacktestOptions) Read(Request request) => Usage(() =>
    {
        var weights = PortfolioBacktest.ParseWeights(request.Portfolio);
        var policies = new List<BacktestPolicy>();
        policies.AddRange(request.Policies.Select(BacktestPolicy.Parse));
        if (request.Sweep is not null)
        {
            policies.AddRange(BacktestPolicy.ParseSweep(request.Sweep));
        }
        if (policies.Count == 0)
        {
            policies.AddRange(BacktestPolicy.ParseSweep(DefaultPolicies));
        }
        var (first, last) = (DateOnly.MinValue, DateOnly.MaxValue);
        if (request.Window is not null)
        {
            if (request.From is not null || request.To is not null)
            {
                throw new UsageException("give either --window or --from/--to, not both");
            }
            (first, last) = HistoryWindows.Find(request.Window);
        }
        first = request.From is null ? first : Day("--from", request.From);
        last = request.To is null ? last : Day("--to", request.To);
        var options = new BacktestOptions(request.Costs.Validated(), [.. request.Flows.Select(CashFlowSchedule.Parse)], Tax: Tax(request.Tax),
            Breakers: request.Breakers ? new BacktestBreakers() : null);
        return (weights, (IReadOnlyList<BacktestPolicy>)[.. policies.DistinctBy(p => p.Name)], first, last, options);
    });

    private static DateOnly Day(string option, string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new UsageException($"{option} '{TextLimit.Clip(text, 40)}' is not a date yyyy-MM-dd");

    /// <summary>Turns the engine's complaints about what was asked (a bad policy, weight, window or date) into usage errors.</summary>
    private static T Usage<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new UsageException(e.Message);
        }
    }

    private static void Print(BacktestResult result, IReadOnlyList<(string Symbol, double Weight)> weights, TimeSpan elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"FastRebal backtest: {string.Join(", ", weights.Select(w => $"{w.Symbol} {w.Weight:0.##%}"))}, {result.From:yyyy-MM-dd} to {result.To:yyyy-MM-dd} ({result.TradingDays:N0} trading days)"));
        foreach (var (symbol, _) in weights)
        {
            Console.WriteLine($"  {symbol}: {TotalReturnHistory.Describe(symbol) ?? "total-return history from data/"}");
        }
        PrintTable(result, result.Accounts, "policy", elapsed);
    }

    private static void PrintCharts(IReadOnlyList<string> charts)
    {
        foreach (var path in charts)
        {
            Console.WriteLine($"  chart: {Path.GetRelativePath(Directory.GetCurrentDirectory(), path)}");
        }
    }

    private static void PrintTable(BacktestResult result, IReadOnlyList<BacktestFigures> rows, string heading, TimeSpan elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"  costs: {result.Costs}; cash flows: {(result.Flows.Count == 0 ? "none" : string.Join(", ", result.Flows))}");
        Console.WriteLine(string.Create(c, $"  {heading,-34} {"return/yr",9} {"vol",6} {"max DD",7} {"DD days",8} {"track.err",9} {"turn/yr",7} {"worst Q",7} {"rebal.",9} {"trades",10} {"costs",10} {"max drift",9} {"days out",9}"));
        foreach (var f in rows)
        {
            var days = string.Create(c, $"{f.MaxDrawdownDays:N0}{(f.MaxDrawdown < 0 && !f.MaxDrawdownRecovered ? "+" : " ")}");
            Console.WriteLine(string.Create(c,
                $"  {Clip(f.Name, 34),-34} {f.AnnualReturn,9:0.00%} {f.Volatility,6:0.0%} {f.MaxDrawdown,7:0.0%} {days,8} {f.TrackingError,9:0.00%} {f.TurnoverPerYear,7:0.0%} {f.WorstQuarterTurnover,7:0.0%} {f.Rebalances,9:N0} {f.Trades,10:N0} {f.Costs,10:N0} {f.LargestDrift,9:0.0%} {f.DaysOutsideBand,9:N0}"));
        }
        if (rows.Any(f => f.MaxDrawdown < 0 && !f.MaxDrawdownRecovered))
        {
            Console.WriteLine("  DD days with + : the value was not back at its peak when the window ended");
        }
        if (result.Taxed)
        {
            Console.WriteLine(string.Create(c, $"  {"taxes: " + heading,-34} {"realized ST",12} {"realized LT",12} {"harvested",10} {"tax paid",10} {"after-tax/yr",12} {"tax drag",8}"));
            foreach (var f in rows)
            {
                Console.WriteLine(string.Create(c,
                    $"  {Clip(f.Name, 34),-34} {f.RealizedShortTerm,12:N0} {f.RealizedLongTerm,12:N0} {f.HarvestedLosses,10:N0} {f.TaxesPaid,10:N0} {f.AfterTaxAnnualReturn,12:0.00%} {f.TaxDrag,8:0.00%}"));
            }
        }
        if (result.Held > 0)
        {
            Console.WriteLine(string.Create(c, $"  {result.Held:N0} decision(s) were blocked or held for approval and not traded (a backtest has no operator)"));
        }
        if (result.Breakers is { } breakers)
        {
            var halts = breakers.MarketHalts;
            var days = string.Join(", ", halts.Take(8).Select(h => string.Create(c, $"{h.Day:yyyy-MM-dd} (level {h.Level})"))) + (halts.Count > 8 ? $" and {halts.Count - 8} more" : "");
            Console.WriteLine(breakers.Note is { } note
                ? $"  breakers: {note}"
                : string.Create(c, $"  breakers: {breakers.Reference} halted trading on {halts.Count:N0} day(s){(halts.Count > 0 ? $": {days}" : "")}; account breakers {breakers.AccountHalts:N0} account-day(s); {BacktestBreakers.ReleasePolicy} (--no-breakers turns them off)"));
        }
        if (result.WithdrawalShortfall > 0)
        {
            Console.WriteLine(string.Create(c, $"  withdrawals short by {result.WithdrawalShortfall:N2} in all (the account could not pay them in full)"));
        }
        Console.WriteLine(string.Create(c, $"  {result.AccountDays:N0} account-days in {elapsed.TotalMilliseconds:N0} ms"));
    }

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
