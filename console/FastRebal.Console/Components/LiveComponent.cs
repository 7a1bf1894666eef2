using FastRebal.Console.Live;
using Microsoft.AspNetCore.Components;

namespace FastRebal.Console.Components;

/// <summary>
/// A component that shows the live engine: it subscribes to the <see cref="LiveNotifier"/> when it starts, updates
/// through <see cref="ComponentBase.InvokeAsync(Func{Task})"/> on every snapshot (errors go to the renderer with
/// <see cref="ComponentBase.DispatchExceptionAsync"/>), and unsubscribes when it is disposed.
/// </summary>
public abstract class LiveComponent : ComponentBase, IDisposable
{
    private IDisposable? subscription;

    [Inject]
    protected LiveNotifier Notifier { get; set; } = default!;

    protected LiveSnapshot Snapshot { get; private set; } = default!;

    protected override void OnInitialized()
    {
        Snapshot = Notifier.Current;
        OnSnapshot(Snapshot);
        subscription = Notifier.Subscribe(OnUpdate);
    }

    /// <summary>Called on the component's dispatcher with each new snapshot, before it renders.</summary>
    protected virtual void OnSnapshot(LiveSnapshot snapshot)
    {
    }

    private Task OnUpdate(LiveSnapshot snapshot) => InvokeAsync(async () =>
    {
        try
        {
            Snapshot = snapshot;
            OnSnapshot(snapshot);
            StateHasChanged();
        }
        catch (Exception e)
        {
            await DispatchExceptionAsync(e);
        }
    });

    public void Dispose()
    {
        subscription?.Dispose();
        GC.SuppressFinalize(this);
    }
}
