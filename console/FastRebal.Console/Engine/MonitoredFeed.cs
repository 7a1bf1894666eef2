using System.Diagnostics;
using FastRebal.Engine.Ingestion;

namespace FastRebal.Console.Engine;

/// <summary>One source as the dashboard shows it.</summary>
/// <param name="Source">The source number.</param>
/// <param name="Ticks">Quotes read from it.</param>
/// <param name="SinceLastQuote">Wall-clock time since its last quote.</param>
/// <param name="MarketAge">Market time between its last quote and the feed's clock now.</param>
/// <param name="DivergenceBps">Recent mean distance of its quotes from the verified price, in basis points.</param>
/// <param name="WorstDivergenceBps">The largest distance seen in the last sampling period.</param>
public readonly record struct SourceHealth(int Source, long Ticks, TimeSpan SinceLastQuote, TimeSpan MarketAge, double DivergenceBps, double WorstDivergenceBps);

/// <summary>
/// Wraps the feed to watch each source: how many quotes it sends, how long since its last one, and how far its quotes
/// sit from the verified price. The verifier keeps only the consensus; the console wants to see which vendor is
/// drifting or silent before it freezes an instrument. Runs on the ingestion thread: a few array writes per quote.
/// </summary>
public sealed class MonitoredFeed(IPriceFeed inner) : IPriceFeed
{
    private readonly long[] ticks = new long[inner.SourceCount];
    private readonly long[] lastQuoteAt = new long[inner.SourceCount];
    private readonly long[] lastQuoteMarketTime = new long[inner.SourceCount];
    private readonly double[] divergence = new double[inner.SourceCount];
    private readonly double[] worstDivergence = new double[inner.SourceCount];
    private PriceVerifier? verifier;

    public IPriceFeed Inner { get; } = inner;

    public string Name => Inner.Name;

    public int SourceCount => Inner.SourceCount;

    public bool IsCompleted => Inner.IsCompleted;

    public long Now => Inner.Now;

    /// <summary>The verifier whose consensus the quotes are compared with (it exists only once the engine does).</summary>
    public void Attach(PriceVerifier priceVerifier) => Volatile.Write(ref verifier, priceVerifier);

    public int Read(Span<SourceTick> destination)
    {
        var read = Inner.Read(destination);
        if (read == 0)
        {
            return 0;
        }
        var now = Stopwatch.GetTimestamp();
        var verified = Volatile.Read(ref verifier) is { } v ? v.VerifiedPrices : default;
        for (var i = 0; i < read; i++)
        {
            ref readonly var tick = ref destination[i];
            if ((uint)tick.Source >= (uint)ticks.Length)
            {
                continue;
            }
            var s = tick.Source;
            ticks[s]++;
            lastQuoteAt[s] = now;
            lastQuoteMarketTime[s] = tick.Timestamp;
            if ((uint)tick.Instrument < (uint)verified.Length && verified[tick.Instrument] > 0 && double.IsFinite(tick.Price))
            {
                var bps = Math.Abs((tick.Price / verified[tick.Instrument]) - 1) * 10_000;
                // An exponential average over roughly the last hundred quotes: recent behaviour, not history.
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
        var list = new SourceHealth[ticks.Length];
        for (var s = 0; s < ticks.Length; s++)
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
