using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastRebal.Engine.Risk;

/// <summary>A halt a breaker tripped, for the console: who is halted, and the figures that tripped it.</summary>
public readonly record struct Halt(int Index, DateOnly Day, double OpeningDrift, double DriftAtTrip);

/// <summary>
/// Halts an account (or a model) for review when its total drift moves more than <see cref="Threshold"/> (in weight,
/// 0.10 = 10 percentage points) from its first observation of the trading day: a move that large in one day is more
/// likely bad data or a corporate action than a market, and trading on it would be a mistake. Trips automatically;
/// only an operator releases it. One instance per kind (accounts, models), arrays sized once, nothing allocated per
/// observation. Used from the evaluation thread; <see cref="IsHalted"/> may be read anywhere.
/// </summary>
public sealed class DriftBreaker
{
    private readonly double[] opening;
    private readonly DateOnly[] openedOn;
    private readonly bool[] halted;
    private readonly double[] driftAtTrip;
    private readonly double[] openingAtTrip;
    private readonly DateOnly[] trippedOn;
    private readonly Lock releaseGate = new();
    private int haltedCount;

    public DriftBreaker(string kind, int count, double threshold = 0.10)
    {
        if (!(threshold > 0) || !double.IsFinite(threshold))
        {
            throw new ArgumentException($"breaker threshold must be a positive fraction, got {threshold}", nameof(threshold));
        }
        Kind = kind;
        Threshold = threshold;
        opening = new double[count];
        openedOn = new DateOnly[count];
        halted = new bool[count];
        driftAtTrip = new double[count];
        openingAtTrip = new double[count];
        trippedOn = new DateOnly[count];
    }

    /// <summary>"account" or "model", for messages.</summary>
    public string Kind { get; }

    public double Threshold { get; }

    public int HaltedCount => Volatile.Read(ref haltedCount);

    public bool IsHalted(int index) => Volatile.Read(ref halted[index]);

    /// <summary>Takes the current total drift; returns true when this observation trips the breaker.</summary>
    public bool Observe(int index, double totalDrift, DateOnly day)
    {
        if (openedOn[index] != day)
        {
            openedOn[index] = day;
            opening[index] = totalDrift;
            return false;
        }
        if (halted[index] || !(Math.Abs(totalDrift - opening[index]) > Threshold))
        {
            return false;
        }
        driftAtTrip[index] = totalDrift;
        // The day's opening moves on at each new day while the halt lasts; the halt keeps the figures that tripped it.
        openingAtTrip[index] = opening[index];
        trippedOn[index] = day;
        Volatile.Write(ref halted[index], true);
        Interlocked.Increment(ref haltedCount);
        return true;
    }

    /// <summary>
    /// Takes the total drift of indices <paramref name="first"/> onwards at once (a slice of a full sweep): the same
    /// rule as <see cref="Observe"/>, in one tight loop rather than a call per account. Returns how many it tripped.
    /// </summary>
    public int ObserveRange(int first, ReadOnlySpan<double> totalDrift, DateOnly day)
    {
        if (first < 0 || first + totalDrift.Length > opening.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"{Kind} drifts {first} to {first + totalDrift.Length - 1} are outside the {opening.Length} the breaker watches");
        }
        var trips = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Four at a time, most observations change nothing (same day, a small move): only the others go to Observe,
            // which makes the exact decision. A halted index with a large move goes too, and Observe passes over it.
            var days = MemoryMarshal.Cast<DateOnly, int>(openedOn.AsSpan(first, totalDrift.Length));
            var today = Vector128.Create(day.DayNumber);
            var limit = Vector256.Create(Threshold);
            ref var drift = ref MemoryMarshal.GetReference(totalDrift);
            ref var open = ref MemoryMarshal.GetArrayDataReference(opening);
            for (; i <= totalDrift.Length - 4; i += 4)
            {
                var newDay = ~Vector128.Equals(Vector128.Create(days[i], days[i + 1], days[i + 2], days[i + 3]), today);
                var moved = Vector256.GreaterThan(Vector256.Abs(Vector256.LoadUnsafe(ref drift, (nuint)i) - Vector256.LoadUnsafe(ref open, (nuint)(first + i))), limit);
                var look = newDay.ExtractMostSignificantBits() | moved.ExtractMostSignificantBits();
                while (look != 0)
                {
                    var k = i + BitOperations.TrailingZeroCount(look);
                    trips += Observe(first + k, totalDrift[k], day) ? 1 : 0;
                    look &= look - 1;
                }
            }
        }
        for (; i < totalDrift.Length; i++)
        {
            trips += Observe(first + i, totalDrift[i], day) ? 1 : 0;
        }
        return trips;
    }

    /// <summary>
    /// Trades, not the market, just moved this index's drift (its fills were applied): the day's move is measured
    /// from its next observation, so a rebalance that takes twelve points of drift to none does not halt the very
    /// account it fixed. A halted index keeps the figures that tripped it.
    /// </summary>
    public void Rebase(int index)
    {
        if (!halted[index])
        {
            openedOn[index] = default;
        }
    }

    /// <summary>Releases a halt; the day's opening drift restarts from the current figure at the next observation.</summary>
    public bool Release(int index, string who, string why)
    {
        if (string.IsNullOrWhiteSpace(who) || string.IsNullOrWhiteSpace(why))
        {
            throw new ArgumentException("releasing a breaker needs who and why");
        }
        lock (releaseGate)
        {
            if (!halted[index])
            {
                return false;
            }
            openedOn[index] = default;
            Volatile.Write(ref halted[index], false);
            Interlocked.Decrement(ref haltedCount);
            return true;
        }
    }

    internal BreakerImage Capture() => new()
    {
        Opening = [.. opening],
        OpenedOn = [.. openedOn.Select(d => d.DayNumber)],
        Halted = [.. halted],
        DriftAtTrip = [.. driftAtTrip],
        OpeningAtTrip = [.. openingAtTrip],
        TrippedOn = [.. trippedOn.Select(d => d.DayNumber)],
    };

    internal void Restore(BreakerImage image)
    {
        if (image.Halted.Length != halted.Length)
        {
            throw new Persistence.StateMismatchException($"the saved {Kind} breakers cover {image.Halted.Length}; this book has {halted.Length}");
        }
        image.Opening.CopyTo(opening, 0);
        for (var i = 0; i < openedOn.Length; i++)
        {
            openedOn[i] = DateOnly.FromDayNumber(image.OpenedOn[i]);
        }
        image.Halted.CopyTo(halted, 0);
        image.DriftAtTrip.CopyTo(driftAtTrip, 0);
        // A state saved before the trip figures were kept has none: such halts fall back to the day's opening.
        if (image.OpeningAtTrip.Length == halted.Length)
        {
            image.OpeningAtTrip.CopyTo(openingAtTrip, 0);
            for (var i = 0; i < trippedOn.Length; i++)
            {
                trippedOn[i] = DateOnly.FromDayNumber(image.TrippedOn[i]);
            }
        }
        haltedCount = halted.Count(h => h);
    }

    /// <summary>Everything halted now, with the figures.</summary>
    public IReadOnlyList<Halt> Halts()
    {
        var list = new List<Halt>();
        for (var i = 0; i < halted.Length; i++)
        {
            if (IsHalted(i))
            {
                // A halt restored without its trip figures (an older saved state) falls back to the day's opening.
                list.Add(trippedOn[i] == default
                    ? new Halt(i, openedOn[i], opening[i], driftAtTrip[i])
                    : new Halt(i, trippedOn[i], openingAtTrip[i], driftAtTrip[i]));
            }
        }
        return list;
    }

    public string Describe(Halt halt) => string.Create(CultureInfo.InvariantCulture,
        $"{Kind} drift moved from {halt.OpeningDrift:0.00%} to {halt.DriftAtTrip:0.00%} on {halt.Day:yyyy-MM-dd}, more than {Threshold:0.##%} in one day");
}

