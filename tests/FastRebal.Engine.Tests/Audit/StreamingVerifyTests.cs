using FastRebal.Engine.Audit;

namespace FastRebal.Engine.Tests.Audit;

/// <summary>Files are verified a block at a time; the verdict must be the one the whole file read at once gets.</summary>
public sealed class StreamingVerifyTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-streaming-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>About 6 MB over four UTC days: longer than the 1 MB blocks the file is read in.</summary>
    private string Chain()
    {
        var path = Path.Combine(folder, "audit.jsonl");
        var clock = new ManualClock(AuditTestData.Start);
        using var chain = new AuditChain(FileAuditStore.Open(path).Store!, clock);
        for (var i = 0; i < 18_000; i++)
        {
            chain.Append(i % 3 == 0 ? AuditTestData.Decision($"A{i % 500}") : AuditTestData.Trade($"A{i % 500}"));
            clock.Advance(TimeSpan.FromSeconds(15));
        }
        chain.Flush(durable: true);
        return path;
    }

    private static void AssertSameVerdict(string path)
    {
        var content = FileAuditStore.Read(path);
        var whole = AuditVerifier.Verify(content.Lines, content.Torn, content.Seal);

        var streamed = FileAuditStore.VerifyFiles(path);

        Assert.Equal(whole with { Days = [] }, streamed with { Days = [] });
        Assert.Equal(whole.Days, streamed.Days);
    }

    [Fact]
    public void An_intact_file_gets_the_same_counts_and_daily_merkle_roots()
    {
        var path = Chain();

        AssertSameVerdict(path);
        var verification = FileAuditStore.VerifyFiles(path);
        Assert.True(verification.Intact);
        Assert.Equal(4, verification.Days.Count);
        Assert.Equal(18_000, verification.Days.Sum(d => d.Records));
    }

    [Theory]
    [InlineData("edit")]
    [InlineData("delete")]
    [InlineData("swap")]
    [InlineData("truncate")]
    [InlineData("tear")]
    public void A_damaged_file_gets_the_same_fault_message_and_place(string damage)
    {
        var path = Chain();
        var lines = File.ReadAllLines(path);
        // Damage past the first block, so the reader has moved on from where the file starts.
        var at = 12_345;
        string[] damaged = damage switch
        {
            "edit" => [.. lines[..at], lines[at].Replace("\"engine\"", "\"Engine\"", StringComparison.Ordinal), .. lines[(at + 1)..]],
            "delete" => [.. lines[..at], .. lines[(at + 1)..]],
            "swap" => [.. lines[..at], lines[at + 1], lines[at], .. lines[(at + 2)..]],
            "truncate" => lines[..at],
            _ => lines,
        };
        File.WriteAllText(path, string.Join("\n", damaged) + (damage == "tear" ? "\n{\"seq\":18001,\"ts\"" : "\n"));

        AssertSameVerdict(path);
        Assert.False(FileAuditStore.VerifyFiles(path).Intact);
    }

    [Fact]
    public void An_accounts_records_are_read_from_a_file_of_any_size_and_no_other_account_matches()
    {
        var path = Chain();
        using (var chain = new AuditChain(FileAuditStore.Open(path).Store!))
        {
            chain.Append(AuditTestData.Operator());
        }
        var everything = FileAuditStore.Read(path).Records.ToList();

        var read = FileAuditStore.ReadAccount(path, "A7");

        Assert.Equal(everything.Where(r => r.Entry.AccountId is "A7" or "").Select(r => r.Hash), read.Select(r => r.Hash));
        // A7 is a prefix of A70..A79: only the whole id matches; the firm-wide operator action comes too.
        Assert.Equal(37, read.Count);
        Assert.All(read, r => Assert.Contains(r.Entry.AccountId, new[] { "A7", "" }));
        Assert.Equal([AuditKind.OperatorAction], FileAuditStore.ReadAccount(path, "nobody").Select(r => r.Entry.Kind));
    }
}
