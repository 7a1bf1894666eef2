using FastRebal.Console.Engine;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Model;
using FastRebal.Engine.Simulation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FastRebal.Console.Tests.Engine;

public class EngineSessionTests
{
    [Fact]
    public void Before_its_engine_exists_the_console_shows_the_kill_switch_as_its_file_keeps_it()
    {
        var directory = TestServices.TempDirectory();
        var engaged = new FastRebal.Engine.Risk.KillSwitchState(true, "olga", "runaway orders", DateTimeOffset.UtcNow, 7);
        new FastRebal.Engine.Risk.FileKillSwitchStore(TestServices.Settings(directory).Value.KillSwitchPath).Save(engaged);

        // Not started: the first page after a restart, while the firm loads.
        var session = TestServices.Session(directory);

        Assert.Equal(engaged, session.KillSwitch);
        Assert.Equal(engaged, FastRebal.Console.Live.LiveSnapshot.Take(session, null).KillSwitch);
        Assert.Equal(engaged, new FastRebal.Console.Live.LiveNotifier(session, NullLogger<FastRebal.Console.Live.LiveNotifier>.Instance).Current.KillSwitch);
        // No file: released.
        Assert.False(TestServices.Session(TestServices.TempDirectory()).KillSwitch.Engaged);
    }

    private static EngineSession Session(string directory, int rolloverMegabytes = 256, string feed = "random") => new(
        Options.Create(new EngineSettings { Accounts = 300, Positions = 10, Seed = 4 }),
        Options.Create(new FeedSettings { Kind = feed, TicksPerSecond = 500 }),
        Options.Create(new ConsoleSettings { DataDirectory = directory, AuditRolloverMegabytes = rolloverMegabytes }),
        NullLogger<EngineSession>.Instance);

    [Fact]
    public async Task The_session_runs_the_engine_with_its_audit_chain_blotter_and_kill_switch_in_the_data_directory()
    {
        var directory = TestServices.TempDirectory();
        var session = Session(directory);

        await session.StartAsync(CancellationToken.None);
        await session.Ready.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(EnginePhase.Running, session.Phase);
        Assert.Equal(300, session.Running.Book.AccountCount);
        // The realistic firm by default: four risk profiles over each of its lineups.
        Assert.Equal(4 * FirmGenerator.RealisticLineups, session.Running.Book.Models.Count);
        // Lots by default (Engine:Lots), kept for exactly the taxable accounts.
        var book = session.Running.Book;
        var lots = session.Running.Evaluation.Tax?.Lots;
        Assert.NotNull(lots);
        Assert.True(lots.Count > 0);
        Assert.All(Enumerable.Range(0, book.AccountCount), a => Assert.Equal(book.Policy(a).TaxStatus == TaxStatus.Taxable, lots.IsTracked(a)));
        session.Running.KillSwitch.Engage("olga", "session test", 0, DateTimeOffset.UtcNow);
        await session.StopAsync(CancellationToken.None);

        Assert.Equal(EnginePhase.Stopped, session.Phase);
        Assert.True(File.Exists(Path.Combine(directory, "blotter.csv")));
        Assert.Contains("session test", await File.ReadAllTextAsync(Path.Combine(directory, "killswitch.json")), StringComparison.Ordinal);
        var verification = FileAuditStore.VerifyFiles(Path.Combine(directory, "audit.jsonl"));
        Assert.True(verification.Intact, verification.Message);
        Assert.Contains(FileAuditStore.Read(Path.Combine(directory, "audit.jsonl")).Records, r => r.Entry.Rule == "KillSwitchEngaged" && r.Entry.Actor == "olga");
    }

