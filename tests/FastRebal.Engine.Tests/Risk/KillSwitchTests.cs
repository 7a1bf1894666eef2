using FastRebal.Engine.Risk;

namespace FastRebal.Engine.Tests.Risk;

public sealed class KillSwitchTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-kill-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void An_engaged_kill_switch_survives_a_restart_with_who_why_and_sequence()
    {
        var path = Path.Combine(directory, "kill-switch.json");
        var first = new KillSwitch(new FileKillSwitchStore(path));
        first.Engage("alice", "feed looks wrong", 42, new DateTimeOffset(2025, 6, 30, 14, 0, 0, TimeSpan.Zero));

        var restarted = new KillSwitch(new FileKillSwitchStore(path));

        Assert.True(restarted.IsEngaged);
        Assert.Equal(("alice", "feed looks wrong", 42L), (restarted.State.Who, restarted.State.Why, restarted.State.Sequence));

        restarted.Release("bob", "feed fixed", DateTimeOffset.UnixEpoch);
        Assert.False(new KillSwitch(new FileKillSwitchStore(path)).IsEngaged);
    }

    [Fact]
    public void A_missing_state_file_means_released()
    {
        Assert.False(new KillSwitch(new FileKillSwitchStore(Path.Combine(directory, "none.json"))).IsEngaged);
    }

    [Fact]
    public void An_unreadable_state_file_means_engaged_and_says_why()
    {
        var path = Path.Combine(directory, "kill-switch.json");
        File.WriteAllText(path, "{ not json");

        var killSwitch = new KillSwitch(new FileKillSwitchStore(path));

        Assert.True(killSwitch.IsEngaged);
        Assert.Contains("unreadable", killSwitch.State.Why);
    }

    [Fact]
    public void Engaging_and_releasing_need_who_and_why()
    {
        var killSwitch = new KillSwitch(new InMemoryKillSwitchStore());

        Assert.Throws<ArgumentException>(() => killSwitch.Engage(" ", "why", 1, DateTimeOffset.UnixEpoch));
        Assert.Throws<ArgumentException>(() => killSwitch.Engage("who", "", 1, DateTimeOffset.UnixEpoch));
        Assert.False(killSwitch.IsEngaged);
        killSwitch.Engage("who", "why", 1, DateTimeOffset.UnixEpoch);
        Assert.Throws<ArgumentException>(() => killSwitch.Release("who", "", DateTimeOffset.UnixEpoch));
        Assert.True(killSwitch.IsEngaged);
    }

    [Fact]
    public void Engaging_twice_keeps_the_first_reason_and_raises_one_change()
    {
        var killSwitch = new KillSwitch(new InMemoryKillSwitchStore());
        var changes = 0;
        killSwitch.Changed += _ => changes++;

        killSwitch.Engage("alice", "first", 1, DateTimeOffset.UnixEpoch);
        killSwitch.Engage("bob", "second", 2, DateTimeOffset.UnixEpoch);

        Assert.Equal("first", killSwitch.State.Why);
        Assert.Equal(1, changes);
    }
}
