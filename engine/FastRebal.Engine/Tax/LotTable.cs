using System.Globalization;
using System.Security.Cryptography;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tax;

/// <summary>
/// The live book's tax lots, in struct-of-arrays form beside the <see cref="AccountBook"/>: each slot (an account's
/// position) heads a chain of lots, and a lot is one entry in each column (quantity, basis, dates, wash-sale
/// adjustment, number). Nothing is an object per lot; a sale reads its slot's lots as <see cref="TaxLot"/> values
/// only while it picks them, through the same <see cref="LotSelector"/> the one-shot runs use.
/// </summary>
/// <remarks>
/// A lot's id is its own name when it came from outside (a custodian's id), otherwise
/// <c>INSTRUMENT-yyyyMMdd-N</c>, N counting the lots the engine opened in that position that day, as
/// <see cref="LotBook.Buy"/> names them. The lots of a position always sum to the book's quantity, because they move
/// only on fills (<see cref="Open"/>, <see cref="Relieve"/>), as the book's quantities do.
/// </remarks>
public sealed class LotTable
{
    private const int NoLot = -1;
    private const int NoDate = int.MinValue;

    private readonly AccountBook book;
    private readonly bool[] tracked;
    private readonly decimal[] realizedShortTerm;
    private readonly decimal[] realizedLongTerm;
    private readonly int[] head;
    private readonly int[] tail;
    private readonly int[] lotsInSlot;
    private readonly int[] openedDay;
    private readonly int[] openedCount;

    private int[] next = [];
    private decimal[] quantity = [];
    private decimal[] costBasis = [];
    private int[] acquired = [];
    private int[] number = [];
    private string?[] name = [];
    private int used;
    private int free = NoLot;

    // Few lots ever carry a wash sale (a holding period carried over, a disallowed loss in the basis): per lot, 0 or
    // the place plus one of its two figures in the arrays below, which are kept apart so every other lot costs 4
    // bytes for them instead of 20. A freed place links to the next free one through its 'since'.
    private int[] adjustment = [];
    private int[] adjustmentSince = [];
    private decimal[] adjustmentAmount = [];
    private int adjustmentsUsed;
    private int freeAdjustment = NoLot;

    /// <summary>Odd while a writer changes the table; readers on other threads retry when it moved (see <see cref="ReadAccount"/>).</summary>
    private int version;

    /// <param name="capacity">Lots to make room for at once (the table grows past it when it must).</param>
    public LotTable(AccountBook book, int capacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        if (capacity > 0)
        {
            Resize(capacity);
        }
        this.book = book;
        tracked = new bool[book.AccountCount];
        realizedShortTerm = new decimal[book.AccountCount];
        realizedLongTerm = new decimal[book.AccountCount];
        head = new int[book.SlotCount];
        tail = new int[book.SlotCount];
        lotsInSlot = new int[book.SlotCount];
        openedDay = new int[book.SlotCount];
        openedCount = new int[book.SlotCount];
        Array.Fill(head, NoLot);
        Array.Fill(tail, NoLot);
        Array.Fill(openedDay, NoDate);
    }

    /// <summary>The lots of a one-shot lot book, laid over the live book; every account the lot book knows is tracked.</summary>
    /// <param name="leaveOutUnknown">Skip the lots of accounts the book does not hold (a loader left them out, saying why); otherwise they are an error.</param>
    /// <exception cref="ArgumentException">A lot names an account the book does not hold, or an instrument the account has no position for.</exception>
    public static LotTable From(AccountBook book, LotBook lots, bool leaveOutUnknown = false)
    {
        var table = new LotTable(book, lots.Accounts.Sum(id => lots.AllLots(id).Count()));
        foreach (var accountId in lots.Accounts)
        {
            var a = book.FindAccount(accountId);
            if (a < 0 && leaveOutUnknown)
            {
                continue;
            }
            if (a < 0)
            {
                throw new ArgumentException($"lots name account {accountId}, which the book does not hold", nameof(lots));
            }
            table.Track(a);
            foreach (var lot in lots.AllLots(accountId))
            {
                var slot = table.SlotOf(a, lot.InstrumentId);
                if (slot < 0)
                {
                    throw new ArgumentException($"account {accountId}: lot {lot.Id} is of {lot.InstrumentId}, which the account has no position for", nameof(lots));
                }
                table.Add(slot, lot);
            }
        }
        return table;
    }

