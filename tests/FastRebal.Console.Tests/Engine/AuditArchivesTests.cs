using FastRebal.Console.AuditTrail;
using FastRebal.Engine.Audit;

namespace FastRebal.Console.Tests.Engine;

public sealed class AuditArchivesTests : IDisposable
{
    private readonly string folder = TestServices.TempDirectory();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>A clock a test moves by hand.</summary>
    private sealed class HandClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>The first day <see cref="WriteChain"/> writes on.</summary>
    public static readonly DateTime FirstDay = new(2026, 3, 2, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// Writes an audit chain of four days in three segments into <paramref name="dataDirectory"/>, as a console's
    /// rollovers leave it: an archive of days 1 and 2, an archive of day 3, and the live file audit.jsonl with day 4.
    /// Returns the records written.
    /// </summary>
    public static int WriteChain(string dataDirectory)
    {
        var live = Path.Combine(dataDirectory, "audit.jsonl");
        var clock = new HandClock(new DateTimeOffset(FirstDay.AddHours(15)));
        var written = 0;
        void Day(int day, int records)
        {
            clock.Now = new DateTimeOffset(FirstDay.AddDays(day - 1).AddHours(15));
            using var store = FileAuditStore.Open(live).Store!;
            var chain = new AuditChain(store, clock);
            for (var i = 0; i < records; i++)
            {
                chain.Append(AuditEntries.OperatorAction("TestAction", "tester", $"day {day}", $"record {i} of day {day}"));
            }
            chain.Flush(durable: true);
            written += records;
        }
        void RollOver(int day)
        {
            clock.Now = new DateTimeOffset(FirstDay.AddDays(day - 1).AddHours(23));
            AuditSegments.RollOver(live, Path.Combine(dataDirectory, AuditArchives.NameFor(clock.Now.UtcDateTime)), "tester", "end of the test's day", clock);
            written++;
        }
        Day(1, 5);
        Day(2, 4);
        RollOver(2);
        Day(3, 6);
        RollOver(3);
        Day(4, 3);
        return written;
    }

    [Fact]
    public void Archives_and_the_live_file_verify_as_one_chain_over_several_days_and_a_broken_archive_is_named()
    {
        var records = WriteChain(folder);
        var live = Path.Combine(folder, "audit.jsonl");

        var segments = AuditArchives.List(live);
        Assert.Equal(3, segments.Count);
        Assert.True(segments[^1].IsLive);
        Assert.True(segments[0].ArchivedAt < segments[1].ArchivedAt);
        var verification = AuditArchives.VerifyAll(live);
        Assert.True(verification.Intact, verification.Message);
        Assert.Equal(4, verification.Days.Count);
        Assert.Equal(records, verification.Days.Sum(d => d.Records));

        // One changed character in the first archive: the whole chain no longer verifies, and the message names the file.
        var archive = segments[0].Path;
        var text = File.ReadAllText(archive);
        File.WriteAllText(archive, text.Replace("record 2 of day 1", "record 9 of day 1", StringComparison.Ordinal));
        var broken = AuditArchives.VerifyAll(live);
        Assert.False(broken.Intact);
        Assert.Contains(Path.GetFileName(archive), broken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compressed_archives_stand_in_for_the_plain_ones_and_the_chain_still_verifies()
    {
        var records = WriteChain(folder);
        var live = Path.Combine(folder, "audit.jsonl");
        var plain = AuditArchives.List(live).Where(s => !s.IsLive).Sum(s => s.Bytes);

        var compressed = AuditArchives.CompressArchives(live);

        Assert.Equal(2, compressed.Count);
        var segments = AuditArchives.List(live);
        Assert.Equal(3, segments.Count);
        Assert.All(segments.Where(s => !s.IsLive), s => Assert.EndsWith(".jsonl.gz", s.Name, StringComparison.Ordinal));
        Assert.All(segments.Where(s => !s.IsLive), s => Assert.NotNull(s.Seal));
        Assert.True(segments.Where(s => !s.IsLive).Sum(s => s.Bytes) < plain);
        var verification = AuditArchives.VerifyAll(live);
        Assert.True(verification.Intact, verification.Message);
        Assert.Equal(records, verification.Days.Sum(d => d.Records));
        // Nothing left to compress; the live file never is.
        Assert.Empty(AuditArchives.CompressArchives(live));
    }

    [Fact]
    public void Retention_deletes_only_archives_older_than_its_days_records_each_deletion_and_the_rest_still_verifies()
    {
        WriteChain(folder);
        var live = Path.Combine(folder, "audit.jsonl");
        var oldest = AuditArchives.List(live)[0];

        using (var store = FileAuditStore.Open(live).Store!)
        {
            var chain = new AuditChain(store);
            Assert.Empty(AuditArchives.ApplyRetention(live, 0, FirstDay.AddDays(400), chain));
            // Over ten days after day 2's archive (made at 23:00 on day 2), under ten after day 3's: a ten-day
            // retention deletes the first only.
            var deleted = Assert.Single(AuditArchives.ApplyRetention(live, 10, FirstDay.AddDays(12).AddHours(11), chain));
            Assert.Equal(oldest.Name, deleted.Name);
            chain.Flush(durable: true);
        }

        Assert.False(File.Exists(oldest.Path));
        Assert.False(File.Exists(FileAuditStore.SealPath(oldest.Path)));
        Assert.Equal(2, AuditArchives.List(live).Count);
        var verification = AuditArchives.VerifyAll(live);
        Assert.True(verification.Intact, verification.Message);
        var record = FileAuditStore.Read(live).Records.Last();
        Assert.Equal("AuditArchiveDeleted", record.Entry.Rule);
        Assert.Contains(oldest.Name, record.Entry.Explanation, StringComparison.Ordinal);
    }
}
