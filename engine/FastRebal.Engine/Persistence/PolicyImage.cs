using FastRebal.Engine.Model;
using MemoryPack;

namespace FastRebal.Engine.Persistence;

/// <summary>
/// An investment policy as a checkpoint keeps it. Every client has an IPS of their own, so a large book holds as many
/// policies as accounts: they travel in binary, member by member (order is the schema; add new members at the end).
/// </summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class PolicyImage
{
    [MemoryPackOrder(0)] public string Id { get; set; } = "";
    [MemoryPackOrder(1)] public int Version { get; set; }
    [MemoryPackOrder(2)] public RebalanceTrigger Trigger { get; set; }
    [MemoryPackOrder(3)] public BandType BandType { get; set; }
    [MemoryPackOrder(4)] public double BandWidth { get; set; }
    [MemoryPackOrder(5)] public string[]? AssetClassBandNames { get; set; }
    [MemoryPackOrder(6)] public double[]? AssetClassBandWidths { get; set; }
    [MemoryPackOrder(7)] public CalendarSchedule Calendar { get; set; }
    [MemoryPackOrder(8)] public int MinDaysBetweenRebalances { get; set; }
    [MemoryPackOrder(9)] public decimal CashReserveAmount { get; set; }
    [MemoryPackOrder(10)] public double CashReservePercent { get; set; }
    [MemoryPackOrder(11)] public decimal MinTradeValue { get; set; }
    [MemoryPackOrder(12)] public bool FractionalShares { get; set; }
    [MemoryPackOrder(13)] public string[]? RestrictedInstruments { get; set; }
    [MemoryPackOrder(14)] public TaxStatus TaxStatus { get; set; }
    [MemoryPackOrder(15)] public RebalanceMode Mode { get; set; }

    public static PolicyImage From(InvestmentPolicy p) => new()
    {
        Id = p.Id,
        Version = p.Version,
        Trigger = p.Trigger,
        BandType = p.BandType,
        BandWidth = p.BandWidth,
        AssetClassBandNames = p.AssetClassBands is { } bands ? [.. bands.Keys] : null,
        AssetClassBandWidths = p.AssetClassBands is { } widths ? [.. widths.Values] : null,
        Calendar = p.Calendar,
        MinDaysBetweenRebalances = p.MinDaysBetweenRebalances,
        CashReserveAmount = p.CashReserveAmount,
        CashReservePercent = p.CashReservePercent,
        MinTradeValue = p.MinTradeValue,
        FractionalShares = p.FractionalShares,
        RestrictedInstruments = p.RestrictedInstruments is { } restricted ? [.. restricted] : null,
        TaxStatus = p.TaxStatus,
        Mode = p.Mode,
    };

    public InvestmentPolicy ToPolicy() => new()
    {
        Id = Id,
        Version = Version,
        Trigger = Trigger,
        BandType = BandType,
        BandWidth = BandWidth,
        AssetClassBands = AssetClassBandNames is { } names && AssetClassBandWidths is { } widths
            ? names.Zip(widths).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal)
            : null,
        Calendar = Calendar,
        MinDaysBetweenRebalances = MinDaysBetweenRebalances,
        CashReserveAmount = CashReserveAmount,
        CashReservePercent = CashReservePercent,
        MinTradeValue = MinTradeValue,
        FractionalShares = FractionalShares,
        RestrictedInstruments = RestrictedInstruments,
        TaxStatus = TaxStatus,
        Mode = Mode,
    };
}
