using System.Globalization;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Ingestion;

/// <summary>Why an instrument is frozen (no account trades it until a verified price returns).</summary>
public enum FreezeReason : byte
{
    None,

    /// <summary>No price was ever verified.</summary>
    NoPrice,

    /// <summary>Too few fresh sources, or the last verified price is older than the asset class allows.</summary>
    Stale,

    /// <summary>Fresh sources disagree: fewer than the quorum are within the divergence limit of their median.</summary>
    Disputed,

    /// <summary>The sources agree on a move larger than the jump limit; held until they confirm it.</summary>
    Jump,
}

/// <summary>Why a single quote was thrown away.</summary>
public enum TickRejection : byte
{
    None,
    NotANumber,
    NotPositive,
    UnknownInstrument,
    UnknownSource,
}

/// <summary>What became of one quote.</summary>
public enum VerdictKind : byte
{
    /// <summary>The consensus is verified; <see cref="TickVerdict.Changed"/> says whether the price moved.</summary>
    Verified,

    /// <summary>Stored; not enough fresh sources yet to verify anything.</summary>
    Pending,

    /// <summary>Thrown away; <see cref="TickVerdict.Rejection"/> says why.</summary>
    Rejected,

    /// <summary>Stored, but the instrument is (or stays) frozen; <see cref="TickVerdict.Freeze"/> says why.</summary>
    Frozen,
}

/// <summary>The outcome of <see cref="PriceVerifier.Offer"/>: a value, never an exception.</summary>
public readonly record struct TickVerdict(VerdictKind Kind, double Price, bool Changed, TickRejection Rejection, FreezeReason Freeze);

/// <summary>An instrument as verification sees it, for the console and logs.</summary>
public readonly record struct InstrumentStatus(int Instrument, double VerifiedPrice, DateTime VerifiedAt, FreezeReason Freeze, string Detail)
{
    public bool IsFrozen => Freeze != FreezeReason.None;
}

/// <summary>
/// Verifies prices before they reach the book. Each source's latest quote is kept per instrument; on every quote
/// the fresh quotes (not older than the asset class's staleness limit) are compared: quotes further than the
/// divergence limit from their median are outvoted, and if at least the quorum agree their median is the consensus.
/// A consensus that jumps past the jump limit from the last verified price is held (the instrument frozen) until it
/// is confirmed by the next agreeing consensuses. Anything frozen stays frozen until a verified price returns.
/// </summary>
/// <remarks>
/// <see cref="Offer"/> and <see cref="CheckStaleness"/> run on the ingestion thread only; <see cref="IsFrozen"/> and
/// <see cref="Status"/> may be read from any thread (a reader may see a state one tick old). Nothing is allocated per
/// quote: state lives in arrays indexed by instrument and source.
/// </remarks>
public sealed class PriceVerifier
{
    private const int MaxSources = 32;

    private readonly VerificationPolicy policy;
    private readonly int sources;
    private readonly double[] quote;
    private readonly long[] quoteTime;
    private readonly long[] staleTicks;
    private readonly double[] verified;
    private readonly long[] verifiedTime;
    private readonly byte[] freeze;
    private readonly double[] jumpCandidate;
    private readonly int[] jumpConfirmations;
    private readonly long[] rejections = new long[Enum.GetValues<TickRejection>().Length];
    private readonly long[] freezes = new long[Enum.GetValues<FreezeReason>().Length];
    private long verifiedCount;
    private long offered;

    /// <summary>Instruments whose state an offer changed since the last <see cref="TakeDelta"/>, each once.</summary>
    private readonly bool[] touched;
    private readonly List<int> touchedList = [];

    public PriceVerifier(InstrumentTable instruments, int sources, VerificationPolicy? policy = null)
    {
        this.policy = policy ?? new VerificationPolicy();
        this.policy.Validate();
        if (sources < 1 || sources > MaxSources)
        {
            throw new ArgumentOutOfRangeException(nameof(sources), $"sources must be 1..{MaxSources}, got {sources}");
        }
        if (this.policy.MinSources > sources)
        {
            throw new ArgumentException($"verification.minSources ({this.policy.MinSources}) exceeds the feed's {sources} source(s): nothing could ever be verified");
        }
        this.sources = sources;
        var count = instruments.Count;
        quote = new double[count * sources];
        quoteTime = new long[count * sources];
        Array.Fill(quoteTime, long.MinValue);
        staleTicks = [.. instruments.All.Select(i => this.policy.StalenessOf(i.AssetClass).Ticks)];
        verified = new double[count];
        Array.Fill(verified, double.NaN);
        verifiedTime = new long[count];
        freeze = new byte[count];
        Array.Fill(freeze, (byte)FreezeReason.NoPrice);
        jumpCandidate = new double[count];
        jumpConfirmations = new int[count];
        touched = new bool[count];
    }

