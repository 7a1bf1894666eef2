using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Backtest;

// The accounts of a day, lane by lane: decisions, harvests, fills and their costs and taxes.
public sealed partial class Backtester
{
    /// <summary>
    /// A range of accounts decided and traded together on one core: its own scratch (the day's trading of the account
    /// in hand, the fills) and its own per-model sums for the day.
    /// </summary>
    private sealed class Lane(Backtester run, int from, int to)
    {
        private readonly AccountBook book = run.book;
        private readonly List<(int Instrument, double QuantityChange)> fills = [];
        private double dayBuys;
        private double daySells;
        private double dayCost;
        private int dayTrades;
        private bool dayRebalanced;

        public ModelSums Sums { get; } = new(run.models.Length);

        public int Held { get; private set; }

        public double WithdrawalShortfall { get; private set; }

        public long AccountHalts { get; private set; }

        public void Day(int d)
        {
            Sums.Clear();
            var days = run.market.Days;
            var report = run.report;
            for (var a = from; a < to; a++)
            {
                ref var figures = ref run.accounts[a];
                var taxDue = run.TaxDue(a, days[d - 1], days[d]);
                var asked = run.FlowOn(days[d - 1], days[d], figures.LastValue) - taxDue + run.pendingFlow[a];
                run.pendingFlow[a] = 0;
                var flow = asked;
                var (drift, outside) = run.DriftOf(a);
                (dayBuys, daySells, dayCost, dayTrades, dayRebalanced) = (0, 0, 0, 0, false);
                var halted = run.AccountHalted(a, days[d], out var tripped) | run.marketHalted;
                AccountHalts += tripped ? 1 : 0;
                if (halted)
                {
                    flow = Halted(a, flow);
                }
                else
                {
                    // An account that harvested today is not decided again until tomorrow, as the live engine waits for its fills.
                    var harvestedToday = run.tax is not null && Harvest(a, d);
                    flow = harvestedToday && flow == 0 ? 0 : Trade(a, d, flow);
                }
                if (run.closeDrift.Length > 0)
                {
                    // After trades the drift at this close is not measured; the breaker then skips tomorrow's move, as the live one rebases.
                    run.closeDrift[a] = dayTrades > 0 ? double.NaN : report.TotalDrift[a];
                }
                // What a withdrawal could not pay out is taken off the tax first.
                var taxPaid = Math.Max(0, taxDue - (flow - asked));
                var traded = Math.Min(dayBuys, daySells);
                var model = book.ModelIndex(a);
                var target = (figures.LastTarget * (1 + run.modelReturn[model])) + flow;
                // An account that neither traded nor moved money is worth what the sweep just measured.
                var value = dayTrades == 0 && flow == 0 ? report.TotalValue[a] : run.ValueOf(a);
                var rebalanced = dayRebalanced ? 1 : 0;
                figures.Day(days[d], value, target, flow, traded, dayCost, dayTrades, rebalanced, drift, outside, taxPaid);
                if (a < run.series.Length)
                {
                    run.RecordSeries(a, d, traded, rebalanced);
                }
                Sums.TaxPaid[model] += taxPaid;
                Sums.Value[model] += value;
                Sums.Target[model] += target;
                Sums.Flow[model] += flow;
                Sums.Traded[model] += traded;
                Sums.Cost[model] += dayCost;
                Sums.Trades[model] += dayTrades;
                Sums.Rebalances[model] += rebalanced;
                Sums.Outside[model] += outside;
                Sums.Drift[model] = Math.Max(Sums.Drift[model], drift);
            }
        }

        /// <summary>A halted day: no decision and no trade; a deposit waits in cash, a withdrawal is paid from cash and the rest waits.</summary>
        private double Halted(int a, double flow)
        {
            if (flow > 0)
            {
                book.ApplyCashFlow(a, flow);
                return flow;
            }
            var paid = Math.Min(-flow, book.Cash[a]);
            book.ApplyCashFlow(a, -paid);
            run.pendingFlow[a] = flow + paid;
            return -paid;
        }

