using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FastRebal.Engine.Tests.Persistence;

/// <summary>
/// Every durable file damaged at seeded random offsets (or deleted, cut, edited): the run that starts on it must end
/// in exactly the state and order stream of a run never interrupted, or exit with code 3 and a line naming the file:
/// <c>recovery: damage:</c> with the last good batch when it went on from there, <c>fastrebal: state damage:</c> when
/// nothing could be rebuilt. Never a different state with exit code 0, never a stack trace. Each case copies a folder
/// one crashed run produced, so a case costs one run of the firm; a failure prints the seed and the offset.
/// </summary>
[Collection(ChildProcesses.Name)]
public sealed partial class FaultInjectionTests(DamagedFolders folders) : IClassFixture<DamagedFolders>
{
    /// <summary>Exit code of a run that found damage in its state folder and engaged the kill switch for review.</summary>
    private const int StateDamage = 3;

    public static TheoryData<string, int, int> JournalBytes => new()
    {
        // Folder, bytes XORed, seed of the offset.
        { DamagedFolders.LongJournal, 1, 1101 },
        { DamagedFolders.LongJournal, 1, 1102 },
        { DamagedFolders.LongJournal, 1, 1103 },
        { DamagedFolders.LongJournal, 64, 1201 },
        { DamagedFolders.LongJournal, 64, 1202 },
        { DamagedFolders.Checkpointed, 1, 1301 },
        { DamagedFolders.Checkpointed, 64, 1401 },
    };

    [Theory]
    [MemberData(nameof(JournalBytes))]
    public void Journal_bytes_flipped_at_a_random_offset_recover_exactly_or_stop_naming_the_journal(string kind, int bytes, int seed)
    {
        var run = folders.Copy(kind, $"journal-{kind}-{bytes}-{seed}");
        var journal = Path.Combine(run.State, "journal", "journal.log.0");
        // Entries recovery reads: those after the newest checkpoint's start (a log's first address is 64).
        var from = Catalog(run).Select(c => (long)c["ReplayFrom"]!).DefaultIfEmpty(64).Max();
        var offset = Flip(journal, new Random(seed), from, new FileInfo(journal).Length, bytes);

        AssertExactOrStopped(run, folders.Start(run), $"{bytes} byte(s) XORed at offset {offset} of {journal} (seed {seed})", Path.Combine("journal", "journal.log.0"));
    }

    [Theory]
    [InlineData(8101)]
    [InlineData(8102)]
    public void A_damaged_newest_checkpoint_falling_back_onto_damaged_journal_recovers_exactly_or_stops_naming_the_journal(int seed)
    {
        var run = folders.Copy(DamagedFolders.Checkpointed, $"fallback-{seed}");
        var checkpoints = Catalog(run).OrderByDescending(c => (long)c["Sequence"]!).ToList();
        var (newest, before) = (checkpoints[0], checkpoints[1]);
        var journal = Path.Combine(run.State, "journal", "journal.log.0");
        // Only the fallback reads these entries: the newest checkpoint starts after them.
        var offset = Flip(journal, new Random(seed), (long)before["ReplayFrom"]!, (long)newest["ReplayFrom"]!, 1);
        var snapshot = Path.Combine(run.State, "state", "checkpoints", "cpr-checkpoints", (string)newest["Token"]!, "snapshot.dat.0");
        var what = $"1 byte XORed at offset {offset} of {journal} (seed {seed}), and {Cut(snapshot, new FileInfo(snapshot).Length / 2)}";

        AssertExactOrStopped(run, folders.Start(run), what, Path.Combine("journal", "journal.log.0"));
    }

