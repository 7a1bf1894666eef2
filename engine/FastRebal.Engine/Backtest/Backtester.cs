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
public sealed partial class Backtester
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

    private double Step(int a, int instrument) => (double)AccountSnapshot.StepOf(book.Policy(a), book.Instruments[instrument]);

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
}
