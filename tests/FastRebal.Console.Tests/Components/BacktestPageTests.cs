using System.Globalization;
using System.Text.RegularExpressions;
using Bunit;
using Bunit.Rendering;
using FastRebal.Console.Backtesting;
using FastRebal.Console.Components.Pages;
using FastRebal.Console.Security;
using FastRebal.Engine.Backtest;
using FastRebal.Engine.MarketData;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Format = FastRebal.Console.Components.Format;

namespace FastRebal.Console.Tests.Components;

/// <summary>
/// The Backtest page: a sweep over real history gives the CLI's table (one row per policy and the baseline, the
/// engine's own figures) and the four charts as inline SVG; a text the engine refuses shows its message at the field
/// and runs nothing; a run shows its stage, waits for a slot another user holds, cannot be started twice, and cancels.
/// </summary>
public sealed partial class BacktestPageTests : ComponentTest
{
    // The repository's data/ folder, read once for every test here (as the console's singleton does).
    private static readonly Lazy<MarketHistory> History = new(() => TotalReturnHistory.Load(MarketHistory.FindDataDirectory()!));

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private BacktestService AddBacktests(Func<MarketHistory>? load = null, int concurrent = 1, Action<double>? replaying = null)
    {
        this.AddConsole();
        AddAuthorization().SetAuthorized("vera").SetRoles(Roles.Viewer).SetPolicies(Policies.View);
        var service = new BacktestService(load ?? (() => History.Value), concurrent, replaying);
        Services.AddSingleton(service);
        return service;
    }

    private IRenderedComponent<ContainerFragment> RenderPage() => Render(builder =>
    {
        builder.OpenComponent<MudPopoverProvider>(0);
        builder.CloseComponent();
        builder.OpenComponent<BacktestPage>(1);
        builder.CloseComponent();
    });

