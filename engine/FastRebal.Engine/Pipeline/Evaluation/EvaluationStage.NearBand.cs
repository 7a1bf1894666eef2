using FastRebal.Engine.Drift;

namespace FastRebal.Engine.Pipeline;

// A quiet book's near-band list: the accounts nearest their bands are swept and decided first when a move starts a pass.
public sealed partial class EvaluationStage
{
    // The near-band tiers as CollectNearBand fills them: room for every account, plus one for the slot each tier
    // writes past its end.
    private readonly int[] nearBand;
    private readonly int[] nearBandOuter;
    private readonly int[] nearBandOutside;

    // The near-band list a quiet pass prepared for the next move (PrepareNearBand): its length, each one's worst
    // position (instrument, and +1 over or -1 under target), the prices it was figured at, and whether it is there;
    // nearBandGroup holds the group of them a move decides next.
    private int nearBandCount;
    private readonly int[] nearBandInstrument;
    private readonly sbyte[] nearBandSide;
    private readonly double[] nearBandPrices;
    private bool nearBandReady;
    private readonly int[] nearBandGroup = new int[ListedGroup];

    /// <summary>Accounts a quiet pass decides ahead of the rest at most: an eighth of the book.</summary>
    private int NearBandCapacity => Math.Max(FirstSlice, book.AccountCount / 8);

    /// <summary>
    /// A pass starting on a quiet book: the accounts that ended the last sweep near their bands are the likeliest to
    /// be pushed out by this move, so they are swept and decided before the pass begins (it skips their decision).
    /// Those whose worst position the move pushes further out go first (see <see cref="PushedFurther"/>); the rest
    /// follow in the list's order (see <see cref="CollectNearBand"/>). The list comes from the drift figures and
    /// prices, which follow from the book, so a replay picks the same accounts in the same order.
    /// </summary>
    private void DecideNearBandFirst()
    {
        if (!nearBandReady)
        {
            SweepListed(nearBand, CollectNearBand());
            return;
        }
        // The list the last quiet pass left. Accounts this batch already decided (fills, commands) are left out.
        var marketMove = 0.0;
        for (var instrument = 0; instrument < nearBandPrices.Length; instrument++)
        {
            marketMove += Move(instrument);
        }
        // The order is found one group at a time, not for the whole list first: on the 10k book the list holds about
        // 1,200 accounts, cold in cache since the last pass, and ordering all of them before deciding any took 50 µs
        // of a tick's 0.3 ms. The groups are the same either way, so the decisions are too.
        var scan = 0;
        var promoted = true;
        var decided = 0;
        for (var want = FirstListedGroup; ; want = ListedGroup)
        {
            var group = 0;
            while (group < want)
            {
                if (scan == nearBandCount)
                {
                    if (!promoted)
                    {
                        break;
                    }
                    (promoted, scan) = (false, 0);
                    continue;
                }
                var i = scan++;
                // An account the promoted round decided carries this batch's stamp by the second round.
                if (decidedStamp[nearBand[i]] != stamp && PushedFurther(i, marketMove) == promoted)
                {
                    nearBandGroup[group++] = nearBand[i];
                }
            }
            if (group == 0)
            {
                break;
            }
            SweepGroup(nearBandGroup, 0, group);
            decided += group;
        }
        Counters.AccountsEvaluated += decided;
    }

    /// <summary>How far an instrument's price moved, relatively, since the near-band list was prepared.</summary>
    private double Move(int instrument) => (book.Prices[instrument] / nearBandPrices[instrument]) - 1;

    /// <summary>
    /// Whether the batch moved the worst position of near-band entry <paramref name="i"/> further from its target: an
    /// overweight position whose price rose or an underweight one whose price fell; or, when its own price held, an
    /// underweight position while the rest rose (the account grew around it) or an overweight one while they fell.
    /// </summary>
    private bool PushedFurther(int i, double marketMove)
    {
        var own = Move(nearBandInstrument[i]);
        return (own != 0 ? own : -marketMove) * nearBandSide[i] > 0;
    }

