using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>
/// Worked examples for every lot method, on the same three lots, sold 150 shares at 70 on 2025-06-30:
///   A  2023-01-10  100 sh  basis 5,000 (50/sh)  long-term,  gain +20/sh
///   B  2024-06-01  100 sh  basis 8,000 (80/sh)  long-term (one year ended 2025-06-01),  loss -10/sh
///   C  2025-03-01  100 sh  basis 6,000 (60/sh)  short-term, gain +10/sh
/// </summary>
public class LotSelectorTests
{
    private static readonly DateOnly SaleDate = new(2025, 6, 30);

    private static readonly TaxLot[] Lots =
    [
        new("A", "SPY", new(2023, 1, 10), 100, 5_000),
        new("B", "SPY", new(2024, 6, 1), 100, 8_000),
        new("C", "SPY", new(2025, 3, 1), 100, 6_000),
    ];

    private static LotSelection Sell(LotMethod method, decimal quantity = 150, SellLimits? limits = null, IReadOnlyList<string>? specific = null) =>
        LotSelector.Select(Lots, quantity, 70m, SaleDate, method, limits, specific);

    private static string Picked(LotSelection s) => string.Join(",", s.Reliefs.Select(r => $"{r.LotId}:{r.Quantity}"));

    [Fact]
    public void Fifo_sells_the_oldest_lots_first()
    {
        // A 100: 7,000 - 5,000 = +2,000 LT; B 50: 3,500 - 4,000 = -500 LT.
        var s = Sell(LotMethod.Fifo);
        Assert.Equal("A:100,B:50", Picked(s));
        Assert.Equal(1_500m, s.LongTermGain);
        Assert.Equal(0m, s.ShortTermGain);
    }

    [Fact]
    public void Lifo_sells_the_newest_lots_first()
    {
        // C 100: 7,000 - 6,000 = +1,000 ST; B 50: -500 LT.
        var s = Sell(LotMethod.Lifo);
        Assert.Equal("C:100,B:50", Picked(s));
        Assert.Equal(1_000m, s.ShortTermGain);
        Assert.Equal(-500m, s.LongTermGain);
    }

    [Fact]
    public void Highest_cost_sells_the_dearest_shares_first()
    {
        // B 100: -1,000 LT; C 50: 3,500 - 3,000 = +500 ST.
        var s = Sell(LotMethod.HighestCost);
        Assert.Equal("B:100,C:50", Picked(s));
        Assert.Equal(-1_000m, s.LongTermGain);
        Assert.Equal(500m, s.ShortTermGain);
    }

    [Fact]
    public void Lowest_cost_sells_the_cheapest_shares_first()
    {
        // A 100: +2,000 LT; C 50: +500 ST.
        var s = Sell(LotMethod.LowestCost);
        Assert.Equal("A:100,C:50", Picked(s));
        Assert.Equal(2_000m, s.LongTermGain);
        Assert.Equal(500m, s.ShortTermGain);
    }

    [Fact]
    public void Tax_optimal_takes_losses_then_long_term_gains_then_short_term()
    {
        // B 100 (loss, -1,000 LT), then A 50 (long-term gain, 3,500 - 2,500 = +1,000); C (short-term) untouched.
        var s = Sell(LotMethod.TaxOptimal);
        Assert.Equal("B:100,A:50", Picked(s));
        Assert.Equal(0m, s.Gain);
        Assert.Equal(0m, s.ShortTermGain);
    }

    [Fact]
    public void Tax_optimal_prefers_the_smallest_long_term_gain_before_any_short_term_gain()
    {
        // Sell 250: B 100 (-1,000), A 100 (+2,000 LT), then C 50 (+500 ST): short-term last even though its gain per share is smaller.
        var s = Sell(LotMethod.TaxOptimal, 250);
        Assert.Equal("B:100,A:100,C:50", Picked(s));
        Assert.Equal(1_000m, s.LongTermGain);
        Assert.Equal(500m, s.ShortTermGain);
    }

    [Fact]
    public void Specific_lots_sell_only_the_named_lots_in_order()
    {
        // C 100 (+1,000 ST), then A 50 (+1,000 LT).
        var s = Sell(LotMethod.SpecificLots, specific: ["C", "A"]);
        Assert.Equal("C:100,A:50", Picked(s));
        Assert.Equal(1_000m, s.ShortTermGain);
        Assert.Equal(1_000m, s.LongTermGain);
    }

