using FastRebal.Engine.Orders;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Backtest;

// The daily paths kept for charts.
public sealed partial class Backtester
{
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
