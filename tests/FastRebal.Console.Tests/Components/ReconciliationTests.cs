using System.Globalization;
using Bunit;
using FastRebal.Console.Components.Pages;
using FastRebal.Console.Security;

namespace FastRebal.Console.Tests.Components;

/// <summary>
/// The holdings sync in the console: an operator runs it on a file of the custodian folder, the Reconciliation page
/// and the account page list the breaks, and taking the custodian's figures clears the account's.
/// </summary>
public class ReconciliationTests : ComponentTest
{
    [Fact]
    public async Task A_sync_run_by_an_operator_shows_its_breaks_on_both_pages_and_accepting_them_clears_the_accounts()
    {
        var data = TestServices.TempDirectory();
        var custodian = Directory.CreateDirectory(Path.Combine(data, "custodian")).FullName;
        var session = await TestServices.StartedFirmSession(data);
        var book = session.Engine!.Book;
        var a = book.FindAccount("A-1004");
        // The custodian agrees on every position of A-1004 but shows 1,000 more cash; it lists no other account.
        var rows = new List<string> { "as_of,account_id,instrument_id,quantity" };
        for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
        {
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"2025-04-01,A-1004,{book.Instruments[book.InstrumentIndices[s]].Id},{(decimal)book.Quantities[s]}"));
        }
        var cash = decimal.Round((decimal)book.Cash[a], 2) + 1000m;
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"2025-04-01,A-1004,CASH,{cash}"));
        File.WriteAllLines(Path.Combine(custodian, "holdings-2025-04-01.csv"), rows);
        var actions = TestServices.Actions(session, data);
        var operatorUser = TestServices.User("olga", Roles.Operator);
        var viewerUser = TestServices.User("vera", Roles.Viewer);

        var outsider = await actions.RunHoldingsSync(operatorUser, "../firm.json", "end of day");
        var forbidden = await actions.RunHoldingsSync(viewerUser, "holdings-2025-04-01.csv", "end of day");
        var sync = await actions.RunHoldingsSync(operatorUser, "holdings-2025-04-01.csv", "end of day");

        Assert.False(outsider.Done);
        Assert.Contains("no file '../firm.json' in the custodian folder", outsider.Message, StringComparison.Ordinal);
        Assert.True(forbidden.Forbidden);
        Assert.True(sync.Done, sync.Message);
        Assert.Contains("holdings sync of holdings-2025-04-01.csv (as of 2025-04-01): 1 account(s) compared", sync.Message, StringComparison.Ordinal);

        var notifier = this.AddConsole(session);
        AddAuthorization().SetAuthorized("olga").SetRoles(Roles.Operator).SetPolicies(Policies.View, Policies.Operate);
        await notifier.Publish(TestServices.Running());
        var page = Render<ReconciliationPage>();
        var account = Render<AccountsPage>(p => p.Add(x => x.AccountId, "A-1004"));

        Assert.Contains("holdings-2025-04-01.csv", page.Find("#custodian-files").TextContent, StringComparison.Ordinal);
        Assert.Contains("1 account(s) compared", page.Find("#sync-summary").TextContent, StringComparison.Ordinal);
        Assert.Single(page.FindAll("#breaks tr[data-account='A-1004']"));
        Assert.Equal(11, page.FindAll("#breaks tr").Count(r => r.TextContent.Contains("AccountNotInFile", StringComparison.Ordinal)));
        var cashBreak = account.Find("#account-breaks tr[data-break='CashDiffers']");
        Assert.Contains("1,000", cashBreak.TextContent, StringComparison.Ordinal);
        Assert.NotNull(account.Find("#accept-custodian"));

        var accepted = await actions.AcceptCustodianHoldings(operatorUser, "A-1004", "custodian confirmed the interest");
        await session.StopAsync(CancellationToken.None);

        Assert.True(accepted.Done, accepted.Message);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"-> {cash:0.00}"), accepted.Message, StringComparison.Ordinal);
        await notifier.Publish(TestServices.Running());
        var after = Render<AccountsPage>(p => p.Add(x => x.AccountId, "A-1004"));
        Assert.Contains("no open break", after.Find("#account-reconciled").TextContent, StringComparison.Ordinal);
        session.Dispose();
    }
}
