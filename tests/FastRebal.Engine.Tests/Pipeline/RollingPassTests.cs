using System.Collections.Concurrent;
using System.Diagnostics;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>
/// The rolling pass: a busy feed's batches sweep a slice of the book each and let the next prices in, every account
/// still sees every price within one pass, and a quiet book's pass decides the accounts nearest their bands first.
/// </summary>
public class RollingPassTests
{
    private static readonly long Day1 = new DateTime(2025, 6, 30, 15, 0, 0, DateTimeKind.Utc).Ticks;

    private sealed class Publisher : IOrderPublisher
    {
        public List<OrderEvent> Trades { get; } = [];

        public void Publish(in OrderEvent order)
        {
            if (order.Kind == OrderEventKind.Trade)
            {
                Trades.Add(order);
            }
        }
    }

    private sealed class Stage
    {
        public Stage(AccountBook book, bool busy, int rollingSlice)
        {
            Book = book;
            Evaluation = new EvaluationStage(book, new ControlPlane(), new ConcurrentQueue<AccountFill>(), Gate, Publisher, Latency, rollingSlice: rollingSlice);
            // The day opens with a whole sweep; from then on the feed counts as busy (or not).
            Batch();
            Evaluation.MoreInputWaiting = () => busy;
            Publisher.Trades.Clear();
        }

        public AccountBook Book { get; }

        public EvaluationStage Evaluation { get; }

        public Publisher Publisher { get; } = new();

        public OpenGate Gate { get; } = new();

        public LatencyRecorder Latency { get; } = new("price change to decision");

        public void Batch(params (string Instrument, double Price)[] prices)
        {
            foreach (var (id, price) in prices)
            {
                Evaluation.Add(new PriceEvent { Instrument = Book.Instruments.IndexOf(id), Price = price, MarketTime = Day1, ReceivedAt = Stopwatch.GetTimestamp() });
            }
            Evaluation.Add(new PriceEvent { Instrument = -1, MarketTime = Day1 });
            Evaluation.EndBatch();
        }

        /// <summary>Each account's total value as the last sweep of it computed.</summary>
        public double[] Values() => [.. Evaluation.Drift.TotalValue];
    }