    public AccountBook Book => book;

    /// <summary>Lots the columns have room for before they must grow (a copy of every column).</summary>
    internal int Capacity => next.Length;

    /// <summary>Places for wash-sale figures in use or free: lots that carry one, at most (see <see cref="SetAdjustment"/>).</summary>
    internal int AdjustmentPlaces => adjustmentsUsed;

    /// <summary>Lots held across the book.</summary>
    public int Count { get; private set; }

    /// <summary>Accounts whose lots are kept.</summary>
    public int TrackedAccounts { get; private set; }

    public bool IsTracked(int account) => tracked[account];

    /// <summary>Starts keeping an account's lots (its positions may still have none).</summary>
    public void Track(int account)
    {
        if (!tracked[account])
        {
            tracked[account] = true;
            TrackedAccounts++;
        }
    }

    public int LotCount(int slot) => lotsInSlot[slot];

    /// <summary>
    /// Moves account <paramref name="from"/>'s lots, realized figures and tracking to row <paramref name="to"/> (an
    /// account moving to a free row): each position's chain of lots goes to the new row's slot of its instrument, as it is.
    /// </summary>
    public void MoveAccount(int from, int to)
    {
        BeginWrite();
        try
        {
            for (int s = book.SlotStart[from], end = book.SlotStart[from + 1]; s < end; s++)
            {
                var t = book.SlotOf(to, book.InstrumentIndices[s]);
                if (head[s] == NoLot || t < 0)
                {
                    continue;
                }
                (head[t], tail[t], lotsInSlot[t], openedDay[t], openedCount[t]) = (head[s], tail[s], lotsInSlot[s], openedDay[s], openedCount[s]);
                (head[s], tail[s], lotsInSlot[s], openedCount[s]) = (NoLot, NoLot, 0, 0);
            }
            (tracked[to], realizedShortTerm[to], realizedLongTerm[to]) = (tracked[from], realizedShortTerm[from], realizedLongTerm[from]);
            (tracked[from], realizedShortTerm[from], realizedLongTerm[from]) = (false, 0, 0);
        }
        finally
        {
            EndWrite();
        }
    }

    /// <summary>One account's lots as the decision rules read them (each read copies the slot's lots out as values).</summary>
    public IAccountLots For(int account) => new AccountLots(this, account);

    private sealed class AccountLots(LotTable table, int account) : IAccountLots
    {
        public bool Tracked => table.IsTracked(account);

        public IReadOnlyList<TaxLot> Lots(string instrumentId) => table.SlotOf(account, instrumentId) is var slot and >= 0 ? table.Lots(slot) : [];
    }

    /// <summary>What the account's sales realized since the lots were loaded, by term.</summary>
    public (decimal ShortTerm, decimal LongTerm) Realized(int account) => (realizedShortTerm[account], realizedLongTerm[account]);

    /// <summary>The account's slot for an instrument, or -1.</summary>
    public int SlotOf(int account, string instrumentId) =>
        book.Instruments.TryGetIndex(instrumentId, out var instrument) ? SlotOf(account, instrument) : -1;

    /// <summary>The account's slot for an instrument index, or -1.</summary>
    public int SlotOf(int account, int instrument) => book.SlotOf(account, instrument);

    /// <summary>The slot's lots, as values, in the order kept (a sale picks among them; nothing here changes them).</summary>
    public List<TaxLot> Lots(int slot)
    {
        var lots = new List<TaxLot>(lotsInSlot[slot]);
        var instrumentId = book.Instruments[book.InstrumentIndices[slot]].Id;
        for (var l = head[slot]; l != NoLot; l = next[l])
        {
            lots.Add(ToLot(l, instrumentId));
        }
        return lots;
    }

