using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace FastRebal.Console.Security;

/// <summary>Sign-in and sign-out as form posts (with antiforgery), and the cookie's link back to the users file.</summary>
public static class AccountEndpoints
{
    public const string StampClaim = "fastrebal:stamp";

    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/login", async ([FromForm] string? username, [FromForm] string? password, [FromForm] string? returnUrl, HttpContext context, UserStore users, ILogger<UserStore> logger) =>
        {
            var target = IsLocal(returnUrl) ? returnUrl! : "/";
            var user = users.Check(username ?? "", password ?? "");
            if (user is null)
            {
                logger.LogWarning("Failed sign-in for '{User}' from {Address}", username, context.Connection.RemoteIpAddress);
                // A pause per failure makes guessing slow without locking anyone out.
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                return Results.Redirect($"/login?error=1&returnUrl={Uri.EscapeDataString(target)}");
            }
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, Principal(user));
            logger.LogInformation("{User} signed in as {Role}", user.Name, user.Role);
            return Results.LocalRedirect(target);
        }).AllowAnonymous();

        app.MapPost("/account/logout", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        }).AllowAnonymous();
    }

    public static ClaimsPrincipal Principal(ConsoleUser user) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(StampClaim, user.Stamp)],
        CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>Whether the principal still matches the users file: same user, same role, same password (the stamp).</summary>
    public static bool IsCurrent(ClaimsPrincipal principal, UserStore users) =>
        principal.Identity?.Name is { } name
        && users.Find(name) is { } user
        && principal.IsInRole(user.Role)
        && principal.FindFirstValue(StampClaim) == user.Stamp;

    /// <summary>A cookie for a user removed, demoted or with a new password stops working at its next request.</summary>
    public static Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var users = context.HttpContext.RequestServices.GetRequiredService<UserStore>();
        if (context.Principal is not { } principal || !IsCurrent(principal, users))
        {
            context.RejectPrincipal();
            return context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
        return Task.CompletedTask;
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));
}