    [Fact]
    public void Specific_lots_that_hold_too_little_leave_a_shortfall_with_a_reason()
    {
        var s = Sell(LotMethod.SpecificLots, specific: ["C"]);
        Assert.Equal(100m, s.Quantity);
        Assert.Equal(50m, s.Shortfall);
        Assert.Contains("named lots", s.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Gains_budget_stops_the_sale_where_the_budget_runs_out()
    {
        // FIFO, budget 1,000: lot A gains 20/sh, so floor(1,000 / 20) = 50 shares; the sale stops there.
        var s = Sell(LotMethod.Fifo, limits: new SellLimits(GainsBudget: 1_000));
        Assert.Equal("A:50", Picked(s));
        Assert.Equal(1_000m, s.Gain);
        Assert.Equal(100m, s.Shortfall);
        Assert.Contains("gains budget", s.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Gains_budget_counts_losses_realized_first()
    {
        // Tax-optimal, 200 shares, budget 500: B's loss of 1,000 raises the room to 1,500; A then gives 1,500 / 20 = 75 shares.
        var s = Sell(LotMethod.TaxOptimal, 200, new SellLimits(GainsBudget: 500));
        Assert.Equal("B:100,A:75", Picked(s));
        Assert.Equal(500m, s.Gain);
    }

    [Fact]
    public void Zero_gains_budget_sells_losses_and_only_gains_they_offset()
    {
        // Highest cost, budget 0: B's -1,000 makes room for C's 50 shares (+500); net -500 stays within the budget.
        var s = Sell(LotMethod.HighestCost, 150, new SellLimits(GainsBudget: 0));
        Assert.Equal("B:100,C:50", Picked(s));
        Assert.Equal(-500m, s.Gain);

        // FIFO with nothing to offset: A's first share would already be a gain, so nothing is sold.
        var none = Sell(LotMethod.Fifo, 150, new SellLimits(GainsBudget: 0));
        Assert.Empty(none.Reliefs);
        Assert.Equal(150m, none.Shortfall);
    }

    [Fact]
    public void Short_term_lots_about_to_turn_long_term_are_kept_when_deferral_is_on()
    {
        // X: bought 2024-07-10 at 60, short-term with a gain, long-term from 2025-07-11 (11 days away); Y: bought at 75, a loss.
        TaxLot[] lots = [new("X", "SPY", new(2024, 7, 10), 100, 6_000), new("Y", "SPY", new(2025, 5, 1), 100, 7_500)];

        var deferred = LotSelector.Select(lots, 100, 70m, SaleDate, LotMethod.Fifo, new SellLimits(DeferWithinDays: 30));
        var notDeferred = LotSelector.Select(lots, 100, 70m, SaleDate, LotMethod.Fifo, new SellLimits(DeferWithinDays: 10));

        Assert.Equal("Y:100", Picked(deferred));
        Assert.Equal(-500m, deferred.Gain);
        Assert.Equal("X:100", Picked(notDeferred));
        Assert.Equal(1_000m, notDeferred.ShortTermGain);
    }

    [Fact]
    public void Partial_relief_keeps_the_rest_of_the_basis_exactly()
    {
        // A third of a 100-share lot with basis 1,000: relieved 333.33..., kept 666.66...; together exactly 1,000.
        TaxLot[] lots = [new("L", "SPY", new(2024, 1, 1), 3, 1_000)];
        var s = LotSelector.Select(lots, 1, 400m, SaleDate, LotMethod.Fifo);
        var left = LotSelector.Apply(lots, s);

        Assert.Equal(2m, left.Single().Quantity);
        Assert.Equal(1_000m, s.Reliefs.Single().Basis + left.Single().CostBasis);
    }
}

public class TaxCalendarTests
{
    [Theory]
    // Held more than one year is long-term: bought 2024-03-15, a sale on 2025-03-15 is still short-term.
    [InlineData("2024-03-15", "2025-03-14", HoldingTerm.ShortTerm)]
    [InlineData("2024-03-15", "2025-03-15", HoldingTerm.ShortTerm)]
    [InlineData("2024-03-15", "2025-03-16", HoldingTerm.LongTerm)]
    // A leap-day purchase: one year later is 2025-02-28, so 2025-03-01 is the first long-term day.
    [InlineData("2024-02-29", "2025-02-28", HoldingTerm.ShortTerm)]
    [InlineData("2024-02-29", "2025-03-01", HoldingTerm.LongTerm)]
    public void Term_is_long_only_after_more_than_one_year(string bought, string sold, HoldingTerm expected) =>
        Assert.Equal(expected, TaxCalendar.Term(DateOnly.Parse(bought, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(sold, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Days_until_long_term_counts_to_the_first_long_term_day()
    {
        // Bought 2024-07-10: long-term from 2025-07-11, which is 11 days after 2025-06-30.
        Assert.Equal(11, TaxCalendar.DaysUntilLongTerm(new(2024, 7, 10), new(2025, 6, 30)));
        Assert.Equal(0, TaxCalendar.DaysUntilLongTerm(new(2023, 7, 10), new(2025, 6, 30)));
    }
}