    [Theory]
    [InlineData(DamagedFolders.LongJournal, "newest-deleted")]
    [InlineData(DamagedFolders.LongJournal, "all-deleted")]
    [InlineData(DamagedFolders.LongJournal, "newest-emptied")]
    [InlineData(DamagedFolders.LongJournal, "only-newest-kept-garbled:2101")]
    [InlineData(DamagedFolders.Checkpointed, "all-deleted")]
    [InlineData(DamagedFolders.Checkpointed, "newest-garbled:2201")]
    public void Damaged_journal_commit_metadata_recovers_exactly_or_stops_naming_it(string kind, string damage)
    {
        var run = folders.Copy(kind, $"commits-{kind}-{damage.Replace(':', '-')}");
        // FASTER keeps the commit record before the newest (commit.N.0, commit.N+1.0) until the next one is written.
        var commits = Directory.GetFiles(Path.Combine(run.State, "journal", "log-commits")).OrderBy(CommitNumber).ToList();
        var newest = commits[^1];
        var what = damage switch
        {
            "newest-deleted" => Delete(newest),
            "all-deleted" => string.Join(", ", commits.Select(Delete)),
            "newest-emptied" => Cut(newest, 0),
            // Without the record before it to fall back on, FASTER takes what the damaged record says.
            "only-newest-kept-garbled:2101" => string.Join(", ", [.. commits[..^1].Select(Delete), $"1 byte XORed at offset {Flip(newest, new Random(Seed(damage)), 0, 64, 1)} of {newest} (seed {Seed(damage)})"]),
            // The commit record is a few dozen bytes at the head of a 512-byte sector; the rest is padding.
            _ => $"1 byte XORed at offset {Flip(newest, new Random(Seed(damage)), 0, 64, 1)} of {newest} (seed {Seed(damage)})",
        };

        AssertExactOrStopped(run, folders.Start(run), what, Path.Combine("journal", "log-commits"));
    }

    [Theory]
    [InlineData("cpr-checkpoints", "snapshot.dat.0", "flip:3101")]
    [InlineData("cpr-checkpoints", "snapshot.dat.0", "flip:3102")]
    [InlineData("cpr-checkpoints", "snapshot.dat.0", "cut")]
    [InlineData("cpr-checkpoints", "info.dat.0", "flip:3201")]
    [InlineData("cpr-checkpoints", "info.dat.0", "cut")]
    [InlineData("index-checkpoints", "ht.dat.0", "flip:3301")]
    [InlineData("index-checkpoints", "ht.dat.0", "cut")]
    [InlineData("index-checkpoints", "info.dat.0", "flip:3401")]
    [InlineData("index-checkpoints", "info.dat.0", "cut")]
    public void A_damaged_file_of_the_newest_checkpoint_recovers_exactly_or_stops_naming_it(string part, string file, string damage)
    {
        var run = folders.Copy(DamagedFolders.Checkpointed, $"checkpoint-{part}-{file}-{damage.Replace(':', '-')}");
        var token = (string)Catalog(run).MaxBy(c => (long)c["Sequence"]!)!["Token"]!;
        var path = Path.Combine(run.State, "state", "checkpoints", part, token, file);
        var what = damage == "cut"
            ? Cut(path, new FileInfo(path).Length / 2)
            : $"1 byte XORed at offset {Flip(path, new Random(Seed(damage)), 0, new FileInfo(path).Length, 1)} of {path} (seed {Seed(damage)})";

        AssertExactOrStopped(run, folders.Start(run), what, token);
    }

    [Theory]
    [InlineData("deleted")]
    [InlineData("emptied")]
    [InlineData("cut")]
    [InlineData("garbled:4101")]
    [InlineData("garbled:4102")]
    [InlineData("newest-and-oldest-sequences-swapped")]
    [InlineData("newest-replay-from-moved-back")]
    public void A_damaged_checkpoint_catalog_recovers_exactly_or_stops_naming_it(string damage)
    {
        var run = folders.Copy(DamagedFolders.Checkpointed, $"catalog-{damage.Replace(':', '-')}");
        var catalog = Path.Combine(run.State, "state", "checkpoints.json");
        var what = damage switch
        {
            "deleted" => Delete(catalog),
            "emptied" => Cut(catalog, 0),
            "cut" => Cut(catalog, new FileInfo(catalog).Length / 2),
            "newest-and-oldest-sequences-swapped" => EditCatalog(run, entries =>
            {
                var (newest, oldest) = (entries.MaxBy(c => (long)c["Sequence"]!)!, entries.MinBy(c => (long)c["Sequence"]!)!);
                (newest["Sequence"], oldest["Sequence"]) = ((long)oldest["Sequence"]!, (long)newest["Sequence"]!);
                return $"{catalog}: the sequences of checkpoints {newest["Token"]} and {oldest["Token"]} swapped";
            }),
            "newest-replay-from-moved-back" => EditCatalog(run, entries =>
            {
                var (newest, oldest) = (entries.MaxBy(c => (long)c["Sequence"]!)!, entries.MinBy(c => (long)c["Sequence"]!)!);
                newest["ReplayFrom"] = (long)oldest["ReplayFrom"]!;
                return $"{catalog}: checkpoint {newest["Token"]} made to replay from {oldest["ReplayFrom"]}";
            }),
            _ => $"1 byte XORed at offset {Flip(catalog, new Random(Seed(damage)), 0, new FileInfo(catalog).Length, 1)} of {catalog} (seed {Seed(damage)})",
        };

        AssertExactOrStopped(run, folders.Start(run), what, Path.Combine("state", "checkpoints.json"));
    }