    [Fact]
    public async Task Console_Firm_runs_the_firms_own_book_with_the_lots_and_policies_its_files_give()
    {
        var session = new EngineSession(
            Options.Create(new EngineSettings { Accounts = 300, Positions = 10, Seed = 4 }),
            Options.Create(new FeedSettings { Kind = "random", TicksPerSecond = 500 }),
            Options.Create(new ConsoleSettings { DataDirectory = TestServices.TempDirectory(), Firm = TestServices.ExampleFirm() }),
            NullLogger<EngineSession>.Instance);

        await session.StartAsync(CancellationToken.None);
        await session.Ready.WaitAsync(TimeSpan.FromSeconds(60));

        var book = session.Running.Book;
        // Twelve accounts, and the rows Console:OpenCapacity keeps free to open more in.
        Assert.Equal((12, 100), (book.OpenAccountCount, book.FreeRows));
        Assert.Equal("IPS-STANDARD", book.Policy(book.FindAccount("A-1001")).Id);
        var tax = session.Running.Evaluation.Tax!;
        Assert.Equal(9, tax.Lots.TrackedAccounts);
        Assert.Equal(FastRebal.Engine.Tax.LotMethod.HighestCost, tax.Settings(book.FindAccount("A-1004")).LotMethod);
        await session.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Console_AdvFile_gives_volumes_ahead_of_the_firms_own_and_the_engine_flags_what_is_left_on_Engine_DefaultAdv()
    {
        var adv = Path.Combine(TestServices.TempDirectory(), "adv.csv");
        // VTI's bad row and XYZ (not in the book) are logged and left out; the rest is used.
        await File.WriteAllTextAsync(adv, "instrument_id,average_daily_volume\nSPY,75000000\nVTI,many\nXYZ,5\n");
        var session = new EngineSession(
            Options.Create(new EngineSettings { DefaultAdv = 300_000m }),
            Options.Create(new FeedSettings { Kind = "random", TicksPerSecond = 500 }),
            Options.Create(new ConsoleSettings { DataDirectory = TestServices.TempDirectory(), Firm = TestServices.ExampleFirm(), AdvFile = adv }),
            NullLogger<EngineSession>.Instance);

        await session.StartAsync(CancellationToken.None);
        await session.Ready.WaitAsync(TimeSpan.FromSeconds(60));

        var volumes = session.Running.AverageDailyVolumes;
        var instruments = session.Running.Book.Instruments;
        Assert.Equal(75_000_000m, volumes[instruments.IndexOf("SPY")]);
        Assert.Equal(4_000_000m, volumes[instruments.IndexOf("VTI")]);
        Assert.Equal(300_000m, volumes[instruments.IndexOf("GLD")]);
        Assert.Equal(["GLD"], volumes.UsingDefault.Select(i => i.Id));
        await session.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_firm_that_cannot_be_loaded_fails_the_start_saying_why()
    {
        var session = new EngineSession(
            Options.Create(new EngineSettings()),
            Options.Create(new FeedSettings { Kind = "random" }),
            Options.Create(new ConsoleSettings { DataDirectory = TestServices.TempDirectory(), Firm = Path.Combine(TestServices.TempDirectory(), "no-such-firm") }),
            NullLogger<EngineSession>.Instance);

        await session.StartAsync(CancellationToken.None);
        await Assert.ThrowsAnyAsync<Exception>(() => session.Ready.WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(EnginePhase.Failed, session.Phase);
        Assert.Contains("no such firm folder or scenario file", session.Progress, StringComparison.Ordinal);
        await session.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_restarted_console_resumes_its_firm_from_the_state_folder_with_its_policy_edit_and_kill_switch_and_one_audit_chain()
    {
        var directory = TestServices.TempDirectory();
        var first = Session(directory);
        await first.StartAsync(CancellationToken.None);
        await first.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        var engine = first.Running;
        var account = engine.Book.AccountId(5);
        var edit = await engine.Control.Send(new FastRebal.Engine.Pipeline.EditPolicy("olga", "client asked for a wider band", account, null, p => p with { BandWidth = 0.17 }));
        Assert.True(edit.Applied, edit.Detail);
        var version = engine.Book.Policy(5).Version;
        engine.KillSwitch.Engage("olga", "restart test", engine.Evaluation.Sequence, DateTimeOffset.UtcNow);
        Assert.True(SpinWait.SpinUntil(() => engine.Status().TicksRead > 1000, TimeSpan.FromSeconds(30)));
        var ticks = engine.Status().TicksRead;
        var records = first.Chain!.LastSequence;
        await first.StopAsync(CancellationToken.None);
        Assert.True(Directory.EnumerateFileSystemEntries(Path.Combine(directory, "state")).Any());

        var second = Session(directory);
        await second.StartAsync(CancellationToken.None);
        await second.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        var resumed = second.Running;

        Assert.True(resumed.Durability!.Recovery!.Recovered);
        Assert.Equal(0.17, resumed.Book.Policy(5).BandWidth, 9);
        Assert.Equal(version, resumed.Book.Policy(5).Version);
        Assert.True(resumed.KillSwitch.IsEngaged);
        // The feed goes on after the ticks the first run read (500 a second: reading them again would take seconds).
        Assert.True(resumed.Durability.Recovery.FeedPosition >= ticks);
        Assert.True(SpinWait.SpinUntil(() => resumed.Status().TicksRead > ticks, TimeSpan.FromSeconds(10)));
        var added = second.Chain!.Append(AuditEntries.OperatorAction("Test", "olga", "after the restart", "a record of the second run"));
        await second.StopAsync(CancellationToken.None);
        // One chain: the second run's records follow the first run's in the same file.
        Assert.True(added.Sequence > records);
        var chain = FileAuditStore.Read(Path.Combine(directory, "audit.jsonl")).Records.ToList();
        Assert.Equal(1, chain[0].Sequence);
        Assert.Contains(chain, r => r.Hash == added.Hash);
        Assert.True(FileAuditStore.VerifyFiles(Path.Combine(directory, "audit.jsonl")).Intact);
    }

    [Theory]
    [InlineData("Accounts", "301")]
    [InlineData("Lots", "false")]
    public async Task A_start_with_another_firm_than_its_state_folder_holds_is_refused_naming_the_folder(string setting, string value)
    {
        var directory = TestServices.TempDirectory();
        var first = Session(directory);
        await first.StartAsync(CancellationToken.None);
        await first.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        await first.StopAsync(CancellationToken.None);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Accounts"] = "300", ["Engine:Positions"] = "10", ["Engine:Seed"] = "4", [$"Engine:{setting}"] = value,
        }).Build();
        var services = new ServiceCollection();
        services.Configure<EngineSettings>(configuration.GetSection(EngineSettings.Section));
        using var provider = services.BuildServiceProvider();
        var other = new EngineSession(
            provider.GetRequiredService<IOptions<EngineSettings>>(),
            Options.Create(new FeedSettings { Kind = "random", TicksPerSecond = 500 }),
            Options.Create(new ConsoleSettings { DataDirectory = directory }),
            NullLogger<EngineSession>.Instance);
        await other.StartAsync(CancellationToken.None);
        await Assert.ThrowsAnyAsync<Exception>(() => other.Ready.WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(EnginePhase.Failed, other.Phase);
        Assert.Contains(Path.Combine(directory, "state"), other.Progress, StringComparison.Ordinal);
        await other.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task An_audit_file_with_records_cut_from_its_end_stops_the_start_naming_the_file()
    {
        var directory = TestServices.TempDirectory();
        var live = Path.Combine(directory, "audit.jsonl");
        using (var previous = new AuditChain(FileAuditStore.Open(live).Store!))
        {
            previous.Append(AuditEntries.OperatorAction("Test", "ops", "earlier run", "one"));
            previous.Append(AuditEntries.OperatorAction("Test", "ops", "earlier run", "two"));
        }
        File.WriteAllLines(live, File.ReadAllLines(live)[..1]);
        var session = Session(directory);

        await session.StartAsync(CancellationToken.None);
        await Assert.ThrowsAnyAsync<Exception>(() => session.Ready.WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(EnginePhase.Failed, session.Phase);
        Assert.Contains(live, session.Progress, StringComparison.Ordinal);
        Assert.Contains("records 2 to 2 are missing from the end", session.Progress, StringComparison.Ordinal);
        await session.StopAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stop_drains_and_seals_within_seconds_with_the_kill_switch_engaged_or_just_released(bool release)
    {
        var directory = TestServices.TempDirectory();
        var session = Session(directory);
        await session.StartAsync(CancellationToken.None);
        await session.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        var engine = session.Running;
        engine.KillSwitch.Engage("olga", "stop test", engine.Evaluation.Sequence, DateTimeOffset.UtcNow);
        Assert.True(SpinWait.SpinUntil(() => engine.Status().TicksRead > 2000, TimeSpan.FromSeconds(30)));
        if (release)
        {
            // Released just before the stop: the orders it lets go are still on their way.
            engine.KillSwitch.Release("olga", "stop test over", DateTimeOffset.UtcNow);
        }

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await session.StopAsync(CancellationToken.None);

        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal(EnginePhase.Stopped, session.Phase);
        var audit = Path.Combine(directory, "audit.jsonl");
        Assert.True(FileAuditStore.VerifyFiles(audit).Intact);
        Assert.Equal(FileAuditStore.Read(audit).Records.Last().Sequence, FileAuditStore.ReadSeal(audit)!.Sequence);
    }

    [Theory]
    [InlineData("mid-checkpoint")]
    [InlineData("mid-batch")]
    public async Task A_stop_in_the_middle_of_a_checkpoint_or_of_a_busy_feeds_batches_drains_seals_and_the_next_start_resumes(string moment)
    {
        var directory = TestServices.TempDirectory();
        EngineSession Busy() => new(
            Options.Create(new EngineSettings { Accounts = 3000, Positions = 20, Seed = 4 }),
            Options.Create(new FeedSettings { Kind = "random", TicksPerSecond = 20_000, Volatility = 0.002 }),
            Options.Create(new ConsoleSettings { DataDirectory = directory }),
            NullLogger<EngineSession>.Instance);
        var session = Busy();
        await session.StartAsync(CancellationToken.None);
        await session.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        var engine = session.Running;
        Assert.True(SpinWait.SpinUntil(() => engine.Status().TicksRead > 20_000, TimeSpan.FromSeconds(30)));
        var checkpoint = moment == "mid-checkpoint" ? engine.Durability!.RequestCheckpoint() : Task.CompletedTask;

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await session.StopAsync(CancellationToken.None);

        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal(EnginePhase.Stopped, session.Phase);
        // A checkpoint cut short by the stop is either taken or refused; it never throws out of the stop.
        await Task.WhenAny(checkpoint, Task.Delay(TimeSpan.FromSeconds(10)));
        var audit = Path.Combine(directory, "audit.jsonl");
        Assert.True(FileAuditStore.VerifyFiles(audit).Intact);
        Assert.Equal(FileAuditStore.Read(audit).Records.Last().Sequence, FileAuditStore.ReadSeal(audit)!.Sequence);
        var sequence = engine.Evaluation.Sequence;

        var again = Busy();
        await again.StartAsync(CancellationToken.None);
        await again.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(again.Running.Evaluation.Sequence >= sequence, $"resumed at batch {again.Running.Evaluation.Sequence}, stopped at {sequence}");
        await again.StopAsync(CancellationToken.None);
        Assert.True(FileAuditStore.VerifyFiles(audit).Intact);
    }

    [Fact]
    public async Task With_Durable_off_every_start_makes_its_firm_afresh()
    {
        var directory = TestServices.TempDirectory();
        EngineSession Volatile() => new(
            Options.Create(new EngineSettings { Accounts = 300, Positions = 10, Seed = 4 }),
            Options.Create(new FeedSettings { Kind = "random", TicksPerSecond = 500 }),
            Options.Create(new ConsoleSettings { DataDirectory = directory, Durable = false }),
            NullLogger<EngineSession>.Instance);
        var first = Volatile();
        await first.StartAsync(CancellationToken.None);
        await first.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True((await first.Running.Control.Send(new FastRebal.Engine.Pipeline.EditPolicy("olga", "test", first.Running.Book.AccountId(5), null, p => p with { BandWidth = 0.17 }))).Applied);
        await first.StopAsync(CancellationToken.None);

        var second = Volatile();
        await second.StartAsync(CancellationToken.None);
        await second.Ready.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Null(second.Running.Durability);
        Assert.NotEqual(0.17, second.Running.Book.Policy(5).BandWidth, 9);
        Assert.False(Directory.Exists(Path.Combine(directory, "state")));
        await second.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_live_audit_file_over_the_limit_moves_to_an_archive_and_the_chain_goes_on_in_a_new_file_linked_to_it()
    {
        var directory = TestServices.TempDirectory();
        var live = Path.Combine(directory, "audit.jsonl");
        AuditRecord last;
        using (var previous = new AuditChain(FileAuditStore.Open(live).Store!))
        {
            previous.Append(AuditEntries.OperatorAction("Test", "ops", "earlier run", "one"));
            last = previous.Append(AuditEntries.OperatorAction("Test", "ops", "earlier run", "two"));
        }
        var session = Session(directory, rolloverMegabytes: 0);

        await session.StartAsync(CancellationToken.None);
        await session.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        // Once the engine runs, the sealed archive is compressed.
        await session.ArchivesCompressed.WaitAsync(TimeSpan.FromSeconds(60));
        await session.StopAsync(CancellationToken.None);

        Assert.Empty(Directory.GetFiles(directory, "audit-*.jsonl"));
        var archive = Assert.Single(Directory.GetFiles(directory, "audit-*.jsonl.gz"));
        Assert.True(FileAuditStore.VerifyFiles(archive).Intact);
        Assert.Equal(2, FileAuditStore.Read(archive).Records.Count());
        var first = FileAuditStore.Read(live).Records.First();
        // The same chain: the next number, linked to the archive's last record.
        Assert.Equal(3, first.Sequence);
        Assert.Equal(last.Hash, first.PreviousHash);
        Assert.Equal((AuditKind.Checkpoint, AuditSegments.RolloverRule), (first.Entry.Kind, first.Entry.Rule));
        // The opening record names the archive as it was made; compressed, it keeps that name with .gz added.
        Assert.Equal(Path.GetFileName(archive), first.Entry.Figure("archiveFile") + ".gz");
        Assert.True(FileAuditStore.VerifyFiles(live).Intact);
        Assert.True(FileAuditStore.VerifyFiles(archive, live).Intact);
    }

    [Fact]
    public async Task A_lots_setting_that_is_not_true_or_false_stops_the_engine_naming_the_setting_and_the_value()
    {
        // Bound as the console binds its configuration (Program.cs), so the value reaches the session as typed.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Engine:Accounts"] = "300", ["Engine:Lots"] = "yes" }).Build();
        var services = new ServiceCollection();
        services.Configure<EngineSettings>(configuration.GetSection(EngineSettings.Section));
        using var provider = services.BuildServiceProvider();
        var session = new EngineSession(
            provider.GetRequiredService<IOptions<EngineSettings>>(),
            Options.Create(new FeedSettings { Kind = "random" }),
            Options.Create(new ConsoleSettings { DataDirectory = TestServices.TempDirectory() }),
            NullLogger<EngineSession>.Instance);

        await session.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.Ready.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(EnginePhase.Failed, session.Phase);
        Assert.Contains("'Engine:Lots'", session.Progress, StringComparison.Ordinal);
        Assert.Contains("'yes'", session.Progress, StringComparison.Ordinal);
        await session.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Bad_settings_stop_the_engine_with_every_problem_named()
    {
        var session = new EngineSession(
            Options.Create(new EngineSettings { Accounts = 0, FirmShape = "Realistic", Lots = false, Harvest = true, DefaultAdv = 0 }),
            Options.Create(new FeedSettings { Kind = "tape" }),
            Options.Create(new ConsoleSettings { DataDirectory = TestServices.TempDirectory() }),
            NullLogger<EngineSession>.Instance);

        await session.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.Ready.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(EnginePhase.Failed, session.Phase);
        Assert.Contains("Engine:Accounts must be 1 to 5,000,000 (got 0)", session.Progress, StringComparison.Ordinal);
        Assert.Contains("Feed:Kind must be replay or random (got 'tape')", session.Progress, StringComparison.Ordinal);
        Assert.Contains("Engine:FirmShape must be uniform or realistic (got 'Realistic')", session.Progress, StringComparison.Ordinal);
        Assert.Contains("Engine:Harvest needs Engine:Lots", session.Progress, StringComparison.Ordinal);
        Assert.Contains("Engine:DefaultAdv must be positive (shares per day) and at most 1e12, got 0", session.Progress, StringComparison.Ordinal);
        await session.StopAsync(CancellationToken.None);
    }
}
