using System.Globalization;
using Microsoft.Playwright;

namespace FastRebal.Console.Tests.Browser;

/// <summary>The console as a system of record: what people did before a crash is there after it.</summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task After_a_kill_9_the_console_comes_back_with_the_policy_edit_the_approval_decision_and_the_kill_switch()
    {
        // A console of its own: the others' tests must not meet a restart or an engaged switch.
        var restarting = new ConsoleFixture();
        await restarting.InitializeAsync();
        try
        {
            // An operator approves held trades.
            var page = await restarting.SignIn(ConsoleFixture.OperatorName, ConsoleFixture.OperatorPassword);
            await ApproveFirstHeld(page, "restart test: approved before the crash");
            await page.Context.CloseAsync();

            // An admin gives a quiet account a tight absolute band.
            var admin = await restarting.SignIn("admin", restarting.AdminPassword);
            var account = await QuietAccount(admin);
            var version = await LoadAccountPolicy(admin, account);
            await admin.FillAsync("#band-width", "0.1");
            await admin.Locator("#band-width").BlurAsync();
            await admin.Locator("#band-type").GetByText("Absolute").ClickAsync();
            await admin.ClickAsync("#policy-apply");
            await admin.FillAsync("#confirm-reason", "restart test: edited before the crash");
            await admin.ClickAsync("#confirm-ok");
            await Assertions.Expect(admin.Locator("#policy-result")).ToContainTextAsync("policy updated on 1 account(s) by admin");

            // Then stops all trading.
            await ConsoleFixture.Goto(admin, "/");
            await admin.ClickAsync("#kill-switch-engage");
            await admin.FillAsync("#confirm-reason", "restart test: engaged before the crash");
            await admin.ClickAsync("#confirm-ok");
            await Assertions.Expect(admin.Locator("#kill-switch-chip")).ToContainTextAsync("KILL SWITCH ENGAGED");
            var sentBefore = await ChildrenSentSinceTheFirmStarted(admin);
            Assert.True(sentBefore > 0, "no child order was sent before the crash");
            await admin.Context.CloseAsync();

            await restarting.KillAndRestart();

            var after = await restarting.SignIn("admin", restarting.AdminPassword);
            await Assertions.Expect(after.Locator("#kill-switch-banner")).ToContainTextAsync("restart test: engaged before the crash");
            await Assertions.Expect(after.Locator("#kill-switch-chip")).ToContainTextAsync("KILL SWITCH ENGAGED");
            await ConsoleFixture.Goto(after, $"/accounts/{account}");
            await Assertions.Expect(after.Locator("#account-policy")).ToContainTextAsync($"v{version + 1}");
            await Assertions.Expect(after.Locator("#account-policy")).ToContainTextAsync("±0.1% absolute band");
            // The engine resumed its state rather than making the firm afresh.
            Assert.Contains("State: recovery:", restarting.Output, StringComparison.Ordinal);
            // One audit trail across the crash: the approval decision, the edit and the switch are all in it.
            await ConsoleFixture.ShowAuditRecords(after, "Operator actions", "OperatorAction");
            await Assertions.Expect(after.Locator("#audit-records tr", new() { HasText = "restart test: approved before the crash" })).ToContainTextAsync("DecideApproval by olga");
            await Assertions.Expect(after.Locator("#audit-records tr", new() { HasText = "restart test: engaged before the crash" })).ToContainTextAsync("KillSwitchEngaged by admin");
            // The orders sent before the crash still count (the engine keeps its counters in its state).
            Assert.True(await ChildrenSentSinceTheFirmStarted(after) >= sentBefore);
            await after.Context.CloseAsync();
        }
        finally
        {
            await restarting.DisposeAsync();
        }
    }

    /// <summary>The Blocks tab's count of child orders sent since the firm started.</summary>
    private static async Task<long> ChildrenSentSinceTheFirmStarted(IPage page)
    {
        await ConsoleFixture.Goto(page, "/orders");
        await page.Locator(".mud-tab", new() { HasText = "Blocks" }).ClickAsync();
        var text = await page.GetByText("since the firm started").First.TextContentAsync() ?? "";
        var match = System.Text.RegularExpressions.Regex.Match(text, @"orders; ([\d,]+) children sent");
        Assert.True(match.Success, text);
        return long.Parse(match.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Verify_checks_a_chain_of_several_days_stored_in_several_segments_and_each_segment_can_be_exported()
    {
        // A data directory holding four earlier days in three files, as rollovers leave it; this start rolls the live
        // file over once more (any size is over a limit of 0), so the chain is four segments when the page opens.
        var prepared = 0;
        var segmented = ConsoleFixture.Prepared(folder => prepared = FastRebal.Console.Tests.Engine.AuditArchivesTests.WriteChain(folder), "--Console:AuditRolloverMegabytes", "0");
        await segmented.InitializeAsync();
        try
        {
            // Once the engine runs, the console compresses the sealed archives; the page then lists those.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Directory.GetFiles(segmented.DataDirectory, "audit-*.jsonl").Length > 0 || Directory.GetFiles(segmented.DataDirectory, "audit-*.jsonl.gz").Length < 3)
            {
                Assert.True(DateTime.UtcNow < deadline, "the three archives were not compressed within a minute");
                await Task.Delay(250);
            }
            var page = await segmented.SignIn(ConsoleFixture.ViewerName, ConsoleFixture.ViewerPassword);
            await ConsoleFixture.Goto(page, "/audit");
            await Assertions.Expect(page.Locator("#audit-segments tbody tr")).ToHaveCountAsync(4);
            await Assertions.Expect(page.Locator("#audit-segments tbody tr td code").First).ToContainTextAsync(".jsonl.gz");
            await page.ClickAsync("#audit-verify");
            var verification = page.Locator("#audit-verification");
            await Assertions.Expect(verification).ToContainTextAsync("Intact", new() { Timeout = 60_000 });
            // The four prepared days are there, with their own Merkle roots, besides today's.
            foreach (var day in Enumerable.Range(0, 4).Select(d => FastRebal.Console.Tests.Engine.AuditArchivesTests.FirstDay.AddDays(d)))
            {
                await Assertions.Expect(page.Locator("#audit-days tr", new() { HasText = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) })).ToHaveCountAsync(1);
            }
            Assert.True(prepared > 0);

            // Each segment downloads as stored, for `fastrebal audit verify --file` elsewhere.
            var first = (await page.Locator("#audit-segments tbody tr td code").First.TextContentAsync())!.Trim();
            var download = await page.APIRequest.GetAsync($"/audit/segment/{first}");
            Assert.Equal(200, download.Status);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(segmented.DataDirectory, first)), await download.BodyAsync());
            Assert.Equal(404, (await page.APIRequest.GetAsync("/audit/segment/users.json")).Status);
            await page.Context.CloseAsync();
        }
        finally
        {
            await segmented.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_kpi_page_shows_tracking_error_and_turnover_per_model_over_replayed_days_and_keeps_them_across_a_restart()
    {
        // A replay of real closes at five market days a second: a few seconds make weeks of days.
        var replaying = ConsoleFixture.Prepared(_ => { }, "--Feed:Kind", "replay", "--Feed:DaysPerSecond", "5");
        await replaying.InitializeAsync();
        try
        {
            var page = await replaying.SignIn(ConsoleFixture.ViewerName, ConsoleFixture.ViewerPassword);
            await ConsoleFixture.Goto(page, "/kpi");
            var firmToDate = page.Locator("#kpi-table tr[data-group='firm'][data-period='to date']");
            // A tracking error needs two days with returns, so three market days recorded at least.
            await Assertions.Expect(firmToDate.Locator(".kpi-te")).ToContainTextAsync("%", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#kpi-table tr[data-period='2025Q2']").First).ToBeVisibleAsync();
            var models = await page.Locator("#kpi-table tr[data-period='to date']").CountAsync();
            Assert.True(models > 2, $"{models} group(s) to date: the firm and its models were expected");

            // The audit trail shows each engine record's market day beside the wall-clock time it was written.
            await ConsoleFixture.ShowAuditRecords(page, "Decisions", "Decision");
            await Assertions.Expect(page.Locator("#audit-records tbody tr .market-day").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^2025-\d\d-\d\d$"));

            var recorded = File.ReadAllLines(Path.Combine(replaying.DataDirectory, "kpi-days.csv")).Length - 1;
            Assert.True(recorded >= 3 * models, $"{recorded} day rows");
            await page.Context.CloseAsync();

            // The days recorded before a crash are still there after it.
            await replaying.KillAndRestart();
            page = await replaying.SignIn(ConsoleFixture.ViewerName, ConsoleFixture.ViewerPassword);
            await ConsoleFixture.Goto(page, "/kpi");
            var days = int.Parse(TextOf().Match(await page.Locator("body").TextContentAsync() ?? "").Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
            Assert.True(days * models >= recorded, $"{days} day(s) shown after the restart, {recorded} rows recorded before it");
            await page.Context.CloseAsync();
        }
        finally
        {
            await replaying.DisposeAsync();
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"([\d,]+) market day\(s\) recorded")]
    private static partial System.Text.RegularExpressions.Regex TextOf();
}
