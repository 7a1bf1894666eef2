using FastRebal.Engine.Audit;
using static FastRebal.Engine.Tests.Audit.AuditTestData;

namespace FastRebal.Engine.Tests.Audit;

public sealed class FileAuditStoreTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-audit-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    private static AuditChain OpenChain(string path, TimeProvider? clock = null)
    {
        var opened = FileAuditStore.Open(path);
        Assert.True(opened.Store is not null, opened.Verification.Message);
        return new AuditChain(opened.Store!, clock);
    }

    [Fact]
    public void Records_written_and_read_back_verify_and_the_seal_follows_the_tail()
    {
        var path = PathOf("a.jsonl");
        using (var chain = OpenChain(path))
        {
            chain.Append(Decision());
            chain.Append(Trade());
        }
        using (var chain = OpenChain(path))
        {
            Assert.Equal(2, chain.LastSequence);
            chain.Append(Operator());
        }

        var content = FileAuditStore.Read(path);
        Assert.Equal(3, content.Records.Count());
        Assert.Equal(new AuditSeal(3, content.Records.Last().Hash), content.Seal);
        Assert.True(AuditVerifier.Verify(content.Lines, content.Torn, content.Seal).Intact);
        Assert.Equal(3, File.ReadAllText(path).Count(c => c == '\n'));
    }

    [Fact]
    public void A_torn_last_line_is_reported_cut_back_to_the_last_whole_record_and_the_chain_goes_on()
    {
        var path = PathOf("torn.jsonl");
        using (var chain = OpenChain(path))
        {
            chain.Append(Decision());
            chain.Append(Trade());
        }
        var whole = new FileInfo(path).Length;
        var half = AuditEncoding.WriteLine(ThreeRecords()[2])[..40];
        using (var file = new FileStream(path, FileMode.Append))
        {
            file.Write(half);
        }
        Assert.Equal(AuditFault.TornTail, FileAuditStore.VerifyFiles(path).Fault);

        var opened = FileAuditStore.Open(path);

        Assert.NotNull(opened.Store);
        Assert.Contains("line 3, 40 bytes", opened.Repair, StringComparison.Ordinal);
        Assert.Contains("continues from record 2", opened.Repair, StringComparison.Ordinal);
        Assert.Equal(whole, new FileInfo(path).Length);
        using (var chain = new AuditChain(opened.Store!))
        {
            Assert.Equal(3, chain.Append(Operator()).Sequence);
        }
        var verification = FileAuditStore.VerifyFiles(path);
        Assert.True(verification.Intact, verification.Message);
        Assert.Equal(3, verification.Count);
    }

    [Fact]
    public void A_corrupt_record_in_the_middle_is_not_repaired_and_nothing_is_appended()
    {
        var path = PathOf("middle.jsonl");
        using (var chain = OpenChain(path))
        {
            chain.Append(Decision());
            chain.Append(Trade());
            chain.Append(Operator());
        }
        var text = File.ReadAllText(path);
        var secondLine = text.IndexOf('\n', StringComparison.Ordinal) + 5;
        File.WriteAllText(path, text[..secondLine] + "#" + text[(secondLine + 1)..]);
        var before = File.ReadAllBytes(path);

        var opened = FileAuditStore.Open(path);

        Assert.Null(opened.Store);
        Assert.Null(opened.Repair);
        Assert.Equal(AuditFault.Unreadable, opened.Verification.Fault);
        Assert.Equal(2, opened.Verification.BadLine);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Export_moves_old_days_to_an_archive_and_both_files_stay_verifiable()
    {
        var live = PathOf("live.jsonl");
        var archive = PathOf("archive-2025-09.jsonl");
        var clock = new ManualClock(Start);
        using (var chain = OpenChain(live, clock))
        {
            chain.Append(Decision());
            chain.Append(Trade());
            clock.Advance(TimeSpan.FromDays(1));
            chain.Append(Decision("ACC-2"));
            chain.Append(Trade("ACC-2"));
            clock.Advance(TimeSpan.FromDays(1));
            chain.Append(Operator());
        }
        var original = FileAuditStore.Read(live).Records.ToList();

        var result = AuditRetention.Export(live, new DateOnly(2025, 9, 28), archive, "ops", "keep 1 day live", clock);

        Assert.True(result.Ok, result.Problem);
        Assert.Equal(4, result.Archived);
        var checkpoint = result.Checkpoint!;
        Assert.Equal(6, checkpoint.Sequence);
        Assert.Equal("4", checkpoint.Entry.Figure(AuditVerifier.ArchivedThroughFigure));
        Assert.Equal(original[3].Hash, checkpoint.Entry.Figure(AuditVerifier.ArchiveTailHashFigure));
        Assert.Equal([1L, 2, 3, 4], FileAuditStore.Read(archive).Records.Select(r => r.Sequence));
        Assert.Equal([5L, 6], FileAuditStore.Read(live).Records.Select(r => r.Sequence));
        // The archived records are byte for byte the ones that were live.
        Assert.Equal(original.Take(4).Select(r => r.Hash), FileAuditStore.Read(archive).Records.Select(r => r.Hash));

        Assert.True(FileAuditStore.VerifyFiles(live).Intact);
        Assert.True(FileAuditStore.VerifyFiles(archive).Intact);
        Assert.True(FileAuditStore.VerifyFiles(archive, live).Intact);

        // The live file can go on after the prune.
        using (var chain = OpenChain(live, clock))
        {
            Assert.Equal(7, chain.Append(Trade()).Sequence);
        }
        Assert.True(FileAuditStore.VerifyFiles(archive, live).Intact);
    }

    [Fact]
    public void After_an_export_dropping_the_first_live_record_is_still_detected()
    {
        var live = PathOf("live.jsonl");
        var clock = new ManualClock(Start);
        using (var chain = OpenChain(live, clock))
        {
            chain.Append(Decision());
            clock.Advance(TimeSpan.FromDays(1));
            chain.Append(Trade());
            chain.Append(Operator());
        }
        Assert.True(AuditRetention.Export(live, new DateOnly(2025, 9, 27), PathOf("old.jsonl"), "ops", "retention", clock).Ok);
        var lines = File.ReadAllLines(live);
        File.WriteAllLines(live, lines[1..]);

        var verification = FileAuditStore.VerifyFiles(live);

        Assert.False(verification.Intact);
        Assert.Equal(AuditFault.Deleted, verification.Fault);
    }

    [Fact]
    public void Export_of_a_broken_chain_does_nothing_and_says_why()
    {
        var live = PathOf("live.jsonl");
        using (var chain = OpenChain(live))
        {
            chain.Append(Decision());
            chain.Append(Trade());
        }
        File.WriteAllText(live, File.ReadAllText(live).Replace("ACC-1", "ACC-9", StringComparison.Ordinal));

        var result = AuditRetention.Export(live, new DateOnly(2100, 1, 1), PathOf("a.jsonl"), "ops", "retention");

        Assert.False(result.Ok);
        Assert.Contains("record 1", result.Problem, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("a.jsonl")));
    }

    [Fact]
    public void Appending_a_chunk_writes_the_same_file_as_appending_its_records_one_by_one()
    {
        AuditEntry[] entries = [Decision("ACC-1"), Trade("ACC-1"), Trade("ACC-2"), Operator(), Decision("ACC-3")];
        using (var one = OpenChain(PathOf("one.jsonl"), new ManualClock(Start)))
        {
            foreach (var entry in entries)
            {
                one.Append(entry);
            }
        }
        using (var all = OpenChain(PathOf("all.jsonl"), new ManualClock(Start)))
        {
            all.AppendAll(entries[..2]);
            all.AppendAll(entries[2..]);
        }

        Assert.Equal(File.ReadAllBytes(PathOf("one.jsonl")), File.ReadAllBytes(PathOf("all.jsonl")));
        Assert.Equal(File.ReadAllText(PathOf("one.jsonl.seal")), File.ReadAllText(PathOf("all.jsonl.seal")));
        Assert.True(FileAuditStore.VerifyFiles(PathOf("all.jsonl")).Intact);
    }

    [Fact]
    public void A_crash_in_the_middle_of_a_chunk_keeps_every_record_handed_over_before_it_and_its_whole_lines()
    {
        var path = PathOf("crash.jsonl");
        var store = FileAuditStore.Open(path).Store!;
        var chain = new AuditChain(store, new ManualClock(Start));
        chain.AppendAll([Decision("ACC-1"), Trade("ACC-1"), Trade("ACC-2")]);
        // The process dies here: no durable flush, no seal, no dispose. The next chunk reached the file only in part:
        // its first record whole and the second cut in the middle of its line.
        var next = new MemoryAuditStore();
        foreach (var record in FileAuditStore.Read(path).Records)
        {
            next.Append(record);
        }
        var shadow = new AuditChain(next, new ManualClock(Start));
        shadow.AppendAll([Decision("ACC-4"), Trade("ACC-4")]);
        var lost = AuditEncoding.WriteLine(next.Records[4]);
        using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            file.Write([.. AuditEncoding.WriteLine(next.Records[3]), (byte)'\n', .. lost[..(lost.Length / 2)]]);
        }

        var opened = FileAuditStore.Open(path);

        Assert.True(opened.Store is not null, opened.Verification.Message);
        Assert.Contains("line 5", opened.Repair, StringComparison.Ordinal);
        using (var reopened = new AuditChain(opened.Store!, new ManualClock(Start)))
        {
            Assert.Equal(4, reopened.LastSequence);
            reopened.AppendAll([Operator()]);
        }
        var records = FileAuditStore.Read(path).Records.ToList();
        Assert.Equal(["ACC-1", "ACC-1", "ACC-2", "ACC-4", ""], records.Select(r => r.Entry.AccountId));
        Assert.True(FileAuditStore.VerifyFiles(path).Intact);
        store.Dispose();
    }

    [Fact]
    public void Reading_by_rule_finds_exactly_the_records_a_full_read_finds_and_skips_a_torn_last_line()
    {
        var path = PathOf("rules.jsonl");
        using (var chain = OpenChain(path))
        {
            chain.Append(Decision());
            chain.Append(AuditEntries.OperatorAction("KillSwitchEngaged", "alice", "bad feed", "kill switch engaged"));
            // The rule's name in another field is not the rule.
            chain.Append(AuditEntries.OperatorAction("EditPolicy", "bob", "\"rule\":\"KillSwitchReleased\",", "mentions \"rule\":\"KillSwitchReleased\","));
            chain.Append(Trade());
            chain.Append(AuditEntries.OperatorAction("KillSwitchReleased", "alice", "feed fixed", "kill switch released"));
            chain.Append(Decision("ACC-2") with { Kind = AuditKind.Decision, Rule = "KillSwitchEngaged" });
        }
        var whole = File.ReadAllBytes(path);
        var torn = AuditEncoding.WriteLine(new AuditChain(new MemoryAuditStore()).Append(AuditEntries.OperatorAction("KillSwitchEngaged", "eve", "x", "y")));
        File.WriteAllBytes(path, [.. whole, .. torn[..^3]]);

        var found = FileAuditStore.ReadRules(path, AuditKind.OperatorAction, AuditHooks.KillSwitchRules);

        var expected = FileAuditStore.Read(path).Records
            .Where(r => r.Entry.Kind == AuditKind.OperatorAction && AuditHooks.KillSwitchRules.Contains(r.Entry.Rule)).ToList();
        Assert.Equal([2L, 5], found.Select(r => r.Sequence));
        Assert.Equal(expected.Select(r => r.Hash), found.Select(r => r.Hash));
    }
}
