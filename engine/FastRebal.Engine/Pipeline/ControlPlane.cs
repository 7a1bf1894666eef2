using System.Threading.Channels;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// The queue commands wait in until the evaluation stage reaches the end of a batch. Unbounded because commands come
/// from people and hosts, a few a second, and a refused enqueue would lose an operator's action; the reader only
/// ever calls <c>TryRead</c> (never a cancelled <c>ReadAsync</c>, see dotnet/runtime #132094), between batches.
/// </summary>
public sealed class ControlPlane
{
    private readonly Channel<ControlCommand> channel = Channel.CreateUnbounded<ControlCommand>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues a command; await its <see cref="ControlCommand.Completion"/> for the outcome.</summary>
    public Task<CommandResult> Send(ControlCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (string.IsNullOrWhiteSpace(command.Who) || string.IsNullOrWhiteSpace(command.Why))
        {
            throw new ArgumentException("a command needs who sent it and why", nameof(command));
        }
        Interlocked.Increment(ref pending);
        if (!channel.Writer.TryWrite(command))
        {
            Interlocked.Decrement(ref pending);
            command.Complete(CommandResult.Refused("the engine is stopped"));
        }
        return command.Completion;
    }

    /// <summary>Commands waiting to be applied.</summary>
    public int Pending => Volatile.Read(ref pending);

    private int pending;

    internal bool TryTake(out ControlCommand command)
    {
        if (channel.Reader.TryRead(out command!))
        {
            Interlocked.Decrement(ref pending);
            return true;
        }
        return false;
    }

    /// <summary>Refuses everything still queued and everything sent from now on.</summary>
    internal void Close()
    {
        channel.Writer.TryComplete();
        while (TryTake(out var command))
        {
            command.Complete(CommandResult.Refused("the engine stopped before applying it"));
        }
    }
}
