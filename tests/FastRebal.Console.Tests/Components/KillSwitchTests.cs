using Bunit;
using Bunit.Rendering;
using FastRebal.Console.Components.Shared;
using FastRebal.Console.Security;
using FastRebal.Engine.Risk;
using MudBlazor;

namespace FastRebal.Console.Tests.Components;

public class KillSwitchTests : ComponentTest
{
    private IRenderedComponent<ContainerFragment> RenderPanel(KillSwitchState state) => Render(builder =>
    {
        builder.OpenComponent<MudPopoverProvider>(0);
        builder.CloseComponent();
        builder.OpenComponent<MudDialogProvider>(1);
        builder.CloseComponent();
        builder.OpenComponent<MudSnackbarProvider>(2);
        builder.CloseComponent();
        builder.OpenComponent<KillSwitchPanel>(3);
        builder.AddAttribute(4, nameof(KillSwitchPanel.State), state);
        builder.CloseComponent();
    });

    [Fact]
    public void The_banner_names_who_engaged_the_switch_and_why()
    {
        this.AddConsole();
        var at = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

        var cut = Render<KillSwitchBanner>(p => p.Add(b => b.State, new KillSwitchState(true, "olga", "runaway orders", at, 3)));

        var text = cut.Find("#kill-switch-banner").TextContent;
        Assert.Contains("KILL SWITCH ENGAGED", text);
        Assert.Contains("olga", text);
        Assert.Contains("runaway orders", text);
        Assert.Contains("2026-03-04 05:06:07 UTC", text);
    }

    [Fact]
    public void The_banner_is_absent_while_trading_is_live()
    {
        this.AddConsole();
        var cut = Render<KillSwitchBanner>(p => p.Add(b => b.State, KillSwitchState.Released));

        Assert.Empty(cut.FindAll("#kill-switch-banner"));
    }

    [Fact]
    public void A_viewer_sees_the_engage_button_disabled_and_why()
    {
        this.AddConsole();
        AddAuthorization().SetAuthorized("vera").SetRoles(Roles.Viewer);

        var cut = RenderPanel(KillSwitchState.Released);

        Assert.True(cut.Find("#kill-switch-engage").HasAttribute("disabled"));
        Assert.Contains("operator role", cut.Find("#kill-switch-needs-role").TextContent);
    }

    [Fact]
    public void An_operator_must_give_a_reason_before_the_switch_is_engaged()
    {
        this.AddConsole();
        AddAuthorization().SetAuthorized("olga").SetRoles(Roles.Operator);
        var cut = RenderPanel(KillSwitchState.Released);

        cut.Find("#kill-switch-engage").Click();
        cut.WaitForElement("#confirm-ok").Click();

        Assert.Contains("A reason is required.", cut.Markup);
        Assert.NotEmpty(cut.FindAll("#confirm-message"));
    }

    [Fact]
    public void Confirming_with_a_reason_reaches_the_engine_which_says_it_is_not_running_yet()
    {
        this.AddConsole();
        AddAuthorization().SetAuthorized("olga").SetRoles(Roles.Operator).SetPolicies(Policies.Operate);
        var cut = RenderPanel(KillSwitchState.Released);

        cut.Find("#kill-switch-engage").Click();
        cut.WaitForElement("#confirm-reason").Change("venue outage");
        cut.Find("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Contains("the engine is not running yet", cut.Markup));
        Assert.Empty(cut.FindAll("#confirm-message"));
    }
}
