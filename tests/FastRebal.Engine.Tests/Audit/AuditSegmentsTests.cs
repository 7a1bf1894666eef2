using System.Globalization;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Pipeline;

namespace FastRebal.Engine.Tests.Audit;

public sealed class AuditSegmentsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-segments-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Live => Path.Combine(folder, "audit.jsonl");

    private string Archive => Path.Combine(folder, "audit-1.jsonl");

    private static AuditEntry Decision(long batch, int n) =>
        new(AuditKind.Decision, $"A{n}", "H", "P", 1, "BandBreach", "drifted", [new("drift", "0.07"), new(AuditWriter.BatchFigure, batch.ToString(CultureInfo.InvariantCulture))], "engine", "", new string('a', 64));

    /// <summary>Writes batches 1..<paramref name="batches"/> of <paramref name="perBatch"/> records each; returns the last record.</summary>
    private AuditRecord Write(int batches, int perBatch)
    {
        using var chain = new AuditChain(FileAuditStore.Open(Live).Store!);
        AuditRecord last = null!;
        for (var b = 1; b <= batches; b++)
        {
            for (var i = 0; i < perBatch; i++)
            {
                last = chain.Append(Decision(b, i));
            }
        }
        return last;
    }

    [Fact]
    public void A_rollover_moves_the_records_to_an_archive_and_the_new_file_goes_on_with_the_same_chain()
    {
        var tail = Write(batches: 3, perBatch: 4);

        var rolled = AuditSegments.RollOver(Live, Archive, "console", "over the limit");

        Assert.NotNull(rolled);
        Assert.Null(rolled.Repair);
        Assert.Equal(12, FileAuditStore.Read(Archive).Records.Count());
        Assert.Equal(tail.Sequence, FileAuditStore.ReadSeal(Archive)!.Sequence);
        var opening = Assert.Single(FileAuditStore.Read(Live).Records);
        Assert.Equal((13L, tail.Hash), (opening.Sequence, opening.PreviousHash));
        Assert.Equal("3", opening.Entry.Figure(AuditSegments.LastBatchFigure));
        Assert.Equal("4", opening.Entry.Figure(AuditSegments.LastBatchRecordsFigure));
        // Each file alone, and both as one chain.
        Assert.True(FileAuditStore.VerifyFiles(Live).Intact);
        Assert.True(FileAuditStore.VerifyFiles(Archive).Intact);
        Assert.True(FileAuditStore.VerifyFiles(Archive, Live).Intact);
        // The live file opens for appending and goes on numbering.
        using var chain = new AuditChain(FileAuditStore.Open(Live).Store!);
        Assert.Equal(14, chain.Append(Decision(4, 0)).Sequence);
    }

    [Fact]
    public void A_compressed_archive_is_a_fraction_of_the_size_and_verifies_and_reads_as_the_plain_one_did()
    {
        Write(batches: 20, perBatch: 50);
        AuditSegments.RollOver(Live, Archive, "console", "over the limit");
        var plain = new FileInfo(Archive).Length;
        var accountBefore = FileAuditStore.ReadAccount(Archive, "A7").Select(r => r.Hash).ToList();

        var compressed = AuditSegments.Compress(Archive);

        Assert.Equal(Archive + ".gz", compressed);
        Assert.False(File.Exists(Archive));
        Assert.False(File.Exists(FileAuditStore.SealPath(Archive)));
        Assert.Equal(1000, FileAuditStore.ReadSeal(compressed)!.Sequence);
        Assert.True(new FileInfo(compressed).Length < plain / 3, $"{new FileInfo(compressed).Length} bytes compressed of {plain}");
        var both = FileAuditStore.VerifyFiles(compressed, Live);
        Assert.True(both.Intact, both.Message);
        Assert.Equal(1001, both.Days.Sum(d => d.Records));
        Assert.Equal(accountBefore, FileAuditStore.ReadAccount(compressed, "A7").Select(r => r.Hash));
        Assert.Equal(1000, FileAuditStore.Read(compressed).Records.Count());
        Assert.Empty(Directory.GetFiles(folder, "*.tmp.gz"));
    }

    [Fact]
    public void A_damaged_compressed_archive_fails_verification_naming_the_file_instead_of_throwing()
    {
        Write(batches: 20, perBatch: 50);
        AuditSegments.RollOver(Live, Archive, "console", "over the limit");
        var compressed = AuditSegments.Compress(Archive);
        var bytes = File.ReadAllBytes(compressed);

        // Cut in the middle, then a byte flipped in the middle.
        File.WriteAllBytes(compressed, bytes[..(bytes.Length / 2)]);
        var cut = FileAuditStore.VerifyFiles(compressed, Live);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(compressed, bytes);
        var flipped = FileAuditStore.VerifyFiles(compressed, Live);

        Assert.False(cut.Intact);
        Assert.Contains(Path.GetFileName(compressed), cut.Message, StringComparison.Ordinal);
        Assert.False(flipped.Intact);
        Assert.Contains(Path.GetFileName(compressed), flipped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_closed_twice_closes_once()
    {
        var store = FileAuditStore.Open(Live).Store!;
        new AuditChain(store).Append(Decision(1, 0));

        store.Dispose();
        store.Dispose();

        Assert.Equal(1, FileAuditStore.ReadSeal(Live)!.Sequence);
    }

    [Fact]
    public void An_archive_without_its_seal_is_not_compressed()
    {
        Write(batches: 2, perBatch: 5);
        AuditSegments.RollOver(Live, Archive, "console", "over the limit");
        File.Delete(FileAuditStore.SealPath(Archive));

        Assert.Contains("no seal", Assert.Throws<IOException>(() => AuditSegments.Compress(Archive)).Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Archive));
    }

    [Fact]
    public void An_archive_edited_after_the_rollover_no_longer_verifies_with_the_live_file()
    {
        Write(batches: 2, perBatch: 3);
        AuditSegments.RollOver(Live, Archive, "console", "over the limit");

        var lines = File.ReadAllLines(Archive);
        lines[^1] = lines[^1].Replace("0.07", "0.01", StringComparison.Ordinal);
        File.WriteAllLines(Archive, lines);

        var verification = FileAuditStore.VerifyFiles(Archive, Live);
        Assert.False(verification.Intact);
        Assert.Equal(6, verification.BadSequence);
    }

    [Fact]
    public void A_torn_last_line_is_cut_before_the_rollover_and_reported()
    {
        var tail = Write(batches: 1, perBatch: 3);
        File.AppendAllText(Live, "{\"seq\":4,\"ts\":\"2026-");

        var rolled = AuditSegments.RollOver(Live, Archive, "console", "over the limit");

        Assert.Contains("torn", rolled!.Repair, StringComparison.Ordinal);
        Assert.True(FileAuditStore.VerifyFiles(Archive, Live).Intact);
        Assert.Equal(tail.Sequence + 1, FileAuditStore.Read(Live).Records.Single().Sequence);
    }

    [Fact]
    public void An_empty_or_missing_file_is_not_rolled_over()
    {
        Assert.Null(AuditSegments.RollOver(Live, Archive, "console", "over the limit"));
        File.WriteAllText(Live, "");
        Assert.Null(AuditSegments.RollOver(Live, Archive, "console", "over the limit"));
        Assert.False(File.Exists(Archive));
    }

    [Fact]
    public void The_last_batch_a_recovery_resumes_from_counts_its_records_in_the_archive_and_after_it()
    {
        Write(batches: 2, perBatch: 5);
        AuditSegments.RollOver(Live, Archive, "console", "over the limit");
        using var chain = new AuditChain(FileAuditStore.Open(Live).Store!);

        // Nothing after the rollover: the archive's last batch, all five records of it.
        Assert.Equal((2L, 5L), AuditWriter.LastBatchIn(chain));
        // Two more of the same batch (a recovery replaying it wrote them after the rollover): seven in all.
        chain.Append(Decision(2, 5));
        chain.Append(Decision(2, 6));
        Assert.Equal((2L, 7L), AuditWriter.LastBatchIn(chain));
        // A new batch stands alone.
        chain.Append(Decision(3, 0));
        Assert.Equal((3L, 1L), AuditWriter.LastBatchIn(chain));
    }

    [Fact]
    public void Only_the_end_of_a_large_file_is_read_yet_a_long_last_batch_is_counted_whole()
    {
        // About 3 MB in all, with a last batch longer than the first window the rollover reads.
        Write(batches: 2, perBatch: 6000);

        AuditSegments.RollOver(Live, Archive, "console", "over the limit");

        var opening = FileAuditStore.Read(Live).Records.Single();
        Assert.Equal("6000", opening.Entry.Figure(AuditSegments.LastBatchRecordsFigure));
        Assert.True(FileAuditStore.VerifyFiles(Archive, Live).Intact);
    }

    [Fact]
    public void Opening_at_the_end_reads_only_the_end_yet_refuses_records_cut_from_it_and_cuts_a_torn_line()
    {
        var last = Write(batches: 3, perBatch: 4);
        var lines = File.ReadAllLines(Live);

        // An edit in the middle is left to audit verify (the full open still refuses it) ...
        File.WriteAllLines(Live, [.. lines[..5], lines[5].Replace("0.07", "0.01", StringComparison.Ordinal), .. lines[6..]]);
        Assert.Null(FileAuditStore.Open(Live).Store);
        using (var opened = FileAuditStore.OpenAtEnd(Live).Store)
        {
            Assert.Equal(last.Sequence, opened!.Last!.Sequence);
            Assert.Equal((3L, 4L), opened.LastBatch());
        }

        // ... but whole records cut from the end are refused against the seal,
        File.WriteAllLines(Live, lines[..10]);
        var cut = FileAuditStore.OpenAtEnd(Live);
        Assert.Null(cut.Store);
        Assert.Equal(AuditFault.Truncated, cut.Verification.Fault);
        Assert.Contains("records 11 to 12 are missing from the end", cut.Verification.Message, StringComparison.Ordinal);

        // an edited last record is refused, and a torn last line is cut.
        File.WriteAllLines(Live, [.. lines[..11], lines[11].Replace("0.07", "0.01", StringComparison.Ordinal)]);
        Assert.Equal(AuditFault.Edited, FileAuditStore.OpenAtEnd(Live).Verification.Fault);
        File.WriteAllText(Live, string.Join("\n", lines) + "\n{\"seq\":13,\"ts\":");
        var torn = FileAuditStore.OpenAtEnd(Live);
        Assert.Contains("torn", torn.Repair, StringComparison.Ordinal);
        using (var chain = new AuditChain(torn.Store!))
        {
            Assert.Equal(13, chain.Append(Decision(4, 0)).Sequence);
        }
        Assert.True(FileAuditStore.VerifyFiles(Live).Intact);
    }
}
