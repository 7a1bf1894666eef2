using FastRebal.Engine.Ingestion;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Simulation;

namespace FastRebal.Engine.Tests.Persistence;

/// <summary>
/// A damaged state folder fails closed: recovery either rebuilds the exact state, or stops at the last good point,
/// names the damage and engages the kill switch. It never continues silently from a different state.
/// </summary>
public sealed class StateDamageTests : IDisposable
{
    private static readonly MarketHistory History = FirmGenerator.LoadHistory(5);
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-damage-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string State => Path.Combine(folder, "state");

    private string JournalFile => Path.Combine(State, "journal", "journal.log.0");

    private EngineHost Engine(double daysPerSecond = 0)
    {
        var firm = FirmGenerator.Generate(new FirmSpec(1200, 20, 5, AsOf: new DateOnly(2020, 1, 31)), History);
        return new(firm.Book, new ReplayFeed(firm.Book.Instruments, firm.History, firm.AsOf, new DateOnly(2020, 3, 31), sources: 3, daysPerSecond: daysPerSecond, noiseBps: 0),
            new BlotterFileSink(Path.Combine(folder, "blotter.csv")), new EngineOptions
            {
                Lockstep = true,
                Slicing = new SlicingPolicy { Interval = TimeSpan.Zero },
                Durability = new DurabilityOptions { Directory = State, CheckpointInterval = Timeout.InfiniteTimeSpan, CheckpointOnStop = false, CheckpointAfterOpening = false, CheckpointReplayBudget = TimeSpan.Zero },
            });
    }

    /// <summary>Runs the whole feed once, taking <paramref name="checkpoints"/> checkpoints on the way; returns the end state's digest and last batch.</summary>
    private async Task<(string Digest, long Sequence)> RunOnce(int checkpoints = 0)
    {
        // A checkpoint is cut between batches, so the feed must still be running when each is asked for: paced, the
        // two months last about eight seconds however fast the host (unpaced, a quick host finished them first).
        await using var engine = Engine(daysPerSecond: checkpoints > 0 ? 5 : 0);
        engine.Start();
        for (var i = 0; i < checkpoints; i++)
        {
            await engine.CheckpointAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(60));
        engine.Stop();
        return (engine.StateDigest(), engine.Evaluation.Sequence);
    }

    private async Task<(RecoveryReport Report, bool KillSwitchEngaged, string Digest)> Restart()
    {
        await using var engine = Engine();
        engine.Start();
        engine.Stop();
        return (engine.Durability!.Recovery!, engine.KillSwitch.IsEngaged, engine.StateDigest());
    }

