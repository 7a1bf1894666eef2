using CsCheck;
using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Tests;

/// <summary>The sizing orders holdings without LINQ; the order must be the one a stable LINQ sort gives, ties included.</summary>
public class StableOrderTests
{
    [Fact]
    public void Holdings_are_ordered_as_a_stable_linq_sort_orders_them_either_way() =>
        Gen.Decimal[-3, 3].Select(k => Math.Round(k, 1)).Array[0, 40].Sample(keys =>
        {
            var ascending = new int[keys.Length];
            var descending = new int[keys.Length];

            TradeGenerator.StableOrder(keys, ascending, descending: false);
            TradeGenerator.StableOrder(keys, descending, descending: true);

            Assert.Equal(Enumerable.Range(0, keys.Length).OrderBy(i => keys[i]), ascending);
            Assert.Equal(Enumerable.Range(0, keys.Length).OrderByDescending(i => keys[i]), descending);
        });
}
