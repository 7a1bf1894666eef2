using System.Security.Claims;
using FastRebal.Console.Live;
using FastRebal.Console.Operations;
using FastRebal.Console.Security;
using FastRebal.Engine.Pipeline;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRebal.Console.Tests.Operations;

public class OperatorActionsTests
{
    private readonly UserStore users;
    private readonly OperatorActions actions;

    public OperatorActionsTests()
    {
        var directory = TestServices.TempDirectory();
        var session = TestServices.Session(directory);
        var authorization = new ServiceCollection().AddLogging().AddAuthorization(Policies.Add).BuildServiceProvider().GetRequiredService<IAuthorizationService>();
        users = TestServices.Users(directory);
        actions = new OperatorActions(session, authorization, new LiveNotifier(session, NullLogger<LiveNotifier>.Instance), users, NullLogger<OperatorActions>.Instance);
    }

    private static ClaimsPrincipal User(string name, string role) => TestServices.User(name, role);

    [Fact]
    public async Task A_viewer_is_refused_every_operator_action_on_the_server_whatever_the_page_showed()
    {
        var viewer = User("vera", Roles.Viewer);

        var outcomes = new[]
        {
            await actions.EngageKillSwitch(viewer, "trying"),
            await actions.ReleaseKillSwitch(viewer, "trying"),
            await actions.ReleaseBreaker(viewer, BreakerKind.MarketWide, null, "trying"),
            await actions.DecideApproval(viewer, "A0000001", true, "trying"),
        };

        Assert.All(outcomes, o => Assert.True(o.Forbidden));
        Assert.All(outcomes, o => Assert.Contains("vera may not", o.Message, StringComparison.Ordinal));
        Assert.Contains("needs the operator role", outcomes[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policies_and_users_need_the_admin_role_and_an_anonymous_caller_nothing_at_all()
    {
        var operatorUser = User("olga", Roles.Operator);

        var policy = await actions.ChangePolicy(operatorUser, new PolicyForm { Target = "BALANCED" }, "trying");
        var close = await actions.CloseAccount(operatorUser, "A0000001", "trying");
        var preview = (await actions.PreviewPolicy(operatorUser, new PolicyForm { Target = "BALANCED" })).Outcome;
        var user = await actions.AddUser(operatorUser, "eve", Roles.Admin, "a long enough password", "trying");
        var anonymous = await actions.EngageKillSwitch(new ClaimsPrincipal(new ClaimsIdentity()), "trying");

        Assert.True(policy.Forbidden);
        Assert.Contains("needs the admin role", policy.Message, StringComparison.Ordinal);
        Assert.True(close.Forbidden);
        Assert.Contains("olga may not close an account: it needs the admin role", close.Message, StringComparison.Ordinal);
        Assert.True(preview.Forbidden);
        Assert.True(user.Forbidden);
        Assert.Null(users.Find("eve"));
        Assert.True(anonymous.Forbidden);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task An_operator_must_give_a_reason(string? reason)
    {
        var outcome = await actions.EngageKillSwitch(User("olga", Roles.Operator), reason);

        Assert.False(outcome.Done);
        Assert.False(outcome.Forbidden);
        Assert.Contains("give a reason", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reason_longer_than_the_limit_is_refused_with_its_length()
    {
        var outcome = await actions.EngageKillSwitch(User("olga", Roles.Operator), new string('x', OperatorActions.MaxReasonLength + 1));

        Assert.Contains($"{OperatorActions.MaxReasonLength + 1} characters", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Before_the_engine_runs_an_allowed_action_says_so_and_an_admin_still_manages_users()
    {
        var admin = User("ada", Roles.Admin);

        var engage = await actions.EngageKillSwitch(admin, "venue outage");
        var added = await actions.AddUser(admin, "nightshift", Roles.Operator, "a long enough password", "night cover");

        Assert.Contains("not running yet", engage.Message, StringComparison.Ordinal);
        Assert.True(added.Done, added.Message);
        Assert.Equal(Roles.Operator, users.Find("nightshift")?.Role);
    }
}
