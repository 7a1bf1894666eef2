using System.Globalization;
using FastRebal.Engine.Risk;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Audit;

/// <summary>
/// Ready-made links from the risk layer to the chain, so a host records operator and risk events without the risk
/// code knowing about audit: the kill switch through its <see cref="KillSwitch.Changed"/> event, and a risk gate
/// refusal from the <see cref="OrderCandidate"/> and <see cref="RiskVerdict"/> the gate produced.
/// </summary>
public static class AuditHooks
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>The rules of the kill switch's operator-action records (<see cref="RecordKillSwitchIfMissing"/> needs only those).</summary>
    public static readonly IReadOnlyList<string> KillSwitchRules = ["KillSwitchEngaged", "KillSwitchReleased"];

    /// <summary>Appends an operator-action record on every engage and release (who, why, when); dispose to stop.</summary>
    public static IDisposable RecordKillSwitch(AuditChain chain, KillSwitch killSwitch)
    {
        void OnChanged(KillSwitchState state) => chain.Append(KillSwitchEntry(state, ""));
        killSwitch.Changed += OnChanged;
        return new Unsubscribe(() => killSwitch.Changed -= OnChanged);
    }

    /// <summary>
    /// Appends the kill switch's state when the chain's last kill-switch record does not show it: the switch saves its
    /// state before it raises the event that records it, so a crash between the two leaves a state no record explains.
    /// Call at start, once the state is recovered and before anything can change it. True when a record was appended.
    /// </summary>
    public static bool RecordKillSwitchIfMissing(AuditChain chain, KillSwitch killSwitch, IReadOnlyList<AuditRecord> records)
    {
        var state = killSwitch.State;
        AuditEntry? last = null;
        for (var i = records.Count - 1; i >= 0 && last is null; i--)
        {
            if (records[i].Entry is { Kind: AuditKind.OperatorAction, Rule: "KillSwitchEngaged" or "KillSwitchReleased" } entry)
            {
                last = entry;
            }
        }
        var recorded = last is not null
            && last.Rule == (state.Engaged ? "KillSwitchEngaged" : "KillSwitchReleased")
            && last.Figure("at") == AuditEncoding.FormatTimestamp(state.At);
        // A switch never engaged needs no record; any other state must be the last one the chain shows.
        if (recorded || (last is null && state == KillSwitchState.Released))
        {
            return false;
        }
        chain.Append(KillSwitchEntry(state, " (recorded when the engine started: it stopped between saving the switch and recording it)"));
        return true;
    }

    private static AuditEntry KillSwitchEntry(KillSwitchState state, string note) => AuditEntries.OperatorAction(
        state.Engaged ? "KillSwitchEngaged" : "KillSwitchReleased", state.Who, state.Why,
        (state.Engaged ? "kill switch engaged: no order leaves and every pending child order is cancelled" : "kill switch released: trading may resume") + note,
        [new("at", AuditEncoding.FormatTimestamp(state.At)), new("ringSequence", state.Sequence.ToString(C))]);

    /// <summary>The record of one order the risk gate refused, with its reason code, limit and actual figure.</summary>
    public static AuditEntry RiskRejection(AccountBook book, in OrderCandidate order, RiskVerdict verdict, string inputHash = "")
    {
        var instrument = book.Instruments[order.Instrument].Id;
        var policy = book.Policy(order.Account);
        return AuditEntries.RiskRejection(book.AccountId(order.Account), book.HouseholdId(order.Account), policy, verdict.Reason.ToString(),
            string.Create(C, $"{order.Side} {order.Quantity:0.######} {instrument} at {order.LimitPrice:0.00####} refused: {verdict.Describe()}"),
            [
                new("instrument", instrument),
                new("side", order.Side.ToString()),
                new("quantity", order.Quantity.ToString(C)),
                new("limitPrice", order.LimitPrice.ToString(C)),
                new("limit", verdict.Limit.ToString(C)),
                new("actual", verdict.Actual.ToString(C)),
                new("ringSequence", order.Sequence.ToString(C)),
            ],
            inputHash);
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        private Action? pending = action;

        public void Dispose() => Interlocked.Exchange(ref pending, null)?.Invoke();
    }
}