    /// <summary>
    /// One account's lots by slot (in slot order) and realized figures, read consistently from any thread while the
    /// evaluation thread keeps changing the table: the read is retried whenever a change overlapped it. Null when the
    /// account's lots are not kept.
    /// </summary>
    public AccountLotsView? ReadAccount(int account)
    {
        // A busy evaluation thread can overlap read after read: the reader backs off (spin, then yield the core, then
        // sleep) rather than give up after a fixed count, which a loaded two-core machine used up within a millisecond.
        var spin = new SpinWait();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            var before = Volatile.Read(ref version);
            if ((before & 1) == 0)
            {
                try
                {
                    var view = TryReadAccount(account);
                    Interlocked.MemoryBarrier();
                    if (Volatile.Read(ref version) == before)
                    {
                        return view;
                    }
                }
                catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or NullReferenceException)
                {
                    // A change overlapped the read and it saw a chain half relinked: read again.
                }
            }
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException("the lot table kept changing while it was read");
            }
            spin.SpinOnce(sleep1Threshold: 40);
        }
    }

    private AccountLotsView? TryReadAccount(int account)
    {
        if (!tracked[account])
        {
            return null;
        }
        var slots = new List<TaxLot>[book.SlotStart[account + 1] - book.SlotStart[account]];
        for (var s = book.SlotStart[account]; s < book.SlotStart[account + 1]; s++)
        {
            var lots = new List<TaxLot>();
            var instrumentId = book.Instruments[book.InstrumentIndices[s]].Id;
            // Bounded: a chain seen mid-change must not loop.
            for (int l = head[s], n = 0; l != NoLot && n <= lotsInSlot[s]; l = next[l], n++)
            {
                lots.Add(ToLot(l, instrumentId));
            }
            slots[s - book.SlotStart[account]] = lots;
        }
        return new AccountLotsView(slots, realizedShortTerm[account], realizedLongTerm[account]);
    }

    /// <summary>
    /// Whether a lot of the account passes the harvest threshold at the slots' marks (the prices the scan values them
    /// at): the test that spares the harvest scan the accounts with nothing to harvest.
    /// </summary>
    public bool AccountHasHarvestable(int account, HarvestSettings harvest)
    {
        for (var s = book.SlotStart[account]; s < book.SlotStart[account + 1]; s++)
        {
            if (AnyHarvestable(s, (decimal)book.Marks[s], harvest))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether any lot of the slot is worth less than its basis at <paramref name="price"/> (a sale could realize a loss).</summary>
    public bool AnyAtLoss(int slot, decimal price)
    {
        for (var l = head[slot]; l != NoLot; l = next[l])
        {
            if ((quantity[l] * price) - costBasis[l] < 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether a lot of the slot passes the harvest threshold at <paramref name="price"/>, by the scanner's own test, reading no lot out.</summary>
    public bool AnyHarvestable(int slot, decimal price, HarvestSettings harvest)
    {
        for (var l = head[slot]; l != NoLot; l = next[l])
        {
            var loss = -((quantity[l] * price) - costBasis[l]);
            if (loss > 0 && loss >= harvest.MinLossAmount && costBasis[l] > 0 && loss >= costBasis[l] * (decimal)harvest.MinLossPercent)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The shares the slot's lots hold.</summary>
    public decimal Quantity(int slot)
    {
        var total = 0m;
        for (var l = head[slot]; l != NoLot; l = next[l])
        {
            total += quantity[l];
        }
        return total;
    }

    /// <summary>Appends a loaded lot to a slot as it is, keeping its id.</summary>
    public void Add(int slot, TaxLot lot)
    {
        var l = NewLot(slot);
        quantity[l] = lot.Quantity;
        costBasis[l] = lot.CostBasis;
        acquired[l] = lot.Acquired.DayNumber;
        SetAdjustment(l, lot.HoldingSince is { } since ? since.DayNumber : NoDate, lot.WashSaleAdjustment);
        number[l] = 0;
        name[l] = lot.Id;
    }

    /// <summary>
    /// Appends a lot bought on <paramref name="day"/> that the engine names as its own, the first of that day
    /// (<see cref="EngineLotId"/> with number 1): no id string is kept or made. For a generated book's lots.
    /// </summary>
    public void AddBought(int slot, DateOnly day, decimal shares, decimal basis)
    {
        var l = NewLot(slot);
        quantity[l] = shares;
        costBasis[l] = basis;
        acquired[l] = day.DayNumber;
        number[l] = 1;
        name[l] = null;
    }

    /// <summary>Opens a lot for shares bought (filled) on <paramref name="day"/>; its id is unique in the position, as the one-shot lot book names it.</summary>
    public TaxLot Open(int slot, DateOnly day, decimal shares, decimal price)
    {
        BeginWrite();
        try
        {
            return OpenLot(slot, day, shares, price);
        }
        finally
        {
            EndWrite();
        }
    }

    private TaxLot OpenLot(int slot, DateOnly day, decimal shares, decimal price)
    {
        if (openedDay[slot] != day.DayNumber)
        {
            openedDay[slot] = day.DayNumber;
            openedCount[slot] = 0;
        }
        var instrumentId = book.Instruments[book.InstrumentIndices[slot]].Id;
        int n;
        do
        {
            n = ++openedCount[slot];
        }
        while (HasId(slot, EngineLotId(instrumentId, day, n)));
        var l = NewLot(slot);
        quantity[l] = shares;
        costBasis[l] = shares * price;
        acquired[l] = day.DayNumber;
        number[l] = n;
        name[l] = null;
        return ToLot(l, instrumentId);
    }

    /// <summary>
    /// Applies a sale's selection (made by <see cref="LotSelector.Select"/> over <see cref="Lots"/>): each relieved lot
    /// shrinks by exactly the shares and basis relieved, or goes, as <see cref="LotSelector.Apply"/> does; the realized
    /// gains are added to the account's figures.
    /// </summary>
    public void Relieve(int account, int slot, LotSelection selection)
    {
        BeginWrite();
        try
        {
            RelieveLots(account, slot, selection);
        }
        finally
        {
            EndWrite();
        }
    }

    /// <summary>
    /// Takes shares out of the lots as <paramref name="selection"/> says, realizing nothing: a correction of the book to
    /// the custodian's figures, not a sale.
    /// </summary>
    public void Remove(int slot, LotSelection selection)
    {
        BeginWrite();
        try
        {
            RelieveLots(-1, slot, selection);
        }
        finally
        {
            EndWrite();
        }
    }

    /// <param name="account">The account the gains are realized in; -1 to realize none.</param>
    private void RelieveLots(int account, int slot, LotSelection selection)
    {
        var instrumentId = book.Instruments[book.InstrumentIndices[slot]].Id;
        if (account >= 0)
        {
            // Summed per sale, then added, as the one-shot run's tax summary sums its trades (decimal sums of long fractions round by order).
            realizedShortTerm[account] += selection.ShortTermGain;
            realizedLongTerm[account] += selection.LongTermGain;
        }
        var previous = NoLot;
        var l = head[slot];
        while (l != NoLot)
        {
            var following = next[l];
            var id = LotId(l, instrumentId);
            decimal shares = 0, basis = 0;
            var relieved = false;
            foreach (var relief in selection.Reliefs)
            {
                if (relief.LotId == id)
                {
                    shares += relief.Quantity;
                    basis += relief.Basis;
                    relieved = true;
                }
            }
            if (!relieved)
            {
                previous = l;
            }
            else if (quantity[l] - shares > 0)
            {
                if (adjustment[l] != 0)
                {
                    var amount = WashSaleAdjustment(l);
                    SetAdjustment(l, HoldingSince(l), amount == 0 ? 0 : amount * (quantity[l] - shares) / quantity[l]);
                }
                quantity[l] -= shares;
                costBasis[l] -= basis;
                previous = l;
            }
            else
            {
                Remove(slot, previous, l);
            }
            l = following;
        }
    }

    /// <summary>
    /// A split: every lot of the slot holds <paramref name="ratio"/> times its shares and keeps its cost basis, dates
    /// and wash-sale adjustment (a split is not a sale, so nothing is realized and holding periods carry on). Each lot
    /// is rounded to <paramref name="decimals"/>, and the last takes what the rounding left over, so the lots add up to
    /// the position's new <paramref name="total"/> exactly.
    /// </summary>
    public void Split(int slot, decimal ratio, int decimals, decimal total)
    {
        BeginWrite();
        try
        {
            var last = NoLot;
            for (var l = head[slot]; l != NoLot; l = next[l])
            {
                quantity[l] = decimal.Round(quantity[l] * ratio, decimals);
                total -= quantity[l];
                last = l;
            }
            if (last != NoLot)
            {
                quantity[last] += total;
            }
        }
        finally
        {
            EndWrite();
        }
    }

    /// <summary>
    /// A wash sale: <paramref name="shares"/> of the lot named <paramref name="lotId"/> replaced shares sold at a loss and
    /// take the disallowed loss into their basis and the sold shares' holding period; the rest of the lot, if any,
    /// stays right after it as a lot of its own named <c>ID</c>b, exactly as <see cref="LotBook.AdjustForWashSale"/>
    /// splits it. Null when the slot holds no such lot.
    /// </summary>
    public (TaxLot Adjusted, string? RemainderLotId)? AdjustForWashSale(int slot, string lotId, decimal shares, decimal disallowedLoss, int carriedHoldingDays)
    {
        var instrumentId = book.Instruments[book.InstrumentIndices[slot]].Id;
        var l = head[slot];
        while (l != NoLot && LotId(l, instrumentId) != lotId)
        {
            l = next[l];
        }
        if (l == NoLot || shares <= 0)
        {
            return null;
        }
        BeginWrite();
        try
        {
            var lot = ToLot(l, instrumentId);
            shares = Math.Min(shares, lot.Quantity);
            var movedBasis = shares == lot.Quantity ? lot.CostBasis : lot.CostBasis * shares / lot.Quantity;
            var start = lot.HoldingPeriodStart.AddDays(-carriedHoldingDays);
            quantity[l] = shares;
            costBasis[l] = movedBasis + disallowedLoss;
            SetAdjustment(l, (start < lot.HoldingPeriodStart ? start : lot.HoldingPeriodStart).DayNumber,
                (shares == lot.Quantity ? lot.WashSaleAdjustment : 0) + disallowedLoss);
            var adjusted = ToLot(l, instrumentId);
            if (shares == lot.Quantity)
            {
                return (adjusted, null);
            }
            var remainderId = lot.Id + "b";
            while (HasId(slot, remainderId))
            {
                remainderId += "b";
            }
            var r = NewLotAfter(slot, l);
            quantity[r] = lot.Quantity - shares;
            costBasis[r] = lot.CostBasis - movedBasis;
            acquired[r] = lot.Acquired.DayNumber;
            SetAdjustment(r, lot.HoldingSince is { } since ? since.DayNumber : NoDate, lot.WashSaleAdjustment);
            number[r] = 0;
            name[r] = remainderId;
            return (adjusted, remainderId);
        }
        finally
        {
            EndWrite();
        }
    }

    /// <summary>The table as the wash-sale ledger and the harvest scan read it: by account id.</summary>
    public ILotStore Store => store ??= new TableStore(this);

    private TableStore? store;

    private sealed class TableStore(LotTable table) : ILotStore
    {
        public bool HasAccount(string accountId) => table.book.FindAccount(accountId) is var a and >= 0 && table.tracked[a];

        public IReadOnlyList<TaxLot> Lots(string accountId, string instrumentId) =>
            table.book.FindAccount(accountId) is var a and >= 0 && table.SlotOf(a, instrumentId) is var slot and >= 0 ? table.Lots(slot) : [];

        public bool AnyHarvestable(string accountId, string instrumentId, decimal price, HarvestSettings harvest) =>
            table.book.FindAccount(accountId) is var a and >= 0 && table.SlotOf(a, instrumentId) is var slot and >= 0 && table.AnyHarvestable(slot, price, harvest);

        public (TaxLot Adjusted, string? RemainderLotId)? AdjustForWashSale(string accountId, string instrumentId, string lotId, decimal quantity, decimal disallowedLoss, int carriedHoldingDays) =>
            table.book.FindAccount(accountId) is var a and >= 0 && table.SlotOf(a, instrumentId) is var slot and >= 0
                ? table.AdjustForWashSale(slot, lotId, quantity, disallowedLoss, carriedHoldingDays)
                : null;
    }

    /// <summary>The engine's id for a lot it opened: instrument, day and count, as <see cref="LotBook.Buy"/> writes it.</summary>
    public static string EngineLotId(string instrumentId, DateOnly day, int n) =>
        string.Create(CultureInfo.InvariantCulture, $"{instrumentId}-{day:yyyyMMdd}-{n}");

    /// <summary>The lots of accounts [first, first + count), for a checkpoint chunk.</summary>
    public LotChunk Capture(int first, int count)
    {
        var firstSlot = book.SlotStart[first];
        var endSlot = book.SlotStart[first + count];
        var lots = 0;
        for (var s = firstSlot; s < endSlot; s++)
        {
            lots += lotsInSlot[s];
        }
        var chunk = new LotChunk
        {
            Tracked = tracked[first..(first + count)],
            RealizedShortTerm = realizedShortTerm[first..(first + count)],
            RealizedLongTerm = realizedLongTerm[first..(first + count)],
            LotsPerSlot = lotsInSlot[firstSlot..endSlot],
            OpenedDay = openedDay[firstSlot..endSlot],
            OpenedCount = openedCount[firstSlot..endSlot],
            Quantity = new decimal[lots],
            CostBasis = new decimal[lots],
            Acquired = new int[lots],
            HoldingSince = new int[lots],
            WashSaleAdjustment = new decimal[lots],
            Number = new int[lots],
            Name = new string?[lots],
        };
        var i = 0;
        for (var s = firstSlot; s < endSlot; s++)
        {
            for (var l = head[s]; l != NoLot; l = next[l], i++)
            {
                chunk.Quantity[i] = quantity[l];
                chunk.CostBasis[i] = costBasis[l];
                chunk.Acquired[i] = acquired[l];
                chunk.HoldingSince[i] = HoldingSince(l);
                chunk.WashSaleAdjustment[i] = WashSaleAdjustment(l);
                chunk.Number[i] = number[l];
                chunk.Name[i] = name[l];
            }
        }
        return chunk;
    }

    /// <summary>Forgets every lot and figure (recovery then restores them chunk by chunk).</summary>
    public void Clear()
    {
        BeginWrite();
        Array.Clear(tracked);
        Array.Clear(realizedShortTerm);
        Array.Clear(realizedLongTerm);
        Array.Fill(head, NoLot);
        Array.Fill(tail, NoLot);
        Array.Clear(lotsInSlot);
        Array.Fill(openedDay, NoDate);
        Array.Clear(openedCount);
        Array.Clear(name);
        Array.Clear(adjustment);
        adjustmentsUsed = 0;
        freeAdjustment = NoLot;
        used = 0;
        free = NoLot;
        Count = 0;
        TrackedAccounts = 0;
        EndWrite();
    }

    /// <summary>Puts back the lots of accounts [first, first + count) from a checkpoint chunk (after <see cref="Clear"/>).</summary>
    /// <exception cref="StateMismatchException">The chunk does not fit this book.</exception>
    public void Restore(int first, int count, LotChunk chunk)
    {
        var firstSlot = book.SlotStart[first];
        var endSlot = book.SlotStart[first + count];
        var lots = chunk.Quantity.Length;
        if (chunk.Tracked.Length != count || chunk.LotsPerSlot.Length != endSlot - firstSlot || chunk.LotsPerSlot.Sum() != lots
            || chunk.CostBasis.Length != lots || chunk.Acquired.Length != lots || chunk.HoldingSince.Length != lots
            || chunk.WashSaleAdjustment.Length != lots || chunk.Number.Length != lots || chunk.Name.Length != lots
            || chunk.RealizedShortTerm.Length != count || chunk.RealizedLongTerm.Length != count
            || chunk.OpenedDay.Length != endSlot - firstSlot || chunk.OpenedCount.Length != endSlot - firstSlot)
        {
            throw new StateMismatchException($"the checkpoint's lots for accounts {first} to {first + count - 1} do not fit this book's positions");
        }
        BeginWrite();
        for (var k = 0; k < count; k++)
        {
            if (chunk.Tracked[k])
            {
                Track(first + k);
            }
        }
        chunk.RealizedShortTerm.CopyTo(realizedShortTerm, first);
        chunk.RealizedLongTerm.CopyTo(realizedLongTerm, first);
        chunk.OpenedDay.CopyTo(openedDay, firstSlot);
        chunk.OpenedCount.CopyTo(openedCount, firstSlot);
        var i = 0;
        for (var s = firstSlot; s < endSlot; s++)
        {
            for (var n = 0; n < chunk.LotsPerSlot[s - firstSlot]; n++, i++)
            {
                var l = NewLot(s);
                quantity[l] = chunk.Quantity[i];
                costBasis[l] = chunk.CostBasis[i];
                acquired[l] = chunk.Acquired[i];
                SetAdjustment(l, chunk.HoldingSince[i], chunk.WashSaleAdjustment[i]);
                number[l] = chunk.Number[i];
                name[l] = chunk.Name[i];
            }
        }
        EndWrite();
    }

    /// <summary>Adds every lot and figure, slot by slot, to a state digest (the order lots are stored in does not count).</summary>
    public void AppendTo(IncrementalHash hash)
    {
        Span<byte> buffer = stackalloc byte[64];
        for (var a = 0; a < book.AccountCount; a++)
        {
            if (!tracked[a])
            {
                continue;
            }
            BitConverter.TryWriteBytes(buffer, a);
            hash.AppendData(buffer[..4]);
            Write(hash, realizedShortTerm[a]);
            Write(hash, realizedLongTerm[a]);
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                foreach (var lot in Lots(s))
                {
                    hash.AppendData(System.Text.Encoding.UTF8.GetBytes(lot.Id));
                    Write(hash, lot.Quantity);
                    Write(hash, lot.CostBasis);
                    Write(hash, lot.WashSaleAdjustment);
                    BitConverter.TryWriteBytes(buffer, lot.Acquired.DayNumber);
                    BitConverter.TryWriteBytes(buffer[4..], lot.HoldingPeriodStart.DayNumber);
                    hash.AppendData(buffer[..8]);
                }
            }
        }
    }

    private void BeginWrite()
    {
        Volatile.Write(ref version, version + 1);
        Interlocked.MemoryBarrier();
    }

    private void EndWrite() => Volatile.Write(ref version, version + 1);

    private static void Write(IncrementalHash hash, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bits));
    }

    /// <summary>The day number the lot's holding period starts when a wash sale carried one over, else <see cref="NoDate"/>.</summary>
    private int HoldingSince(int l) => adjustment[l] is var k and > 0 ? adjustmentSince[k - 1] : NoDate;

    /// <summary>The disallowed loss a wash sale added to the lot's basis (0 when none).</summary>
    private decimal WashSaleAdjustment(int l) => adjustment[l] is var k and > 0 ? adjustmentAmount[k - 1] : 0;

    /// <summary>
    /// Sets the lot's wash-sale figures. A lot with none (no carried date, and an adjustment that is exactly the
    /// decimal 0, scale and sign included, so that it reads back bit for bit) keeps no place.
    /// </summary>
    private void SetAdjustment(int l, int since, decimal amount)
    {
        var k = adjustment[l];
        if (since == NoDate && amount == 0 && amount.Scale == 0 && !decimal.IsNegative(amount))
        {
            if (k > 0)
            {
                adjustment[l] = 0;
                adjustmentSince[k - 1] = freeAdjustment;
                freeAdjustment = k - 1;
            }
            return;
        }
        if (k == 0)
        {
            if (freeAdjustment != NoLot)
            {
                k = freeAdjustment + 1;
                freeAdjustment = adjustmentSince[freeAdjustment];
            }
            else
            {
                if (adjustmentsUsed == adjustmentSince.Length)
                {
                    var size = Math.Max(64, adjustmentsUsed * 2);
                    Array.Resize(ref adjustmentSince, size);
                    Array.Resize(ref adjustmentAmount, size);
                }
                k = ++adjustmentsUsed;
            }
        }
        adjustmentSince[k - 1] = since;
        adjustmentAmount[k - 1] = amount;
        // Last, so a reader on another thread never finds a place whose figures are not written yet (it retries
        // anyway when the table moved while it read).
        adjustment[l] = k;
    }

    private TaxLot ToLot(int l, string instrumentId) => new(
        LotId(l, instrumentId), instrumentId, DateOnly.FromDayNumber(acquired[l]), quantity[l], costBasis[l],
        HoldingSince(l) is var since && since == NoDate ? null : DateOnly.FromDayNumber(since), WashSaleAdjustment(l));

    private string LotId(int l, string instrumentId) => name[l] ?? EngineLotId(instrumentId, DateOnly.FromDayNumber(acquired[l]), number[l]);

    private bool HasId(int slot, string id)
    {
        var instrumentId = book.Instruments[book.InstrumentIndices[slot]].Id;
        for (var l = head[slot]; l != NoLot; l = next[l])
        {
            if (LotId(l, instrumentId) == id)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A lot entry appended at the end of the slot's chain (a freed entry when there is one).</summary>
    private int NewLot(int slot)
    {
        int l;
        if (free != NoLot)
        {
            l = free;
            free = next[l];
        }
        else
        {
            if (used == next.Length)
            {
                Grow();
            }
            l = used++;
        }
        next[l] = NoLot;
        adjustment[l] = 0;
        if (tail[slot] == NoLot)
        {
            head[slot] = l;
        }
        else
        {
            next[tail[slot]] = l;
        }
        tail[slot] = l;
        lotsInSlot[slot]++;
        Count++;
        return l;
    }

    /// <summary>A lot entry linked right after <paramref name="after"/> in the slot's chain.</summary>
    private int NewLotAfter(int slot, int after)
    {
        var l = NewLot(slot);
        if (tail[slot] == l && after != l)
        {
            // NewLot appended it; move it from the end to right after 'after'.
            var previous = head[slot];
            while (next[previous] != l)
            {
                previous = next[previous];
            }
            next[previous] = NoLot;
            tail[slot] = previous;
            next[l] = next[after];
            next[after] = l;
            if (tail[slot] == after)
            {
                tail[slot] = l;
            }
        }
        return l;
    }

    private void Remove(int slot, int previous, int l)
    {
        var following = next[l];
        if (previous == NoLot)
        {
            head[slot] = following;
        }
        else
        {
            next[previous] = following;
        }
        if (tail[slot] == l)
        {
            tail[slot] = previous;
        }
        name[l] = null;
        SetAdjustment(l, NoDate, 0);
        next[l] = free;
        free = l;
        lotsInSlot[slot]--;
        Count--;
    }

    /// <summary>
    /// Gives back room the columns hold beyond a quarter more than their lots (a table sized for the most lots it
    /// might load), keeping that quarter for the lots fills open before sales free entries for them.
    /// </summary>
    public void TrimExcess()
    {
        var keep = Math.Max(1024, used + (used / 4));
        if (next.Length > keep)
        {
            Resize(keep);
        }
    }

    /// <summary>A quarter more room: a book of millions of lots grows a little at a time, and sales free entries that buys reuse.</summary>
    private void Grow() => Resize(Math.Max(1024, next.Length + (next.Length / 4)));

    private void Resize(int size)
    {
        Array.Resize(ref next, size);
        Array.Resize(ref quantity, size);
        Array.Resize(ref costBasis, size);
        Array.Resize(ref acquired, size);
        Array.Resize(ref adjustment, size);
        Array.Resize(ref number, size);
        Array.Resize(ref name, size);
    }
}

/// <summary>One account's lots as <see cref="LotTable.ReadAccount"/> read them: per slot of the account (in slot order), and what its sales realized.</summary>
public sealed record AccountLotsView(IReadOnlyList<IReadOnlyList<TaxLot>> Slots, decimal RealizedShortTerm, decimal RealizedLongTerm);
