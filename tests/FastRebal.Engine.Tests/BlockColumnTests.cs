using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests;

/// <summary>The block column the book builder and the firm folder reader append to: what a List would hold, across block edges.</summary>
public sealed class BlockColumnTests
{
    [Fact]
    public void A_block_column_holds_what_a_list_holds_across_blocks_after_truncating_back_over_a_block_edge()
    {
        var column = new BlockColumn<int>();
        var list = new List<int>();
        for (var i = 0; i < 150_000; i++)
        {
            column.Add(i);
            list.Add(i);
        }
        column.Truncate(60_000);
        list.RemoveRange(60_000, list.Count - 60_000);
        for (var i = 0; i < 80_000; i++)
        {
            column.Add(-i);
            list.Add(-i);
        }
        column[70_001] = 7;
        list[70_001] = 7;

        Assert.Equal(list.Count, column.Count);
        Assert.Equal(list, column.ToArray());
        Assert.Equal(list[139_999], column[139_999]);
        Assert.Empty(new BlockColumn<double>().ToArray());
    }
}
