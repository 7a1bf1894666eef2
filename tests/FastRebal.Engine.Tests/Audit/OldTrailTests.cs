using FastRebal.Cli;
using FastRebal.Engine.Audit;

namespace FastRebal.Engine.Tests.Audit;

/// <summary>
/// A trail written before records kept their reasons as codes (Fixtures/v1-trail.jsonl: a live run with lots and
/// harvests, then the quickstart and tax examples, by commit 8271176) still verifies, reads and reports word for word
/// as it did then, and a chain continued from it by today's code verifies across both.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class OldTrailTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-old-trail-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Audit", "Fixtures", name);

    private string CopyOfTrail()
    {
        var path = Path.Combine(directory, "trail.jsonl");
        File.Copy(Fixture("v1-trail.jsonl"), path);
        File.Copy(Fixture("v1-trail.jsonl.seal"), FileAuditStore.SealPath(path));
        return path;
    }

    [Fact]
    public void An_old_trail_verifies_intact_to_its_sealed_tail()
    {
        var verification = FileAuditStore.VerifyFiles(CopyOfTrail());

        Assert.True(verification.Intact, verification.Message);
        Assert.Equal(111, verification.Count);
        Assert.Equal(FileAuditStore.ReadSeal(Fixture("v1-trail.jsonl"))!.Hash, verification.TailHash);
    }

    [Fact]
    public void An_old_trail_reads_in_the_words_it_was_reported_in()
    {
        var expected = File.ReadAllLines(Fixture("v1-trail.words.tsv")).Select(l => l.Split('\t')).ToDictionary(p => long.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture));

        var records = FileAuditStore.Read(Fixture("v1-trail.jsonl")).Records.ToList();

        Assert.Equal(expected.Count, records.Count);
        foreach (var record in records)
        {
            Assert.Equal(expected[record.Sequence][1], AuditReport.WhatAndWhy(record));
            Assert.Equal(expected[record.Sequence][2], AuditReport.DriftAndBand(record.Entry));
        }
    }

    [Fact]
    public void Audit_report_on_an_old_trail_is_the_report_it_gave_then()
    {
        var trail = CopyOfTrail();
        var report = Path.Combine(directory, "t1.csv");

        var (code, _, error) = CliRunner.Run("audit", "report", "--file", trail, "--account", "T1", "--from", "2026-12-06", "--to", "2026-12-06", "--out", report);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(File.ReadAllText(Fixture("v1-trail.report-T1.csv")), File.ReadAllText(report));
    }

    [Fact]
    public void A_chain_continued_from_an_old_trail_verifies_across_both_and_finds_an_edit_in_the_old_part()
    {
        var trail = CopyOfTrail();
        var (code, _, error) = CliRunner.Run("rebalance", "--scenario", Path.Combine(AppContext.BaseDirectory, "Examples", "quickstart.json"),
            "--out", Path.Combine(directory, "out.json"), "--quiet", "--audit", trail);
        Assert.True(code == ExitCodes.Ok, error);

        var verification = FileAuditStore.VerifyFiles(trail);
        Assert.True(verification.Intact, verification.Message);
        Assert.Equal(121, verification.Count);

        var lines = File.ReadAllLines(trail);
        lines[40] = lines[40].Replace("\"explanation\":\"", "\"explanation\":\"x", StringComparison.Ordinal);
        File.WriteAllText(trail, string.Join('\n', lines) + "\n");
        var tampered = FileAuditStore.VerifyFiles(trail);
        Assert.False(tampered.Intact);
        Assert.Equal((AuditFault.Edited, 41L), (tampered.Fault, tampered.BadSequence));
    }
}