    private static async Task ChooseWindow(IRenderedComponent<ContainerFragment> page, string window)
    {
        var select = page.FindComponent<MudSelect<string>>();
        await page.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(window));
    }

    private static string FieldText(IRenderedComponent<ContainerFragment> page, string id) => page.Find(id).Closest(".mud-input-control")!.TextContent;

    [Fact]
    public async Task A_sweep_shows_one_row_per_policy_and_the_baseline_with_the_engines_figures_and_four_svg_charts()
    {
        var service = AddBacktests();
        var page = RenderPage();

        page.Find("#backtest-policies").Change("threshold:1%..3%:1%,calendar:*");
        await ChooseWindow(page, "gfc");
        page.Find("#backtest-spread-bps").Change("10");
        page.Find("#backtest-flows").Change("+1000:monthly");
        page.Find("form").Submit();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("#backtest-finished")), Patience);

        string[] expected = ["never", "threshold 1%", "threshold 2%", "threshold 3%", "calendar monthly", "calendar quarterly", "calendar semiannual", "calendar annual"];
        Assert.Equal(expected, page.FindAll("#backtest-table tbody tr").Select(row => row.GetAttribute("data-policy")));
        // The same figures as the engine gives for the same request (what the CLI prints), the breakers on as by default.
        var engine = PortfolioBacktest.Run(History.Value, PortfolioBacktest.ParseWeights("SPY:0.6,AGG:0.4"), BacktestPolicy.ParseSweep("threshold:1%..3%:1%,calendar:*"),
            new DateOnly(2007, 10, 1), new DateOnly(2009, 6, 30), 1_000_000,
            new BacktestOptions(new TradingCosts(SpreadBps: 10), [CashFlowSchedule.Parse("+1000:monthly")], Breakers: new BacktestBreakers()));
        Assert.NotEmpty(engine.Breakers!.MarketHalts);
        Assert.Contains($"SPY halted trading on {engine.Breakers.MarketHalts.Count} day(s)", page.Find("#backtest-breakers-report").TextContent, StringComparison.Ordinal);
        foreach (var figures in engine.Accounts)
        {
            var row = page.Find($"#backtest-table tr[data-policy='{figures.Name}']");
            Assert.Equal(Format.Percent(figures.AnnualReturn), row.QuerySelector(".bt-return")!.TextContent);
            Assert.Equal(Format.Percent(figures.TrackingError), row.QuerySelector(".bt-tracking")!.TextContent);
            Assert.Equal(Format.Count(figures.Rebalances), row.QuerySelector(".bt-rebalances")!.TextContent);
        }
        Assert.True(engine.Accounts.Single(f => f.Name == "threshold 1%").Rebalances > 0, "a 1% band breaches in 2008");
        Assert.Contains("8 policies", page.Find("#backtest-finished").TextContent);
        Assert.Contains("2007-10-01 to 2009-06-30", page.Find("#backtest-finished").TextContent);

        var charts = page.FindAll(".backtest-chart");
        Assert.Equal(["value", "drift", "turnover", "sweep"], charts.Select(c => c.GetAttribute("data-chart")));
        Assert.All(charts, chart => Assert.NotNull(chart.QuerySelector("svg")));
        Assert.Contains("Tracking error against turnover", charts[3].TextContent);

        // The downloads name this run, for this user only.
        var run = Assert.Single(page.FindAll("#backtest-csv")).GetAttribute("href")!;
        var id = Guid.Parse(run.Split('/')[3]);
        Assert.Equal($"/backtest/download/{id:D}/table.csv", run);
        Assert.Equal(4, page.FindAll("a.backtest-png").Count);
        var kept = service.Find(id, "vera")!;
        Assert.All(kept.Charts, chart => Assert.StartsWith("<svg", chart.Svg, StringComparison.Ordinal));
        Assert.Null(service.Find(id, "someone else"));
        var csv = kept.Csv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(9, csv.Length);
        Assert.StartsWith("\"threshold 2%\",", csv[3], StringComparison.Ordinal);
        Assert.Equal(1, service.Started);
        Assert.Empty(page.FindAll("#backtest-running"));
    }

    [Fact]
    public async Task A_text_the_engine_refuses_shows_its_message_at_the_field_and_runs_nothing()
    {
        var service = AddBacktests();
        var page = RenderPage();
        var policyMessage = Assert.Throws<FormatException>(() => BacktestPolicy.ParseSweep("threshold:5%,calendar:fortnightly")).Message;
        var flowMessage = Assert.Throws<FormatException>(() => CashFlowSchedule.Parse("+1000:weekly")).Message;

        page.Find("#backtest-policies").Change("threshold:5%,calendar:fortnightly");
        page.Find("#backtest-flows").Change("+1000:weekly");
        page.Find("form").Submit();

        Assert.Contains("unknown schedule 'fortnightly'", policyMessage);
        Assert.Contains(policyMessage, FieldText(page, "#backtest-policies"));
        Assert.Contains(flowMessage, FieldText(page, "#backtest-flows"));
        Assert.DoesNotContain(policyMessage, FieldText(page, "#backtest-portfolio"));
        Assert.Equal(0, service.Started);
        Assert.Empty(page.FindAll("#backtest-running"));
        Assert.Empty(page.FindAll("#backtest-results"));

        // Dates typed by hand, and the window's end before its start.
        await ChooseWindow(page, BacktestForm.CustomDates);
        page.Find("#backtest-from").Change("2020-13-01");
        page.Find("#backtest-policies").Change("threshold:5%");
        page.Find("#backtest-flows").Change("");
        page.Find("form").Submit();
        Assert.Contains("from '2020-13-01' is not a date yyyy-MM-dd", FieldText(page, "#backtest-from"));
        Assert.DoesNotContain("unknown schedule", FieldText(page, "#backtest-policies"));
        Assert.Equal(0, service.Started);

        // A symbol the history lacks is found once the history is read: the engine's message, at the portfolio.
        page.Find("#backtest-from").Change("");
        page.Find("#backtest-portfolio").Change("SPY:0.6,XYZ:0.4");
        page.Find("form").Submit();
        page.WaitForAssertion(() => Assert.Contains("no price history for XYZ; known symbols:", FieldText(page, "#backtest-portfolio")), Patience);
        Assert.Empty(page.FindAll("#backtest-results"));
        Assert.Empty(page.FindAll("#backtest-running"));
    }

    [Fact]
    public void A_run_shows_its_stage_waits_for_a_slot_another_user_holds_cannot_start_twice_and_finishes()
    {
        using var gate = new ManualResetEventSlim();
        var service = AddBacktests(() =>
        {
            gate.Wait(Patience);
            return History.Value;
        });
        var first = RenderPage();
        // Another user's page in the same console (one popover provider serves both).
        var second = Render<BacktestPage>();

        first.Find("#backtest-policies").Change("threshold:5%");
        first.Find("form").Submit();
        first.WaitForAssertion(() => Assert.Contains("Reading the market history", first.Find("#backtest-stage").TextContent), Patience);
        Assert.True(first.Find("#backtest-run").HasAttribute("disabled"));
        Assert.NotNull(first.Find("#backtest-cancel"));
        first.Find("form").Submit();
        Assert.Contains("Reading the market history", first.Find("#backtest-stage").TextContent);
        Assert.Equal(1, service.Started);

        // The only slot is taken: the other page waits for it rather than running beside it.
        second.Find("form").Submit();
        second.WaitForAssertion(() => Assert.Contains("Waiting for another backtest", second.Find("#backtest-stage").TextContent), Patience);
        Assert.Equal(1, service.Started);

        gate.Set();
        first.WaitForAssertion(() => Assert.NotNull(first.Find("#backtest-finished")), Patience);
        Assert.Equal(["never", "threshold 5%"], first.FindAll("#backtest-table tbody tr").Select(row => row.GetAttribute("data-policy")));
        Assert.Empty(first.FindAll("#backtest-running"));
        Assert.False(first.Find("#backtest-run").HasAttribute("disabled"));
        second.WaitForAssertion(() => Assert.NotNull(second.Find("#backtest-finished")), Patience);
        Assert.Equal(5, second.FindAll("#backtest-table tbody tr").Count);
        Assert.Equal(2, service.Started);
        Assert.Equal(1, service.FreeSlots);
    }

    [Fact]
    public void A_long_sweep_shows_how_far_it_is_and_cancel_stops_it_keeping_nothing()
    {
        // The run is held at its first report after the page has shown it past the start, so it is still running when
        // Cancel is pressed however fast the machine replays a century. (Holding it at a fixed report could hold it
        // before the page ever showed progress: the page redraws at most every tenth of a second, and a loaded
        // machine's first reports can all fall within one.)
        using var gate = new ManualResetEventSlim();
        var shown = 0;
        var service = AddBacktests(replaying: fraction =>
        {
            if (fraction > 0 && Volatile.Read(ref shown) == 1)
            {
                gate.Wait(Patience);
            }
        });
        _ = History.Value;
        var page = RenderPage();
        var seen = new List<int>();
        page.OnMarkupUpdated += (_, _) =>
        {
            if (page.FindAll("#backtest-stage").FirstOrDefault()?.TextContent is { } text && Done().Match(text) is { Success: true } match)
            {
                var percent = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                seen.Add(percent);
                if (percent is > 0 and < 100)
                {
                    Volatile.Write(ref shown, 1);
                }
            }
        };

        // A century of daily history under 200 policies: long enough to be seen running.
        page.Find("#backtest-preset-1").Click();
        page.Find("#backtest-policies").Change("threshold:0.2%..40%:0.2%");
        page.Find("form").Submit();
        page.WaitForAssertion(() => Assert.Contains(seen, percent => percent is > 0 and < 100), Patience);
        page.Find("#backtest-cancel").Click();
        gate.Set();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("#backtest-cancelled")), Patience);
        Assert.Empty(page.FindAll("#backtest-results"));
        Assert.Empty(page.FindAll("#backtest-running"));
        Assert.Equal(1, service.FreeSlots);
        Assert.Equal("SP500:0.6,UST10:0.4", page.Find("#backtest-portfolio").GetAttribute("value"));
    }

    [GeneratedRegex(@"Replaying the days: (\d+)% done")]
    private static partial Regex Done();
}