    /// <summary>Ten accounts on one model, all holding A and B: a move of A touches the whole book.</summary>
    private static AccountBook TenAccounts()
    {
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5));
        for (var i = 0; i < 10; i++)
        {
            book.Account($"X{i}", "AB", 0, TestBook.Policy(band: 0.2), positions: [("A", 100), ("B", 100)]);
        }
        return book.Load().Book;
    }

    [Fact]
    public void A_busy_feeds_batch_sweeps_one_slice_and_the_pass_reaches_every_account_in_later_batches()
    {
        var s = new Stage(TenAccounts(), busy: true, rollingSlice: 3);

        s.Batch(("A", 11));

        // Three accounts valued at the new price, seven still at the old one, and the price not yet counted as decided.
        Assert.Equal([2100, 2100, 2100, 2000, 2000, 2000, 2000, 2000, 2000, 2000], s.Values());
        Assert.True(s.Evaluation.PassUnderWay);
        Assert.Equal(0, s.Latency.Count);

        s.Batch();
        s.Batch();
        Assert.Equal(0, s.Latency.Count);
        s.Batch();

        Assert.All(s.Values(), v => Assert.Equal(2100, v));
        Assert.False(s.Evaluation.PassUnderWay);
        Assert.Equal(1, s.Latency.Count);
    }

    [Fact]
    public void A_price_arriving_mid_pass_is_carried_on_by_the_pass_and_reaches_the_accounts_already_behind_it()
    {
        var s = new Stage(TenAccounts(), busy: true, rollingSlice: 4);

        s.Batch(("A", 11)); // accounts 0-3 at 11
        s.Batch(("A", 12)); // accounts 4-7 at 12; 0-3 must now wait for the pass to come round again
        Assert.Equal([2100, 2100, 2100, 2100, 2200, 2200, 2200, 2200, 2000, 2000], s.Values());
        Assert.Equal(0, s.Latency.Count);

        s.Batch(); // 8, 9, then round to 0 and 1: the first price has now reached every account
        Assert.Equal([2200, 2200, 2100, 2100, 2200, 2200, 2200, 2200, 2200, 2200], s.Values());
        Assert.Equal(1, s.Latency.Count);

        s.Batch(); // 2 and 3: every account has seen the second price
        Assert.All(s.Values(), v => Assert.Equal(2200, v));
        Assert.Equal(2, s.Latency.Count);
        Assert.False(s.Evaluation.PassUnderWay);
    }

    [Fact]
    public void With_no_input_waiting_a_rolling_pass_goes_on_a_slice_per_batch_until_every_account_has_the_price()
    {
        var s = new Stage(TenAccounts(), busy: false, rollingSlice: 3);
        // A batch of many prices makes the feed busy, so the pass rolls instead of finishing in this batch.
        s.Batch([.. Enumerable.Range(0, EvaluationStage.BusyFeedPrices).Select(i => ("A", 11 + (i * 0.001)))]);
        Assert.Equal(3, s.Values().Count(v => v != 2000));
        var batches = s.Evaluation.Sequence;

        var continued = 0;
        while (s.Evaluation.ContinuePass())
        {
            continued++;
            Assert.Equal(Math.Min(10, 3 * (continued + 1)), s.Values().Count(v => v != 2000));
        }

        // Seven accounts left, three a batch: three more batches, each its own (journaled) batch with no prices.
        Assert.Equal(3, continued);
        Assert.Equal(batches + 3, s.Evaluation.Sequence);
        Assert.False(s.Evaluation.PassUnderWay);
        Assert.Equal(EvaluationStage.BusyFeedPrices, s.Latency.Count);
        Assert.False(s.Evaluation.ContinuePass());
    }

    [Fact]
    public void A_pass_does_not_go_on_by_itself_while_input_waits_or_when_nothing_says_whether_it_does()
    {
        var busy = new Stage(TenAccounts(), busy: true, rollingSlice: 3);
        busy.Batch(("A", 11));

        Assert.False(busy.Evaluation.ContinuePass());
        Assert.Equal(3, busy.Values().Count(v => v == 2100));

        busy.Evaluation.MoreInputWaiting = null;
        Assert.False(busy.Evaluation.ContinuePass());
        Assert.True(busy.Evaluation.PassUnderWay);
    }

    [Fact]
    public void The_evaluation_handler_carries_a_rolling_pass_to_its_end_once_the_ring_has_nothing_more()
    {
        var s = new Stage(TenAccounts(), busy: false, rollingSlice: 3);
        using var metrics = new EngineMetrics();
        var handler = new EvaluationHandler(s.Evaluation, metrics, new LatencyRecorder("batch"));
        var instrument = s.Book.Instruments.IndexOf("A");

        for (var i = 0; i < EvaluationStage.BusyFeedPrices; i++)
        {
            var price = new PriceEvent { Instrument = instrument, Price = 11 + (i * 0.001), MarketTime = Day1, ReceivedAt = Stopwatch.GetTimestamp() };
            handler.OnEvent(ref price, i, endOfBatch: i == EvaluationStage.BusyFeedPrices - 1);
        }

        Assert.False(s.Evaluation.PassUnderWay);
        Assert.Equal(EvaluationStage.BusyFeedPrices, s.Latency.Count);
    }

    [Fact]
    public void A_quiet_feeds_batch_finishes_the_whole_pass_at_once()
    {
        var s = new Stage(TenAccounts(), busy: false, rollingSlice: 3);

        s.Batch(("A", 11));

        Assert.All(s.Values(), v => Assert.Equal(2100, v));
        Assert.False(s.Evaluation.PassUnderWay);
        Assert.Equal(1, s.Latency.Count);
    }

    [Fact]
    public void A_batch_that_brings_many_prices_counts_as_busy_even_with_nothing_waiting_behind_it()
    {
        var s = new Stage(TenAccounts(), busy: false, rollingSlice: 3);

        // The feed's quotes arrive one by one, so the ring is often empty the instant a batch ends; the batch's own
        // size says the feed is busy.
        s.Batch([.. Enumerable.Range(0, EvaluationStage.BusyFeedPrices).Select(i => ("A", 11 + (i * 0.001)))]);

        Assert.True(s.Evaluation.PassUnderWay);
    }

    [Fact]
    public void A_small_batch_between_busy_ones_keeps_rolling_instead_of_sweeping_the_whole_book()
    {
        var s = new Stage(TenAccounts(), busy: false, rollingSlice: 3);
        s.Batch([.. Enumerable.Range(0, EvaluationStage.BusyFeedPrices).Select(i => ("A", 11 + (i * 0.001)))]);

        // One price, nothing waiting: alone it would look quiet, but the feed was busy a batch ago.
        s.Batch(("A", 11.5));

        Assert.True(s.Evaluation.PassUnderWay);
        Assert.Equal(3, s.Values().Count(v => v == 2150));
    }

    [Fact]
    public void A_quiet_pass_decides_the_accounts_nearest_their_bands_before_the_rest_of_the_book()
    {
        // Both accounts break their 5% band when A rises 30%, but Late (the book's last account) ended the last sweep
        // just inside its band, so it is decided first and its trades reach the order stage first.
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5))
            .Account("Early", "AB", 0, positions: [("A", 100), ("B", 100)])
            .Account("Late", "AB", 0, positions: [("A", 122), ("B", 100)])
            .Load().Book;
        var s = new Stage(book, busy: false, rollingSlice: EvaluationStage.RollingSlice);
        Assert.True(s.Evaluation.Drift.MaxExcess[1] > -EvaluationStage.NearBandMargin);
        Assert.True(s.Evaluation.Drift.MaxExcess[0] < -EvaluationStage.NearBandMargin);

        s.Batch(("A", 13));

        Assert.Equal([1, 0], s.Publisher.Trades.Select(t => t.Account).Distinct());
    }

    [Fact]
    public void Among_the_accounts_near_their_bands_those_just_inside_go_before_those_already_out_and_waiting()
    {
        // Out broke its band before today but may not trade again for 30 days: it waits, parked. Inside is just inside
        // its band. Far is nowhere near. A quiet move sweeps Inside first, then Out, and leaves Far to the pass.
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5))
            .Account("Out", "AB", 0, TestBook.Policy(minDays: 30), lastRebalanced: new DateOnly(2025, 6, 20), positions: [("A", 150), ("B", 100)])
            .Account("Far", "AB", 0, positions: [("A", 100), ("B", 100)])
            .Account("Inside", "AB", 0, positions: [("A", 122), ("B", 100)])
            .Load().Book;
        var s = new Stage(book, busy: false, rollingSlice: EvaluationStage.RollingSlice);
        s.Gate.SweptAlone.Clear();

        s.Batch(("A", 10.1));

        Assert.Equal([2, 0], s.Gate.SweptAlone);
    }

    [Fact]
    public void Among_the_accounts_just_inside_their_bands_the_nearest_go_first()
    {
        // Nearer is within an eighth of a point of its band, Near within a quarter; Nearer goes first though later in the book.
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5))
            .Account("Near", "AB", 0, positions: [("A", 121), ("B", 100)])
            .Account("Nearer", "AB", 0, positions: [("A", 122), ("B", 100)])
            .Load().Book;
        var s = new Stage(book, busy: false, rollingSlice: EvaluationStage.RollingSlice);
        Assert.InRange(s.Evaluation.Drift.MaxExcess[0], -EvaluationStage.NearBandMargin, -EvaluationStage.NearBandMargin / 2);
        s.Gate.SweptAlone.Clear();

        s.Batch(("A", 10.01));

        Assert.Equal([1, 0], s.Gate.SweptAlone);
    }

    /// <summary>
    /// Two accounts just inside their 5% bands on a 50/50 model: Under holds A 4.9 points under target, Over 5.0 points
    /// over. A rise in A pushes Over out and brings Under back.
    /// </summary>
    private static AccountBook UnderAndOver(bool overFirst = false)
    {
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5));
        (string, decimal)[] under = [("A", 82.2m), ("B", 100)];
        (string, decimal)[] over = [("A", 122), ("B", 100)];
        return (overFirst
            ? book.Account("Over", "AB", 0, positions: over).Account("Under", "AB", 0, positions: under)
            : book.Account("Under", "AB", 0, positions: under).Account("Over", "AB", 0, positions: over)).Load().Book;
    }

    [Theory]
    [InlineData(false, 10.1, "Over")]
    [InlineData(true, 10.1, "Over")]
    [InlineData(false, 9.9, "Under")]
    [InlineData(true, 9.9, "Under")]
    [InlineData(false, 10, "Over")] // B falls: the account grows less than A, so A's overweight grows
    public void A_quiet_move_decides_first_the_account_whose_worst_position_it_pushes_further_out(bool overFirst, double priceOfA, string first)
    {
        var s = new Stage(UnderAndOver(overFirst), busy: false, rollingSlice: EvaluationStage.RollingSlice);
        Assert.All(s.Evaluation.Drift.MaxExcess.ToArray(), e => Assert.InRange(e, -EvaluationStage.NearBandMargin / 2, 0));
        s.Gate.SweptAlone.Clear();

        s.Batch(priceOfA == 10 ? ("B", 9.9) : ("A", priceOfA));

        // Either account may come first in book order; the list the opening pass prepared knows which side each is on.
        Assert.Equal(first, s.Book.AccountId(s.Gate.SweptAlone[0]));
        Assert.Equal(2, s.Gate.SweptAlone.Count);
        Assert.Equal([s.Gate.SweptAlone[0]], s.Publisher.Trades.Select(t => t.Account).Distinct());
    }

    [Fact]
    public void An_account_already_out_and_waiting_whose_breach_the_move_widens_goes_before_one_inside_that_it_brings_back()
    {
        // Out is overweight in A and parked (30 days between rebalances); Under is just inside, underweight in A.
        var book = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("AB", ("A", 0.5), ("B", 0.5))
            .Account("Under", "AB", 0, positions: [("A", 82.2m), ("B", 100)])
            .Account("Out", "AB", 0, TestBook.Policy(minDays: 30), lastRebalanced: new DateOnly(2025, 6, 20), positions: [("A", 150), ("B", 100)])
            .Load().Book;
        var s = new Stage(book, busy: false, rollingSlice: EvaluationStage.RollingSlice);
        Assert.True(s.Evaluation.Drift.MaxExcess[1] > 0);
        s.Gate.SweptAlone.Clear();

        s.Batch(("A", 10.1));

        Assert.Equal([1, 0], s.Gate.SweptAlone);
    }

    [Fact]
    public void The_near_band_list_a_quiet_pass_prepared_is_checkpointed_and_a_restored_engine_decides_the_next_move_in_the_same_order()
    {
        var live = new Stage(UnderAndOver(), busy: false, rollingSlice: EvaluationStage.RollingSlice);
        live.Batch(("B", 10.02)); // a quiet move: its pass prepares a new list, at these prices

        var image = new EngineImage();
        var chunks = BookState.Capture(live.Book, image);
        image.Evaluation = live.Evaluation.Capture(chunks);
        var policies = Enumerable.Range(0, BookState.ChunkCount(live.Book))
            .Select(i => BookState.CapturePolicies(live.Book, i, new Model.InvestmentPolicy?[live.Book.AccountCount])!).ToArray();
        Assert.Equal([0, 1], image.Evaluation.NearBandAccounts);
        Assert.Equal([10, 10.02], image.Evaluation.NearBandPrices);

        var restored = new Stage(UnderAndOver(), busy: false, rollingSlice: EvaluationStage.RollingSlice);
        BookState.Restore(restored.Book, image, chunks, policies);
        restored.Evaluation.Restore(image.Evaluation, chunks);
        var again = restored.Evaluation.Capture(BookState.Capture(restored.Book, new EngineImage()));
        Assert.Equal(image.Evaluation.NearBandAccounts, again.NearBandAccounts);
        Assert.Equal(image.Evaluation.NearBandInstruments, again.NearBandInstruments);
        Assert.Equal(image.Evaluation.NearBandSides, again.NearBandSides);
        Assert.Equal(image.Evaluation.NearBandPrices, again.NearBandPrices);

        live.Gate.SweptAlone.Clear();
        restored.Gate.SweptAlone.Clear();
        live.Batch(("A", 10.1));
        restored.Batch(("A", 10.1));
        Assert.Equal([1, 0], live.Gate.SweptAlone);
        Assert.Equal(live.Gate.SweptAlone, restored.Gate.SweptAlone);
    }

    [Fact]
    public void A_checkpoint_taken_mid_pass_keeps_the_marks_the_pass_has_not_refreshed_and_the_restored_engine_goes_on_the_same()
    {
        var live = new Stage(TenAccounts(), busy: true, rollingSlice: 3);
        live.Batch(("A", 11));
        live.Batch(("A", 30)); // accounts 3-5 now far out of band; 6-9 will be when the pass reaches them

        var image = new EngineImage();
        var chunks = BookState.Capture(live.Book, image);
        image.Evaluation = live.Evaluation.Capture(chunks);
        var policies = Enumerable.Range(0, BookState.ChunkCount(live.Book))
            .Select(i => BookState.CapturePolicies(live.Book, i, new Model.InvestmentPolicy?[live.Book.AccountCount])!).ToArray();
        Assert.All(chunks, c => Assert.NotNull(c.Marks));

        var restored = new Stage(TenAccounts(), busy: true, rollingSlice: 3);
        BookState.Restore(restored.Book, image, chunks, policies);
        restored.Evaluation.Restore(image.Evaluation, chunks);
        restored.Publisher.Trades.Clear();
        live.Publisher.Trades.Clear();

        // The accounts the pass has not reached are still valued at their old marks, as in the engine that kept running.
        Assert.Equal(live.Values(), restored.Values());
        for (var i = 0; i < 4; i++)
        {
            live.Batch();
            restored.Batch();
            Assert.Equal(live.Values(), restored.Values());
        }
        Assert.NotEmpty(live.Publisher.Trades);
        Assert.Equal(Orders(live), Orders(restored));

        static IEnumerable<(int, int, TradeSide, decimal, decimal, long)> Orders(Stage s) =>
            s.Publisher.Trades.Select(t => (t.Account, t.Instrument, t.Side, t.Quantity, t.Price, t.Sequence));
    }
}
