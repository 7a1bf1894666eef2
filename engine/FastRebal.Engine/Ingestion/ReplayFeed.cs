using FastRebal.Engine.MarketData;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Ingestion;

/// <summary>
/// Replays daily closes as a live feed: each trading day after <c>from</c>, every instrument's close is quoted by
/// every source (with a basis point or two of seeded noise, so consensus has real work), stamped 16:00 UTC of that
/// day. <c>daysPerSecond</c> paces it on the wall clock (0 = as fast as it is read). An instrument the history does
/// not cover is not quoted, so verification will report it stale, which is what a real feed gap looks like.
/// </summary>
/// <remarks>
/// The shipped history is split-adjusted: every close is in the same shares, those the book was priced in. A run that
/// splits an instrument gives the feed that split, and from its ex-date on the feed quotes the close divided by the
/// ratio (in the new shares), so the quotes fall by the ratio on the ex-date as a live feed's do.
/// </remarks>
public sealed class ReplayFeed : IPriceFeed, IResumableFeed
{
    private readonly DateOnly[] days;
    private readonly PriceSeries?[] series;
    private readonly (int Instrument, DateOnly ExDate, double Ratio)[] splits;
    private readonly Random random;
    private readonly double noiseBps;
    private readonly double daysPerSecond;
    private readonly System.Diagnostics.Stopwatch clock = new();

    // Added to the clock for the pace: a resumed replay goes on from the day it had reached.
    private TimeSpan paceOffset;
    private int day = -1;
    private int instrument;
    private int source;

    /// <param name="instruments">The book's instruments; each is matched to the history by symbol.</param>
    /// <param name="history">Daily closes.</param>
    /// <param name="from">Replay the days after this one (the day the book was priced).</param>
    /// <param name="to">
    /// Last day to replay (inclusive). When null, the last day every replayed instrument has a close: a series that
    /// ends earlier would otherwise go stale and freeze its instrument for the rest of the replay.
    /// </param>
    /// <param name="sources">Quotes per instrument and day.</param>
    /// <param name="daysPerSecond">Pace; 0 for as fast as possible.</param>
    /// <param name="seed">Noise seed.</param>
    /// <param name="noiseBps">Standard deviation of a source's quote around the close, in basis points.</param>
    /// <param name="splits">Splits the run applies (instrument index, ex-date, new shares per old share): the closes from each ex-date on are quoted in the new shares.</param>
    public ReplayFeed(InstrumentTable instruments, MarketHistory history, DateOnly from, DateOnly? to = null, int sources = 3, double daysPerSecond = 0, int seed = 1, double noiseBps = 1,
        IReadOnlyList<(int Instrument, DateOnly ExDate, double Ratio)>? splits = null)
    {
        this.splits = [.. splits ?? []];
        foreach (var (i, _, ratio) in this.splits)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)i, (uint)instruments.Count, nameof(splits));
            if (!(ratio > 0) || !double.IsFinite(ratio))
            {
                throw new ArgumentOutOfRangeException(nameof(splits), $"a split ratio must be a positive number, got {ratio}");
            }
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(sources, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(daysPerSecond);
        series = new PriceSeries?[instruments.Count];
        var allDays = new SortedSet<DateOnly>();
        var last = to ?? LastCommonDay(instruments, history);
        for (var i = 0; i < instruments.Count; i++)
        {
            var symbol = instruments[i].Symbol;
            if (history.Contains(symbol))
            {
                series[i] = history[symbol];
                allDays.UnionWith(history[symbol].Dates.Where(d => d > from && d <= last));
            }
        }
        if (allDays.Count == 0)
        {
            throw new ArgumentException($"the history has no trading day after {from:yyyy-MM-dd} for these instruments", nameof(history));
        }
        days = [.. allDays];
        SourceCount = sources;
        random = new Random(seed);
        this.noiseBps = noiseBps;
        this.daysPerSecond = daysPerSecond;
        Name = $"replay of {history.Source}, {days[0]:yyyy-MM-dd} to {days[^1]:yyyy-MM-dd}";
    }

    public string Name { get; }

    private static DateOnly LastCommonDay(InstrumentTable instruments, MarketHistory history)
    {
        var last = DateOnly.MaxValue;
        for (var i = 0; i < instruments.Count; i++)
        {
            if (history.Contains(instruments[i].Symbol))
            {
                var dates = history[instruments[i].Symbol].Dates;
                last = dates[^1] < last ? dates[^1] : last;
            }
        }
        return last;
    }

    public int SourceCount { get; }

    public int TradingDays => days.Length;

    /// <summary>The day being replayed (the first day before the first read).</summary>
    public DateOnly CurrentDay => days[Math.Clamp(day, 0, days.Length - 1)];

    public bool IsCompleted => day >= days.Length;

    public long Now => Stamp(CurrentDay);

    private static long Stamp(DateOnly day) => day.ToDateTime(new TimeOnly(16, 0), DateTimeKind.Utc).Ticks;

    /// <summary>Reads past the ticks without the pace (a replay's market time is its days', so <paramref name="marketNow"/> is not needed).</summary>
    public long SkipTo(long ticks, long marketNow)
    {
        StartClock();
        var discarded = new SourceTick[4096];
        var skipped = 0L;
        while (skipped < ticks && !IsCompleted)
        {
            skipped += Read(discarded.AsSpan(0, (int)Math.Min(discarded.Length, ticks - skipped)), paced: false);
        }
        if (daysPerSecond > 0)
        {
            paceOffset = TimeSpan.FromSeconds(day / daysPerSecond) - clock.Elapsed;
        }
        return skipped;
    }

    public int Read(Span<SourceTick> destination) => Read(destination, paced: true);

    private void StartClock()
    {
        if (!clock.IsRunning)
        {
            clock.Start();
            day = 0;
        }
    }

    private int Read(Span<SourceTick> destination, bool paced)
    {
        StartClock();
        var written = 0;
        while (written < destination.Length && day < days.Length)
        {
            if (paced && daysPerSecond > 0 && day >= (clock.Elapsed + paceOffset).TotalSeconds * daysPerSecond)
            {
                break;
            }
            var today = days[day];
            var close = series[instrument] is { } s ? CloseOn(s, today) / SplitSince(instrument, today) : double.NaN;
            if (!double.IsNaN(close))
            {
                destination[written++] = new SourceTick(instrument, source, close * (1 + (noiseBps * 1e-4 * MarketHistory.Gaussian(random))), Stamp(today));
            }
            if (++source == SourceCount || double.IsNaN(close))
            {
                source = 0;
                if (++instrument == series.Length)
                {
                    instrument = 0;
                    day++;
                }
            }
        }
        return written;
    }

    /// <summary>The shares one share of <paramref name="instrument"/> had become by <paramref name="day"/>: the ratios of its splits on or before it.</summary>
    private double SplitSince(int instrument, DateOnly day)
    {
        var factor = 1.0;
        foreach (var (i, exDate, ratio) in splits)
        {
            if (i == instrument && exDate <= day)
            {
                factor *= ratio;
            }
        }
        return factor;
    }

    /// <summary>The close of that very day, or NaN when the series has none (a holiday for that market, or before it started).</summary>
    private static double CloseOn(PriceSeries s, DateOnly day)
    {
        var i = Array.BinarySearch(s.Dates, day);
        return i >= 0 ? s.Closes[i] : double.NaN;
    }
}
