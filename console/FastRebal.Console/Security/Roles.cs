using Microsoft.AspNetCore.Authorization;

namespace FastRebal.Console.Security;

/// <summary>
/// The three roles, each including the one before: a viewer reads; an operator also engages and releases the kill
/// switch, releases breakers and decides approvals; an admin also edits policies and manages users.
/// </summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Admin];

    public static bool IsKnown(string role) => All.Contains(role);
}

/// <summary>The authorization policies pages and server-side actions name.</summary>
public static class Policies
{
    public const string View = "View";
    public const string Operate = "Operate";
    public const string Administer = "Administer";

    public static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(View, p => p.RequireAuthenticatedUser().RequireRole(Roles.Viewer, Roles.Operator, Roles.Admin));
        options.AddPolicy(Operate, p => p.RequireAuthenticatedUser().RequireRole(Roles.Operator, Roles.Admin));
        options.AddPolicy(Administer, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        // Anything not marked otherwise needs a signed-in user with a role.
        options.FallbackPolicy = options.GetPolicy(View);
    }
}
