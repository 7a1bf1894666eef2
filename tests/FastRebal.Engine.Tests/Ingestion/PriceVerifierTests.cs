using CsCheck;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Ingestion;

public class PriceVerifierTests
{
    private static readonly long T0 = new DateTime(2025, 6, 30, 14, 0, 0, DateTimeKind.Utc).Ticks;

    private static readonly InstrumentTable Table = new([
        new Instrument("SPY", "SPY", "US Equity"),
        new Instrument("PREIT", "PREIT", "Alternatives"),
    ]);

    private static PriceVerifier Verifier(int sources = 3, VerificationPolicy? policy = null) => new(Table, sources, policy ?? new VerificationPolicy
    {
        StalenessByAssetClass = new Dictionary<string, TimeSpan> { ["US Equity"] = TimeSpan.FromDays(1), ["Alternatives"] = TimeSpan.FromDays(3) },
    });

    private static TickVerdict Quote(PriceVerifier v, int source, double price, long at, int instrument = 0) => v.Offer(new SourceTick(instrument, source, price, at));

    [Fact]
    public void Three_sources_with_one_far_off_verify_the_median_of_the_two_that_agree()
    {
        var v = Verifier();
        Quote(v, 0, 100.00, T0);
        Quote(v, 1, 100.10, T0);

        // Median of 100.00, 100.10, 103 is 100.10; 103 is 290 bps away (outvoted), the others agree: consensus 100.05.
        var verdict = Quote(v, 2, 103, T0);

        Assert.Equal(VerdictKind.Verified, verdict.Kind);
        Assert.Equal(100.05, verdict.Price, 10);
        Assert.Equal(100.05, v.VerifiedPrices[0], 10);
        Assert.False(v.IsFrozen(0));
    }

    [Theory]
    [InlineData(false, VerdictKind.Frozen)] // without the split known, half the price is a fall held for confirmation
    [InlineData(true, VerdictKind.Verified)] // rescaled to the new shares, the first quotes in them agree at once
    public void A_split_rescales_every_price_known_so_the_quotes_in_new_shares_are_no_jump(bool rescaled, VerdictKind expected)
    {
        var v = Verifier();
        for (var source = 0; source < 3; source++)
        {
            Quote(v, source, 100, T0);
        }
        var exDate = T0 + TimeSpan.FromDays(1).Ticks;
        Assert.Equal(T0, v.LatestQuoteTimeOf(0));

        if (rescaled)
        {
            v.Rescale(0, 2);
            Assert.Equal(50, v.VerifiedPrices[0]);
            Assert.Equal([0], v.TakeDelta().Instruments);
        }
        Quote(v, 0, 50.1, exDate);
        var verdict = Quote(v, 1, 50.1, exDate);

        Assert.Equal(expected, verdict.Kind);
        Assert.Equal(rescaled, !v.IsFrozen(0));
    }

    [Fact]
    public void Until_the_quorum_has_quoted_nothing_is_verified_and_the_instrument_has_no_price()
    {
        var v = Verifier();

        Assert.Equal(VerdictKind.Pending, Quote(v, 0, 100, T0).Kind);
        Assert.Equal(FreezeReason.NoPrice, v.FreezeOf(0));
    }

    [Fact]
    public void A_stale_source_is_outvoted_by_fresh_ones()
    {
        var v = Verifier();
        Quote(v, 0, 100, T0);
        Quote(v, 1, 100, T0);
        Quote(v, 2, 100, T0);

        // Source 2 stops quoting; two days later sources 0 and 1 agree on 110 and its old 100 no longer counts.
        var later = T0 + TimeSpan.FromDays(2).Ticks;
        Quote(v, 0, 110, later);
        var verdict = Quote(v, 1, 110.2, later);

        Assert.Equal(VerdictKind.Verified, verdict.Kind);
        Assert.Equal(110.1, verdict.Price, 10);
    }

    [Fact]
    public void Too_few_fresh_sources_freeze_the_instrument_as_stale_until_two_agree_again()
    {
        var v = Verifier();
        Quote(v, 0, 100, T0);
        Quote(v, 1, 100, T0);

        var later = T0 + TimeSpan.FromDays(2).Ticks;
        var verdict = Quote(v, 0, 101, later);

        Assert.Equal(VerdictKind.Frozen, verdict.Kind);
        Assert.Equal(FreezeReason.Stale, v.FreezeOf(0));
        Assert.Contains("stale", v.Status(0).Detail);

        Assert.Equal(VerdictKind.Verified, Quote(v, 2, 101, later).Kind);
        Assert.False(v.IsFrozen(0));
    }

    [Fact]
    public void Sources_that_all_disagree_freeze_the_instrument_as_disputed()
    {
        var v = Verifier();
        Quote(v, 0, 100, T0);
        Quote(v, 1, 102, T0);
        var verdict = Quote(v, 2, 104, T0);

        Assert.Equal(FreezeReason.Disputed, verdict.Freeze);
        Assert.True(v.IsFrozen(0));
        Assert.Contains("disputed", v.Status(0).Detail);
    }

    [Theory]
    [InlineData(double.NaN, TickRejection.NotANumber)]
    [InlineData(double.PositiveInfinity, TickRejection.NotANumber)]
    [InlineData(0.0, TickRejection.NotPositive)]
    [InlineData(-5.0, TickRejection.NotPositive)]
    public void Nonsense_prices_are_rejected_counted_and_never_stored(double price, TickRejection reason)
    {
        var v = Verifier();
        Quote(v, 0, 100, T0);
        Quote(v, 1, 100, T0);

        var verdict = Quote(v, 2, price, T0);

        Assert.Equal(VerdictKind.Rejected, verdict.Kind);
        Assert.Equal(reason, verdict.Rejection);
        Assert.Equal(1, v.Rejections(reason));
        Assert.Equal(100, v.VerifiedPrices[0]);
    }

