using FastRebal.Engine.Decisions;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Risk;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Backtest;

/// <summary>
/// Replays history through the decision core the live engine uses: each trading day the book takes the day's closes,
/// the drift sweep measures every account, and <see cref="AccountDecider"/> decides the accounts its IPS says to look
/// at (and any with a cash flow). Trades fill at the close, less the trading costs; cash flows land on the first
/// trading day of their period.
/// </summary>
public sealed class Backtester
{
    private readonly AccountBook book;
    private readonly BacktestMarket market;
    private readonly IReadOnlyList<BacktestPolicy> policies;
    private readonly BacktestOptions options;
    private readonly TradingCosts costs;
    private readonly DriftReport report;
    private readonly AssetClassBandIndex classBands;
    private readonly RunningFigures[] accounts;
    private readonly RunningFigures[] models;
    private RunningFigures firm;
    private readonly double[][] modelWeights;
    private readonly double[] modelReturn;
    private readonly (int Instrument, double Price)[] prices;
    private readonly SeriesRecorder[] series;
    private readonly TaxBook? tax;
    private readonly double[] carriedLoss;
    private readonly (decimal ShortTerm, decimal LongTerm)[] realizedAtYearStart;
    private readonly double[] harvested;
    private readonly MarketWideBreaker? marketBreaker;
    private readonly int reference = -1;
    private readonly DriftBreaker? accountBreaker;
    private readonly double[] closeDrift;
    private readonly double[] pendingFlow;
    private readonly List<(DateOnly Day, int Level)> marketHalts = [];
    private readonly string? breakerNote;
    private bool marketHalted;


    /// <param name="book">The accounts; its instruments are the market's symbols, in the same order.</param>
    /// <param name="policies">Per account, the policy its IPS in <paramref name="book"/> came from (names, look interval, never).</param>
    public Backtester(AccountBook book, BacktestMarket market, IReadOnlyList<BacktestPolicy> policies, BacktestOptions options)
    {
        if (book.Instruments.Count != market.Symbols.Count)
        {
            throw new ArgumentException($"the book has {book.Instruments.Count} instruments and the market {market.Symbols.Count}");
        }
        if (policies.Count != book.AccountCount)
        {
            throw new ArgumentException($"the book has {book.AccountCount} accounts and {policies.Count} policies were given");
        }
        (this.book, this.market, this.policies, this.options, costs) = (book, market, policies, options, options.TradingCosts.Validated());
        report = new DriftReport(book);
        classBands = new AssetClassBandIndex(book);
        accounts = new RunningFigures[book.AccountCount];
        models = new RunningFigures[book.Models.Count];
        modelReturn = new double[book.Models.Count];
        modelWeights = new double[book.Models.Count][];
        for (var m = 0; m < book.Models.Count; m++)
        {
            modelWeights[m] = new double[book.Instruments.Count];
            foreach (var w in book.Models[m].ResolvedWeights())
            {
                modelWeights[m][book.Instruments.IndexOf(w.InstrumentId)] += w.Weight;
            }
        }
        prices = new (int, double)[book.Instruments.Count];
        if (options.Tax is { } taxes)
        {
            var lots = new LotTable(book);
            var settings = new AccountTaxSettings[book.AccountCount];
            for (var a = 0; a < settings.Length; a++)
            {
                settings[a] = taxes.For(book.AccountId(a));
                if (book.Policy(a).TaxStatus == TaxStatus.Taxable)
                {
                    lots.Track(a);
                }
            }
            tax = new TaxBook(lots, settings, taxes.Relations);
        }
        if (options.Breakers is { } breakers)
        {
            (reference, breakerNote) = Reference(breakers);
            if (breakerNote is null)
            {
                marketBreaker = new MarketWideBreaker(breakers.MarketLevels);
                accountBreaker = new DriftBreaker("account", book.AccountCount, breakers.AccountDriftThreshold);
            }
        }
        closeDrift = new double[accountBreaker is null ? 0 : book.AccountCount];
        pendingFlow = new double[book.AccountCount];
        carriedLoss = new double[tax is null ? 0 : book.AccountCount];
        realizedAtYearStart = new (decimal, decimal)[carriedLoss.Length];
        harvested = new double[carriedLoss.Length];
        series = new SeriesRecorder[Math.Min(options.SeriesAccounts, book.AccountCount)];
        for (var a = 0; a < series.Length; a++)
        {
            series[a] = new SeriesRecorder(market.Days.Length);
        }
    }