    [Theory]
    [InlineData("book")]
    [InlineData("journal/truncated")]
    public void A_garbled_book_or_truncation_marker_recovers_exactly_or_stops_naming_it(string file)
    {
        var run = folders.Copy(DamagedFolders.Checkpointed, $"marker-{file.Replace('/', '-')}");
        var path = Path.Combine(run.State, file);
        var what = $"1 byte XORed at offset {Flip(path, new Random(5101), 0, new FileInfo(path).Length, 1)} of {path} (seed 5101)";

        AssertExactOrStopped(run, folders.Start(run), what, file);
    }

    /// <summary>
    /// A checkpoint a crash cut short: the run killed during its first checkpoint, and a checkpoint whose files were
    /// half written before the catalog named it, beside the good checkpoint taken after the opening. The next start
    /// skips it and removes it; the start after that never meets it again.
    /// </summary>
    [Theory]
    [InlineData("killed-in-the-first-checkpoint")]
    [InlineData("files-half-written-before-the-catalog")]
    public void A_half_written_checkpoint_is_skipped_once_cleaned_up_and_not_offered_again(string how)
    {
        DamagedFolders.Run run;
        string what;
        if (how == "killed-in-the-first-checkpoint")
        {
            run = folders.Fresh("half-killed");
            var crashed = folders.StartCrashing(run, "checkpoint:1", "--checkpoint-interval", "00:00:00.1");
            Assert.True(crashed.Killed, $"the run should have died in its first checkpoint:\n{crashed.Output}");
            // The crash point lies before FASTER writes a file of the checkpoint, so this may leave nothing half
            // written on disk; the other case writes one.
            what = "a run killed in the middle of its first checkpoint";
        }
        else
        {
            run = folders.Copy(DamagedFolders.LongJournal, "half-written");
            var source = folders.Copy(DamagedFolders.Checkpointed, "half-written-source");
            var token = (string)Catalog(source).MaxBy(c => (long)c["Sequence"]!)!["Token"]!;
            foreach (var part in new[] { "cpr-checkpoints", "index-checkpoints" })
            {
                CopyDirectory(Path.Combine(source.State, "state", "checkpoints", part, token), Path.Combine(run.State, "state", "checkpoints", part, token));
            }
            var snapshot = Path.Combine(run.State, "state", "checkpoints", "cpr-checkpoints", token, "snapshot.dat.0");
            what = $"checkpoint {token} (not in the catalog) with {Cut(snapshot, new FileInfo(snapshot).Length / 2)}";
        }
        var half = Tokens(run).Except(Catalog(run).Select(c => (string)c["Token"]!)).ToList();

        var next = folders.Start(run);

        AssertExactOrStopped(run, next, what, half.FirstOrDefault() ?? "checkpoint");
        var left = Tokens(run).Intersect(half).ToList();
        Assert.True(left.Count == 0, $"{what}: the half-written checkpoint {string.Join(", ", left)} is still on disk after the start that skipped it:\n{next.Output}");
        var after = folders.Start(run);
        foreach (var token in half)
        {
            Assert.DoesNotContain(token, after.Output);
        }
        AssertExactOrStopped(run, after, what, half.FirstOrDefault() ?? "checkpoint");
    }

