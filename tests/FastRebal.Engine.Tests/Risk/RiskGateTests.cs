using CsCheck;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Risk;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Risk;

public class RiskGateTests
{
    private static readonly long Now = new DateTime(2025, 6, 30, 14, 0, 0, DateTimeKind.Utc).Ticks;

    private static readonly InstrumentTable Table = new([
        new Instrument("SPY", "SPY", "US Equity"),
        new Instrument("BAD", "BAD", "US Equity", Restricted: true),
    ]);

    internal sealed class FakePrices : IReferencePrices
    {
        public double[] Prices { get; } = [100, 50];

        public HashSet<int> Frozen { get; } = [];

        public double VerifiedPrice(int instrument) => Prices[instrument];

        public bool IsFrozen(int instrument) => Frozen.Contains(instrument);
    }

    private static (RiskGate Gate, FakePrices Prices) Gate(PreTradeLimits? limits = null)
    {
        var prices = new FakePrices();
        return (new RiskGate(10, 2, Table, limits ?? new PreTradeLimits(), new KillSwitch(new InMemoryKillSwitchStore()), prices), prices);
    }

    private static OrderCandidate Buy(decimal quantity, decimal price = 100, int account = 0, int instrument = 0, long sequence = 1) =>
        new(account, 0, instrument, TradeSide.Buy, quantity, price, sequence);

    [Fact]
    public void The_kill_switch_stops_the_very_next_order()
    {
        var (gate, _) = Gate();
        Assert.True(gate.Check(Buy(1), Now).IsAccepted);

        gate.KillSwitch.Engage("ops", "runaway test", 7, DateTimeOffset.UnixEpoch);

        Assert.Equal(RejectReason.KillSwitch, gate.Check(Buy(1), Now).Reason);
    }

    [Fact]
    public void An_order_exactly_at_the_per_order_limit_passes_and_one_cent_more_fails()
    {
        var (gate, prices) = Gate(new PreTradeLimits { MaxOrderNotional = 10_000m });
        prices.Prices[0] = 10_000.01;

        Assert.Equal(RejectReason.OrderNotional, gate.Check(Buy(1, 10_000.01m), Now).Reason);
        prices.Prices[0] = 10_000;
        Assert.True(gate.Check(Buy(1, 10_000m), Now).IsAccepted);
    }

    [Fact]
    public void A_limit_price_outside_the_collar_is_refused_with_the_figures()
    {
        var (gate, _) = Gate(new PreTradeLimits { PriceCollarBps = 100 });

        Assert.True(gate.Check(Buy(1, 101m), Now).IsAccepted);
        var verdict = gate.Check(Buy(1, 101.02m), Now);

        Assert.Equal(RejectReason.PriceCollar, verdict.Reason);
        Assert.Contains("collar 100 bps", verdict.Describe());
    }

    [Fact]
    public void Buying_a_restricted_instrument_is_refused_but_selling_it_down_is_not()
    {
        var (gate, _) = Gate();

        Assert.Equal(RejectReason.Restricted, gate.Check(Buy(1, 50, instrument: 1), Now).Reason);
        Assert.True(gate.Check(new OrderCandidate(0, 0, 1, TradeSide.Sell, 1, 50, 1), Now).IsAccepted);
    }

    [Fact]
    public void A_frozen_instrument_is_never_traded()
    {
        var (gate, prices) = Gate();
        prices.Frozen.Add(0);

        Assert.Equal(RejectReason.InstrumentFrozen, gate.Check(Buy(1), Now).Reason);
        Assert.Equal(RejectReason.InstrumentFrozen, gate.Check(new OrderCandidate(0, 0, 0, TradeSide.Sell, 1, 100, 1), Now).Reason);
    }

    [Fact]
    public void Account_and_firm_notional_are_capped_per_interval_and_reset_in_the_next()
    {
        var (gate, _) = Gate(new PreTradeLimits { MaxAccountNotionalPerInterval = 1_000m, MaxFirmNotionalPerInterval = 1_500m, Interval = TimeSpan.FromMinutes(1) });

        Assert.True(gate.Check(Buy(10, account: 0), Now).IsAccepted);
        Assert.Equal(RejectReason.AccountNotional, gate.Check(Buy(1, account: 0), Now).Reason);
        Assert.True(gate.Check(Buy(5, account: 1), Now).IsAccepted);
        Assert.Equal(RejectReason.FirmNotional, gate.Check(Buy(1, account: 2), Now).Reason);

        var nextMinute = Now + TimeSpan.FromMinutes(1).Ticks;
        Assert.True(gate.Check(Buy(10, account: 0), nextMinute).IsAccepted);
    }

