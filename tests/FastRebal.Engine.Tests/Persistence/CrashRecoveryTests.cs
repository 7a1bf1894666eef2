namespace FastRebal.Engine.Tests.Persistence;

/// <summary>
/// The durable engine killed at the worst moments: the run that recovers must end in the same state, with the same
/// order stream, as a run that was never killed — no order lost, none sent twice. Lockstep replay of real history
/// makes the uninterrupted run repeatable, so "the same" means byte for byte.
/// </summary>
[Collection(ChildProcesses.Name)]
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-crash-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly Lazy<(string Digest, string[] Blotter)> Reference = new(() => NeverKilled(ChildRun.Firm));

    private static readonly Lazy<(string Digest, string[] Blotter)> RealisticReference = new(() => NeverKilled(ChildRun.RealisticFirm));

    private static (string Digest, string[] Blotter) NeverKilled(string[] firm)
    {
        var dir = Directory.CreateTempSubdirectory("fastrebal-reference-").FullName;
        try
        {
            var blotter = Path.Combine(dir, "blotter.csv");
            var run = ChildRun.Run([.. firm, "--blotter", blotter]);
            Assert.Equal(0, run.ExitCode);
            return (run.Digest, File.ReadAllLines(blotter));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private string[] Durable(string name, params string[] extra) => DurableOf(ChildRun.Firm, name, extra);

    private string[] DurableOf(string[] firm, string name, params string[] extra) =>
        [.. firm, "--blotter", Path.Combine(folder, name + ".csv"), "--state", Path.Combine(folder, name), .. extra];

    /// <summary>Runs <paramref name="run"/> durably until it dies at <paramref name="crashAt"/>, then again to its end, which must recover.</summary>
    private ChildRun.Result KilledAtThenRecovered(string[] run, string name, string crashAt)
    {
        var crashed = ChildRun.Run(DurableOf(run, name, "--checkpoint-interval", "00:00:00.1"), crashAt: crashAt);
        Assert.True(crashed.Killed, $"the run should have died at {crashAt}:\n{crashed.Output}");
        var finished = ChildRun.Run(DurableOf(run, name));
        Assert.Contains("recovery:", finished.Output);
        return finished;
    }

    private void AssertSameAsNeverKilled(string name, ChildRun.Result finished, IReadOnlySet<string>? faultCancels = null) =>
        AssertSameAs(Reference.Value, name, finished, faultCancels);

    private void AssertSameAs((string Digest, string[] Blotter) reference, string name, ChildRun.Result finished, IReadOnlySet<string>? faultCancels = null)
    {
        Assert.Equal(0, finished.ExitCode);
        var blotter = File.ReadAllLines(Path.Combine(folder, name + ".csv")).Where(l => faultCancels?.Contains(l) != true).ToArray();
        Assert.Equal(reference.Blotter.Length, blotter.Length);
        Assert.Equal(reference.Blotter, blotter);
        var sent = blotter.Where(l => l.StartsWith("new,", StringComparison.Ordinal)).Select(l => l.Split(',')[1]).ToList();
        Assert.Equal(sent.Count, sent.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(reference.Digest, finished.Digest);
    }

    [Theory]
    [InlineData("journal-appended:45")] // a batch on disk, nothing of it applied
    [InlineData("sweep:5")] // half of a full sweep decided, its first orders already sent
    [InlineData("checkpoint:2")] // half of a checkpoint's chunks in the store
    [InlineData("order-sent:1500")] // an order in the blotter, its fill not yet recorded
    public void A_run_killed_at_a_crash_point_recovers_to_the_state_and_orders_of_a_run_never_killed(string crashAt)
    {
        var name = crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(ChildRun.Firm, name, crashAt);
        AssertSameAsNeverKilled(name, finished);
    }

    [Theory]
    [InlineData("journal-appended:45")]
    [InlineData("sweep:5")]
    [InlineData("order-sent:1500")]
    public void A_run_of_the_realistic_firm_killed_at_a_crash_point_recovers_to_the_state_and_orders_of_a_run_never_killed(string crashAt)
    {
        var name = "realistic-" + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(ChildRun.RealisticFirm, name, crashAt);
        AssertSameAs(RealisticReference.Value, name, finished);
        // The realistic firm's orders are not the uniform firm's: the shape reached the engine.
        Assert.NotEqual(Reference.Value.Digest, finished.Digest);
    }

    [Theory]
    [InlineData("journal-appended:45", false)]
    [InlineData("order-sent:1500", false)]
    [InlineData("sweep:5", true)]
    [InlineData("journal-appended:45", true)]
    public void A_run_with_tax_lots_killed_at_a_crash_point_recovers_the_lots_exactly(string crashAt, bool harvest)
    {
        string[] withLots = harvest ? [.. ChildRun.Firm, "--lots", "--harvest"] : [.. ChildRun.Firm, "--lots"];
        var reference = harvest ? HarvestReference.Value : LotsReference.Value;
        var name = (harvest ? "harvest-" : "lots-") + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(withLots, name, crashAt);
        AssertSameAs(reference, name, finished);
        // The digest holds the lots: a run without them ends elsewhere, though it trades the same orders.
        Assert.NotEqual(Reference.Value.Digest, finished.Digest);
        Assert.Contains("tax lots", finished.Output);
    }

    /// <summary>A firm's own book: the shipped example folder (named policies, lots, harvesting where its IPS elects it), replayed from its as-of date.</summary>
    private static readonly string[] OwnFirm = ["run", "--firm", Path.Combine(AppContext.BaseDirectory, "Examples", "firm"), "--digest"];

    private static readonly Lazy<(string Digest, string[] Blotter)> OwnFirmReference = new(() => NeverKilled(OwnFirm));

    [Theory]
    [InlineData("journal-appended:45")]
    [InlineData("order-sent:8")]
    public void A_run_of_a_firms_own_book_killed_at_a_crash_point_recovers_exactly(string crashAt)
    {
        var name = "own-" + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(OwnFirm, name, crashAt);
        Assert.Contains("live pipeline: 12 accounts", finished.Output);
        AssertSameAs(OwnFirmReference.Value, name, finished);
    }

    [Theory]
    [InlineData("journal-appended:8")] // before the first event's day
    [InlineData("journal-appended:30")] // after the deposit and the withdrawal, before the dividend
    public void A_run_with_book_events_killed_at_a_crash_point_applies_each_event_exactly_once(string crashAt)
    {
        var events = Path.Combine(folder, "events.csv");
        File.WriteAllText(events, FastRebal.Engine.Tests.Firms.FirmCliTests.Events);
        string[] withEvents = [.. OwnFirm, "--events", events];
        var name = "events-" + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(withEvents, name, crashAt);
        var reference = NeverKilled(withEvents);
        AssertSameAs(reference, name, finished);
        Assert.NotEqual(OwnFirmReference.Value.Digest, finished.Digest);
    }

    [Theory]
    [InlineData("journal-appended:8")] // before the move's day
    [InlineData("journal-appended:24")] // the batch that moves A-1003 to another IPS on disk, nothing of it applied
    [InlineData("journal-appended:60")] // from a checkpoint that keeps the moved account's policy and tax elections
    public void A_run_moving_an_account_to_another_ips_killed_at_a_crash_point_recovers_exactly(string crashAt)
    {
        var events = Path.Combine(folder, "events.csv");
        File.WriteAllText(events, FastRebal.Engine.Tests.Firms.FirmCliTests.EventsWithMove);
        string[] withMove = [.. OwnFirm, "--events", events];
        var name = "move-" + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(withMove, name, crashAt);
        AssertSameAs(NeverKilled(withMove), name, finished);
        File.WriteAllText(events, FastRebal.Engine.Tests.Firms.FirmCliTests.Events);
        Assert.NotEqual(NeverKilled([.. OwnFirm, "--events", events]).Digest, finished.Digest);
    }

    [Theory]
    [InlineData("journal-appended:8")] // before the close's day
    [InlineData("journal-appended:26")] // about the close's day
    [InlineData("journal-appended:60")] // from a checkpoint that keeps the account closed
    public void A_run_closing_an_account_killed_at_a_crash_point_recovers_exactly(string crashAt)
    {
        var events = Path.Combine(folder, "events.csv");
        File.WriteAllText(events, FastRebal.Engine.Tests.Firms.FirmCliTests.EventsWithClose);
        string[] withClose = [.. OwnFirm, "--events", events];
        var name = "close-" + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(withClose, name, crashAt);
        AssertSameAs(NeverKilled(withClose), name, finished);
        // The close changed the end state: without it the same run ends elsewhere.
        var withoutClose = Path.Combine(folder, "events-without-close.csv");
        File.WriteAllLines(withoutClose, File.ReadAllLines(events).Where(l => !l.Contains(",close,", StringComparison.Ordinal)));
        Assert.NotEqual(NeverKilled([.. OwnFirm, "--events", withoutClose]).Digest, finished.Digest);
    }

    [Theory]
    [InlineData("journal-appended:8")] // before the first opening
    [InlineData("journal-appended:24")] // about the second opening and the moves to other models
    [InlineData("journal-appended:60")] // from a checkpoint that keeps every account in its row
    public void A_run_opening_accounts_and_moving_them_to_other_models_killed_at_a_crash_point_recovers_exactly(string crashAt)
    {
        var events = Path.Combine(folder, "events.csv");
        File.WriteAllText(events, FastRebal.Engine.Tests.Firms.FirmCliTests.EventsOpeningAndMovingAccounts);
        string[] withOpenings = [.. OwnFirm, "--open-capacity", "3", "--events", events];
        var name = "open-" + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(withOpenings, name, crashAt);
        AssertSameAs(NeverKilled(withOpenings), name, finished);
        Assert.Contains("live pipeline: 14 accounts", finished.Output);
    }

    [Theory]
    [InlineData("journal-appended:8")] // before the first split
    [InlineData("journal-appended:26")] // about the split's day
    [InlineData("journal-appended:60")] // from a checkpoint that keeps the split factor and the new ticker
    public void A_run_with_splits_and_a_symbol_change_killed_at_a_crash_point_recovers_exactly(string crashAt)
    {
        var events = Path.Combine(folder, "events.csv");
        File.WriteAllText(events, FastRebal.Engine.Tests.Firms.FirmCliTests.EventsWithCorporateActions);
        string[] withActions = [.. OwnFirm, "--events", events];
        var name = "corporate-" + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(withActions, name, crashAt);
        AssertSameAs(NeverKilled(withActions), name, finished);
        // The actions changed the end state: without them the same run ends elsewhere.
        var cashOnly = Path.Combine(folder, "events-cash-only.csv");
        File.WriteAllLines(cashOnly, File.ReadAllLines(events).Where(l => !l.Contains(",split,", StringComparison.Ordinal) && !l.Contains(",symbol,", StringComparison.Ordinal)));
        Assert.NotEqual(NeverKilled([.. OwnFirm, "--events", cashOnly]).Digest, finished.Digest);
    }

    [Theory]
    [InlineData("journal-appended:8")] // before the sync
    [InlineData("journal-appended:30")] // after the sync took the custodian's figures
    public void A_run_with_a_holdings_sync_and_cash_flows_killed_at_a_crash_point_recovers_exactly(string crashAt)
    {
        var events = Path.Combine(folder, "events.csv");
        File.WriteAllText(events, FastRebal.Engine.Tests.Firms.FirmCliTests.Events);
        string[] day = [.. OwnFirm, "--events", events, "--holdings", Path.Combine(AppContext.BaseDirectory, "Examples", "custodian", "holdings-2025-04-29.csv"), "--accept-breaks"];
        var name = "sync-" + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(day, name, crashAt);
        AssertSameAs(NeverKilled(day), name, finished);
        Assert.Contains("holdings sync holdings-2025-04-29.csv", finished.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00.1", "start it with the same book events")] // from a checkpoint, after the event or before it (then from the journal)
    [InlineData("01:00:00", "the journal applies book event 1 (Deposit of 50000 for A-1001), which is not this engine's event")] // from the journal alone
    public void A_state_folder_refuses_a_restart_with_other_book_events_and_recovers_with_its_own(string checkpointInterval, string refusal)
    {
        var events = Path.Combine(folder, "events.csv");
        File.WriteAllText(events, "date,account_id,kind,amount\n2025-04-15,A-1001,deposit,50000\n");
        var other = Path.Combine(folder, "other.csv");
        File.WriteAllText(other, "date,account_id,kind,amount\n2025-04-15,A-1001,deposit,60000\n");
        var name = "other-events-" + checkpointInterval.Replace(':', '-');
        var crashed = ChildRun.Run(DurableOf([.. OwnFirm, "--events", events], name, "--checkpoint-interval", checkpointInterval), crashAt: "journal-appended:30");
        Assert.True(crashed.Killed, crashed.Output);

        var refused = ChildRun.Run(DurableOf([.. OwnFirm, "--events", other], name));
        var resumed = ChildRun.Run(DurableOf([.. OwnFirm, "--events", events], name));

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(refusal, refused.Output, StringComparison.Ordinal);
        Assert.Equal(0, resumed.ExitCode);
        Assert.Contains("recovery:", resumed.Output, StringComparison.Ordinal);
    }

    private static readonly Lazy<(string Digest, string[] Blotter)> LotsReference = new(() => NeverKilled([.. ChildRun.Firm, "--lots"]));

    private static readonly Lazy<(string Digest, string[] Blotter)> HarvestReference = new(() => NeverKilled([.. ChildRun.Firm, "--lots", "--harvest"]));

    /// <summary>A venue that fills 60% of each order after three seconds, refuses 5% and expires the rest at the day's end, cancelled at once under cancel-rest.</summary>
    private static readonly string[] PartialFills = [.. ChildRun.Firm, "--venue-fill-ratio", "0.6", "--venue-reject-rate", "0.05", "--venue-latency", "00:00:03", "--partial-fills", "cancel-rest"];

    private static readonly Lazy<(string Digest, string[] Blotter)> PartialFillsReference = new(() => NeverKilled(PartialFills));

    [Theory]
    [InlineData("journal-appended:45")]
    [InlineData("order-sent:1500")]
    [InlineData("checkpoint:2")]
    public void A_run_with_partial_fills_rejects_and_venue_latency_killed_at_a_crash_point_recovers_exactly(string crashAt)
    {
        var name = "partial-" + crashAt.Replace(':', '-');
        var finished = KilledAtThenRecovered(PartialFills, name, crashAt);
        Assert.Matches(@"venue +[0-9,]+ +fills; [1-9][0-9,]* orders rejected", finished.Output);
        AssertSameAs(PartialFillsReference.Value, name, finished);
        // The venue's behaviour reached the book: a run with whole fills ends elsewhere.
        Assert.NotEqual(Reference.Value.Digest, finished.Digest);
        // The blotter holds the cancels the engine asked for.
        Assert.Contains(PartialFillsReference.Value.Blotter, l => l.StartsWith("cancel,", StringComparison.Ordinal) && l.Contains("rest of a partial fill", StringComparison.Ordinal));
    }

    [Fact]
    public void A_run_with_partial_fills_killed_again_and_again_at_random_moments_loses_and_repeats_nothing()
    {
        var random = new Random(20261206);
        var whole = WholeRunTime(PartialFills);
        var kills = 0;
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var run = ChildRun.Run(DurableOf(PartialFills, "partial-random", "--checkpoint-interval", "00:00:00.15"), killAfter: whole * (random.Next(15, 70) / 100.0));
            kills += run.Killed ? 1 : 0;
            Assert.True(run.Killed || run.ExitCode == 0, run.Output);
        }
        var finished = ChildRun.Run(DurableOf(PartialFills, "partial-random"));

        Assert.True(kills >= 2, $"only {kills} of 4 runs were killed before they finished");
        AssertSameAs(PartialFillsReference.Value, "partial-random", finished);
    }

    /// <summary>
    /// How long a whole durable run of <paramref name="firm"/> takes on this machine now. The random kill moments are
    /// drawn within it: this host's speed moves by half from day to day, and moments fixed in milliseconds let most
    /// runs finish first on a fast day.
    /// </summary>
    private TimeSpan WholeRunTime(string[] firm)
    {
        var timer = System.Diagnostics.Stopwatch.StartNew();
        var run = ChildRun.Run(DurableOf(firm, "timed-" + Guid.NewGuid().ToString("N")[..8]));
        Assert.Equal(0, run.ExitCode);
        return timer.Elapsed;
    }

    [Fact]
    public void A_run_killed_again_and_again_at_random_moments_loses_and_repeats_nothing()
    {
        var random = new Random(20261125);
        var whole = WholeRunTime(ChildRun.Firm);
        var kills = 0;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var run = ChildRun.Run(Durable("random", "--checkpoint-interval", "00:00:00.15"), killAfter: whole * (random.Next(15, 70) / 100.0));
            kills += run.Killed ? 1 : 0;
            Assert.True(run.Killed || run.ExitCode == 0, run.Output);
        }
        var finished = ChildRun.Run(Durable("random"));

        Assert.True(kills >= 3, $"only {kills} of 5 runs were killed before they finished");
        AssertSameAsNeverKilled("random", finished);
    }

    [Fact]
    public void The_checkpoint_command_saves_a_crashed_state_that_the_next_run_continues_exactly()
    {
        var crashed = ChildRun.Run(Durable("offline", "--checkpoint-interval", "00:00:00.1"), crashAt: "journal-appended:150");
        Assert.True(crashed.Killed);
        string[] checkpoint = [.. Durable("offline").Select(a => a == "run" ? "checkpoint" : a)];

        var saved = ChildRun.Run(checkpoint);
        var finished = ChildRun.Run(Durable("offline"));

        Assert.Equal(0, saved.ExitCode);
        // The crashed run journaled batch 150; with group commit its last few batches may not have reached the disk.
        Assert.Matches(@"checkpoint [0-9a-f-]+: batch 1[0-9]{2}, \d+ batch\(es\) replayed", saved.Output);
        Assert.Contains("0 batch(es) and 0 tick(s) replayed", finished.Output);
        AssertSameAsNeverKilled("offline", finished);
    }

    [Theory]
    [InlineData("sweep:5")]
    [InlineData("journal-appended:80")]
    public void The_audit_trail_of_a_killed_run_holds_every_record_of_a_run_never_killed_once(string crashAt)
    {
        var referenceAudit = Path.Combine(folder, "reference-audit.jsonl");
        Assert.Equal(0, ChildRun.Run([.. ChildRun.Firm, "--audit", referenceAudit]).ExitCode);
        var name = "audit-" + crashAt.Replace(':', '-');
        var audit = Path.Combine(folder, name + "-audit.jsonl");

        var crashed = ChildRun.Run(Durable(name, "--checkpoint-interval", "00:00:00.1", "--audit", audit), crashAt: crashAt);
        Assert.True(crashed.Killed);
        var finished = ChildRun.Run(Durable(name, "--audit", audit));

        AssertSameAsNeverKilled(name, finished);
        static string[] Entries(string path) => [.. FastRebal.Engine.Audit.FileAuditStore.Read(path).Records
            .Select(r => r.Entry)
            .Select(e => $"{e.Kind}|{e.AccountId}|{e.PolicyVersion}|{e.Rule}|{e.Explanation}|{e.Actor}|{e.InputHash}|{string.Join(";", e.Figures.Select(f => $"{f.Name}={f.Value}"))}")];
        var verified = FastRebal.Engine.Audit.FileAuditStore.VerifyFiles(audit);
        Assert.True(verified.Intact, verified.Message);
        Assert.Equal(Entries(referenceAudit), Entries(audit));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_damaged_or_missing_newest_checkpoint_falls_back_to_the_one_before_with_a_longer_replay(bool missing)
    {
        var name = missing ? "missing" : "damaged";
        var crashed = ChildRun.Run(Durable(name, "--checkpoint-interval", "00:00:00.1"), crashAt: "journal-appended:120");
        Assert.True(crashed.Killed);
        var catalog = File.ReadAllText(Path.Combine(folder, name, "state", "checkpoints.json"));
        // The checkpoint recovery tries first: the highest batch, whatever the catalog's order.
        var newest = System.Text.Json.JsonDocument.Parse(catalog).RootElement.EnumerateArray()
            .MaxBy(c => c.GetProperty("Sequence").GetInt64())!.GetProperty("Token").GetString()!;
        // A kill during a checkpoint can leave one the catalog never listed; recovery would try it first (and use it
        // when whole), which is the half-written case's test. Here the catalog's newest must be the first tried.
        var listed = System.Text.Json.JsonDocument.Parse(catalog).RootElement.EnumerateArray().Select(c => c.GetProperty("Token").GetString()!).ToHashSet();
        foreach (var kind in new[] { "cpr-checkpoints", "index-checkpoints" })
        {
            foreach (var unlisted in Directory.GetDirectories(Path.Combine(folder, name, "state", "checkpoints", kind)).Where(d => !listed.Contains(Path.GetFileName(d))))
            {
                Directory.Delete(unlisted, recursive: true);
            }
        }
        var files = Path.Combine(folder, name, "state", "checkpoints", "cpr-checkpoints", newest);
        if (missing)
        {
            Directory.Delete(files, recursive: true);
        }
        else
        {
            var snapshot = Directory.GetFiles(files, "snapshot.dat*").Single();
            var bytes = File.ReadAllBytes(snapshot);
            for (var i = 64; i < bytes.Length; i += 997)
            {
                bytes[i] ^= 0x5A;
            }
            File.WriteAllBytes(snapshot, bytes);
        }

        var finished = ChildRun.Run(Durable(name));

        Assert.Contains($"checkpoint {newest}", finished.Output);
        Assert.Contains(missing ? "its files are missing" : "does not match its hash", finished.Output);
        Assert.Contains("falling back to the one before it", finished.Output);
        AssertSameAsNeverKilled(name, finished);
    }

    [Fact]
    public void A_journal_that_lost_its_tail_says_so_recovers_the_last_good_state_and_engages_the_kill_switch()
    {
        var crashed = ChildRun.Run(Durable("truncated", "--checkpoint-interval", "01:00:00"), crashAt: "journal-appended:120");
        Assert.True(crashed.Killed);
        var journal = Path.Combine(folder, "truncated", "journal", "journal.log.0");
        using (var file = new FileStream(journal, FileMode.Open))
        {
            // Well past what a crash leaves uncommitted: committed entries are gone.
            file.SetLength(file.Length - 20_000);
        }

        var finished = ChildRun.Run(Durable("truncated"));

        Assert.Equal(3, finished.ExitCode);
        var damage = Assert.Single(finished.Output.Split('\n'), l => l.Contains("recovery: damage:", StringComparison.Ordinal));
        Assert.Contains(journal, damage);
        // 120 batches were journaled; the cut takes the last few, and recovery keeps every one before it.
        var lastGood = int.Parse(System.Text.RegularExpressions.Regex.Match(damage, @"The state is the last good one: batch (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(lastGood, 100, 119);
        Assert.Matches(@"kill switch\s+ENGAGED", finished.Output);
    }

    [Fact]
    public void A_full_disk_stops_trading_with_a_clear_error_and_a_restart_with_room_loses_nothing()
    {
        // A real full disk: the state folder on a 2 MB tmpfs, which a year's journal outgrows (mounting needs root, as CI runs).
        var disk = Path.Combine(folder, "small-disk");
        Directory.CreateDirectory(disk);
        Mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", disk);
        try
        {
            string[] args = [.. ChildRun.Firm, "--blotter", Path.Combine(folder, "full.csv"), "--state", Path.Combine(disk, "state")];
            var full = ChildRun.Run(args);

            Assert.Equal(1, full.ExitCode);
            Assert.Contains("the disk refused the write (full, or failing)", full.Output);
            Assert.Matches(@"kill switch\s+ENGAGED", full.Output);
            // The fault's kill switch cancelled the children still scheduled (never sent): those lines are the fault's
            // own; every order the restart sends must still be exactly the never-killed run's.
            var faultCancels = File.ReadAllLines(Path.Combine(folder, "full.csv")).Where(l => l.StartsWith("cancel,", StringComparison.Ordinal) && l.EndsWith("\"kill switch\"", StringComparison.Ordinal)).ToHashSet();

            Mount("-o", "remount,size=64m", disk);
            var finished = ChildRun.Run(args);

            Assert.Contains("recovery:", finished.Output);
            AssertSameAsNeverKilled("full", finished, faultCancels);
        }
        finally
        {
            Run(["-l", disk], "umount");
        }
    }

    private static void Mount(params string[] args) => Run(args, "mount");

    private static void Run(string[] args, string command)
    {
        var start = new System.Diagnostics.ProcessStartInfo(command) { RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed ({error.Trim()}): the full-disk test mounts a small tmpfs and needs root");
    }

    [Fact]
    public void A_state_folder_of_another_firm_is_refused_with_what_differs()
    {
        var crashed = ChildRun.Run(Durable("other", "--checkpoint-interval", "01:00:00"), crashAt: "journal-appended:30");
        Assert.True(crashed.Killed);
        string[] otherFirm = [.. Durable("other").Select(a => a == "1500" ? "1400" : a)];

        var refused = ChildRun.Run(otherFirm);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("belongs to another book", refused.Output);
        Assert.Contains("1500 accounts", refused.Output);
    }
}

/// <summary>Child-process tests run one at a time: each already uses both cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChildProcesses
{
    public const string Name = "child processes";
}
