using CsCheck;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>Invariants of the lot book under random buys, sells (every method, with budgets) and wash sales.</summary>
public class LotPropertyTests
{
    private static readonly LotMethod[] Methods = Enum.GetValues<LotMethod>();

    /// <summary>A random day of trading: (is buy, quantity, price, method, days after the start, gains budget or none).</summary>
    private static readonly Gen<(bool Buy, int Quantity, int Price, int Method, int Day, int Budget)[]> Days =
        Gen.Select(Gen.Bool, Gen.Int[1, 300], Gen.Int[20, 200], Gen.Int[0, Methods.Length - 1], Gen.Int[0, 800], Gen.Int[-1, 5_000]).Array[1, 40];

    [Fact]
    public void Lots_always_sum_to_the_position_and_basis_is_conserved()
    {
        Days.Sample(days =>
        {
            var lots = new LotBook();
            lots.AddAccount("T1", [new TaxLot("O", "SPY", new(2023, 1, 3), 100, 9_000)]);
            lots.AddAccount("T2", []);
            var ledger = new WashSaleLedger(InstrumentRelations.None, lots);
            var position = new Dictionary<string, decimal> { ["T1"] = 100, ["T2"] = 0 };
            // Basis in = starting basis + every purchase; out = every relief; wash sales move a disallowed loss in.
            var basisIn = 9_000m;
            var relievedBasis = 0m;
            var start = new DateOnly(2024, 1, 2);
            var ordered = days.OrderBy(d => d.Day).ToArray();
            for (var i = 0; i < ordered.Length; i++)
            {
                var (buy, quantity, price, method, day, budget) = ordered[i];
                var account = i % 3 == 0 ? "T2" : "T1";
                var date = start.AddDays(day);
                if (buy)
                {
                    var lot = lots.Buy(account, "SPY", date, quantity, price);
                    basisIn += quantity * (decimal)price;
                    basisIn += ledger.RecordBuy("H", account, false, "SPY", date, quantity, lot.Id, TradeSource.Rebalance).Sum(w => w.DisallowedLoss);
                    position[account] += quantity;
                }
                else
                {
                    var held = lots.Lots(account, "SPY");
                    var specific = held.Select(l => l.Id).Reverse().ToList();
                    var selection = LotSelector.Select(held, Math.Min(quantity, position[account]), price, date, Methods[method],
                        new SellLimits(budget < 0 ? null : budget), specific);
                    Assert.True(selection.Quantity <= Math.Min(quantity, position[account]));
                    Assert.All(selection.Reliefs, r => Assert.True(r.Quantity > 0));
                    lots.Sell(account, "SPY", selection);
                    relievedBasis += selection.Reliefs.Sum(r => r.Basis);
                    basisIn += ledger.RecordSale("H", account, "SPY", date, selection.Reliefs).Sum(w => w.DisallowedLoss);
                    position[account] -= selection.Quantity;
                }
                foreach (var a in new[] { "T1", "T2" })
                {
                    Assert.Equal(position[a], lots.Quantity(a, "SPY"));
                    Assert.All(lots.Lots(a, "SPY"), l => Assert.True(l.Quantity > 0 && l.CostBasis >= 0));
                }
                var basisHeld = lots.AllLots("T1").Concat(lots.AllLots("T2")).Sum(l => l.CostBasis);
                Assert.Equal(basisIn - relievedBasis, basisHeld, 18);
            }
        }, iter: 300);
    }

    [Fact]
    public void Lot_ids_stay_unique_within_an_account()
    {
        Gen.Int[1, 20].Array[1, 30].Sample(quantities =>
        {
            var lots = new LotBook();
            lots.AddAccount("T1", []);
            var ledger = new WashSaleLedger(InstrumentRelations.None, lots);
            var day = new DateOnly(2025, 1, 2);
            foreach (var q in quantities)
            {
                // Same-day buys after a same-day loss: every split still gets its own id.
                var held = lots.Lots("T1", "SPY");
                if (held.Count > 0)
                {
                    var s = LotSelector.Select(held, 1, 1m, day, LotMethod.Fifo);
                    lots.Sell("T1", "SPY", s);
                    ledger.RecordSale("H", "T1", "SPY", day, s.Reliefs);
                }
                var lot = lots.Buy("T1", "SPY", day, q, 10);
                ledger.RecordBuy("H", "T1", false, "SPY", day, q, lot.Id, TradeSource.Rebalance);
            }
            var ids = lots.Lots("T1", "SPY").Select(l => l.Id).ToList();
            Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        }, iter: 200);
    }
}