    public int InstrumentCount => verified.Length;

    /// <summary>Quotes offered so far.</summary>
    public long Offered => offered;

    /// <summary>Quotes whose consensus was verified.</summary>
    public long VerifiedCount => verifiedCount;

    public long Rejections(TickRejection reason) => Interlocked.Read(ref rejections[(int)reason]);

    /// <summary>How many times instruments were frozen for this reason.</summary>
    public long Freezes(FreezeReason reason) => Interlocked.Read(ref freezes[(int)reason]);

    /// <summary>The last verified price per instrument (NaN where none).</summary>
    public ReadOnlySpan<double> VerifiedPrices => verified;

    public bool IsFrozen(int instrument) => Volatile.Read(ref freeze[instrument]) != (byte)FreezeReason.None;

    public FreezeReason FreezeOf(int instrument) => (FreezeReason)Volatile.Read(ref freeze[instrument]);

    /// <summary>Starts an instrument from a price known good (the book's opening price), as if verified at <paramref name="timestamp"/>.</summary>
    public void Seed(int instrument, double price, long timestamp)
    {
        if (!(price > 0) || !double.IsFinite(price))
        {
            throw new ArgumentException($"seed price for instrument {instrument} must be positive, got {price}", nameof(price));
        }
        verified[instrument] = price;
        verifiedTime[instrument] = timestamp;
        Volatile.Write(ref freeze[instrument], (byte)FreezeReason.None);
    }

    /// <summary>The market time of the latest quote from any source (long.MinValue before the first).</summary>
    internal long LatestQuoteTime => quoteTime.Max();

    /// <summary>The market time of the latest quote of <paramref name="instrument"/> from any source (long.MinValue before the first).</summary>
    internal long LatestQuoteTimeOf(int instrument)
    {
        var latest = long.MinValue;
        for (var s = 0; s < sources; s++)
        {
            latest = Math.Max(latest, quoteTime[(instrument * sources) + s]);
        }
        return latest;
    }