    [Theory]
    [InlineData("audit", "flip:6101")]
    [InlineData("audit", "flip:6102")]
    [InlineData("audit", "last-record-cut")]
    [InlineData("seal", "flip:6201")]
    [InlineData("seal", "deleted")]
    [InlineData("audit", "tail-from-the-checkpoint's-last-record-cut-and-seal-deleted")]
    public void A_damaged_audit_chain_is_continued_exactly_or_refused_naming_it(string file, string damage)
    {
        var run = folders.Copy(DamagedFolders.Audited, $"audit-{file}-{damage.Replace(':', '-')}");
        var path = file == "seal" ? run.Audit + ".seal" : run.Audit;
        var what = damage switch
        {
            "deleted" => Delete(path),
            "last-record-cut" => Cut(path, LastRecordStart(path)),
            // Nothing left to notice the cut by but the state: the checkpoint holds a batch the chain no longer has
            // whole, and no replay re-creates it (records of batches after the checkpoint are re-created by replay).
            "tail-from-the-checkpoint's-last-record-cut-and-seal-deleted" => $"{Cut(path, LastRecordStartOfBatch(path, Catalog(run).Max(c => (long)c["Sequence"]!)))}, {Delete(path + ".seal")}",
            _ => $"1 byte XORed at offset {Flip(path, new Random(Seed(damage)), 0, new FileInfo(path).Length, 1)} of {path} (seed {Seed(damage)})",
        };
        var before = File.ReadAllBytes(run.Audit);

        var next = folders.Start(run, "--audit", run.Audit);

        AssertNoStackTrace(what, next);
        if (next.ExitCode == 0)
        {
            AssertExact(run, next, what);
            var verified = FastRebal.Engine.Audit.FileAuditStore.VerifyFiles(run.Audit);
            Assert.True(verified.Intact, $"{what}: the run went on, but its chain does not verify: {verified.Message}");
            Assert.True(run.Reference.Audit!.SequenceEqual(DamagedFolders.AuditEntries(run.Audit)), $"{what}: the run went on, but its trail differs from the uninterrupted run's");
            return;
        }
        // A broken chain is refused before anything runs: it names the file, and nothing is appended to it.
        Assert.True(next.ExitCode is 2 or StateDamage, $"{what}: exit code {next.ExitCode}:\n{next.Output}");
        Assert.Contains(run.Audit, next.Output);
        Assert.True(next.Output.Contains("audit chain is broken", StringComparison.Ordinal) || next.Output.Contains(path + ":", StringComparison.Ordinal),
            $"{what}: refused without saying the chain is broken or naming {path}:\n{next.Output}");
        Assert.Equal(before, File.ReadAllBytes(run.Audit));
    }

    /// <summary>
    /// The kill switch in its own file (no --state), on the quarter's firm: a damaged file must never let out orders
    /// it stopped (every byte of it is flipped in <c>KillSwitchTests</c>; these cases run the CLI end to end).
    /// </summary>
    [Theory]
    [InlineData(true, "name-of-Engaged")]
    [InlineData(true, "flip:7101")]
    [InlineData(false, "flip:7201")]
    public void A_damaged_kill_switch_file_keeps_trading_stopped_or_reads_exactly(bool engaged, string damage)
    {
        var run = folders.Fresh($"kill-switch-{engaged}-{damage.Replace(':', '-')}", quarter: true);
        var path = Path.Combine(Path.GetDirectoryName(run.State)!, "kill-switch.json");
        new FastRebal.Engine.Risk.FileKillSwitchStore(path).Save(new(engaged, "alice", "feed looks wrong", new DateTimeOffset(2025, 6, 30, 14, 0, 0, TimeSpan.Zero), 42));
        var what = damage == "name-of-Engaged"
            ? $"{path}: the E of the field name Engaged XORed with 0x01"
            : $"1 byte XORed at offset {Flip(path, new Random(Seed(damage)), 0, new FileInfo(path).Length, 1)} of {path} (seed {Seed(damage)})";
        if (damage == "name-of-Engaged")
        {
            var bytes = File.ReadAllBytes(path);
            bytes[Array.IndexOf(bytes, (byte)'E')] ^= 0x01;
            File.WriteAllBytes(path, bytes);
        }

        var next = ChildRun.Run([.. run.Firm, "--blotter", run.Blotter, "--kill-switch-file", path]);

        AssertNoStackTrace(what, next);
        Assert.True(next.ExitCode is 0 or StateDamage, $"{what}: exit code {next.ExitCode}:\n{next.Output}");
        if (!engaged && next.Output.Contains("kill switch is ENGAGED", StringComparison.Ordinal))
        {
            // Failing safe: the damaged file of a released switch reads as engaged, and says which file and why.
            Assert.Contains($"kill switch state file {path} is unreadable", next.Output);
        }
        if (engaged || next.Output.Contains("kill switch is ENGAGED", StringComparison.Ordinal))
        {
            Assert.Contains("kill switch is ENGAGED", next.Output);
            Assert.DoesNotContain(File.ReadAllLines(run.Blotter), l => l.StartsWith("new,", StringComparison.Ordinal));
            return;
        }
        AssertExact(run, next, what);
    }

