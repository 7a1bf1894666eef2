using System.Diagnostics;
using FastRebal.Engine.Drift;

namespace FastRebal.Engine.Tests;

public class SweepPartnerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_range_swept_with_the_partner_equals_the_same_range_swept_alone(bool refreshMarks)
    {
        using var partner = new SweepPartner();
        var alone = DriftSweepTests.RandomBook(6000, seed: 5);
        var together = DriftSweepTests.RandomBook(6000, seed: 5);
        var expected = new DriftReport(alone);
        var actual = new DriftReport(together);
        var random = new Random(9);

        // Many slices in a row, of every size (one chunk, a ragged last chunk, the whole book): a chunk claimed for
        // the wrong slice, skipped or swept twice shows as a difference.
        for (var round = 0; round < 60; round++)
        {
            var moves = Enumerable.Range(0, alone.Instruments.Count).Select(i => (i, alone.Prices[i] * (0.98 + (0.04 * random.NextDouble())))).ToArray();
            alone.SetInstrumentPrices(moves);
            together.SetInstrumentPrices(moves);
            var from = random.Next(0, 3000);
            var to = round % 10 == 0 ? alone.AccountCount : random.Next(from, alone.AccountCount + 1);

            DriftSweep.RunRange(alone, expected, from, to, refreshMarks: refreshMarks);
            partner.RunRange(together, actual, from, to, refreshMarks);

            DriftSweepTests.AssertIdentical(alone, expected, together, actual);
        }
    }

    [Fact]
    public void On_two_cores_the_partner_sweeps_chunks_of_the_callers_slices()
    {
        if (Environment.ProcessorCount < 2)
        {
            return; // one core: the partner has no core of its own (and the engine makes none there)
        }
        using var partner = new SweepPartner();
        var book = DriftSweepTests.RandomBook(20_000, seed: 3);
        var report = new DriftReport(book);

        // Whether the partner is awake for a given slice depends on scheduling; over many slices it must take some.
        var clock = Stopwatch.StartNew();
        while (partner.ChunksSwept == 0 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            partner.RunRange(book, report, 0, book.AccountCount, refreshMarks: true);
        }

        Assert.True(partner.ChunksSwept > 0, "the partner never swept a chunk");
    }

    [Fact]
    public void A_disposed_partner_stops_its_thread_and_refuses_work()
    {
        var partner = new SweepPartner();
        var book = DriftSweepTests.RandomBook(100, seed: 1);
        partner.RunRange(book, new DriftReport(book), 0, 100, refreshMarks: false);

        partner.Dispose();
        partner.Dispose();

        Assert.Throws<ObjectDisposedException>(() => partner.RunRange(book, new DriftReport(book), 0, 100, refreshMarks: false));
    }
}
