using FastRebal.Engine.Kpi;

namespace FastRebal.Engine.Tests.Kpi;

public class KpiTimelineTests
{
    private static readonly DateOnly Monday = new(2026, 3, 2);

    /// <summary>X on model AB (half A, half B) holding <paramref name="a"/> A and <paramref name="b"/> B, with A at <paramref name="priceA"/> and B at 10.</summary>
    private static State.AccountBook Book(double priceA, decimal a, decimal b) => new TestBook()
        .Instrument("A", priceA).Instrument("B", 10)
        .Model("AB", ("A", 0.5), ("B", 0.5))
        .Account("X", "AB", 0, positions: [("A", a), ("B", b)])
        .Load().Book;

    [Fact]
    public void A_day_between_snapshots_has_the_return_of_the_weights_held_and_of_the_target_and_what_traded()
    {
        // 60% in A and 40% in B against a half-and-half target; A then rises 10% and X sells 10 A and buys 10 B.
        var first = KpiSnapshot.Take(Book(10, 120, 80), null, Monday);
        var second = KpiSnapshot.Take(Book(11, 110, 90), null, Monday.AddDays(1));

        var days = KpiTimeline.Between(first, second);

        Assert.Equal([KpiSnapshot.Firm, "AB"], days.Select(d => d.Group));
        var model = days[1];
        Assert.Equal(0.06, model.ActualReturn, 12);
        Assert.Equal(0.05, model.TargetReturn, 12);
        Assert.Equal(100, model.Bought, 9);
        Assert.Equal(110, model.Sold, 9);
        Assert.Equal(2000 * 0.06, model.ReturnAmount, 9);
        Assert.Equal(110 * 11 + 90 * 10, model.Value, 9);
        Assert.Equal(model with { Group = KpiSnapshot.Firm }, days[0]);

        // Nothing to compare the first snapshot with.
        var opening = KpiTimeline.Between(null, first)[1];
        Assert.False(opening.HasReturns);
        Assert.Equal((0.0, 0.0), (opening.Bought, opening.Sold));
    }

    [Fact]
    public void A_quarter_has_the_annualised_tracking_error_turnover_and_realized_gains_of_its_days()
    {
        KpiDay Day(int offset, double actual, double target, double bought, double sold, decimal realized) =>
            new(Monday.AddDays(offset), "AB", 1000, actual, target, bought, sold, 1000 * actual, realized, 0);
        // Days in March (Q1) then April (Q2): tracking differences +1% and -1% in Q1.
        var days = new List<KpiDay>
        {
            Day(0, double.NaN, double.NaN, 0, 0, 5),
            Day(1, 0.02, 0.01, 100, 40, 8),
            Day(2, 0.00, 0.01, 0, 30, 12),
            Day(31, 0.01, 0.01, 10, 10, 20),
        };

        var quarters = KpiTimeline.Quarters(days);

        Assert.Equal(["2026Q1", "2026Q2"], quarters.Select(q => q.Period));
        var q1 = quarters[0];
        Assert.Equal(3, q1.Days);
        Assert.Equal(Math.Sqrt(2e-4) * Math.Sqrt(252), q1.TrackingError!.Value, 9);
        Assert.Equal(70.0 / 1000, q1.Turnover!.Value, 12);
        Assert.Equal(12m - 5m, q1.RealizedShortTerm);
        Assert.Equal(20.0, q1.ReturnAmount, 9);
        Assert.Equal(7.0 / 20, q1.TaxEfficiency!.Value, 9);
        // Q2's gains count from Q1's last total; one day has no tracking error.
        Assert.Equal(8m, quarters[1].RealizedShortTerm);
        Assert.Null(quarters[1].TrackingError);
        Assert.Equal(4, Assert.Single(KpiTimeline.ToDate(days)).Days);
    }

    [Fact]
    public void Days_written_as_csv_read_back_the_same_and_a_torn_line_reads_as_none()
    {
        var day = new KpiDay(Monday, "AB", 1234.5, 0.0123, double.NaN, 1.5, 2.25, 15.18, 12.34m, -5.6m);

        Assert.Equal(day, KpiDay.FromCsv(day.ToCsv()));
        Assert.Null(KpiDay.FromCsv(day.ToCsv()[..20]));
        Assert.Equal(10, KpiDay.CsvHeader.Split(',').Length);
    }
}
