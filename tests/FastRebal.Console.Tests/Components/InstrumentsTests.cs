using Bunit;
using FastRebal.Console.Components.Pages;
using FastRebal.Console.Security;

namespace FastRebal.Console.Tests.Components;

/// <summary>
/// Corporate actions from the console: an admin splits an instrument and changes another's ticker, each with a reason,
/// through the engine's control plane; the Instruments page shows both, and only an admin gets the form.
/// </summary>
public class InstrumentsTests : ComponentTest
{
    [Fact]
    public async Task An_admin_splits_an_instrument_and_changes_a_ticker_and_the_instruments_page_shows_both()
    {
        var data = TestServices.TempDirectory();
        var session = await TestServices.StartedFirmSession(data);
        var actions = TestServices.Actions(session, data);
        var operatorUser = TestServices.User("olga", Roles.Operator);
        var admin = TestServices.User("ada", Roles.Admin);
        var instruments = session.Engine!.Book.Instruments;
        var efa = instruments.IndexOf("EFA");

        var forbidden = await actions.SplitInstrument(operatorUser, "EFA", "2", "2-for-1 split");
        var badRatio = await actions.SplitInstrument(admin, "EFA", "two", "2-for-1 split");
        var split = await actions.SplitInstrument(admin, "EFA", "2:1", "2-for-1 split");
        var rename = await actions.ChangeSymbol(admin, "VNQ", " VNQX ", "ticker change");
        var clash = await actions.ChangeSymbol(admin, "AGG", "VNQX", "typo");
        // With trades in flight in EFA the split waits for them: it applies in a later batch.
        for (var attempt = 0; attempt < 100 && instruments.SplitFactor(efa) != 2; attempt++)
        {
            await Task.Delay(100);
        }

        Assert.True(forbidden.Forbidden);
        Assert.False(badRatio.Done);
        Assert.Equal("split of EFA: the ratio expects a number or new:old (like 2 or 3:2), got 'two'", badRatio.Message);
        Assert.True(split.Done, split.Message);
        Assert.Equal(2.0, instruments.SplitFactor(efa));
        // The slicer's cap counts shares: a day's volume doubles with the shares.
        Assert.Equal(2 * session.Engine.AverageDailyVolumes[efa], session.Engine.SlicingVolume(efa));
        Assert.True(rename.Done, rename.Message);
        Assert.Equal("VNQX", instruments[instruments.IndexOf("VNQ")].Symbol);
        Assert.Equal("symbol change of AGG: VNQX is the ticker of instrument VNQ", clash.Message);

        await session.StopAsync(CancellationToken.None);
        var notifier = this.AddConsole(session);
        var authorization = AddAuthorization().SetAuthorized("ada").SetRoles(Roles.Admin).SetPolicies(Policies.View, Policies.Operate, Policies.Administer);
        await notifier.Publish(TestServices.Running());
        var page = Render<InstrumentsPage>();

        Assert.Equal("x2", page.Find("#instruments tr[data-instrument='EFA'] td.split-factor").TextContent);
        Assert.Equal("VNQX", page.Find("#instruments tr[data-instrument='VNQ'] td.symbol").TextContent);
        Assert.NotNull(page.Find("#apply-split"));

        authorization.SetRoles(Roles.Operator).SetPolicies(Policies.View, Policies.Operate);
        var operatorPage = Render<InstrumentsPage>();
        Assert.Empty(operatorPage.FindAll("#corporate-actions"));
        Assert.Equal(8, operatorPage.FindAll("#instruments tr[data-instrument]").Count);
        session.Dispose();
    }
}