    private static void Flip(string path, long offset, int count = 1)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        for (var i = 0; i < count; i++)
        {
            file.Position = offset + i;
            var b = file.ReadByte();
            file.Position = offset + i;
            file.WriteByte((byte)(b ^ 0x5A));
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 64)]
    public async Task A_flipped_byte_in_a_journal_entry_stops_recovery_at_the_last_good_batch_names_the_file_and_engages_the_kill_switch(int seed, int bytes)
    {
        var (_, sequence) = await RunOnce();
        long begin, end;
        using (var journal = new EngineJournal(Path.Combine(State, "journal")))
        {
            (begin, end) = (journal.BeginAddress, journal.CommittedUntil);
        }
        // Past the first tenth, so the damage lies after some batches: the state stops in the middle, not at the start.
        Flip(JournalFile, new Random(seed).NextInt64(begin + ((end - begin) / 10), end - bytes), bytes);

        var (report, engaged, _) = await Restart();

        Assert.NotNull(report.Damage);
        Assert.Contains("journal.log.0 at offset", report.Damage);
        Assert.Contains("The state is the last good one: batch", report.Damage);
        Assert.True(engaged, "the kill switch must be engaged after damage");
        Assert.True(report.LastSequence >= sequence, "batches after the damage are numbered after every batch the journal held");

        // The damage is behind the checkpoint the damaged start took: the next start resumes there, switch still engaged.
        var (again, stillEngaged, _) = await Restart();
        Assert.Null(again.Damage);
        Assert.NotNull(again.Checkpoint);
        Assert.True(stillEngaged);
    }

    [Fact]
    public async Task A_journal_that_lost_its_commit_record_is_set_aside_as_damage_never_taken_for_a_first_start()
    {
        await RunOnce(checkpoints: 1);
        Directory.Delete(Path.Combine(State, "journal", "log-commits"), recursive: true);
        var damaged = File.ReadAllBytes(JournalFile);

        var (report, engaged, _) = await Restart();

        Assert.NotNull(report.Damage);
        Assert.Contains("log-commits", report.Damage);
        Assert.True(engaged);
        Assert.NotNull(report.Checkpoint);
        var aside = Assert.Single(Directory.GetDirectories(Path.Combine(State, "damaged")));
        Assert.Equal(damaged, File.ReadAllBytes(Path.Combine(aside, "journal.log.0")));
    }

    [Fact]
    public async Task A_lost_commit_record_with_no_checkpoint_to_fall_back_on_refuses_to_start()
    {
        await RunOnce();
        Directory.Delete(Path.Combine(State, "journal", "log-commits"), recursive: true);

        await using var engine = Engine();
        var refusal = Assert.Throws<StateDamageException>(engine.Start);
        Assert.Contains("cannot be rebuilt", refusal.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // half-written: a crash before the catalog named it
    public async Task A_checkpoint_that_does_not_load_falls_back_to_an_older_one_exactly_and_is_removed(bool inCatalog)
    {
        var (digest, _) = await RunOnce(checkpoints: 2);
        List<CheckpointInfo> before;
        using (var store = new FasterStateStore<EngineImage>(Path.Combine(State, "state")))
        {
            before = [.. store.List()];
        }
        var newest = before[0];
        var snapshot = Directory.GetFiles(Path.Combine(State, "state", "checkpoints", "cpr-checkpoints", newest.Token.ToString()), "snapshot.dat.*").Single();
        Flip(snapshot, new FileInfo(snapshot).Length / 2, 16);
        if (!inCatalog)
        {
            var catalog = Path.Combine(State, "state", "checkpoints.json");
            File.WriteAllText(catalog, File.ReadAllText(catalog).Replace(newest.Token.ToString(), Guid.NewGuid().ToString()));
        }

        var (report, engaged, recoveredDigest) = await Restart();

        Assert.Null(report.Damage);
        Assert.False(engaged);
        Assert.Equal(before[1].Token, report.Checkpoint!.Token);
        Assert.Equal(digest, recoveredDigest);
        using var after = new FasterStateStore<EngineImage>(Path.Combine(State, "state"));
        Assert.DoesNotContain(after.List(), c => c.Token == newest.Token);
        Assert.False(Directory.Exists(Path.Combine(State, "state", "checkpoints", "cpr-checkpoints", newest.Token.ToString())));
    }

    [Fact]
    public async Task A_checkpoint_whose_writing_never_finished_is_told_from_its_files_and_an_older_one_recovers_exactly()
    {
        var (digest, _) = await RunOnce(checkpoints: 2);
        List<CheckpointInfo> before;
        using (var store = new FasterStateStore<EngineImage>(Path.Combine(State, "state")))
        {
            before = [.. store.List()];
        }
        var newest = before[0];
        // A kill while FASTER wrote it: its info.dat (written last) is missing, and the catalog never named it.
        File.Delete(Directory.GetFiles(Path.Combine(State, "state", "checkpoints", "cpr-checkpoints", newest.Token.ToString()), "info.dat*").Single());
        var catalog = Path.Combine(State, "state", "checkpoints.json");
        File.WriteAllText(catalog, File.ReadAllText(catalog).Replace(newest.Token.ToString(), Guid.NewGuid().ToString()));
        using (var store = new FasterStateStore<EngineImage>(Path.Combine(State, "state")))
        {
            var half = store.List().Single(c => c.Token == newest.Token);
            var refusal = Assert.Throws<InvalidDataException>(() => store.Load(half));
            Assert.Contains("its writing never finished", refusal.Message);
        }

        var (report, engaged, recoveredDigest) = await Restart();

        Assert.Null(report.Damage);
        Assert.False(engaged);
        Assert.Equal(before[1].Token, report.Checkpoint!.Token);
        Assert.Equal(digest, recoveredDigest);
        Assert.False(Directory.Exists(Path.Combine(State, "state", "checkpoints", "cpr-checkpoints", newest.Token.ToString())));
    }

    [Fact]
    public async Task A_catalog_that_does_not_read_or_lies_about_a_checkpoint_still_recovers_the_exact_state()
    {
        var (digest, _) = await RunOnce(checkpoints: 2);
        var catalog = Path.Combine(State, "state", "checkpoints.json");
        var text = File.ReadAllText(catalog);
        List<CheckpointInfo> listed;
        using (var store = new FasterStateStore<EngineImage>(Path.Combine(State, "state")))
        {
            listed = [.. store.List()];
        }

        File.WriteAllText(catalog, "{ not json");
        var (garbled, _, garbledDigest) = await Restart();
        Assert.Null(garbled.Damage);
        Assert.Equal(digest, garbledDigest);

        // Swapped batch numbers: each checkpoint's own record contradicts the catalog, so neither is trusted blindly.
        Assert.Equal(2, listed.Count);
        File.WriteAllText(catalog, text.Replace($"\"Sequence\":{listed[0].Sequence},", "\"Sequence\":X,").Replace($"\"Sequence\":{listed[1].Sequence},", $"\"Sequence\":{listed[0].Sequence},").Replace("\"Sequence\":X,", $"\"Sequence\":{listed[1].Sequence},"));
        var (lied, _, liedDigest) = await Restart();
        Assert.Null(lied.Damage);
        Assert.Equal(digest, liedDigest);
    }
}
