using Bunit;
using FastRebal.Console.Components.Pages;
using FastRebal.Console.Security;
using FastRebal.Engine.Risk;

namespace FastRebal.Console.Tests.Components;

public class DashboardTests : ComponentTest
{
    [Fact]
    public async Task The_dashboard_shows_each_new_snapshot_without_a_reload()
    {
        var notifier = this.AddConsole();
        AddAuthorization().SetAuthorized("vera").SetRoles(Roles.Viewer);
        await notifier.Publish(TestServices.Running(ordersPerSecond: 12, ordersSent: 340, accounts: 2000, inBreach: 37));

        var cut = Render<Home>();

        Assert.Equal("2,000", cut.Find("#accounts").TextContent);
        Assert.Equal("37", cut.Find("#in-breach").TextContent);
        Assert.Equal("12", cut.Find("#orders-rate").TextContent);

        await notifier.Publish(TestServices.Running(ordersPerSecond: 0, ordersSent: 340, accounts: 2000, inBreach: 5));

        cut.WaitForAssertion(() => Assert.Equal("0", cut.Find("#orders-rate").TextContent));
        Assert.Equal("5", cut.Find("#in-breach").TextContent);
    }

    [Fact]
    public async Task The_dashboard_unsubscribes_from_live_updates_when_it_goes()
    {
        var notifier = this.AddConsole();
        AddAuthorization().SetAuthorized("vera").SetRoles(Roles.Viewer);
        await notifier.Publish(TestServices.Running());
        var before = notifier.SubscriberCount;

        var cut = Render<Home>();
        Assert.True(notifier.SubscriberCount > before);
        await DisposeComponentsAsync();

        Assert.Equal(before, notifier.SubscriberCount);
    }

    [Fact]
    public async Task An_engaged_kill_switch_turns_the_dashboard_panel_red_with_who_and_why()
    {
        var notifier = this.AddConsole();
        AddAuthorization().SetAuthorized("vera").SetRoles(Roles.Viewer);
        var engaged = new KillSwitchState(true, "olga", "venue outage", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), 7);
        await notifier.Publish(TestServices.Running(killSwitch: engaged));

        var cut = Render<Home>();

        Assert.Equal("KILL SWITCH ENGAGED", cut.Find("#kill-switch-state").TextContent);
        Assert.Contains("olga", cut.Find("#kill-switch-panel").TextContent);
        Assert.Contains("venue outage", cut.Find("#kill-switch-panel").TextContent);
    }

    [Fact]
    public void While_the_engine_starts_the_dashboard_says_what_it_is_doing()
    {
        this.AddConsole();
        AddAuthorization().SetAuthorized("vera").SetRoles(Roles.Viewer);

        var cut = Render<Home>();

        Assert.Contains("starting", cut.Find("#engine-starting").TextContent);
    }
}
