using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests;

public class InstrumentLineupsTests
{
    // Six accounts: 0, 2 and 4 hold instruments 3, 1, 2 in that order; 1 holds the same in another order; 3 holds
    // nothing; 5 holds 3 and 1, a lineup of its own.
    private static readonly int[] SlotStart = [0, 3, 6, 9, 9, 12, 14];
    private static readonly int[] Instruments = [3, 1, 2, /**/ 1, 3, 2, /**/ 3, 1, 2, /**/ 3, 1, 2, /**/ 3, 1];

    [Fact]
    public void Accounts_holding_the_same_instruments_in_the_same_order_share_a_row_and_the_rest_have_none()
    {
        var lineups = InstrumentLineups.Find(SlotStart, Instruments);

        Assert.Equal(1, lineups.LineupCount);
        Assert.Equal(3, lineups.AccountsWithRow);
        foreach (var account in new[] { 1, 3, 5 })
        {
            Assert.True(Unsafe.IsNullRef(ref lineups.Row(account)), $"account {account} must have no row");
        }
        Assert.True(Unsafe.AreSame(ref lineups.Row(0), ref lineups.Row(2)));
        Assert.True(Unsafe.AreSame(ref lineups.Row(0), ref lineups.Row(4)));
    }

    [Fact]
    public void A_refreshed_row_holds_the_prices_of_its_instruments_in_slot_order()
    {
        var lineups = InstrumentLineups.Find(SlotStart, Instruments);
        double[] prices = [10, 11, 12, 13];

        lineups.Refresh(prices);
        Assert.Equal([13.0, 11, 12], MemoryMarshal.CreateReadOnlySpan(ref lineups.Row(0), 3).ToArray());

        prices[1] = 99;
        lineups.Refresh(prices);
        Assert.Equal([13.0, 99, 12], MemoryMarshal.CreateReadOnlySpan(ref lineups.Row(2), 3).ToArray());
    }

    [Fact]
    public void Under_the_slot_cap_the_most_shared_lineups_get_rows_first_and_a_lineup_too_long_for_what_is_left_is_passed_over()
    {
        // Three accounts hold [0, 1]; two hold [2]; two hold [3, 4, 5].
        int[] slotStart = [0, 2, 4, 6, 7, 8, 11, 14];
        int[] instruments = [0, 1, 0, 1, 0, 1, 2, 2, 3, 4, 5, 3, 4, 5];

        Assert.Equal(3, InstrumentLineups.Find(slotStart, instruments, maxRowSlots: 6).LineupCount);

        var capped = InstrumentLineups.Find(slotStart, instruments, maxRowSlots: 4);
        Assert.Equal(2, capped.LineupCount);
        Assert.Equal(5, capped.AccountsWithRow);
        Assert.True(Unsafe.IsNullRef(ref capped.Row(5)));

        var tight = InstrumentLineups.Find(slotStart, instruments, maxRowSlots: 1);
        Assert.Equal(1, tight.LineupCount);
        Assert.False(Unsafe.IsNullRef(ref tight.Row(3)));
        Assert.True(Unsafe.IsNullRef(ref tight.Row(0)));

        Assert.Equal(0, InstrumentLineups.Find(slotStart, instruments, maxRowSlots: 0).AccountsWithRow);
    }
}