    [Fact]
    public void A_runaway_loop_stops_itself_at_the_order_rate_limit_and_engages_the_kill_switch()
    {
        var (gate, _) = Gate(new PreTradeLimits { MaxOrdersPerInterval = 1000, Interval = TimeSpan.FromSeconds(1), MaxFirmNotionalPerInterval = decimal.MaxValue / 2, MaxAccountNotionalPerInterval = decimal.MaxValue / 2 });

        var accepted = 0;
        for (var i = 0; i < 4_000_000; i++)
        {
            if (gate.Check(Buy(1, account: i % 10), Now).IsAccepted)
            {
                accepted++;
            }
        }

        Assert.Equal(1000, accepted);
        Assert.True(gate.KillSwitch.IsEngaged);
        Assert.Equal("risk gate", gate.KillSwitch.State.Who);
        Assert.Equal(1, gate.Rejected(RejectReason.OrderRate));
        Assert.Equal(4_000_000 - 1001, gate.Rejected(RejectReason.KillSwitch));
        Assert.Equal(4_000_000, gate.Accepted + gate.TotalRejected);
    }

    [Fact]
    public void A_preview_answers_as_a_check_would_and_counts_nothing()
    {
        var (gate, _) = Gate(new PreTradeLimits { MaxAccountNotionalPerInterval = 1_000m });

        Assert.Equal(RejectReason.AccountNotional, gate.Preview([Buy(6), Buy(6)], Now).Reason);
        Assert.True(gate.Preview([Buy(5), Buy(5)], Now).IsAccepted);
        Assert.Equal(0, gate.Accepted);
        Assert.Equal(0, gate.TotalRejected);

        // Previewing used none of the interval's room: the same plan still passes when checked for real, once.
        Assert.True(gate.CheckAll([Buy(5), Buy(5)], Now).IsAccepted);
        Assert.Equal(RejectReason.AccountNotional, gate.Preview([Buy(1)], Now).Reason);
    }

    [Fact]
    public void A_plan_is_accepted_whole_or_not_counted_at_all()
    {
        var (gate, _) = Gate(new PreTradeLimits { MaxAccountNotionalPerInterval = 1_000m });

        var tooBig = gate.CheckAll([Buy(6), Buy(6)], Now);
        Assert.Equal(RejectReason.AccountNotional, tooBig.Reason);

        // Nothing of the refused plan was counted: a plan of 1,000 still fits.
        Assert.True(gate.CheckAll([Buy(5), Buy(5)], Now).IsAccepted);
        Assert.Equal(2, gate.Accepted);
    }

    [Fact]
    public void Rejections_are_counted_by_reason_and_kept_in_a_bounded_log()
    {
        var (gate, prices) = Gate();
        prices.Frozen.Add(0);
        for (var i = 0; i < 1000; i++)
        {
            gate.Check(Buy(1), Now);
        }

        Assert.Equal(1000, gate.Rejected(RejectReason.InstrumentFrozen));
        var log = gate.RecentRejections();
        Assert.Equal(256, log.Count);
        Assert.All(log, r => Assert.Equal(RejectReason.InstrumentFrozen, r.Verdict.Reason));
    }

    [Fact]
    public void Accepted_notional_never_exceeds_the_firm_limit_in_any_interval()
    {
        Gen.Select(Gen.Int[1, 200].Array[1, 300], Gen.Int[0, 9].Array[300], Gen.Int[0, 180].Array[300]).Sample((sizes, accounts, seconds) =>
        {
            var (gate, _) = Gate(new PreTradeLimits { MaxFirmNotionalPerInterval = 50_000m, Interval = TimeSpan.FromMinutes(1) });
            var perWindow = new Dictionary<long, decimal>();
            var time = Now;
            for (var i = 0; i < sizes.Length; i++)
            {
                time += TimeSpan.FromSeconds(seconds[i]).Ticks;
                var order = Buy(sizes[i], account: accounts[i]);
                if (gate.Check(order, time).IsAccepted)
                {
                    var window = time / TimeSpan.FromMinutes(1).Ticks;
                    perWindow[window] = perWindow.GetValueOrDefault(window) + order.Notional;
                }
            }
            Assert.All(perWindow.Values, total => Assert.True(total <= 50_000m));
        });
    }
}
