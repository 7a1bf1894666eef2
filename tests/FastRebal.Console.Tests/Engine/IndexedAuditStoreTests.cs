using FastRebal.Console.AuditTrail;
using FastRebal.Engine.Audit;

namespace FastRebal.Console.Tests.Engine;

public class IndexedAuditStoreTests
{
    private static AuditEntry Entry(string account, string explanation) =>
        new(AuditKind.Decision, account, "H1", "IPS-" + account, 1, "BandBreach", explanation, [new("trades", "0")], "engine", "", "");

    [Fact]
    public void An_accounts_records_read_back_from_the_file_newest_first_and_the_chain_still_verifies()
    {
        var path = Path.Combine(TestServices.TempDirectory(), "audit.jsonl");
        // A file with records from an earlier run: offsets must start after them.
        using (var earlier = new AuditChain(FileAuditStore.Open(path).Store!))
        {
            earlier.Append(Entry("A1", "from an earlier run"));
        }
        var store = new IndexedAuditStore(FileAuditStore.Open(path).Store!);
        using var chain = new AuditChain(store);

        chain.Append(Entry("A1", "first, with a \"quote\" and ünïcödé"));
        chain.Append(Entry("A2", "someone else"));
        chain.Append(AuditEntries.OperatorAction("KillSwitchEngaged", "olga", "test", "kill switch engaged"));
        chain.Append(Entry("A1", "second"));

        // The earlier run's record is in the index too: the console restarted on the same chain shows it.
        Assert.Equal(["second", "first, with a \"quote\" and ünïcödé", "from an earlier run"], store.ForAccount("A1").Select(r => r.Entry.Explanation));
        Assert.Equal([5L, 4, 3, 2, 1], store.Newest(10).Select(r => r.Sequence));
        Assert.Empty(store.ForAccount("A9"));
        Assert.Equal(["KillSwitchEngaged"], store.OperatorActions().Select(r => r.Entry.Rule));
        chain.Flush(durable: true);
        Assert.True(FileAuditStore.VerifyFiles(path).Intact);
    }

    [Fact]
    public void A_restart_indexes_the_records_already_in_the_file_each_kind_and_account_as_written()
    {
        var path = Path.Combine(TestServices.TempDirectory(), "audit.jsonl");
        using (var earlier = new AuditChain(FileAuditStore.Open(path).Store!))
        {
            earlier.Append(Entry("A1", "one"));
            earlier.Append(AuditEntries.OperatorAction("DecideApproval", "olga", "reviewed", "released", accountId: "A2"));
            // An id JSON escapes is read in full.
            earlier.Append(Entry("A\"3", "quoted id"));
            earlier.Append(Entry("A1", "two"));
        }

        var store = new IndexedAuditStore(FileAuditStore.Open(path).Store!);

        Assert.Equal(["two", "one"], store.ForAccount("A1").Select(r => r.Entry.Explanation));
        Assert.Equal(["quoted id"], store.ForAccount("A\"3").Select(r => r.Entry.Explanation));
        Assert.Equal(["DecideApproval"], store.OperatorActions().Select(r => r.Entry.Rule));
        Assert.Equal(["DecideApproval"], store.ForAccount("A2").Select(r => r.Entry.Rule));
        Assert.Equal([4L, 3, 2, 1], store.Newest(10).Select(r => r.Sequence));
    }

    [Fact]
    public void Only_the_last_records_of_an_account_are_indexed()
    {
        var store = new IndexedAuditStore(FileAuditStore.Open(Path.Combine(TestServices.TempDirectory(), "audit.jsonl")).Store!);
        using var chain = new AuditChain(store);
        for (var i = 0; i < IndexedAuditStore.PerAccount + 5; i++)
        {
            chain.Append(Entry("A1", $"decision {i}"));
        }

        var records = store.ForAccount("A1");

        Assert.Equal(IndexedAuditStore.PerAccount, records.Count);
        Assert.Equal($"decision {IndexedAuditStore.PerAccount + 4}", records[0].Entry.Explanation);
    }
}