    [Fact]
    public void Unknown_instruments_and_sources_are_rejected()
    {
        var v = Verifier();
        Assert.Equal(TickRejection.UnknownInstrument, v.Offer(new SourceTick(7, 0, 1, T0)).Rejection);
        Assert.Equal(TickRejection.UnknownSource, v.Offer(new SourceTick(0, 3, 1, T0)).Rejection);
    }

    [Fact]
    public void A_twenty_percent_jump_is_held_until_the_sources_confirm_it()
    {
        var v = Verifier(policy: new VerificationPolicy { JumpConfirmations = 2 });
        v.Seed(0, 100, T0);
        Quote(v, 0, 80, T0);

        var first = Quote(v, 1, 80, T0);
        Assert.Equal(FreezeReason.Jump, first.Freeze);
        Assert.Contains("jump", v.Status(0).Detail);
        Assert.Equal(100, v.VerifiedPrices[0]);

        Assert.Equal(VerdictKind.Frozen, Quote(v, 2, 80, T0).Kind);
        var confirmed = Quote(v, 0, 80.01, T0);

        Assert.Equal(VerdictKind.Verified, confirmed.Kind);
        Assert.False(v.IsFrozen(0));
        Assert.Equal(80, v.VerifiedPrices[0], 1);
    }

    [Fact]
    public void Staleness_checks_use_each_asset_classes_own_limit()
    {
        var v = Verifier();
        v.Seed(0, 100, T0);
        v.Seed(1, 25, T0);

        Assert.Equal(1, v.CheckStaleness(T0 + TimeSpan.FromDays(2).Ticks));
        Assert.Equal(FreezeReason.Stale, v.FreezeOf(0));
        Assert.False(v.IsFrozen(1));

        Assert.Equal(1, v.CheckStaleness(T0 + TimeSpan.FromDays(4).Ticks));
        Assert.True(v.IsFrozen(1));
    }

    [Theory]
    [InlineData(0, 50, 1500, "minSources")]
    [InlineData(2, -1, 1500, "maxDivergenceBps")]
    [InlineData(2, 50, double.NaN, "maxJumpBps")]
    public void A_bad_policy_is_refused_naming_the_field(int minSources, double divergence, double jump, string field)
    {
        var error = Assert.Throws<ArgumentException>(() => new VerificationPolicy { MinSources = minSources, MaxDivergenceBps = divergence, MaxJumpBps = jump }.Validate());
        Assert.Contains(field, error.Message);
    }

    [Fact]
    public void A_quorum_larger_than_the_feeds_sources_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new PriceVerifier(Table, 2, new VerificationPolicy { MinSources = 3 }));
    }

    [Fact]
    public void With_honest_sources_in_the_majority_the_verified_price_stays_near_the_truth()
    {
        // 5 sources, quorum 3: up to 2 liars quoting anything cannot move the consensus beyond the honest spread.
        Gen.Select(Gen.Double[1, 1000], Gen.Int[0, 2], Gen.Double[0.001, 100].Array[2], Gen.Double[-20, 20].Array[3]).Sample((truth, liars, lies, honestBps) =>
        {
            var v = new PriceVerifier(Table, 5, new VerificationPolicy { MinSources = 3, MaxDivergenceBps = 50 });
            for (var s = 0; s < 3; s++)
            {
                v.Offer(new SourceTick(0, s, truth * (1 + (honestBps[s] * 1e-4)), T0));
            }
            for (var s = 0; s < liars; s++)
            {
                v.Offer(new SourceTick(0, 3 + s, truth * lies[s], T0));
            }
            Assert.False(v.IsFrozen(0));
            Assert.InRange(v.VerifiedPrices[0], truth * (1 - 20e-4), truth * (1 + 20e-4));
        });
    }

    [Fact]
    public void The_changes_taken_after_each_read_rebuild_the_verifier_exactly_from_its_starting_state()
    {
        // Quotes of every kind (agreeing, far off, stale, jumps, nonsense, unknown instruments), read in chunks as the
        // ingestion thread reads them; a second verifier given only each chunk's changes must end in the same state.
        Gen.Select(Gen.Int[0, 2], Gen.Int[-1, 2], Gen.Double[50, 200], Gen.Int[0, 200_000]).Array[1, 300].Select(Gen.Int[1, 40]).Sample((quotes, chunk) =>
        {
            var live = Verifier();
            var rebuilt = Verifier();
            var at = T0;
            for (var from = 0; from < quotes.Length; from += chunk)
            {
                foreach (var (instrument, source, price, step) in quotes.AsSpan(from, Math.Min(chunk, quotes.Length - from)))
                {
                    at += step * TimeSpan.TicksPerSecond;
                    live.Offer(new SourceTick(instrument, source, price, at));
                }
                rebuilt.Apply(live.TakeDelta());
            }
            var (a, b) = (live.Capture(1), rebuilt.Capture(1));
            Assert.Equal(a.Quote, b.Quote);
            Assert.Equal(a.QuoteTime, b.QuoteTime);
            Assert.Equal(a.Verified, b.Verified);
            Assert.Equal(a.VerifiedTime, b.VerifiedTime);
            Assert.Equal(a.Freeze, b.Freeze);
            Assert.Equal(a.JumpCandidate, b.JumpCandidate);
            Assert.Equal(a.JumpConfirmations, b.JumpConfirmations);
        });
    }
}