    /// <summary>Runs every trading day of the market and returns the figures.</summary>
    /// <param name="progress">Told the fraction of days done, now and then.</param>
    public BacktestResult Run(Action<double>? progress = null)
    {
        var days = market.Days;
        SetPrices(0);
        var parallel = book.SlotCount >= DriftSweep.ParallelThreshold;
        DriftSweep.Run(book, report, parallel: parallel);
        var lanes = new Lane[(accounts.Length + LaneSize - 1) / LaneSize];
        for (var i = 0; i < lanes.Length; i++)
        {
            lanes[i] = new Lane(this, i * LaneSize, Math.Min(accounts.Length, (i + 1) * LaneSize));
        }
        OpenStartingLots(days[0]);
        report.TotalDrift.AsSpan(0, closeDrift.Length).CopyTo(closeDrift);
        var start = new double[models.Length];
        for (var a = 0; a < accounts.Length; a++)
        {
            accounts[a].Start(days[0], ValueOf(a));
            start[book.ModelIndex(a)] += accounts[a].LastValue;
            if (a < series.Length)
            {
                RecordSeries(a, 0, 0, 0);
            }
        }
        for (var m = 0; m < models.Length; m++)
        {
            models[m].Start(days[0], start[m]);
        }
        firm.Start(days[0], start.Sum());

        var sums = new ModelSums(models.Length);
        for (var d = 1; d < days.Length; d++)
        {
            SetPrices(d);
            DriftSweep.Run(book, report, parallel: parallel);
            for (var m = 0; m < models.Length; m++)
            {
                modelReturn[m] = ModelReturn(m, d);
            }
            ObserveMarket(d);
            // The household wash-sale ledger is shared, so a taxed run keeps to one core.
            if (parallel && lanes.Length > 1 && tax is null)
            {
                Parallel.ForEach(lanes, lane => lane.Day(d));
            }
            else
            {
                foreach (var lane in lanes)
                {
                    lane.Day(d);
                }
            }
            // Added up lane by lane in order, so the group figures do not depend on how many cores ran the lanes.
            sums.Clear();
            foreach (var lane in lanes)
            {
                sums.Add(lane.Sums);
            }
            for (var m = 0; m < models.Length; m++)
            {
                models[m].Day(days[d], sums.Value[m], sums.Target[m], sums.Flow[m], sums.Traded[m], sums.Cost[m], sums.Trades[m], sums.Rebalances[m], sums.Drift[m], sums.Outside[m], sums.TaxPaid[m]);
            }
            firm.Day(days[d], sums.Value.Sum(), sums.Target.Sum(), sums.Flow.Sum(), sums.Traded.Sum(), sums.Cost.Sum(), sums.Trades.Sum(), sums.Rebalances.Sum(),
                sums.Drift.DefaultIfEmpty().Max(), sums.Outside.Sum(), sums.TaxPaid.Sum());
            if (progress is not null && (d & 255) == 0)
            {
                progress((double)d / days.Length);
            }
        }

        if (tax is not null)
        {
            for (var a = 0; a < accounts.Length; a++)
            {
                var (shortTerm, longTerm) = tax.Lots.Realized(a);
                accounts[a].Taxed((double)shortTerm, (double)longTerm, harvested[a]);
                models[book.ModelIndex(a)].Taxed((double)shortTerm, (double)longTerm, harvested[a]);
                firm.Taxed((double)shortTerm, (double)longTerm, harvested[a]);
            }
        }
        return new BacktestResult(
            days[0],
            days[^1],
            days.Length,
            costs.ToString(),
            [.. options.CashFlows.Select(f => f.ToString())],
            [.. accounts.Select((f, a) => f.Figures(policies[a].Name, 1))],
            [.. models.Select((f, m) => f.Figures(book.Models[m].Id, AccountsOf(m)))],
            firm.Figures("firm", accounts.Length),
            [.. series.Select((s, a) => s.Finish(policies[a].Name, book, a, market.Days))],
            lanes.Sum(l => l.Held),
            lanes.Sum(l => l.WithdrawalShortfall),
            tax is not null,
            options.Breakers is null ? null : new BreakerReport(reference < 0 ? null : market.Symbols[reference], options.Breakers.ToString(), marketHalts,
                lanes.Sum(l => l.AccountHalts), breakerNote));
    }

