using FastRebal.Console.Backtesting;
using FastRebal.Console.Components;
using FastRebal.Console.Engine;
using FastRebal.Console.Live;
using FastRebal.Console.Operations;
using FastRebal.Console.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
{
    // Localhost only unless configured otherwise, even when appsettings.json is not beside the working directory.
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}
// MudBlazor's files are served from its package in a build and from wwwroot in a publish: both work in any environment.
builder.WebHost.UseStaticWebAssets();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

builder.Services.Configure<EngineSettings>(builder.Configuration.GetSection(EngineSettings.Section));
builder.Services.Configure<FeedSettings>(builder.Configuration.GetSection(FeedSettings.Section));
builder.Services.Configure<ConsoleSettings>(builder.Configuration.GetSection(ConsoleSettings.Section));

// The engine runs in this process: one firm, one book, shared by every page.
builder.Services.AddSingleton<EngineSession>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<EngineSession>());
builder.Services.AddSingleton<FastRebal.Console.AuditTrail.MarketDays>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<FastRebal.Console.AuditTrail.MarketDays>());
builder.Services.AddSingleton<FastRebal.Console.Kpi.KpiRecorder>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<FastRebal.Console.Kpi.KpiRecorder>());
builder.Services.AddSingleton<LiveNotifier>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveNotifier>());
builder.Services.AddSingleton<OperatorActions>();
builder.Services.AddSingleton<UserStore>();
// Backtests read the market history once and share it; each has its own book, never the engine's.
builder.Services.AddSingleton<BacktestService>();

// Sign-in cookies are protected by keys kept with the console's other files, so they survive a restart.
var consoleSettings = builder.Configuration.GetSection(ConsoleSettings.Section).Get<ConsoleSettings>() ?? new ConsoleSettings();
builder.Services.AddDataProtection()
    .SetApplicationName("FastRebal.Console")
    .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(consoleSettings.FullDataDirectory, "keys")));

builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
    .AddCookie(options =>
    {
        options.LoginPath = "/login";
        options.LogoutPath = "/account/logout";
        options.AccessDeniedPath = "/denied";
        options.Cookie.Name = "fastrebal.auth";
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Strict;
        options.ExpireTimeSpan = TimeSpan.FromHours(8);
        options.SlidingExpiration = true;
        options.Events.OnValidatePrincipal = AccountEndpoints.ValidatePrincipal;
        // An API call gets a status code, not the sign-in page.
        options.Events.OnRedirectToLogin = context => Reject(context, StatusCodes.Status401Unauthorized);
        options.Events.OnRedirectToAccessDenied = context => Reject(context, StatusCodes.Status403Forbidden);
    });
builder.Services.AddAuthorization(Policies.Add);
builder.Services.AddCascadingAuthenticationState();
builder.Services.AddScoped<AuthenticationStateProvider, RevalidatingUserStateProvider>();

var app = builder.Build();
var firstAdmin = app.Services.GetRequiredService<UserStore>().EnsureAdmin();
if (firstAdmin is not null)
{
    var separator = firstAdmin.IndexOf(':', StringComparison.Ordinal);
    // Shown once: only its hash is stored. Whoever reads this log can sign in, so it goes to the console log only.
    app.Logger.LogWarning("First run: created the admin user '{User}' with password {Password} (only its hash is kept; sign in, then on the Users page add named admins and remove this one, or reset its password)",
        firstAdmin[..separator], firstAdmin[(separator + 1)..]);
}

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}
// A page request that ends in a bare status (an address with no page) gets a page saying so; the API keeps its bare codes.
app.UseWhen(context => !IsApi(context.Request.Path), branch => branch.UseStatusCodePagesWithReExecute("/status/{0}"));
// Routing after it, so the status page's request is routed afresh to its page.
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets().AllowAnonymous();
app.MapAccountEndpoints();
app.MapOperatorEndpoints();
app.MapBacktestEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

static Task Reject(RedirectContext<CookieAuthenticationOptions> context, int status)
{
    if (IsApi(context.Request.Path))
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
    context.Response.Redirect(context.RedirectUri);
    return Task.CompletedTask;
}

// Called by scripts and downloads, not browsed: answered with status codes, never a page.
static bool IsApi(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/audit/report") || path.StartsWithSegments("/audit/segment")
    || path.StartsWithSegments(BacktestEndpoints.Prefix);
