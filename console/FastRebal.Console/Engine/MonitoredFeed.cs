using System.Diagnostics;
using FastRebal.Engine.Ingestion;

namespace FastRebal.Console.Engine;

/// <summary>One source as the dashboard shows it.</summary>
/// <param name="Source">The source number.</param>
/// <param name="Ticks">Quotes read from it.</param>
/// <param name="SinceLastQuote">Wall-clock time since its last quote.</param>
/// <param name="MarketAge">Market time between its last quote and the feed's clock now.</param>
/// <param name="DivergenceBps">Recent mean distance of its quotes from the median of all sources' quotes of the same moment, in basis points.</param>
/// <param name="WorstDivergenceBps">The largest such distance seen since the previous sample.</param>
public readonly record struct SourceHealth(int Source, long Ticks, TimeSpan SinceLastQuote, TimeSpan MarketAge, double DivergenceBps, double WorstDivergenceBps);

/// <summary>
/// Wraps the feed to watch each source: how many quotes it sends, how long since its last one, and how far its quotes
/// sit from the median of what all sources quoted for the same instrument at the same moment (a moment is judged
/// when the instrument's next one begins, so every source that quoted it is compared, whatever the order they came
/// in). The verifier keeps only the consensus; the console wants to see which vendor is drifting or silent before it
/// freezes an instrument. Runs on the ingestion thread: a few array reads and writes per quote, nothing allocated.
/// </summary>
public sealed class MonitoredFeed : IPriceFeed, IResumableFeed
{
    /// <summary>
    /// Quotes this close in market time are of the same moment: sources stamp the same close identically in a replay,
    /// a few milliseconds apart in a live feed.
    /// </summary>
    private static readonly long SameMoment = TimeSpan.FromMilliseconds(100).Ticks;

    private readonly int sources;
    private readonly long[] ticks;
    private readonly long[] lastQuoteAt;
    private readonly long[] lastQuoteMarketTime;
    private readonly double[] divergence;
    private readonly double[] worstDivergence;
    private readonly double[] latestQuote;
    private readonly long[] latestQuoteTime;
    private readonly long[] momentOf;

    public MonitoredFeed(IPriceFeed inner, int instruments)
    {
        Inner = inner;
        sources = inner.SourceCount;
        ticks = new long[sources];
        lastQuoteAt = new long[sources];
        lastQuoteMarketTime = new long[sources];
        divergence = new double[sources];
        worstDivergence = new double[sources];
        latestQuote = new double[instruments * sources];
        latestQuoteTime = new long[instruments * sources];
        momentOf = new long[instruments];
    }

    public IPriceFeed Inner { get; }

    public string Name => Inner.Name;

    public int SourceCount => Inner.SourceCount;

    public bool IsCompleted => Inner.IsCompleted;

    public long Now => Inner.Now;

    /// <summary>A recovery's skip goes to the feed watched; the ticks skipped were watched before the restart.</summary>
    public long SkipTo(long ticks, long marketNow) => Inner is IResumableFeed resumable
        ? resumable.SkipTo(ticks, marketNow)
        : throw new InvalidOperationException($"{Inner.Name} cannot skip the ticks a recovery found in the journal");

    public int Read(Span<SourceTick> destination)
    {
        var read = Inner.Read(destination);
        if (read == 0)
        {
            return 0;
        }
        var now = Stopwatch.GetTimestamp();
        for (var i = 0; i < read; i++)
        {
            ref readonly var tick = ref destination[i];
            var s = tick.Source;
            if ((uint)s >= (uint)sources || (uint)(tick.Instrument * sources) >= (uint)latestQuote.Length)
            {
                continue;
            }
            ticks[s]++;
            lastQuoteAt[s] = now;
            lastQuoteMarketTime[s] = tick.Timestamp;
            if (!(tick.Price > 0) || !double.IsFinite(tick.Price))
            {
                continue;
            }
            var row = tick.Instrument * sources;
            if (Math.Abs(tick.Timestamp - momentOf[tick.Instrument]) > SameMoment)
            {
                Judge(row, momentOf[tick.Instrument]);
                momentOf[tick.Instrument] = tick.Timestamp;
            }
            latestQuote[row + s] = tick.Price;
            latestQuoteTime[row + s] = tick.Timestamp;
        }
        return read;
    }

    /// <summary>Compares each source that quoted an instrument at a moment with the median of those quotes.</summary>
    private void Judge(int row, long moment)
    {
        Span<double> quotes = stackalloc double[sources];
        var count = 0;
        for (var o = 0; o < sources; o++)
        {
            if (latestQuote[row + o] > 0 && Math.Abs(latestQuoteTime[row + o] - moment) <= SameMoment)
            {
                quotes[count++] = latestQuote[row + o];
            }
        }
        if (count < 2)
        {
            return;
        }
        var present = quotes[..count];
        present.Sort();
        var median = count % 2 == 1 ? present[count / 2] : (present[(count / 2) - 1] + present[count / 2]) / 2;
        for (var o = 0; o < sources; o++)
        {
            if (latestQuote[row + o] > 0 && Math.Abs(latestQuoteTime[row + o] - moment) <= SameMoment)
            {
                var bps = Math.Abs((latestQuote[row + o] / median) - 1) * 10_000;
                // An exponential average over roughly the last hundred moments: recent behaviour, not history.
                divergence[o] += (bps - divergence[o]) * 0.01;
                worstDivergence[o] = Math.Max(worstDivergence[o], bps);
            }
        }
    }

    /// <summary>Every source now; resets the worst divergence so each sample shows its own period.</summary>
    public IReadOnlyList<SourceHealth> Sample()
    {
        var now = Stopwatch.GetTimestamp();
        var marketNow = Inner.Now;
        var list = new SourceHealth[sources];
        for (var s = 0; s < sources; s++)
        {
            var last = Volatile.Read(ref lastQuoteAt[s]);
            var lastMarket = Volatile.Read(ref lastQuoteMarketTime[s]);
            list[s] = new SourceHealth(
                s,
                Volatile.Read(ref ticks[s]),
                last == 0 ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(last, now),
                lastMarket == 0 ? TimeSpan.MaxValue : TimeSpan.FromTicks(Math.Max(0, marketNow - lastMarket)),
                Volatile.Read(ref divergence[s]),
                Interlocked.Exchange(ref worstDivergence[s], 0));
        }
        return list;
    }
}
