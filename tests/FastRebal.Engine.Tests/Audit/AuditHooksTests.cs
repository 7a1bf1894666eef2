using FastRebal.Engine.Audit;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Risk;

namespace FastRebal.Engine.Tests.Audit;

public sealed class AuditHooksTests
{
    [Fact]
    public void Kill_switch_engage_and_release_become_operator_records_with_who_and_why()
    {
        var store = new MemoryAuditStore();
        var chain = new AuditChain(store);
        var killSwitch = new KillSwitch(new InMemoryKillSwitchStore());
        var at = new DateTimeOffset(2025, 9, 26, 15, 0, 0, TimeSpan.Zero);

        using (AuditHooks.RecordKillSwitch(chain, killSwitch))
        {
            killSwitch.Engage("alice", "feed B printing zeros", 42, at);
            killSwitch.Release("bob", "feed B fixed", at.AddMinutes(5));
        }
        killSwitch.Engage("carol", "after unsubscribing", 43, at.AddMinutes(6));

        Assert.Equal(2, store.Records.Count);
        var (engaged, released) = (store.Records[0].Entry, store.Records[1].Entry);
        Assert.Equal((AuditKind.OperatorAction, "KillSwitchEngaged", "alice", "feed B printing zeros"), (engaged.Kind, engaged.Rule, engaged.Actor, engaged.ActorReason));
        Assert.Equal("42", engaged.Figure("ringSequence"));
        Assert.Equal((AuditKind.OperatorAction, "KillSwitchReleased", "bob", "feed B fixed"), (released.Kind, released.Rule, released.Actor, released.ActorReason));
        Assert.True(store.Verify().Intact);
    }

    [Fact]
    public void A_kill_switch_state_the_chain_does_not_show_is_recorded_once_at_start_and_a_recorded_one_is_not()
    {
        var store = new MemoryAuditStore();
        var chain = new AuditChain(store);
        var switchStore = new InMemoryKillSwitchStore();
        var at = new DateTimeOffset(2025, 9, 26, 15, 0, 0, TimeSpan.Zero);

        // Never engaged, nothing recorded: nothing to explain.
        Assert.False(AuditHooks.RecordKillSwitchIfMissing(chain, new KillSwitch(switchStore), store.Records));

        // Engaged and saved, then the process died before the event recorded it (no hook attached here).
        new KillSwitch(switchStore).Engage("alice", "feed B printing zeros", 42, at);
        var restarted = new KillSwitch(switchStore);
        Assert.True(AuditHooks.RecordKillSwitchIfMissing(chain, restarted, store.Records));
        Assert.False(AuditHooks.RecordKillSwitchIfMissing(chain, restarted, store.Records));
        var engaged = Assert.Single(store.Records).Entry;
        Assert.Equal(("KillSwitchEngaged", "alice", "feed B printing zeros", "42"), (engaged.Rule, engaged.Actor, engaged.ActorReason, engaged.Figure("ringSequence")));
        Assert.Contains("recorded when the engine started", engaged.Explanation, StringComparison.Ordinal);

        // Released the same way: the chain's last record says engaged, so the release is recorded.
        restarted.Release("bob", "feed B fixed", at.AddMinutes(5));
        Assert.True(AuditHooks.RecordKillSwitchIfMissing(chain, new KillSwitch(switchStore), store.Records));
        Assert.Equal(("KillSwitchReleased", "bob"), (store.Records[^1].Entry.Rule, store.Records[^1].Entry.Actor));

        // Engaged again with the hook attached: the record is there, and a start adds nothing.
        var live = new KillSwitch(switchStore);
        using (AuditHooks.RecordKillSwitch(chain, live))
        {
            live.Engage("carol", "venue outage", 43, at.AddMinutes(9));
        }
        Assert.False(AuditHooks.RecordKillSwitchIfMissing(chain, new KillSwitch(switchStore), store.Records));
        Assert.Equal(3, store.Records.Count);
        Assert.True(store.Verify().Intact);
    }

    [Fact]
    public void A_risk_refusal_carries_the_account_policy_reason_and_figures()
    {
        var book = new TestBook().Instrument("SPY", 500).Instrument("AGG", 100).Model("M", ("SPY", 0.6), ("AGG", 0.4))
            .Account("A1", "M", 1000m, null, null, ("SPY", 10m)).Load().Book;
        var order = new OrderCandidate(0, 0, 0, TradeSide.Buy, 10m, 500m, 7);

        var entry = AuditHooks.RiskRejection(book, order, new RiskVerdict(RejectReason.OrderNotional, 1_000m, 5_000m));

        Assert.Equal((AuditKind.RiskRejection, book.AccountId(0), book.Policy(0).Id, "OrderNotional"), (entry.Kind, entry.AccountId, entry.PolicyId, entry.Rule));
        Assert.Contains("refused: order notional 5,000.00 above the per-order limit 1,000.00", entry.Explanation, StringComparison.Ordinal);
        Assert.Equal(("1000", "5000"), (entry.Figure("limit"), entry.Figure("actual")));
    }

    [Fact]
    public void Input_hash_changes_with_any_input_and_only_then()
    {
        static string Hash(double spy = 500, decimal quantity = 10m, double band = 0.05, decimal flow = 0)
        {
            var book = new TestBook().Instrument("SPY", spy).Instrument("AGG", 100).Model("M", ("SPY", 0.6), ("AGG", 0.4))
                .Account("A1", "M", 1000m, TestBook.Policy(band: band), null, ("SPY", quantity)).Load().Book;
            return AuditInputs.Hash(book, 0, TestBook.AsOf, flow);
        }

        Assert.Equal(Hash(), Hash());
        Assert.Equal(4, new[] { Hash(spy: 501), Hash(quantity: 11m), Hash(band: 0.04), Hash(flow: 100m) }.Distinct().Count(h => h != Hash()));
    }
}
