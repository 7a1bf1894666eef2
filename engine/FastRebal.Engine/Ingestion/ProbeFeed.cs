using System.Diagnostics;

namespace FastRebal.Engine.Ingestion;

/// <summary>
/// A quiet market with one move at a time, for measuring tick-to-order latency: every <c>interval</c> of wall time,
/// every source quotes one instrument one step of <c>move</c> further along a slow zigzag (ten steps up from the
/// start price, twenty down, ten up, and again), and nothing else is quoted in between. Each probe is a single
/// verified price change on an otherwise idle engine; as the price travels, it pushes one tranche of the
/// accounts holding the instrument after another out of band, so most probes cause orders.
/// </summary>
public sealed class ProbeFeed : IPriceFeed
{
    private readonly double basePrice;
    private readonly int instrument;
    private readonly double move;
    private readonly long intervalTicks;
    private readonly long startTicks;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private const int StepsEachWay = 10;
    private long probes;
    private int level;
    private int direction = 1;

    /// <param name="startPrices">One positive price per instrument (index order of the book's table).</param>
    /// <param name="sources">Quotes per probe, one from each source.</param>
    /// <param name="instrument">The instrument every probe moves.</param>
    /// <param name="move">The size of each step as a fraction of the price (0.02 = 2%).</param>
    /// <param name="interval">Wall time between probes.</param>
    /// <param name="marketStart">Market time of the first probe (now when null); the market clock runs with the wall clock.</param>
    public ProbeFeed(ReadOnlySpan<double> startPrices, int sources, int instrument, double move, TimeSpan interval, DateTimeOffset? marketStart = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sources, 1);
        if ((uint)instrument >= (uint)startPrices.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(instrument), $"instrument index {instrument} is not in the book");
        }
        if (!(move > 0 && move < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(move), $"probe move must be above 0 and below 0.5, got {move}");
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        basePrice = startPrices[instrument];
        this.instrument = instrument;
        this.move = move;
        intervalTicks = interval.Ticks;
        SourceCount = sources;
        startTicks = (marketStart ?? DateTimeOffset.UtcNow).UtcTicks;
    }

    public string Name => $"probe ({SourceCount} sources, {move:0.#%} steps every {TimeSpan.FromTicks(intervalTicks).TotalMilliseconds:0} ms)";

    public int SourceCount { get; }

    public bool IsCompleted => false;

    public long Now => startTicks + clock.Elapsed.Ticks;

    /// <summary>How many probes have been read.</summary>
    public long Probes => probes;

    public int Read(Span<SourceTick> destination)
    {
        var due = (clock.Elapsed.Ticks / intervalTicks) + 1;
        if (probes >= due || destination.Length < SourceCount)
        {
            return 0;
        }
        probes++;
        if (Math.Abs(level + direction) > StepsEachWay)
        {
            direction = -direction;
        }
        level += direction;
        var price = basePrice * Math.Pow(1 + move, level);
        var now = Now;
        for (var s = 0; s < SourceCount; s++)
        {
            destination[s] = new SourceTick(instrument, s, price, now);
        }
        return SourceCount;
    }
}
