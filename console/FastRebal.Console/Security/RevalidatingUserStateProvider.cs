using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace FastRebal.Console.Security;

/// <summary>
/// A Blazor circuit lives for as long as the tab is open; this checks every minute that its user still exists with the
/// same role and password, so removing or demoting someone reaches the pages they already have open.
/// </summary>
public sealed class RevalidatingUserStateProvider(ILoggerFactory loggerFactory, UserStore users) : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        Task.FromResult(AccountEndpoints.IsCurrent(authenticationState.User, users));
}
