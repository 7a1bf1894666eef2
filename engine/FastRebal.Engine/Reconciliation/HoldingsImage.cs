using MemoryPack;

namespace FastRebal.Engine.Reconciliation;

/// <summary>A custodian's holdings as the journal keeps them with the sync command, in columns.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class HoldingsImage
{
    [MemoryPackOrder(0)] public string Source { get; set; } = "";
    [MemoryPackOrder(1)] public int AsOf { get; set; }
    [MemoryPackOrder(2)] public string[] Accounts { get; set; } = [];

    /// <summary>Where each account's positions start in <see cref="Instruments"/> (one more entry than accounts).</summary>
    [MemoryPackOrder(3)] public int[] RowStart { get; set; } = [];
    [MemoryPackOrder(4)] public string[] Instruments { get; set; } = [];
    [MemoryPackOrder(5)] public decimal[] Quantities { get; set; } = [];
    [MemoryPackOrder(6)] public bool[] HasCash { get; set; } = [];
    [MemoryPackOrder(7)] public decimal[] Cash { get; set; } = [];
    [MemoryPackOrder(8)] public string[] NotReconciled { get; set; } = [];

    /// <summary>The file's read errors, as text (subject, field, message).</summary>
    [MemoryPackOrder(9)] public string[] Errors { get; set; } = [];

    public static HoldingsImage From(CustodianHoldings holdings)
    {
        var accounts = holdings.Accounts.OrderBy(a => a.Key, StringComparer.Ordinal).ToList();
        var image = new HoldingsImage
        {
            Source = holdings.Source,
            AsOf = holdings.AsOf.DayNumber,
            Accounts = [.. accounts.Select(a => a.Key)],
            RowStart = new int[accounts.Count + 1],
            HasCash = [.. accounts.Select(a => a.Value.Cash is not null)],
            Cash = [.. accounts.Select(a => a.Value.Cash ?? 0)],
            NotReconciled = [.. holdings.NotReconciled.Order(StringComparer.Ordinal)],
            Errors = [.. holdings.Errors.SelectMany(e => new[] { e.Subject, e.Field, e.Message })],
        };
        var instruments = new List<string>();
        var quantities = new List<decimal>();
        for (var i = 0; i < accounts.Count; i++)
        {
            image.RowStart[i] = instruments.Count;
            foreach (var (id, quantity) in accounts[i].Value.Positions.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                instruments.Add(id);
                quantities.Add(quantity);
            }
        }
        image.RowStart[accounts.Count] = instruments.Count;
        image.Instruments = [.. instruments];
        image.Quantities = [.. quantities];
        return image;
    }

    public CustodianHoldings ToHoldings()
    {
        var accounts = new Dictionary<string, CustodianAccount>(Accounts.Length, StringComparer.Ordinal);
        for (var i = 0; i < Accounts.Length; i++)
        {
            var positions = new Dictionary<string, decimal>(StringComparer.Ordinal);
            for (var r = RowStart[i]; r < RowStart[i + 1]; r++)
            {
                positions[Instruments[r]] = Quantities[r];
            }
            accounts[Accounts[i]] = new CustodianAccount(positions, HasCash[i] ? Cash[i] : null);
        }
        return new CustodianHoldings
        {
            Source = Source,
            AsOf = DateOnly.FromDayNumber(AsOf),
            Accounts = accounts,
            NotReconciled = new HashSet<string>(NotReconciled, StringComparer.Ordinal),
            Errors = [.. Enumerable.Range(0, Errors.Length / 3).Select(e => new Scenarios.InputError(Errors[3 * e], Errors[(3 * e) + 1], Errors[(3 * e) + 2]))],
        };
    }
}

/// <summary>A holdings sync's report as a checkpoint keeps it: the custodian's figures and the breaks still open, in columns.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class ReconciliationImage
{
    [MemoryPackOrder(0)] public HoldingsImage Custodian { get; set; } = new();
    [MemoryPackOrder(1)] public int AccountsCompared { get; set; }
    [MemoryPackOrder(2)] public string[] Accounts { get; set; } = [];
    [MemoryPackOrder(3)] public BreakKind[] Kinds { get; set; } = [];
    [MemoryPackOrder(4)] public string?[] Instruments { get; set; } = [];
    [MemoryPackOrder(5)] public decimal[] Book { get; set; } = [];
    [MemoryPackOrder(6)] public decimal[] CustodianQuantities { get; set; } = [];
    [MemoryPackOrder(7)] public bool[] Acceptable { get; set; } = [];
    [MemoryPackOrder(8)] public string?[] Why { get; set; } = [];

    public static ReconciliationImage From(ReconciliationReport report)
    {
        var custodian = new CustodianHoldings { Source = report.Source, AsOf = report.AsOf, Accounts = report.Custodian, Errors = report.Errors };
        var b = report.Breaks;
        return new ReconciliationImage
        {
            Custodian = HoldingsImage.From(custodian),
            AccountsCompared = report.AccountsCompared,
            Accounts = [.. b.Select(x => x.AccountId)],
            Kinds = [.. b.Select(x => x.Kind)],
            Instruments = [.. b.Select(x => x.InstrumentId)],
            Book = [.. b.Select(x => x.BookQuantity)],
            CustodianQuantities = [.. b.Select(x => x.CustodianQuantity)],
            Acceptable = [.. b.Select(x => x.Acceptable)],
            Why = [.. b.Select(x => x.Why)],
        };
    }

    public ReconciliationReport ToReport()
    {
        var custodian = Custodian.ToHoldings();
        return new ReconciliationReport
        {
            Source = custodian.Source,
            AsOf = custodian.AsOf,
            AccountsCompared = AccountsCompared,
            Errors = custodian.Errors,
            Custodian = custodian.Accounts,
            Breaks = [.. Accounts.Select((a, i) => new ReconciliationBreak(a, Kinds[i], Instruments[i], Book[i], CustodianQuantities[i], Acceptable[i], Why[i]))],
        };
    }
}
