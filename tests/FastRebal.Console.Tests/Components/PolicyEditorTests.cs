using Bunit;
using Bunit.Rendering;
using FastRebal.Console.Components.Shared;
using FastRebal.Console.Operations;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;
using MudBlazor;

namespace FastRebal.Console.Tests.Components;

public class PolicyEditorTests : ComponentTest
{
    private static readonly InstrumentTable Instruments = new([new Instrument("SPY", "SPY", "US Equity"), new Instrument("AGG", "AGG", "US Bonds")]);

    private IRenderedComponent<ContainerFragment> RenderEditor(PolicyForm form, bool canEdit, Action<PolicyForm> onApply) => Render(builder =>
    {
        builder.OpenComponent<MudPopoverProvider>(0);
        builder.CloseComponent();
        builder.OpenComponent<PolicyEditor>(1);
        builder.AddAttribute(2, nameof(PolicyEditor.Form), form);
        builder.AddAttribute(3, nameof(PolicyEditor.Instruments), Instruments);
        builder.AddAttribute(4, nameof(PolicyEditor.CanEdit), canEdit);
        builder.AddAttribute(5, nameof(PolicyEditor.OnApply), Microsoft.AspNetCore.Components.EventCallback.Factory.Create(this, onApply));
        builder.CloseComponent();
    });

    [Fact]
    public void A_band_width_of_zero_is_refused_with_the_field_and_value_named_and_nothing_is_applied()
    {
        this.AddConsole();
        var applied = new List<PolicyForm>();
        var cut = RenderEditor(new PolicyForm { Target = "BAL" }, canEdit: true, applied.Add);

        cut.Find("#band-width").Change("0");
        cut.Find("form").Submit();

        Assert.Contains("Band width must be more than 0% and less than 100% (got 0).", cut.Find("#policy-errors").TextContent);
        Assert.Empty(applied);
    }

    [Fact]
    public void A_valid_change_is_handed_on_with_the_values_entered()
    {
        this.AddConsole();
        var applied = new List<PolicyForm>();
        var cut = RenderEditor(new PolicyForm { Target = "BAL" }, canEdit: true, applied.Add);

        cut.Find("#band-width").Change("2.5");
        cut.Find("#min-trade").Change("250");
        cut.Find("form").Submit();

        var form = Assert.Single(applied);
        Assert.Equal(2.5, form.BandWidthPercent);
        Assert.Equal(250m, form.MinTradeValue);
        Assert.Empty(cut.FindAll("#policy-errors"));
    }

    [Fact]
    public void Without_the_admin_role_the_form_is_read_only()
    {
        this.AddConsole();
        var cut = RenderEditor(new PolicyForm { Target = "BAL" }, canEdit: false, _ => Assert.Fail("nothing may be applied"));

        Assert.Empty(cut.FindAll("#policy-apply"));
        Assert.Contains("admin role", cut.Find("#policy-needs-admin").TextContent);
        Assert.True(cut.Find("#band-width").HasAttribute("disabled"));
    }
}