    /// <summary>
    /// A split of <paramref name="ratio"/> new shares per old one: every price known of the instrument (each source's
    /// latest quote, the verified price, a jump held for confirmation) is divided by it, so the first quotes in the new
    /// shares agree with them instead of being held as a fall. Ingestion thread only; journaled with the next read.
    /// </summary>
    internal void Rescale(int instrument, double ratio)
    {
        if (!(ratio > 0) || !double.IsFinite(ratio))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), $"a split ratio must be a positive number, got {ratio}");
        }
        for (var s = 0; s < sources; s++)
        {
            quote[(instrument * sources) + s] /= ratio;
        }
        verified[instrument] /= ratio;
        jumpCandidate[instrument] /= ratio;
        if (!touched[instrument])
        {
            touched[instrument] = true;
            touchedList.Add(instrument);
        }
    }

    /// <summary>A copy of everything the verifier knows (call it on the ingestion thread, or while ingestion waits).</summary>
    internal VerifierImage Capture(long feedPosition) => new()
    {
        Quote = [.. quote],
        QuoteTime = [.. quoteTime],
        StaleTicks = [.. staleTicks],
        Verified = [.. verified],
        VerifiedTime = [.. verifiedTime],
        Freeze = [.. freeze],
        JumpCandidate = [.. jumpCandidate],
        JumpConfirmations = [.. jumpConfirmations],
        FeedPosition = feedPosition,
    };

    /// <summary>Puts back a captured state, before ingestion starts.</summary>
    internal void Restore(VerifierImage image)
    {
        if (image.Verified.Length != verified.Length || image.Quote.Length != quote.Length)
        {
            throw new Persistence.StateMismatchException($"the saved verifier has {image.Verified.Length} instruments x {image.Quote.Length / Math.Max(1, image.Verified.Length)} sources; this engine has {verified.Length} x {sources}");
        }
        image.Quote.CopyTo(quote, 0);
        image.QuoteTime.CopyTo(quoteTime, 0);
        image.StaleTicks.CopyTo(staleTicks, 0);
        image.Verified.CopyTo(verified, 0);
        image.VerifiedTime.CopyTo(verifiedTime, 0);
        image.Freeze.CopyTo(freeze, 0);
        image.JumpCandidate.CopyTo(jumpCandidate, 0);
        image.JumpConfirmations.CopyTo(jumpConfirmations, 0);
    }

    /// <summary>
    /// The state of every instrument offers changed since the last call, and forgets them: journaled after each read
    /// of the feed, it rebuilds the verifier exactly (<see cref="Apply"/>) without journaling every raw quote.
    /// </summary>
    internal VerifierDelta TakeDelta()
    {
        var n = touchedList.Count;
        var delta = new VerifierDelta
        {
            Instruments = new int[n],
            Quote = new double[n * sources],
            QuoteTime = new long[n * sources],
            Verified = new double[n],
            VerifiedTime = new long[n],
            Freeze = new byte[n],
            JumpCandidate = new double[n],
            JumpConfirmations = new int[n],
        };
        for (var k = 0; k < n; k++)
        {
            var i = touchedList[k];
            touched[i] = false;
            delta.Instruments[k] = i;
            quote.AsSpan(i * sources, sources).CopyTo(delta.Quote.AsSpan(k * sources));
            quoteTime.AsSpan(i * sources, sources).CopyTo(delta.QuoteTime.AsSpan(k * sources));
            delta.Verified[k] = verified[i];
            delta.VerifiedTime[k] = verifiedTime[i];
            delta.Freeze[k] = freeze[i];
            delta.JumpCandidate[k] = jumpCandidate[i];
            delta.JumpConfirmations[k] = jumpConfirmations[i];
        }
        touchedList.Clear();
        return delta;
    }

    /// <summary>Puts back the instruments a journaled <see cref="TakeDelta"/> holds (recovery, before ingestion starts).</summary>
    internal void Apply(VerifierDelta delta)
    {
        var n = delta.Instruments.Length;
        if (delta.Quote.Length != n * sources || delta.QuoteTime.Length != n * sources || delta.Verified.Length != n || delta.VerifiedTime.Length != n
            || delta.Freeze.Length != n || delta.JumpCandidate.Length != n || delta.JumpConfirmations.Length != n)
        {
            throw new InvalidDataException($"a journaled verifier change does not fit {sources} source(s) for {n} instrument(s)");
        }
        for (var k = 0; k < n; k++)
        {
            var i = delta.Instruments[k];
            if ((uint)i >= (uint)verified.Length)
            {
                throw new InvalidDataException($"a journaled verifier change names instrument {i}; this engine has {verified.Length}");
            }
            delta.Quote.AsSpan(k * sources, sources).CopyTo(quote.AsSpan(i * sources));
            delta.QuoteTime.AsSpan(k * sources, sources).CopyTo(quoteTime.AsSpan(i * sources));
            verified[i] = delta.Verified[k];
            verifiedTime[i] = delta.VerifiedTime[k];
            freeze[i] = delta.Freeze[k];
            jumpCandidate[i] = delta.JumpCandidate[k];
            jumpConfirmations[i] = delta.JumpConfirmations[k];
        }
    }

    /// <summary>Takes one quote and returns what became of it.</summary>
    public TickVerdict Offer(in SourceTick tick)
    {
        offered++;
        if ((uint)tick.Instrument >= (uint)verified.Length)
        {
            return Reject(TickRejection.UnknownInstrument);
        }
        if ((uint)tick.Source >= (uint)sources)
        {
            return Reject(TickRejection.UnknownSource);
        }
        if (double.IsNaN(tick.Price) || double.IsInfinity(tick.Price))
        {
            return Reject(TickRejection.NotANumber);
        }
        if (tick.Price <= 0)
        {
            return Reject(TickRejection.NotPositive);
        }

        var i = tick.Instrument;
        if (!touched[i])
        {
            touched[i] = true;
            touchedList.Add(i);
        }
        var row = i * sources;
        quote[row + tick.Source] = tick.Price;
        quoteTime[row + tick.Source] = tick.Timestamp;

        // The fresh quotes, judged against this quote's time: a source that stopped quoting drops out here.
        Span<double> fresh = stackalloc double[sources];
        var count = 0;
        var oldest = tick.Timestamp - staleTicks[i];
        for (var s = 0; s < sources; s++)
        {
            if (quoteTime[row + s] >= oldest)
            {
                fresh[count++] = quote[row + s];
            }
        }
        if (count < policy.MinSources)
        {
            return double.IsNaN(verified[i])
                ? new TickVerdict(VerdictKind.Pending, double.NaN, false, TickRejection.None, FreezeReason.NoPrice)
                : Hold(i, FreezeReason.Stale);
        }

        var median = Median(fresh[..count]);
        var limit = policy.MaxDivergenceBps * 1e-4;
        Span<double> agreeing = stackalloc double[count];
        var agree = 0;
        foreach (var q in fresh[..count])
        {
            if (Math.Abs((q / median) - 1) <= limit)
            {
                agreeing[agree++] = q;
            }
        }
        if (agree < policy.MinSources)
        {
            return Hold(i, FreezeReason.Disputed);
        }
        var consensus = Median(agreeing[..agree]);

        var previous = verified[i];
        if (!double.IsNaN(previous) && Math.Abs((consensus / previous) - 1) > policy.MaxJumpBps * 1e-4)
        {
            if (jumpConfirmations[i] > 0 && Math.Abs((consensus / jumpCandidate[i]) - 1) <= limit)
            {
                jumpConfirmations[i]++;
            }
            else
            {
                jumpCandidate[i] = consensus;
                jumpConfirmations[i] = 1;
            }
            if (jumpConfirmations[i] <= policy.JumpConfirmations)
            {
                return Hold(i, FreezeReason.Jump);
            }
        }
        jumpConfirmations[i] = 0;
        verified[i] = consensus;
        verifiedTime[i] = tick.Timestamp;
        Volatile.Write(ref freeze[i], (byte)FreezeReason.None);
        verifiedCount++;
        return new TickVerdict(VerdictKind.Verified, consensus, consensus != previous, TickRejection.None, FreezeReason.None);
    }

    /// <summary>Freezes every instrument whose verified price is older than its asset class allows at <paramref name="now"/>; returns how many it froze.</summary>
    public int CheckStaleness(long now)
    {
        var frozen = 0;
        for (var i = 0; i < verified.Length; i++)
        {
            if (freeze[i] == (byte)FreezeReason.None && now - verifiedTime[i] > staleTicks[i])
            {
                Hold(i, FreezeReason.Stale);
                frozen++;
            }
        }
        return frozen;
    }

    /// <summary>One instrument's state with a sentence saying why it is frozen (built here, never per tick).</summary>
    public InstrumentStatus Status(int instrument)
    {
        var reason = FreezeOf(instrument);
        var at = new DateTime(Math.Max(verifiedTime[instrument], 0), DateTimeKind.Utc);
        var detail = reason switch
        {
            FreezeReason.None => "verified",
            FreezeReason.NoPrice => "no verified price yet",
            FreezeReason.Stale => string.Create(CultureInfo.InvariantCulture, $"stale: fewer than {policy.MinSources} source(s) quoted within {TimeSpan.FromTicks(staleTicks[instrument])}, last verified {at:yyyy-MM-dd HH:mm:ss}"),
            FreezeReason.Disputed => string.Create(CultureInfo.InvariantCulture, $"disputed: fewer than {policy.MinSources} source(s) agree within {policy.MaxDivergenceBps} bps"),
            FreezeReason.Jump => string.Create(CultureInfo.InvariantCulture, $"jump: sources agree on {jumpCandidate[instrument]:0.####}, more than {policy.MaxJumpBps} bps from the last verified {verified[instrument]:0.####}; held for {policy.JumpConfirmations} confirmation(s)"),
            _ => reason.ToString(),
        };
        return new InstrumentStatus(instrument, verified[instrument], at, reason, detail);
    }

    private TickVerdict Reject(TickRejection reason)
    {
        Interlocked.Increment(ref rejections[(int)reason]);
        return new TickVerdict(VerdictKind.Rejected, double.NaN, false, reason, FreezeReason.None);
    }

    private TickVerdict Hold(int instrument, FreezeReason reason)
    {
        if (freeze[instrument] != (byte)reason)
        {
            Interlocked.Increment(ref freezes[(int)reason]);
            Volatile.Write(ref freeze[instrument], (byte)reason);
        }
        return new TickVerdict(VerdictKind.Frozen, double.NaN, false, TickRejection.None, reason);
    }

    /// <summary>Median of a few values, sorted in place (sources are few, so insertion sort beats anything cleverer).</summary>
    private static double Median(Span<double> values)
    {
        for (var k = 1; k < values.Length; k++)
        {
            var v = values[k];
            var j = k - 1;
            while (j >= 0 && values[j] > v)
            {
                values[j + 1] = values[j];
                j--;
            }
            values[j + 1] = v;
        }
        var mid = values.Length / 2;
        return values.Length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
}
