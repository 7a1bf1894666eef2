using FastRebal.Console.Components;
using FastRebal.Console.Services;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
// The engine runs in this process: one firm, one book, shared by every page.
builder.Services.AddSingleton<EngineSession>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<EngineSession>());

var app = builder.Build();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();