    /// <summary>
    /// After a quiet batch that ended a pass, lists the accounts nearest their bands for the next quiet move (see
    /// <see cref="CollectNearBand"/>), each with the instrument of its worst position and which side of the target
    /// that position is on, and keeps the prices they were figured at: the next move then finds the accounts it
    /// pushes out without reading the whole book's figures, which are cold in cache by then (on the 10k book that
    /// read took 60 to 150 µs of a tick's 0.35 ms). The list is part of the checkpointed state, so a recovered
    /// engine orders its decisions the same way.
    /// </summary>
    private void PrepareNearBand()
    {
        nearBandCount = CollectNearBand();
        var c = book.c;
        for (var i = 0; i < nearBandCount; i++)
        {
            var a = nearBand[i];
            var tolerance = c.BandWidth[a];
            var relative = c.RelativeBand[a];
            var (worst, worstExcess) = (c.SlotStart[a], double.NegativeInfinity);
            for (var slot = c.SlotStart[a]; slot < c.SlotStart[a + 1]; slot++)
            {
                var excess = Math.Abs(report.Drift[slot]) - (relative ? c.Target[slot] * tolerance : tolerance);
                if (excess > worstExcess)
                {
                    (worst, worstExcess) = (slot, excess);
                }
            }
            nearBandInstrument[i] = c.InstrumentIndex[worst];
            nearBandSide[i] = (sbyte)Math.Sign(report.Drift[worst]);
        }
        book.Prices.CopyTo(nearBandPrices);
        nearBandReady = true;
    }

    /// <summary>
    /// Lists the accounts not yet decided in this batch whose excess lies within <see cref="NearBandMargin"/> of their
    /// band or above it: those within half the margin, then the rest of the margin, then those out of band, each tier
    /// in book order; returns how many (at most <see cref="NearBandCapacity"/>).
    /// </summary>
    /// <remarks>
    /// One pass over the figures, without a branch on them: each account is written at the end of its tier's list,
    /// which grows only if the account belongs there. Reading the whole book's figures still costs 60 to 150 µs on
    /// the 10k book when they have gone cold in cache, which is why <see cref="PrepareNearBand"/> does it after a
    /// quiet pass rather than when the next move comes.
    /// </remarks>
    private int CollectNearBand()
    {
        var excess = report.MaxExcess;
        int inner = 0, outer = 0, outside = 0;
        for (var a = 0; a < excess.Length; a++)
        {
            var e = excess[a];
            var open = decidedStamp[a] != stamp;
            nearBand[inner] = a;
            inner += (open & (e > -NearBandMargin / 2) & (e <= 0)) ? 1 : 0;
            nearBandOuter[outer] = a;
            outer += (open & (e > -NearBandMargin) & (e <= -NearBandMargin / 2)) ? 1 : 0;
            nearBandOutside[outside] = a;
            outside += (open & (e > 0)) ? 1 : 0;
        }
        var count = Math.Min(inner, NearBandCapacity);
        var more = Math.Min(outer, NearBandCapacity - count);
        nearBandOuter.AsSpan(0, more).CopyTo(nearBand.AsSpan(count));
        count += more;
        more = Math.Min(outside, NearBandCapacity - count);
        nearBandOutside.AsSpan(0, more).CopyTo(nearBand.AsSpan(count));
        return count + more;
    }

    /// <summary>
    /// Sweeps listed accounts (refreshing their marks first while a pass is under way) and decides each once, a small
    /// group at a time: the first account a move pushed out of band is decided after its group, not after the list.
    /// </summary>
    private void SweepListed(int[] accounts, int count)
    {
        for (int from = 0, group; from < count; from += group)
        {
            // The first group is small: a quiet move's list starts with the accounts it most likely pushed out.
            group = Math.Min(from == 0 ? FirstListedGroup : ListedGroup, count - from);
            SweepGroup(accounts, from, group);
        }
        Counters.AccountsEvaluated += count;
    }

    /// <summary>Sweeps <paramref name="count"/> listed accounts from <paramref name="from"/> and decides each once.</summary>
    private void SweepGroup(int[] accounts, int from, int count)
    {
        if (passRemaining > 0)
        {
            // The pass may not have reached them yet: their marks would still carry older prices than the book's.
            for (var i = from; i < from + count; i++)
            {
                var a = accounts[i];
                book.RefreshMarks(book.SlotStart[a], book.SlotStart[a + 1], parallel: false);
            }
        }
        DriftSweep.RunAccounts(book, report, accounts, from, count);
        for (var i = from; i < from + count; i++)
        {
            var a = accounts[i];
            gate.ObserveDrift(a, book.ModelIndex(a), report.TotalDrift[a], day);
            Decide(a, calendarCheck: false);
            decidedStamp[a] = stamp;
        }
    }
}