/// <summary>
/// The market-wide breaker, as the US exchanges run it: when the reference index falls 7%, 13% or 20% below the
/// previous close, trading halts (level 1, 2, 3). Here every level halts until an operator releases it. A level
/// released during the day does not trip again that day, but a deeper level still does.
/// </summary>
public sealed class MarketWideBreaker
{
    private readonly double[] levels;
    private double previousClose = double.NaN;
    private DateOnly day;
    private int tripped;
    private int releasedThrough;

    public MarketWideBreaker(IReadOnlyList<double>? levels = null)
    {
        this.levels = [.. levels ?? [0.07, 0.13, 0.20]];
        for (var i = 0; i < this.levels.Length; i++)
        {
            if (!(this.levels[i] > 0 && this.levels[i] < 1) || (i > 0 && this.levels[i] <= this.levels[i - 1]))
            {
                throw new ArgumentException($"breaker levels must be ascending fractions between 0 and 1, got {string.Join(", ", this.levels)}", nameof(levels));
            }
        }
    }

    public IReadOnlyList<double> Levels => levels;

    /// <summary>0 when trading is allowed, else the level (1-based) that halted it.</summary>
    public int TrippedLevel => Volatile.Read(ref tripped);

    public bool IsHalted => TrippedLevel > 0;

    /// <summary>Starts a trading day from the previous close of the reference index.</summary>
    public void StartDay(DateOnly today, double previousClose)
    {
        if (!(previousClose > 0))
        {
            throw new ArgumentException($"previous close must be positive, got {previousClose}", nameof(previousClose));
        }
        day = today;
        this.previousClose = previousClose;
        releasedThrough = 0;
    }

    /// <summary>The reference index split: the previous close is counted in new units (times <paramref name="factor"/>).</summary>
    public void Rescale(double factor)
    {
        if (!(factor > 0) || !double.IsFinite(factor))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), $"a rescale factor must be a positive number, got {factor}");
        }
        previousClose *= factor;
    }

    /// <summary>Takes an index level; returns true when it trips a level.</summary>
    public bool Observe(double indexLevel, DateOnly today)
    {
        if (today != day || double.IsNaN(previousClose) || !(indexLevel > 0))
        {
            return false;
        }
        var fall = 1 - (indexLevel / previousClose);
        var level = 0;
        for (var i = 0; i < levels.Length; i++)
        {
            // Rounded to a hundredth of a basis point so 7.00% trips exactly at the level despite binary fractions.
            if (Math.Round(fall, 6) >= levels[i])
            {
                level = i + 1;
            }
        }
        if (level > Math.Max(TrippedLevel, releasedThrough))
        {
            Volatile.Write(ref tripped, level);
            return true;
        }
        return false;
    }

    internal (double PreviousClose, int Day, int Tripped, int ReleasedThrough) Capture() => (previousClose, day.DayNumber, tripped, releasedThrough);

    internal void Restore((double PreviousClose, int Day, int Tripped, int ReleasedThrough) image)
    {
        previousClose = image.PreviousClose;
        day = DateOnly.FromDayNumber(image.Day);
        tripped = image.Tripped;
        releasedThrough = image.ReleasedThrough;
    }

    public void Release(string who, string why)
    {
        if (string.IsNullOrWhiteSpace(who) || string.IsNullOrWhiteSpace(why))
        {
            throw new ArgumentException("releasing the market-wide breaker needs who and why");
        }
        releasedThrough = Math.Max(releasedThrough, TrippedLevel);
        Volatile.Write(ref tripped, 0);
    }
}