    /// <summary>
    /// The account's largest drift and whether it is outside its band at the close: as the sweep measured it, except
    /// that in a taxed run a harvest's substitute counts toward the instrument it stands in for, as the tax rules
    /// count it when they decide (it is the same exposure, not a drift).
    /// </summary>
    private (double Drift, int Outside) DriftOf(int a)
    {
        if (tax?.Ledger.Relations is not { SubstituteGroups.Count: > 0 } relations || !HoldsStandIn(a))
        {
            return (report.MaxAbsDrift[a], report.Breaches(a) ? 1 : 0);
        }
        var (start, end) = (book.SlotStart[a], book.SlotStart[a + 1]);
        var weights = new double[end - start];
        var value = report.InvestableValue[a];
        for (var s = start; s < end; s++)
        {
            weights[s - start] += value > 0 ? book.Quantities[s] * book.Marks[s] / value : 0;
        }
        for (var s = start; s < end; s++)
        {
            if (book.Targets[s] > 0 || weights[s - start] == 0)
            {
                continue;
            }
            var standsFor = relations.Substitutes(book.Instruments[book.InstrumentIndices[s]].Id)
                .Select(id => book.Instruments.TryGetIndex(id, out var i) ? book.SlotOf(a, i) : -1)
                .FirstOrDefault(slot => slot >= 0 && book.Targets[slot] > 0, -1);
            if (standsFor >= 0)
            {
                weights[standsFor - start] += weights[s - start];
                weights[s - start] = 0;
            }
        }
        var (largest, outside) = (0.0, 0);
        var policy = book.Policy(a);
        for (var s = start; s < end; s++)
        {
            var drift = Math.Abs(weights[s - start] - book.Targets[s]);
            largest = Math.Max(largest, drift);
            outside |= drift > (double)TradeGenerator.Tolerance(policy, (decimal)book.Targets[s]) ? 1 : 0;
        }
        return (largest, outside);
    }

    private bool HoldsStandIn(int a)
    {
        for (int s = book.SlotStart[a], end = book.SlotStart[a + 1]; s < end; s++)
        {
            if (book.Targets[s] <= 0 && book.Quantities[s] > 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The instrument the market-wide breaker watches, or why the breakers cannot run: they are rules for daily closes,
    /// and on monthly data a month's fall would halt a whole month.
    /// </summary>
    private (int Reference, string? Note) Reference(BacktestBreakers breakers)
    {
        var days = market.Days;
        var gaps = Enumerable.Range(1, days.Length - 1).Select(d => days[d].DayNumber - days[d - 1].DayNumber).Order().ToList();
        if (gaps[gaps.Count / 2] > 5)
        {
            return (-1, "the breakers watch daily closes; this data is not daily, so they were off");
        }
        if (breakers.Reference is { } named)
        {
            var index = market.Symbols.ToList().IndexOf(named);
            return index >= 0 ? (index, null) : throw new ArgumentException($"the breaker's reference '{named}' is not one of the backtest's instruments ({string.Join(", ", market.Symbols)})");
        }
        foreach (var index in new[] { "SP500", "SPY", "VTI" })
        {
            if (market.Symbols.ToList().IndexOf(index) is var i and >= 0)
            {
                return (i, null);
            }
        }
        // Otherwise the instrument the models weigh most.
        var weight = new double[market.Symbols.Count];
        foreach (var w in modelWeights)
        {
            for (var i = 0; i < w.Length; i++)
            {
                weight[i] += w[i];
            }
        }
        return (Array.IndexOf(weight, weight.Max()), null);
    }

    /// <summary>Yesterday's halt is released at today's close (the backtest's stated policy); today's close may trip it again.</summary>
    private void ObserveMarket(int d)
    {
        if (marketBreaker is null)
        {
            return;
        }
        if (marketBreaker.IsHalted)
        {
            marketBreaker.Release("backtest", BacktestBreakers.ReleasePolicy);
        }
        var levels = market.Levels(reference);
        marketBreaker.StartDay(market.Days[d], levels[d - 1]);
        if (marketBreaker.Observe(levels[d], market.Days[d]))
        {
            marketHalts.Add((market.Days[d], marketBreaker.TrippedLevel));
        }
        marketHalted = marketBreaker.IsHalted;
    }

    /// <summary>
    /// Whether the account's drift breaker holds it today: a halt from yesterday is released at this close, and the
    /// move of its total drift since the previous close (unknown after it traded, as the live engine rebases) may trip it.
    /// </summary>
    private bool AccountHalted(int a, DateOnly day, out bool tripped)
    {
        tripped = false;
        if (accountBreaker is null)
        {
            return false;
        }
        if (accountBreaker.IsHalted(a))
        {
            accountBreaker.Release(a, "backtest", BacktestBreakers.ReleasePolicy);
        }
        if (!double.IsNaN(closeDrift[a]))
        {
            accountBreaker.Observe(a, closeDrift[a], day);
            tripped = accountBreaker.Observe(a, report.TotalDrift[a], day);
        }
        return accountBreaker.IsHalted(a);
    }

    /// <summary>A taxable account's starting holdings become lots bought on the first day at its close.</summary>
    private void OpenStartingLots(DateOnly day)
    {
        if (tax is null)
        {
            return;
        }
        for (var a = 0; a < book.AccountCount; a++)
        {
            for (int s = book.SlotStart[a], end = book.SlotStart[a + 1]; tax.Lots.IsTracked(a) && s < end; s++)
            {
                if (book.Quantities[s] > 0)
                {
                    tax.Lots.Open(s, day, (decimal)book.Quantities[s], (decimal)book.Marks[s]);
                }
            }
        }
    }

    /// <summary>Last year's tax on the account's net realized gains, due on the first trading day of a new year.</summary>
    private double TaxDue(int a, DateOnly previous, DateOnly day)
    {
        if (tax is null || day.Year == previous.Year || !tax.Lots.IsTracked(a))
        {
            return 0;
        }
        var (shortTerm, longTerm) = tax.Lots.Realized(a);
        var (shortBefore, longBefore) = realizedAtYearStart[a];
        realizedAtYearStart[a] = (shortTerm, longTerm);
        var settings = tax.Settings(a);
        var (due, carry) = BacktestTax.YearTax((double)(shortTerm - shortBefore), (double)(longTerm - longBefore), carriedLoss[a],
            (double)settings.ShortTermTaxRate, (double)settings.LongTermTaxRate);
        carriedLoss[a] = carry;
        return Math.Round(due, 2);
    }

    /// <summary>Accounts a lane runs: each lane has its own scratch and sums, so lanes run on any number of cores.</summary>
    private const int LaneSize = 2048;

    private int AccountsOf(int model)
    {
        var count = 0;
        for (var a = 0; a < book.AccountCount; a++)
        {
            count += book.ModelIndex(a) == model ? 1 : 0;
        }
        return count;
    }

    private void SetPrices(int day)
    {
        for (var i = 0; i < prices.Length; i++)
        {
            prices[i] = (i, market.Levels(i)[day]);
        }
        book.SetPrices(prices, parallel: book.SlotCount >= DriftSweep.ParallelThreshold);
    }

    private double ModelReturn(int model, int day)
    {
        var weights = modelWeights[model];
        var r = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] != 0)
            {
                var levels = market.Levels(i);
                r += weights[i] * ((levels[day] / levels[day - 1]) - 1);
            }
        }
        return r;
    }

