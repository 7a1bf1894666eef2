using Bunit;
using FastRebal.Console.Components.Pages;
using FastRebal.Console.Security;

namespace FastRebal.Console.Tests.Components;

/// <summary>The account page says what cash flow an account still waits on: a withdrawal its holdings cannot cover stays pending.</summary>
public class PendingFlowTests : ComponentTest
{
    [Fact]
    public async Task An_account_page_shows_a_withdrawal_still_waiting_to_be_raised_and_none_where_nothing_waits()
    {
        var firm = Directory.CreateDirectory(Path.Combine(TestServices.TempDirectory(), "firm")).FullName;
        foreach (var path in Directory.GetFiles(TestServices.ExampleFirm()))
        {
            File.Copy(path, Path.Combine(firm, Path.GetFileName(path)));
        }
        // Far more than the account holds: the withdrawal is blocked and stays pending.
        File.WriteAllText(Path.Combine(firm, "cash_flows.csv"), "account_id,kind,amount\nA-1005,withdrawal,5000000\n");
        var session = await TestServices.StartedFirmSession(TestServices.TempDirectory(), firm, ticksPerSecond: 200);
        await session.StopAsync(CancellationToken.None);
        var book = session.Engine!.Book;
        Assert.Equal(-5_000_000m, session.Engine.Evaluation.PendingFlow(book.FindAccount("A-1005")));

        var notifier = this.AddConsole(session);
        AddAuthorization().SetAuthorized("vera").SetRoles(Roles.Viewer);
        await notifier.Publish(TestServices.Running());
        var waiting = Render<AccountsPage>(p => p.Add(x => x.AccountId, "A-1005"));
        var none = Render<AccountsPage>(p => p.Add(x => x.AccountId, "A-1004"));

        Assert.Equal("Pending cash flow: 5,000,000.00 out (withdrawals and fees), waiting to be raised from its holdings", waiting.Find("#account-pending-flow").TextContent.Trim());
        Assert.Empty(none.FindAll("#account-pending-flow"));
        session.Dispose();
    }
}