        /// <summary>Decides the account if its policy looks at it today or money moves, trades, and returns the flow that landed.</summary>
        private double Trade(int a, int d, double flow)
        {
            var policy = run.policies[a];
            var looks = !policy.Never && d % policy.CheckEveryDays == 0 && run.MayAct(a, run.market.Days[d]);
            if (!looks && flow == 0)
            {
                return 0;
            }
            var day = run.market.Days[d];
            var cash = (decimal)(book.Cash[a] + flow);
            var (decision, plan) = AccountDecider.Decide(book, run.report, a, day, cash, (decimal)flow);
            if (run.tax is { } tax && plan is { IsBlocked: false })
            {
                // The live engine's tax rules: lots by the account's method within its gains budget, no buy washing a household loss.
                (decision, plan, _) = TaxPlanAdjuster.Adjust(book, a, day, decision, plan, tax.Settings(a), cash, (decimal)flow, tax.Lots.For(a), tax.Ledger, batched: false, substitutesInBook: true);
            }
            var trades = decision.Action is DecisionAction.Rebalance or DecisionAction.CashFlow && plan is { IsBlocked: false, ApprovalReason: null } ? plan.Trades : null;
            if (decision.Action is DecisionAction.Blocked or DecisionAction.NeedsApproval)
            {
                Held++;
            }
            if (flow > 0)
            {
                book.ApplyCashFlow(a, flow);
            }
            if (trades is { Count: > 0 })
            {
                var rebalance = decision.Action == DecisionAction.Rebalance;
                Execute(a, d, trades, rebalance ? day : null, rebalance ? TradeSource.Rebalance : TradeSource.CashFlow, raisingCash: !rebalance && flow < 0);
                dayRebalanced = decision.Action == DecisionAction.Rebalance;
            }
            if (flow < 0 && book.Cash[a] < -flow)
            {
                // The decision raised the withdrawal, but the trades' costs came out of it too.
                RaiseShortfall(a, d, -flow - book.Cash[a]);
            }
            if (flow < 0)
            {
                var paid = Math.Min(-flow, book.Cash[a]);
                WithdrawalShortfall += -flow - paid;
                book.ApplyCashFlow(a, -paid);
                flow = -paid;
            }
            return flow;
        }

        /// <summary>Fills the trades at the close; the costs come out of cash, and buys shrink (largest first) if cash would not cover them.</summary>
        private void Execute(int a, int d, IReadOnlyList<Trade> trades, DateOnly? rebalancedOn, TradeSource source, bool raisingCash, Dictionary<int, string[]>? harvestLots = null)
        {
            fills.Clear();
            double buys = 0, sells = 0, cost = 0;
            foreach (var trade in trades)
            {
                var instrument = book.Instruments.IndexOf(trade.InstrumentId);
                var quantity = (double)trade.Quantity;
                var notional = quantity * book.Prices[instrument];
                cost += run.costs.Of(notional);
                if (trade.Side == TradeSide.Buy)
                {
                    buys += notional;
                    fills.Add((instrument, quantity));
                }
                else
                {
                    sells += notional;
                    fills.Add((instrument, -quantity));
                }
            }
            var shortfall = buys + cost - sells - book.Cash[a];
            if (shortfall > 0)
            {
                ShrinkBuys(a, shortfall, ref buys, ref cost);
            }
            book.ApplyExecution(a, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fills), sells - buys - cost, rebalancedOn);
            TaxFills(a, d, source, raisingCash, harvestLots);
            dayBuys += buys;
            daySells += sells;
            dayCost += cost;
            foreach (var (_, change) in fills)
            {
                dayTrades += change != 0 ? 1 : 0;
            }
        }

