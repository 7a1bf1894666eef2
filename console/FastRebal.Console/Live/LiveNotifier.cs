using FastRebal.Console.Engine;

namespace FastRebal.Console.Live;

/// <summary>
/// The one place the console watches the engine: a snapshot every second (and at once when the kill switch moves),
/// pushed to every subscribed component. Components subscribe when they initialise, update through their own
/// <c>InvokeAsync</c>, and dispose the subscription when they go.
/// </summary>
public sealed class LiveNotifier(EngineSession session, ILogger<LiveNotifier> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly Lock gate = new();
    private readonly SemaphoreSlim wake = new(0);
    private List<Func<LiveSnapshot, Task>> subscribers = [];
    private volatile LiveSnapshot current = LiveSnapshot.Starting(EnginePhase.Starting, "starting", session.KillSwitch);

    /// <summary>The latest snapshot (what a component shows before its first push).</summary>
    public LiveSnapshot Current => current;

    /// <summary>Calls <paramref name="onUpdate"/> with every new snapshot until the returned handle is disposed.</summary>
    public IDisposable Subscribe(Func<LiveSnapshot, Task> onUpdate)
    {
        lock (gate)
        {
            subscribers = [.. subscribers, onUpdate];
        }
        return new Subscription(this, onUpdate);
    }

    private void Unsubscribe(Func<LiveSnapshot, Task> onUpdate)
    {
        lock (gate)
        {
            subscribers = [.. subscribers.Where(s => s != onUpdate)];
        }
    }

    /// <summary>Subscribed components (a component that forgot to unsubscribe shows up here).</summary>
    public int SubscriberCount
    {
        get
        {
            lock (gate)
            {
                return subscribers.Count;
            }
        }
    }

    /// <summary>Makes <paramref name="snapshot"/> current and pushes it to every subscriber.</summary>
    public Task Publish(LiveSnapshot snapshot)
    {
        current = snapshot;
        List<Func<LiveSnapshot, Task>> targets;
        lock (gate)
        {
            targets = subscribers;
        }
        return Task.WhenAll(targets.Select(t => Deliver(t, snapshot)));
    }

    /// <summary>Takes a snapshot now instead of at the next tick (after an operator's action).</summary>
    public void RefreshSoon() => wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var hooked = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!hooked && session.Engine is { } engine)
            {
                engine.KillSwitch.Changed += _ => RefreshSoon();
                hooked = true;
            }
            try
            {
                var snapshot = await Task.Run(() => LiveSnapshot.Take(session, current), stoppingToken).ConfigureAwait(false);
                await Publish(snapshot).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Taking the engine snapshot failed");
            }
            try
            {
                await wake.WaitAsync(Period, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task Deliver(Func<LiveSnapshot, Task> target, LiveSnapshot snapshot)
    {
        try
        {
            await target(snapshot).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // One broken circuit must not stop the others' updates; the component reports its own errors.
            logger.LogWarning(e, "A live update could not be delivered");
        }
    }

    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
    }

    private sealed class Subscription(LiveNotifier notifier, Func<LiveSnapshot, Task> onUpdate) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                notifier.Unsubscribe(onUpdate);
            }
        }
    }
}
