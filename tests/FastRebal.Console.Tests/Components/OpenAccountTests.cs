using Bunit;
using FastRebal.Console.Components.Pages;
using FastRebal.Console.Security;

namespace FastRebal.Console.Tests.Components;

/// <summary>
/// Opening an account from the console: an admin opens one on a model under one of the firm's named policies, in one
/// of the rows Console:OpenCapacity keeps free; the rows still free are counted nowhere as accounts.
/// </summary>
public class OpenAccountTests : ComponentTest
{
    [Fact]
    public async Task An_admin_opens_an_account_that_is_invested_and_the_free_rows_are_no_accounts()
    {
        var data = TestServices.TempDirectory();
        var session = await TestServices.StartedFirmSession(data);
        var actions = TestServices.Actions(session, data);
        var operatorUser = TestServices.User("olga", Roles.Operator);
        var admin = TestServices.User("ada", Roles.Admin);
        var book = session.Engine!.Book;
        Assert.Equal((112, 12, 100), (book.AccountCount, book.OpenAccountCount, book.FreeRows));

        var forbidden = await actions.OpenAccount(operatorUser, "A-2001", null, "GROWTH-80", "IPS-STANDARD", 100_000m, "new client");
        var unknownPolicy = await actions.OpenAccount(admin, "A-2001", null, "GROWTH-80", "IPS-NONE", 100_000m, "new client");
        var taken = await actions.OpenAccount(admin, "A-1001", null, "GROWTH-80", "IPS-STANDARD", 100_000m, "new client");
        var open = await actions.OpenAccount(admin, "A-2001", "H-NEW", "GROWTH-80", "IPS-STANDARD", 100_000m, "new client");

        Assert.True(forbidden.Forbidden);
        Assert.Contains("no named policy 'IPS-NONE'", unknownPolicy.Message, StringComparison.Ordinal);
        Assert.Equal("open of A-1001: account A-1001 is in the book already", taken.Message);
        Assert.True(open.Done, open.Message);
        var a = book.FindAccount("A-2001");
        Assert.Equal(12, a);
        Assert.Equal((13, 99, "H-NEW"), (book.OpenAccountCount, book.FreeRows, book.HouseholdId(a)));
        // Its cash goes into the market at its first decision.
        for (var attempt = 0; attempt < 100 && book.Cash[a] > 50_000; attempt++)
        {
            await Task.Delay(100);
        }
        // Its drift went from nothing to all cash by opening, which must not trip its breaker.
        Assert.True(book.Cash[a] < 50_000, $"A-2001 still holds {book.Cash[a]} in cash; {session.Engine.Status().HaltedAccounts} account(s) halted");

        // The dashboard's figures count the accounts, not the rows still free.
        var live = FastRebal.Console.Live.LiveSnapshot.Take(session, null);
        Assert.Equal(13, live.BreachesByModel.Sum(m => m.Accounts));
        await session.StopAsync(CancellationToken.None);
        var notifier = this.AddConsole(session);
        AddAuthorization().SetAuthorized("ada").SetRoles(Roles.Admin).SetPolicies(Policies.View, Policies.Operate, Policies.Administer);
        await notifier.Publish(TestServices.Running());
        var accounts = Render<AccountsPage>();

        Assert.NotNull(accounts.Find("#apply-open"));
        Assert.Contains("99 of the rows kept free", accounts.Find("#open-account").TextContent, StringComparison.Ordinal);
        session.Dispose();
    }

    [Fact]
    public async Task An_admin_moves_an_account_to_a_model_it_has_no_place_for_and_it_moves_to_a_free_row()
    {
        var data = TestServices.TempDirectory();
        var session = await TestServices.StartedFirmSession(data);
        var actions = TestServices.Actions(session, data);
        var book = session.Engine!.Book;
        var before = book.FindAccount("A-1005");

        var forbidden = await actions.MoveToModel(TestServices.User("olga", Roles.Operator), "A-1005", "BALANCED-60", "more bonds");
        var unknown = await actions.MoveToModel(TestServices.User("ada", Roles.Admin), "A-1005", "NOPE", "more bonds");
        // The account may be trading when asked: a move waits for its trades, so wait until it has moved.
        var move = await actions.MoveToModel(TestServices.User("ada", Roles.Admin), "A-1005", "BALANCED-60", "more bonds");
        for (var attempt = 0; attempt < 100 && book.FindAccount("A-1005") == before; attempt++)
        {
            await Task.Delay(100);
        }

        Assert.True(forbidden.Forbidden);
        Assert.Equal("move of A-1005: unknown model 'NOPE'", unknown.Message);
        Assert.True(move.Done, move.Message);
        var after = book.FindAccount("A-1005");
        Assert.Equal(12, after);
        Assert.Equal("BALANCED-60", book.Models[book.ModelIndex(after)].Id);
        Assert.True(book.IsFreeRow(before));
        Assert.Equal((12, 99), (book.OpenAccountCount, book.FreeRows));

        await session.StopAsync(CancellationToken.None);
        var notifier = this.AddConsole(session);
        AddAuthorization().SetAuthorized("ada").SetRoles(Roles.Admin).SetPolicies(Policies.View, Policies.Operate, Policies.Administer);
        await notifier.Publish(TestServices.Running());
        var page = Render<AccountsPage>(p => p.Add(x => x.AccountId, "A-1005"));
        Assert.NotNull(page.Find("#apply-model-move"));
        Assert.Contains("IEF", page.Find("#holdings").TextContent, StringComparison.Ordinal);
        session.Dispose();
    }
}