        /// <summary>Sells enough of the largest holding to leave <paramref name="shortfall"/> more cash after its costs.</summary>
        private void RaiseShortfall(int a, int d, double shortfall)
        {
            var (largest, worth) = (-1, 0.0);
            for (int s = book.SlotStart[a], end = book.SlotStart[a + 1]; s < end; s++)
            {
                if (book.Quantities[s] * book.Marks[s] > worth)
                {
                    (largest, worth) = (s, book.Quantities[s] * book.Marks[s]);
                }
            }
            if (largest < 0)
            {
                return;
            }
            var instrument = book.InstrumentIndices[largest];
            var price = book.Marks[largest];
            var step = run.Step(a, instrument);
            var quantity = Math.Min(book.Quantities[largest], Math.Ceiling((shortfall + run.costs.PerTrade) / (price * (1 - run.costs.Rate)) / step) * step);
            var notional = quantity * price;
            var cost = Math.Min(run.costs.Of(notional), notional);
            fills.Clear();
            fills.Add((instrument, -quantity));
            book.ApplyExecution(a, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fills), notional - cost, null);
            TaxFills(a, d, TradeSource.CashFlow, raisingCash: true, null);
            daySells += notional;
            dayCost += cost;
            dayTrades++;
        }

        /// <summary>The fills' tax effect, through the same code as the live engine's fills.</summary>
        private void TaxFills(int a, int d, TradeSource source, bool raisingCash, Dictionary<int, string[]>? harvestLots)
        {
            if (run.tax is not { } tax)
            {
                return;
            }
            foreach (var (instrument, change) in fills)
            {
                if (change != 0)
                {
                    var side = change > 0 ? TradeSide.Buy : TradeSide.Sell;
                    FillTaxes.Apply(tax, book, a, run.market.Days[d], instrument, side, (decimal)Math.Round(Math.Abs(change), 6), (decimal)book.Prices[instrument], source, raisingCash,
                        harvestLots?.GetValueOrDefault(instrument));
                }
            }
        }

        /// <summary>
        /// The account's tax-loss harvest when its schedule is due: the same scan as the live engine, each harvest (its
        /// sale of the lots at a loss and the substitute's buy) filled at the close; one above the approval limit waits.
        /// </summary>
        private bool Harvest(int a, int d)
        {
            var tax = run.tax!;
            var settings = tax.Settings(a);
            var days = run.market.Days;
            if (!settings.Harvest.Enabled || !tax.Lots.IsTracked(a) || !HarvestScanner.IsDue(settings.Harvest.Schedule, days[d - 1], days[d])
                || (!settings.Harvest.SwapBack && !tax.Lots.AccountHasHarvestable(a, settings.Harvest)))
            {
                return false;
            }
            var traded = false;
            foreach (var plan in HarvestScanner.Scan(book, a, days[d], settings, tax.Lots.Store, tax.Ledger, heldInBook: true))
            {
                if (plan.Record.Status == HarvestStatus.PendingApproval)
                {
                    Held++;
                    continue;
                }
                if (plan.Record.Status is not (HarvestStatus.Harvested or HarvestStatus.SwappedBack) || plan.Trades.Count == 0)
                {
                    continue;
                }
                var lots = new Dictionary<int, string[]>();
                if (plan.Sale is { } sale)
                {
                    lots[book.Instruments.IndexOf(plan.Record.InstrumentId)] = [.. sale.Reliefs.Select(r => r.LotId)];
                    run.harvested[a] -= (double)sale.Reliefs.Sum(r => Math.Min(0, r.Gain));
                }
                var source = plan.Record.Status == HarvestStatus.SwappedBack ? TradeSource.SwapBack : TradeSource.Harvest;
                Execute(a, d, plan.Trades, null, source, raisingCash: false, lots);
                traded = true;
            }
            return traded;
        }

        private void ShrinkBuys(int a, double shortfall, ref double buys, ref double cost)
        {
            var rate = 1 + run.costs.Rate;
            foreach (var f in Enumerable.Range(0, fills.Count).Where(i => fills[i].QuantityChange > 0).OrderByDescending(i => fills[i].QuantityChange * book.Prices[fills[i].Instrument]).ToList())
            {
                if (shortfall <= 0)
                {
                    break;
                }
                var (instrument, quantity) = fills[f];
                var price = book.Prices[instrument];
                var step = run.Step(a, instrument);
                var cut = Math.Min(quantity, Math.Ceiling(shortfall / (price * rate) / step) * step);
                var remaining = quantity - cut;
                fills[f] = (instrument, remaining);
                buys -= cut * price;
                var removedCost = remaining <= 0 ? run.costs.Of(quantity * price) : cut * price * run.costs.Rate;
                cost -= removedCost;
                shortfall -= (cut * price) + removedCost;
            }
        }
    }

    /// <summary>One day's figures per model, summed over accounts.</summary>
    private sealed class ModelSums(int models)
    {
        public double[] Value { get; } = new double[models];

        public double[] Target { get; } = new double[models];

        public double[] Flow { get; } = new double[models];

        public double[] Traded { get; } = new double[models];

        public double[] Cost { get; } = new double[models];

        public int[] Trades { get; } = new int[models];

        public int[] Rebalances { get; } = new int[models];

        public int[] Outside { get; } = new int[models];

        public double[] Drift { get; } = new double[models];

        public double[] TaxPaid { get; } = new double[models];

        public void Clear()
        {
            Array.Clear(TaxPaid);
            Array.Clear(Value);
            Array.Clear(Target);
            Array.Clear(Flow);
            Array.Clear(Traded);
            Array.Clear(Cost);
            Array.Clear(Trades);
            Array.Clear(Rebalances);
            Array.Clear(Outside);
            Array.Clear(Drift);
        }

        public void Add(ModelSums lane)
        {
            for (var m = 0; m < Value.Length; m++)
            {
                Value[m] += lane.Value[m];
                Target[m] += lane.Target[m];
                Flow[m] += lane.Flow[m];
                Traded[m] += lane.Traded[m];
                Cost[m] += lane.Cost[m];
                Trades[m] += lane.Trades[m];
                Rebalances[m] += lane.Rebalances[m];
                Outside[m] += lane.Outside[m];
                Drift[m] = Math.Max(Drift[m], lane.Drift[m]);
                TaxPaid[m] += lane.TaxPaid[m];
            }
        }
    }
}
