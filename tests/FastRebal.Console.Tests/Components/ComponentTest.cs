using Bunit;

namespace FastRebal.Console.Tests.Components;

/// <summary>
/// A bUnit context disposed asynchronously: MudBlazor's services are only IAsyncDisposable, and xunit 2 calls
/// DisposeAsync through IAsyncLifetime.
/// </summary>
public abstract class ComponentTest : BunitContext, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();
}
