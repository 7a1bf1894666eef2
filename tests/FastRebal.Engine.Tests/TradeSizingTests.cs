using FastRebal.Engine.Orders;

namespace FastRebal.Engine.Tests;

public class TradeSizingTests
{
    [Theory]
    [InlineData(17.9, 1, 17)]
    [InlineData(17.9, 5, 15)]
    [InlineData(4.9, 5, 0)]
    [InlineData(-3, 1, 0)]
    [InlineData(0.1234567, 0.000001, 0.123456)]
    public void Floor_never_buys_more_than_asked(decimal quantity, decimal step, decimal expected) =>
        Assert.Equal(expected, TradeSizing.FloorToStep(quantity, step));

    [Theory]
    [InlineData(17.1, 1, 18)]
    [InlineData(11, 5, 15)]
    [InlineData(0, 1, 0)]
    public void Ceiling_never_raises_less_than_asked(decimal quantity, decimal step, decimal expected) =>
        Assert.Equal(expected, TradeSizing.CeilingToStep(quantity, step));

    [Theory]
    [InlineData(17.5, 1, 18)]
    [InlineData(17.49, 1, 17)]
    [InlineData(12.4, 5, 10)]
    [InlineData(12.5, 5, 15)]
    public void Round_goes_to_the_nearest_lot(decimal quantity, decimal step, decimal expected) =>
        Assert.Equal(expected, TradeSizing.RoundToStep(quantity, step));

    [Theory]
    [InlineData(30, 25, 1, false, false, 25)]
    [InlineData(3.4, 25, 1, false, false, 3)]
    [InlineData(3.4, 25, 1, false, true, 4)]
    [InlineData(3.4, 25, 1, true, false, 25)]
    [InlineData(3, 0, 1, true, false, 0)]
    [InlineData(60, 150, 100, false, false, 100)]
    public void Sell_quantity_is_never_more_than_held(decimal wanted, decimal held, decimal step, bool close, bool roundUp, decimal expected) =>
        Assert.Equal(expected, TradeSizing.SellQuantity(wanted, held, step, close, roundUp));
}
