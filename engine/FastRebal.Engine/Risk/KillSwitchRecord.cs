using MemoryPack;

namespace FastRebal.Engine.Risk;

/// <summary>The kill switch's state as the journal and a checkpoint keep it.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class KillSwitchRecord
{
    [MemoryPackOrder(0)]
    public bool Engaged { get; set; }

    [MemoryPackOrder(1)]
    public string Who { get; set; } = "";

    [MemoryPackOrder(2)]
    public string Why { get; set; } = "";

    [MemoryPackOrder(3)]
    public DateTimeOffset At { get; set; }

    [MemoryPackOrder(4)]
    public long Sequence { get; set; }

    public static KillSwitchRecord From(KillSwitchState state) =>
        new() { Engaged = state.Engaged, Who = state.Who, Why = state.Why, At = state.At, Sequence = state.Sequence };

    public KillSwitchState ToState() => new(Engaged, Who, Why, At, Sequence);
}
