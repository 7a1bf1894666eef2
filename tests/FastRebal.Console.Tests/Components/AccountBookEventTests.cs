using Bunit;
using FastRebal.Console.Components.Pages;
using FastRebal.Console.Security;
using FastRebal.Engine.Model;

namespace FastRebal.Console.Tests.Components;

/// <summary>
/// Book events from the console: an operator applies a cash flow to an account and an admin moves it to another of
/// the firm's named policies, each with a reason, through the engine's control plane.
/// </summary>
public class AccountBookEventTests : ComponentTest
{
    [Fact]
    public async Task An_operator_applies_a_cash_flow_and_an_admin_moves_an_account_to_another_IPS_of_the_firm()
    {
        var data = TestServices.TempDirectory();
        var session = await TestServices.StartedFirmSession(data);
        var actions = TestServices.Actions(session, data);
        var operatorUser = TestServices.User("olga", Roles.Operator);
        var admin = TestServices.User("ada", Roles.Admin);

        var deposit = await actions.ApplyCashFlow(operatorUser, "A-1004", CashFlowKind.Deposit, 1000m, "client deposit");
        var zero = await actions.ApplyCashFlow(operatorUser, "A-1004", CashFlowKind.Deposit, 0m, "client deposit");
        var dividend = await actions.ApplyCashFlow(operatorUser, "A-1004", CashFlowKind.Dividend, 25m, "paid out in cash", keepAsCash: true);
        var depositKept = await actions.ApplyCashFlow(operatorUser, "A-1004", CashFlowKind.Deposit, 25m, "not income", keepAsCash: true);
        var operatorMove = await actions.MoveToPolicy(operatorUser, "A-1003", "IPS-TIGHT", "client asked");
        var unknown = await actions.MoveToPolicy(admin, "A-1003", "IPS-NONE", "client asked");
        // The account may be trading when asked: a move waits for its trades, so it is asked again until they are done.
        var move = await actions.MoveToPolicy(admin, "A-1003", "IPS-TIGHT", "client asked for a tighter band");
        for (var attempt = 0; attempt < 50 && !move.Done && move.Message.Contains("trades", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(100);
            move = await actions.MoveToPolicy(admin, "A-1003", "IPS-TIGHT", "client asked for a tighter band");
        }

        Assert.True(deposit.Done, deposit.Message);
        Assert.Contains("Deposit of 1000.00 queued for A-1004", deposit.Message, StringComparison.Ordinal);
        Assert.False(zero.Done);
        Assert.True(dividend.Done, dividend.Message);
        Assert.Contains("Dividend of 25.00 kept as cash in A-1004", dividend.Message, StringComparison.Ordinal);
        Assert.False(depositKept.Done);
        Assert.Contains("only a dividend or interest can be kept as cash", depositKept.Message, StringComparison.Ordinal);
        Assert.True(operatorMove.Forbidden);
        Assert.Contains("no named policy 'IPS-NONE'", unknown.Message, StringComparison.Ordinal);
        Assert.True(move.Done, move.Message);
        Assert.Contains("moved from policy 'IPS-STANDARD'", move.Message, StringComparison.Ordinal);
        var book = session.Engine!.Book;
        Assert.Equal("IPS-TIGHT", book.Policy(book.FindAccount("A-1003")).Id);

        await session.StopAsync(CancellationToken.None);
        var notifier = this.AddConsole(session);
        AddAuthorization().SetAuthorized("olga").SetRoles(Roles.Operator).SetPolicies(Policies.View, Policies.Operate);
        await notifier.Publish(TestServices.Running());
        var page = Render<AccountsPage>(p => p.Add(x => x.AccountId, "A-1004"));
        Assert.NotNull(page.Find("#apply-flow"));
        Assert.Empty(page.FindAll("#apply-move"));
        session.Dispose();
    }
}
