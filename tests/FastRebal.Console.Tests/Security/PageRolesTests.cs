using FastRebal.Console.Security;

namespace FastRebal.Console.Tests.Security;

public sealed class PageRolesTests
{
    [Theory]
    [InlineData("/users", Roles.Admin)]
    [InlineData("/USERS?tab=2", Roles.Admin)]
    [InlineData("/", Roles.Viewer)]
    [InlineData("/kill-switch", Roles.Viewer)]
    [InlineData("/instruments", Roles.Viewer)]
    [InlineData("/backtest", Roles.Viewer)]
    [InlineData("/accounts/A0000002", Roles.Viewer)]
    public void A_page_needs_the_least_role_its_policy_lets_in(string path, string role) => Assert.Equal(role, PageRoles.Needed(path));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("https://elsewhere.example/users")]
    [InlineData("/no-such-page")]
    [InlineData("/usersx")]
    // The sign-in page lets anyone in: it names no role.
    [InlineData("/login")]
    public void An_address_that_is_no_guarded_page_names_no_role(string? path) => Assert.Null(PageRoles.Needed(path));
}