    private double FlowOn(DateOnly previous, DateOnly day, double value)
    {
        var flow = 0.0;
        foreach (var schedule in options.CashFlows)
        {
            if (schedule.IsDue(previous, day))
            {
                flow += schedule.For(value);
            }
        }
        return Math.Round(flow, 2);
    }

    /// <summary>The live evaluation's test for "worth deciding": outside a band, a calendar date due, or an asset class outside its band.</summary>
    private bool MayAct(int a, DateOnly day)
    {
        var policy = book.Policy(a);
        return report.Breaches(a)
            || (policy.Trigger != RebalanceTrigger.Threshold && RebalanceRules.IsCalendarDue(policy.Calendar, book.LastRebalanced(a), day))
            || classBands.IsBreached(report, a);
    }

    private double Step(int a, int instrument) => book.Policy(a).FractionalShares && book.Instruments[instrument].FractionalAllowed
        ? (double)AccountSnapshot.FractionalStep
        : (double)book.Instruments[instrument].LotSize;

    private double ValueOf(int a)
    {
        var quantities = book.Quantities;
        var marks = book.Marks;
        var value = book.Cash[a];
        for (int s = book.SlotStart[a], end = book.SlotStart[a + 1]; s < end; s++)
        {
            value += quantities[s] * marks[s];
        }
        return value;
    }

    private void RecordSeries(int a, int d, double traded, int rebalanced)
    {
        var s = series[a];
        var first = book.SlotStart[a];
        var value = ValueOf(a);
        s.Value[d] = value;
        s.Target[d] = accounts[a].LastTarget;
        s.Drift[d] = report.Drift[first];
        s.Turnover[d] = (d > 0 ? s.Turnover[d - 1] : 0) + (d > 0 && s.Value[d - 1] > 0 ? traded / s.Value[d - 1] : 0);
        if (rebalanced > 0)
        {
            s.Rebalances.Add(market.Days[d]);
        }
    }

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

    /// <summary>One account's daily path while the run goes.</summary>
    private sealed class SeriesRecorder(int days)
    {
        public double[] Value { get; } = new double[days];

        public double[] Target { get; } = new double[days];

        public double[] Drift { get; } = new double[days];

        public double[] Turnover { get; } = new double[days];

        public List<DateOnly> Rebalances { get; } = [];

        public BacktestSeries Finish(string name, AccountBook book, int a, DateOnly[] days)
        {
            var first = book.SlotStart[a];
            var policy = book.Policy(a);
            var target = book.Targets[first];
            var band = policy.Trigger == RebalanceTrigger.Calendar ? 0 : (double)TradeGenerator.Tolerance(policy, (decimal)target);
            return new BacktestSeries(name, book.Instruments[book.InstrumentIndices[first]].Symbol, days, Value, Target, Drift, band, Turnover, Rebalances);
        }
    }
}