    private static void AssertExactOrStopped(DamagedFolders.Run run, ChildRun.Result finished, string what, string names)
    {
        AssertNoStackTrace(what, finished);
        if (finished.ExitCode == 0)
        {
            AssertExact(run, finished, what);
            return;
        }
        Assert.True(finished.ExitCode == StateDamage, $"{what}: exit code {finished.ExitCode}, expected 0 (the same state) or {StateDamage} (damage found):\n{finished.Output}");
        // Either the run went on from the last good point ("recovery: damage: ... batch N"), or nothing could be rebuilt.
        var lines = finished.Output.Split('\n');
        var damage = lines.FirstOrDefault(l => l.Contains("recovery: damage:", StringComparison.Ordinal));
        var refusal = lines.FirstOrDefault(l => l.StartsWith("fastrebal: state damage:", StringComparison.Ordinal));
        Assert.True(damage is not null || refusal is not null, $"{what}: exit code {StateDamage} without a 'recovery: damage:' or 'fastrebal: state damage:' line:\n{finished.Output}");
        Assert.True((damage ?? refusal)!.Contains(names, StringComparison.Ordinal), $"{what}: the damage line does not name {names}: {damage ?? refusal}");
        Assert.True(damage is null || LastGoodBatch().IsMatch(damage), $"{what}: the damage line does not name the last good batch: {damage}");
        // The run stopped at the last good point: every order it sent is one the uninterrupted run sent.
        var sent = File.Exists(run.Blotter) ? File.ReadAllLines(run.Blotter).Where(l => l.StartsWith("new,", StringComparison.Ordinal)) : [];
        var reference = run.Reference.Blotter.Where(l => l.StartsWith("new,", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        Assert.All(sent, line => Assert.True(reference.Contains(line), $"{what}: an order the uninterrupted run never sent: {line}"));
    }

    private static void AssertExact(DamagedFolders.Run run, ChildRun.Result finished, string what)
    {
        var reference = run.Reference;
        Assert.True(finished.Digest == reference.Digest, $"{what}: exit code 0 with a different state (digest {finished.Digest}, expected {reference.Digest}):\n{finished.Output}");
        var blotter = File.ReadAllLines(run.Blotter);
        Assert.True(reference.Blotter.SequenceEqual(blotter), $"{what}: exit code 0 with a different blotter ({blotter.Length} lines, expected {reference.Blotter.Length}):\n{finished.Output}");
    }

    private static void AssertNoStackTrace(string what, ChildRun.Result finished)
    {
        Assert.False(finished.Killed, $"{what}: the run died:\n{finished.Output}");
        Assert.False(finished.Output.Contains("Unhandled exception", StringComparison.Ordinal) || StackFrame().IsMatch(finished.Output),
            $"{what}: a stack trace instead of a message:\n{finished.Output}");
    }

    [GeneratedRegex(@"^\s+at \S", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"\bbatch \d+")]
    private static partial Regex LastGoodBatch();

    private static long CommitNumber(string path) => long.Parse(Path.GetFileName(path).Split('.')[1], System.Globalization.CultureInfo.InvariantCulture);

    private static int Seed(string damage) => int.Parse(damage[(damage.IndexOf(':', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>XORs <paramref name="count"/> bytes (each with a random non-zero mask) from a random offset in [from, to); returns the offset.</summary>
    private static long Flip(string path, Random random, long from, long to, int count)
    {
        var bytes = File.ReadAllBytes(path);
        to = Math.Min(to, bytes.Length);
        var offset = random.NextInt64(from, Math.Max(from + 1, to - count + 1));
        for (var i = 0; i < count && offset + i < bytes.Length; i++)
        {
            bytes[offset + i] ^= (byte)random.Next(1, 256);
        }
        File.WriteAllBytes(path, bytes);
        return offset;
    }

    private static string Cut(string path, long length)
    {
        var was = new FileInfo(path).Length;
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(length);
        }
        return $"{path} cut from {was} to {length} bytes";
    }

    private static string Delete(string path)
    {
        File.Delete(path);
        return $"{path} deleted";
    }

    /// <summary>Where the last whole line of a file starts.</summary>
    private static long LastRecordStart(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return Array.LastIndexOf(bytes, (byte)'\n', bytes.Length - 2) + 1;
    }

    /// <summary>Where the last record of <paramref name="batch"/> or an earlier batch starts.</summary>
    private static long LastRecordStartOfBatch(string path, long batch)
    {
        var bytes = File.ReadAllBytes(path);
        var end = bytes.Length - 1;
        while (end > 0)
        {
            var start = Array.LastIndexOf(bytes, (byte)'\n', end - 1) + 1;
            var line = System.Text.Encoding.UTF8.GetString(bytes, start, end - start);
            if (BatchFigure().Match(line) is { Success: true } m && long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= batch)
            {
                return start;
            }
            end = start - 1;
        }
        throw new InvalidOperationException($"{path} holds no record of batch {batch} or before");
    }

    [GeneratedRegex(@"\[""batch"",""(\d+)""\]")]
    private static partial Regex BatchFigure();

    private static List<JsonObject> Catalog(DamagedFolders.Run run)
    {
        var path = Path.Combine(run.State, "state", "checkpoints.json");
        return File.Exists(path) ? [.. JsonNode.Parse(File.ReadAllText(path))!.AsArray().Select(n => n!.AsObject())] : [];
    }

    private static string EditCatalog(DamagedFolders.Run run, Func<List<JsonObject>, string> edit)
    {
        var entries = Catalog(run);
        var what = edit(entries);
        var array = new JsonArray([.. entries.Select(e => e.DeepClone())]);
        File.WriteAllText(Path.Combine(run.State, "state", "checkpoints.json"), array.ToJsonString());
        return what;
    }

    /// <summary>The checkpoint tokens with files on disk.</summary>
    private static IEnumerable<string> Tokens(DamagedFolders.Run run)
    {
        var checkpoints = Path.Combine(run.State, "state", "checkpoints");
        return new[] { "cpr-checkpoints", "index-checkpoints" }.Select(p => Path.Combine(checkpoints, p)).Where(Directory.Exists)
            .SelectMany(Directory.GetDirectories).Select(d => Path.GetFileName(d)!).Distinct();
    }

    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var directory in Directory.GetDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }
}

/// <summary>
/// The folders the fault cases start from, each made once by a crashed run of <see cref="ChildRun.Firm"/>, and the
/// runs never interrupted they are compared with.
/// </summary>
public sealed class DamagedFolders : IDisposable
{
    /// <summary>Killed at batch 120 with only the checkpoint taken after the opening: recovery replays 119 batches.</summary>
    public const string LongJournal = "long-journal";

    /// <summary>Killed at batch 120 with a checkpoint every 0.1 s: three or four checkpoints and the journal after the oldest.</summary>
    public const string Checkpointed = "checkpointed";

    /// <summary>
    /// The first quarter only (the chain of a whole year is tens of MB to verify at each case), with the audit chain:
    /// killed at batch 40, then saved by <c>fastrebal checkpoint</c>, which seals the chain.
    /// </summary>
    public const string Audited = "audited";

    /// <summary>The firm of <see cref="Audited"/>: <see cref="ChildRun.Firm"/> replayed to the end of March.</summary>
    private static readonly string[] Quarter = [.. ChildRun.Firm.Select(a => a == "2016-12-31" ? "2016-03-31" : a)];

    private readonly string root = Directory.CreateTempSubdirectory("fastrebal-faults-").FullName;
    private readonly Dictionary<string, Run> crashed = [];

    /// <summary>A state folder, the blotter and audit file beside it, and whether it belongs to the quarter's firm.</summary>
    public sealed record Run(string State, string Blotter, string Audit, bool IsQuarter)
    {
        public string[] Firm => IsQuarter ? Quarter : ChildRun.Firm;

        /// <summary>What a run never interrupted ends with.</summary>
        public Uninterrupted Reference => (IsQuarter ? QuarterReference : YearReference).Value;
    }

    /// <summary>The digest, blotter and audit entries (null when not kept) of a run never interrupted.</summary>
    public sealed record Uninterrupted(string Digest, string[] Blotter, string[]? Audit);

    private static readonly Lazy<Uninterrupted> YearReference = new(() => RunUninterrupted(ChildRun.Firm, audit: false));

    private static readonly Lazy<Uninterrupted> QuarterReference = new(() => RunUninterrupted(Quarter, audit: true));

    private static Uninterrupted RunUninterrupted(string[] firm, bool audit)
    {
        var dir = Directory.CreateTempSubdirectory("fastrebal-faults-reference-").FullName;
        try
        {
            var (blotter, chain) = (Path.Combine(dir, "blotter.csv"), Path.Combine(dir, "audit.jsonl"));
            var run = ChildRun.Run([.. firm, "--blotter", blotter, .. audit ? new[] { "--audit", chain } : []]);
            Assert.Equal(0, run.ExitCode);
            return new(run.Digest, File.ReadAllLines(blotter), audit ? AuditEntries(chain) : null);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A chain's entries without sequence numbers, hashes and times: what two runs must agree on.</summary>
    public static string[] AuditEntries(string path) => [.. FastRebal.Engine.Audit.FileAuditStore.Read(path).Records
        .Select(r => r.Entry)
        .Select(e => $"{e.Kind}|{e.AccountId}|{e.PolicyVersion}|{e.Rule}|{e.Explanation}|{e.Actor}|{e.InputHash}|{string.Join(";", e.Figures.Select(f => $"{f.Name}={f.Value}"))}")];

    public Run Fresh(string name, bool quarter = false)
    {
        var dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        return new Run(Path.Combine(dir, "state"), Path.Combine(dir, "blotter.csv"), Path.Combine(dir, "audit.jsonl"), quarter);
    }

    /// <summary>A copy of the folder a crashed run of this kind left (the run is made on first use).</summary>
    public Run Copy(string kind, string name)
    {
        if (!crashed.TryGetValue(kind, out var source))
        {
            source = Fresh("crashed-" + kind, quarter: kind == Audited);
            if (kind == Audited)
            {
                var run = StartCrashing(source, "journal-appended:40", "--checkpoint-interval", "00:00:00.1", "--audit", source.Audit);
                Assert.True(run.Killed, $"the {kind} run should have died at batch 40:\n{run.Output}");
                var saved = ChildRun.Run([.. source.Firm.Select(a => a == "run" ? "checkpoint" : a).Where(a => a != "--digest"), "--blotter", source.Blotter, "--state", source.State, "--audit", source.Audit]);
                Assert.True(saved.ExitCode == 0 && File.Exists(source.Audit + ".seal"), $"the checkpoint command should have saved the {kind} state and sealed its chain:\n{saved.Output}");
            }
            else
            {
                var run = StartCrashing(source, "journal-appended:120", "--checkpoint-interval", kind == LongJournal ? "01:00:00" : "00:00:00.1");
                Assert.True(run.Killed, $"the {kind} run should have died at batch 120:\n{run.Output}");
            }
            crashed[kind] = source;
        }
        var copy = Fresh(name, source.IsQuarter);
        FaultInjectionTests.CopyDirectory(Path.GetDirectoryName(source.State)!, Path.GetDirectoryName(copy.State)!);
        return copy;
    }

    /// <summary>Runs the firm on a folder to the end.</summary>
    internal ChildRun.Result Start(Run run, params string[] extra) =>
        ChildRun.Run([.. run.Firm, "--blotter", run.Blotter, "--state", run.State, .. extra]);

    /// <summary>Runs the firm on a folder until it kills itself at <paramref name="crashAt"/>.</summary>
    internal ChildRun.Result StartCrashing(Run run, string crashAt, params string[] extra) =>
        ChildRun.Run([.. run.Firm, "--blotter", run.Blotter, "--state", run.State, .. extra], crashAt: crashAt);

    public void Dispose() => Directory.Delete(root, recursive: true);
}
