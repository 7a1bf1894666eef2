namespace FastRebal.Engine.State;

/// <summary>
/// For every instrument, the slots that hold or target it and the accounts those slots belong to, in compressed
/// rows (one offsets array, one values array). A price change then touches only its own slots and names exactly the
/// accounts to re-evaluate, instead of a pass over the whole book.
/// </summary>
/// <remarks>A book's slots are fixed once it is built (executions change quantities, never the layout), so the index
/// built once stays valid for the life of the book.</remarks>
public sealed class HoldingsIndex
{
    private readonly int[] slotOffsets;
    private readonly int[] slots;
    private readonly int[] accountOffsets;
    private readonly int[] accounts;

    public HoldingsIndex(AccountBook book)
    {
        var instrumentCount = book.Instruments.Count;
        var indices = book.InstrumentIndices;
        var slotStart = book.SlotStart;

        slotOffsets = new int[instrumentCount + 1];
        foreach (var instrument in indices)
        {
            slotOffsets[instrument + 1]++;
        }
        for (var i = 0; i < instrumentCount; i++)
        {
            slotOffsets[i + 1] += slotOffsets[i];
        }
        slots = new int[indices.Length];
        var fill = slotOffsets[..^1];
        for (var s = 0; s < indices.Length; s++)
        {
            slots[fill[indices[s]]++] = s;
        }

        // An account holds an instrument at most once, so its slots of one instrument map to distinct accounts; walking
        // accounts in order keeps each row sorted, which makes the rows cheap to merge.
        accountOffsets = (int[])slotOffsets.Clone();
        accounts = new int[indices.Length];
        fill = accountOffsets[..^1];
        for (var a = 0; a < book.AccountCount; a++)
        {
            for (var s = slotStart[a]; s < slotStart[a + 1]; s++)
            {
                accounts[fill[indices[s]]++] = a;
            }
        }
    }

    public int InstrumentCount => slotOffsets.Length - 1;

    /// <summary>The slots of <paramref name="instrument"/> across the book.</summary>
    public ReadOnlySpan<int> SlotsOf(int instrument) => slots.AsSpan(slotOffsets[instrument], slotOffsets[instrument + 1] - slotOffsets[instrument]);

    /// <summary>The accounts with a slot for <paramref name="instrument"/>, in ascending order.</summary>
    public ReadOnlySpan<int> AccountsOf(int instrument) => accounts.AsSpan(accountOffsets[instrument], accountOffsets[instrument + 1] - accountOffsets[instrument]);
}
