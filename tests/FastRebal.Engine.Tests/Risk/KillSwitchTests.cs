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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_state_file_with_any_byte_flipped_reads_as_it_was_written_or_as_engaged_never_as_released(bool engaged)
    {
        var path = Path.Combine(directory, "kill-switch.json");
        var written = new KillSwitchState(engaged, "alice", "feed looks wrong", new DateTimeOffset(2025, 6, 30, 14, 0, 0, TimeSpan.Zero), 42);
        new FileKillSwitchStore(path).Save(written);
        var original = File.ReadAllBytes(path);
        var random = new Random(20261206);

        // Every offset, with a one-bit, a letter-case, an all-bits and a random mask: the file is small.
        for (var offset = 0; offset < original.Length; offset++)
        {
            foreach (var mask in new byte[] { 0x01, 0x20, 0xFF, (byte)random.Next(1, 256) })
            {
                var bytes = (byte[])original.Clone();
                bytes[offset] ^= mask;
                File.WriteAllBytes(path, bytes);

                var read = new FileKillSwitchStore(path).Load();

                var damage = $"byte {offset} ('{(char)original[offset]}') XORed with 0x{mask:X2}: read {read}";
                Assert.True(read == written || (read.Engaged && read.Why.Contains(path, StringComparison.Ordinal) && read.Why.Contains("unreadable", StringComparison.Ordinal)), damage);
            }
        }
    }

    [Fact]
    public void A_state_file_written_before_it_carried_a_checksum_still_reads()
    {
        var path = Path.Combine(directory, "kill-switch.json");
        File.WriteAllText(path, """{"Engaged":true,"Who":"alice","Why":"feed looks wrong","At":"2025-06-30T14:00:00+00:00","Sequence":42}""");

        var read = new FileKillSwitchStore(path).Load();

        Assert.Equal(new KillSwitchState(true, "alice", "feed looks wrong", new DateTimeOffset(2025, 6, 30, 14, 0, 0, TimeSpan.Zero), 42), read);
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
