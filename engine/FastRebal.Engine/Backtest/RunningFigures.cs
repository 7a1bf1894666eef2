namespace FastRebal.Engine.Backtest;

/// <summary>
/// The figures of one account (or of a group's summed values) gathered day by day, so a firm of any size is measured
/// without keeping its daily series: returns are time-weighted (a day's cash flow is not a gain), and the target is
/// the same money held at the model's weights rebalanced every day at no cost, with the same flows.
/// </summary>
internal struct RunningFigures
{
    private DateOnly firstDay;
    private DateOnly lastDay;
    private double startValue;
    private double lastValue;
    private double lastTarget;
    private double level;
    private double peak;
    private DateOnly peakDay;
    private double maxDrawdown;
    private DateOnly maxDrawdownPeak;
    private DateOnly? maxDrawdownRecovered;
    private double sumReturn;
    private double sumReturnSquared;
    private double sumDifference;
    private double sumDifferenceSquared;
    private int returns;
    private double turnover;
    private int quarter;
    private double quarterTurnover;
    private double worstQuarterTurnover;
    private double flows;
    private double costs;
    private int trades;
    private int rebalances;
    private double largestDrift;
    private int daysOutsideBand;
    private double afterTaxLevel;
    private double taxesPaid;
    private double realizedShortTerm;
    private double realizedLongTerm;
    private double harvestedLosses;

    public readonly double LastValue => lastValue;

    public readonly double LastTarget => lastTarget;

    public void Start(DateOnly day, double value)
    {
        this = default;
        (firstDay, lastDay, startValue, lastValue, lastTarget, level, peak, peakDay, maxDrawdownPeak) = (day, day, value, value, value, 1, 1, day, day);
        afterTaxLevel = 1;
        quarter = QuarterOf(day);
    }

    /// <summary>Adds one day's close: the value and target value after the day's flow and trades.</summary>
    /// <param name="traded">The smaller of the day's buys and sells, in money (what turnover counts).</param>
    /// <param name="rebalanced">Rebalances that day (a group counts its accounts').</param>
    /// <param name="drift">The largest drift of a position from its target at the close, before trading.</param>
    /// <param name="outsideBand">Accounts outside their band at the close, before trading.</param>
    /// <param name="taxPaid">Tax paid out of the account today (part of <paramref name="flow"/>, as a negative flow; the after-tax return counts it as a loss).</param>
    public void Day(DateOnly day, double value, double target, double flow, double traded, double cost, int tradeCount, int rebalanced, double drift, int outsideBand, double taxPaid = 0)
    {
        var r = lastValue > 0 ? ((value - flow) / lastValue) - 1 : 0;
        afterTaxLevel *= lastValue > 0 ? (value - flow - taxPaid) / lastValue : 1;
        taxesPaid += taxPaid;
        var rt = lastTarget > 0 ? ((target - flow) / lastTarget) - 1 : 0;
        sumReturn += r;
        sumReturnSquared += r * r;
        sumDifference += r - rt;
        sumDifferenceSquared += (r - rt) * (r - rt);
        returns++;

        level *= 1 + r;
        if (level >= peak)
        {
            if (maxDrawdownRecovered is null && maxDrawdown < 0)
            {
                maxDrawdownRecovered = day;
            }
            (peak, peakDay) = (level, day);
        }
        else if ((level / peak) - 1 < maxDrawdown)
        {
            (maxDrawdown, maxDrawdownPeak, maxDrawdownRecovered) = ((level / peak) - 1, peakDay, null);
        }

        var dayTurnover = lastValue > 0 ? traded / lastValue : 0;
        turnover += dayTurnover;
        var q = QuarterOf(day);
        if (q != quarter)
        {
            (quarter, quarterTurnover) = (q, 0);
        }
        quarterTurnover += dayTurnover;
        worstQuarterTurnover = Math.Max(worstQuarterTurnover, quarterTurnover);

        flows += flow;
        costs += cost;
        trades += tradeCount;
        rebalances += rebalanced;
        largestDrift = Math.Max(largestDrift, drift);
        daysOutsideBand += outsideBand;
        (lastDay, lastValue, lastTarget) = (day, value, target);
    }

    /// <summary>Adds realized gains and harvested losses (an account's at the end; a group adds its accounts').</summary>
    public void Taxed(double shortTerm, double longTerm, double harvested)
    {
        realizedShortTerm += shortTerm;
        realizedLongTerm += longTerm;
        harvestedLosses += harvested;
    }

    /// <summary>The figures so far, under <paramref name="name"/>.</summary>
    public readonly BacktestFigures Figures(string name, int accounts)
    {
        var years = Math.Max(lastDay.DayNumber - firstDay.DayNumber, 1) / 365.25;
        var (n, perYear) = (returns, returns / years);
        double Deviation(double sum, double squares) => n < 2 ? 0 : Math.Sqrt(Math.Max(0, (squares - (sum * sum / n)) / (n - 1)) * perYear);
        var drawdownEnd = maxDrawdownRecovered ?? lastDay;
        return new BacktestFigures(
            name,
            accounts,
            startValue,
            lastValue,
            flows,
            level - 1,
            level > 0 ? Math.Pow(level, 1 / years) - 1 : -1,
            Deviation(sumReturn, sumReturnSquared),
            maxDrawdown,
            maxDrawdown < 0 ? drawdownEnd.DayNumber - maxDrawdownPeak.DayNumber : 0,
            maxDrawdown < 0 && maxDrawdownRecovered is not null,
            Deviation(sumDifference, sumDifferenceSquared),
            turnover / years,
            turnover / (years * 4),
            worstQuarterTurnover,
            rebalances,
            trades,
            costs,
            largestDrift,
            daysOutsideBand,
            realizedShortTerm,
            realizedLongTerm,
            harvestedLosses,
            taxesPaid,
            afterTaxLevel > 0 ? Math.Pow(afterTaxLevel, 1 / years) - 1 : -1);
    }

    private static int QuarterOf(DateOnly day) => Decisions.RebalanceRules.PeriodKey(Model.CalendarSchedule.Quarterly, day);
}
