using System.Diagnostics;
using FastRebal.Engine.Ingestion;

namespace FastRebal.Console.Engine;

/// <summary>One source as the dashboard shows it.</summary>
/// <param name="Source">The source number.</param>
/// <param name="Ticks">Quotes read from it.</param>
/// <param name="SinceLastQuote">Wall-clock time since its last quote.</param>
/// <param name="MarketAge">Market time between its last quote and the feed's clock now.</param>
/// <param name="DivergenceBps">Recent mean distance of its quotes from the other sources' quotes of the same moment, in basis points.</param>
/// <param name="WorstDivergenceBps">The largest such distance seen since the previous sample.</param>
public readonly record struct SourceHealth(int Source, long Ticks, TimeSpan SinceLastQuote, TimeSpan MarketAge, double DivergenceBps, double WorstDivergenceBps);

/// <summary>
/// Wraps the feed to watch each source: how many quotes it sends, how long since its last one, and how far its quotes
/// sit from what the other sources quote for the same instrument at the same moment. The verifier keeps only the
/// consensus; the console wants to see which vendor is drifting or silent before it freezes an instrument. Runs on
/// the ingestion thread: a few array reads and writes per quote, nothing allocated.
/// </summary>
public sealed class MonitoredFeed : IPriceFeed
{
    /// <summary>Quotes of other sources this close in market time count as the same moment.</summary>
    private static readonly long SameMoment = TimeSpan.FromSeconds(1).Ticks;

    private readonly int sources;
    private readonly long[] ticks;
    private readonly long[] lastQuoteAt;
    private readonly long[] lastQuoteMarketTime;
    private readonly double[] divergence;
    private readonly double[] worstDivergence;
    private readonly double[] latestQuote;
    private readonly long[] latestQuoteTime;

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
    }

    public IPriceFeed Inner { get; }

    public string Name => Inner.Name;

    public int SourceCount => Inner.SourceCount;

    public bool IsCompleted => Inner.IsCompleted;

    public long Now => Inner.Now;

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
            var sum = 0.0;
            var others = 0;
            for (var o = 0; o < sources; o++)
            {
                if (o != s && latestQuote[row + o] > 0 && Math.Abs(latestQuoteTime[row + o] - tick.Timestamp) <= SameMoment)
                {
                    sum += latestQuote[row + o];
                    others++;
                }
            }
            latestQuote[row + s] = tick.Price;
            latestQuoteTime[row + s] = tick.Timestamp;
            if (others > 0)
            {
                var bps = Math.Abs((tick.Price * others / sum) - 1) * 10_000;
                // An exponential average over roughly the last hundred comparisons: recent behaviour, not history.
                divergence[s] += (bps - divergence[s]) * 0.01;
                worstDivergence[s] = Math.Max(worstDivergence[s], bps);
            }
        }
        return read;
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
