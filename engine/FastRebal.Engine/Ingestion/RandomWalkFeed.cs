using FastRebal.Engine.MarketData;

namespace FastRebal.Engine.Ingestion;

/// <summary>
/// A seeded load generator: every instrument follows its own geometric random walk, and each step is quoted by every
/// source with a few basis points of independent noise, as real vendors disagree in the last digits. The same seed
/// gives the same ticks. With <c>meanReversion</c> above zero the walk is pulled back towards its start price
/// (an Ornstein-Uhlenbeck walk in log price), the way intraday quotes jitter around a level: a million ticks a second
/// of a pure walk would move prices further in a minute than markets move in a year. <paramref name="ticksPerSecond"/> paces it on the wall clock (0 = as fast as it is read).
/// </summary>
public sealed class RandomWalkFeed : IPriceFeed, IResumableFeed
{
    private readonly double[] price;
    private readonly double[] start;
    private readonly double[] logDeviation;
    private readonly double meanReversion;
    private readonly Random random;
    private readonly double stepVolatility;
    private readonly double noiseBps;
    private readonly double ticksPerSecond;
    private long startTicks;
    private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    private long emitted;
    private long paceStart;
    private bool paceStarted;
    private int nextInstrument;
    private int nextSource;

    /// <param name="startPrices">One positive price per instrument (index order of the book's table).</param>
    /// <param name="sources">Quotes per step (2 or more for verification to work).</param>
    /// <param name="seed">Same seed, same walk.</param>
    /// <param name="ticksPerSecond">Pace on the wall clock; 0 for as fast as possible.</param>
    /// <param name="stepVolatility">Standard deviation of one step's return (0.0005 = 5 bps).</param>
    /// <param name="noiseBps">Standard deviation of a source's quote around the true price, in basis points.</param>
    /// <param name="meanReversion">
    /// Share of the log-price deviation from the start price given back at each step (0 = a pure walk). The deviation
    /// then settles at a standard deviation of about stepVolatility / sqrt(2 x meanReversion).
    /// </param>
    /// <param name="marketStart">
    /// Market time of the first tick; the market clock then runs with the wall clock. Now when null. A host whose book
    /// was priced on another day starts the clock on that day, so the engine opens the day the book knows.
    /// </param>
    public RandomWalkFeed(ReadOnlySpan<double> startPrices, int sources, int seed, double ticksPerSecond = 0, double stepVolatility = 0.0005, double noiseBps = 2, double meanReversion = 0, DateTimeOffset? marketStart = null)
    {
        startTicks = (marketStart ?? DateTimeOffset.UtcNow).UtcTicks;
        ArgumentOutOfRangeException.ThrowIfLessThan(sources, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(ticksPerSecond);
        if (meanReversion is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(meanReversion), $"mean reversion must be from 0 up to (not including) 1, got {meanReversion}");
        }
        foreach (var p in startPrices)
        {
            if (!(p > 0) || !double.IsFinite(p))
            {
                throw new ArgumentException($"every start price must be positive, got {p}", nameof(startPrices));
            }
        }
        price = startPrices.ToArray();
        start = startPrices.ToArray();
        logDeviation = new double[price.Length];
        this.meanReversion = meanReversion;
        SourceCount = sources;
        random = new Random(seed);
        this.stepVolatility = stepVolatility;
        this.noiseBps = noiseBps;
        this.ticksPerSecond = ticksPerSecond;
    }

    public string Name => $"random walk ({price.Length} instruments x {SourceCount} sources)";

    public int SourceCount { get; }

    public bool IsCompleted => false;

    /// <summary>Market time (UTC ticks): the start time, advanced by the wall clock from the moment the feed was made (after <see cref="SkipTo"/>, from the market time it resumed at).</summary>
    public long Now => startTicks + clock.Elapsed.Ticks;

    public long SkipTo(long ticks, long marketNow)
    {
        // The same random numbers are drawn as if the ticks had been read, so the walk goes on where it left off.
        Span<SourceTick> discarded = new SourceTick[4096];
        for (var left = ticks; left > 0; left -= discarded.Length)
        {
            Generate(discarded[..(int)Math.Min(discarded.Length, left)]);
        }
        startTicks = marketNow - clock.Elapsed.Ticks;
        if (ticksPerSecond > 0)
        {
            // The pace resumes from now: the ticks skipped count as due already.
            paceStart = clock.Elapsed.Ticks - (long)(emitted / ticksPerSecond * TimeSpan.TicksPerSecond);
            paceStarted = true;
        }
        return ticks;
    }

    public int Read(Span<SourceTick> destination)
    {
        var allowed = destination.Length;
        if (ticksPerSecond > 0)
        {
            // The pace runs from the first read, not from construction: a host that opens its day before reading
            // (seconds for a large book) must not meet a burst of every tick it was "owed" in the meantime.
            var elapsed = clock.Elapsed.Ticks;
            if (!paceStarted)
            {
                (paceStart, paceStarted) = (elapsed, true);
            }
            var due = (long)(TimeSpan.FromTicks(elapsed - paceStart).TotalSeconds * ticksPerSecond) - emitted;
            allowed = (int)Math.Clamp(due, 0, destination.Length);
        }
        Generate(destination[..allowed]);
        return allowed;
    }

    private void Generate(Span<SourceTick> destination)
    {
        var now = Now;
        for (var i = 0; i < destination.Length; i++)
        {
            if (nextSource == 0)
            {
                ref var x = ref logDeviation[nextInstrument];
                x = (x * (1 - meanReversion)) + (stepVolatility * MarketHistory.Gaussian(random));
                price[nextInstrument] = start[nextInstrument] * Math.Exp(x);
            }
            var quote = price[nextInstrument] * (1 + (noiseBps * 1e-4 * MarketHistory.Gaussian(random)));
            destination[i] = new SourceTick(nextInstrument, nextSource, quote, now);
            if (++nextSource == SourceCount)
            {
                nextSource = 0;
                nextInstrument = random.Next(price.Length);
            }
        }
        emitted += destination.Length;
    }
}
