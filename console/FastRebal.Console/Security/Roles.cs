using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;

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

    /// <summary>The least role a policy lets in (the roles include the ones before them).</summary>
    public static string LeastRole(string policy) => policy switch
    {
        Operate => Roles.Operator,
        Administer => Roles.Admin,
        _ => Roles.Viewer,
    };
}

/// <summary>The role each page needs, read from the pages' own route and authorization attributes.</summary>
public static class PageRoles
{
    // Each route's fixed beginning (up to its first parameter) and the policy its page names; the longest first.
    private static readonly (string Prefix, string Policy)[] Pages =
    [
        .. typeof(PageRoles).Assembly.GetTypes()
            .SelectMany(page => page.GetCustomAttributes<RouteAttribute>().Select(route => (Route: route.Template, page.GetCustomAttribute<AuthorizeAttribute>()?.Policy)))
            .Where(page => page.Policy is not null)
            .Select(page => (Prefix: page.Route.Split('{')[0].TrimEnd('/'), Policy: page.Policy!))
            .OrderByDescending(page => page.Prefix.Length),
    ];

    /// <summary>The least role that may open the page at <paramref name="path"/> (a local path, query allowed), or null for no known page.</summary>
    public static string? Needed(string? path)
    {
        if (path is null || !path.StartsWith('/'))
        {
            return null;
        }
        var bare = path.Split('?', '#')[0].TrimEnd('/');
        foreach (var (prefix, policy) in Pages)
        {
            // Routes match without regard to case, as the router matches them.
            if (string.Equals(bare, prefix, StringComparison.OrdinalIgnoreCase) || (prefix.Length > 0 && bare.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase)))
            {
                return Policies.LeastRole(policy);
            }
        }
        return null;
    }
}
