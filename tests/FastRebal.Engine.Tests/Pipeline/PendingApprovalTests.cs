using FastRebal.Engine.Decisions;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Simulation;

namespace FastRebal.Engine.Tests.Pipeline;

public class PendingApprovalTests
{
    [Fact]
    public async Task Pending_approvals_list_every_account_held_for_an_operator_and_drop_one_once_it_is_decided()
    {
        var firm = FirmGenerator.Generate(new FirmSpec(3000, 20, 11), FirmGenerator.LoadHistory(11));
        var feed = new RandomWalkFeed(firm.Book.Prices, sources: 3, seed: 11, ticksPerSecond: 100);
        await using var engine = new EngineHost(firm.Book, feed, new InMemoryOrderSink(), new EngineOptions
        {
            Verification = new VerificationPolicy { DefaultStaleness = TimeSpan.FromMinutes(5) },
        });
        // The day's open decides every account; the generated firm holds illiquid funds, so some wait for approval.
        engine.Start();

        var pending = engine.Evaluation.PendingApprovals();
        Assert.NotEmpty(pending);
        Assert.Equal(engine.Evaluation.AwaitingApproval, pending.Count);
        Assert.All(pending, p => Assert.Equal(DecisionAction.NeedsApproval, p.Decision.Action));
        Assert.Equal(pending.Count, pending.Select(p => p.Decision.AccountId).Distinct().Count());

        var first = pending[0].Decision.AccountId;
        var result = await engine.Control.Send(new DecideApproval("ops", "reviewed with the client", first, Approve: false)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Applied, result.Detail);
        Assert.DoesNotContain(engine.Evaluation.PendingApprovals(), p => p.Decision.AccountId == first);
    }
}
