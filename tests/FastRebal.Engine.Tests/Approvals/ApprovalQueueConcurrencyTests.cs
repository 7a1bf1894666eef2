using FastRebal.Engine.Approvals;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Tests.Approvals;

/// <summary>The queue is shared by an engine that submits and operators who decide, each on their own thread.</summary>
public class ApprovalQueueConcurrencyTests
{
    private static readonly DateTimeOffset When = new(2025, 6, 2, 15, 0, 0, TimeSpan.Zero);

    private static ApprovalItem Item(int account) => new(
        ApprovalItem.MakeId(ApprovalKind.IlliquidHoldings, $"A{account}", new DateOnly(2025, 6, 2), [new Trade($"A{account}", "VNQ", TradeSide.Sell, 10, 90m, "band")]),
        ApprovalKind.IlliquidHoldings,
        $"A{account}",
        "IPS-1",
        1,
        new DateOnly(2025, 6, 2),
        "illiquid holding out of band",
        [new Trade($"A{account}", "VNQ", TradeSide.Sell, 10, 90m, "band")]);

    [Fact]
    public async Task Items_submitted_from_many_threads_at_once_are_each_queued_and_audited_once_while_readers_read()
    {
        var queue = new ApprovalQueue();
        using var readersStop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            var reads = 0;
            do
            {
                // With a bare list underneath, enumerating while another thread adds throws "collection was modified".
                Assert.True(queue.Pending.Count() <= queue.Audit.Count);
                reads++;
            }
            while (!readersStop.IsCancellationRequested);
            return reads;
        });

        // Two threads submit the same 3,000 items, so every id is offered twice, mostly at the same moment.
        var items = Enumerable.Range(0, 3000).Select(Item).ToArray();
        using var start = new Barrier(2);
        Parallel.Invoke(
            () => { start.SignalAndWait(); foreach (var item in items) { queue.Submit(item, When); } },
            () => { start.SignalAndWait(); foreach (var item in items) { queue.Submit(item, When); } });
        readersStop.Cancel();
        Assert.True(await reader > 0);

        Assert.Equal(3000, queue.Items.Count);
        Assert.Equal(3000, queue.Items.Select(i => i.Id).Distinct().Count());
        Assert.Equal(3000, queue.Audit.Count(r => r.Action == "submitted"));
    }

    [Fact]
    public void Two_operators_deciding_the_same_item_at_once_give_one_decision_and_one_already_decided()
    {
        for (var round = 0; round < 2000; round++)
        {
            var queue = new ApprovalQueue();
            var item = queue.Submit(Item(round), When);
            using var start = new Barrier(2);
            var outcomes = new ApprovalOutcome[2];
            Parallel.Invoke(
                () => { start.SignalAndWait(); outcomes[0] = queue.Approve(item.Id, "ops-1", "checked the lots", When); },
                () => { start.SignalAndWait(); outcomes[1] = queue.Reject(item.Id, "ops-2", "wait for the close", When); });

            Assert.Single(outcomes, o => o == ApprovalOutcome.Done);
            Assert.Single(outcomes, o => o == ApprovalOutcome.AlreadyDecided);
            Assert.Single(queue.Audit, r => r.Action is "approved" or "rejected");
            var decided = queue.Find(item.Id)!;
            Assert.Equal(decided.Status == ApprovalStatus.Approved ? "ops-1" : "ops-2", decided.Decision!.Who);
        }
    }
}
