namespace FastRebal.Engine.Model;

/// <summary>A tradable security as the firm's security master describes it.</summary>
/// <param name="Id">Stable identifier used everywhere else (positions, models, prices).</param>
/// <param name="Symbol">Ticker shown to people.</param>
/// <param name="AssetClass">Asset class the sleeve targets and per-class bands refer to (e.g. "US Equity").</param>
/// <param name="LotSize">Smallest tradable quantity step when fractional trading is not used (1 = whole shares).</param>
/// <param name="FractionalAllowed">Whether the custodian can hold fractional quantities of it.</param>
/// <param name="Liquid">Illiquid instruments are never traded automatically; the account goes to manual approval.</param>
/// <param name="Restricted">Firm-wide restriction: never bought, and holdings are sold down.</param>
/// <param name="AverageDailyVolume">Shares traded on an average day, for the slicer's %ADV cap; unknown when null (the engine then slices by a stated default and flags the instrument).</param>
public sealed record Instrument(
    string Id,
    string Symbol,
    string AssetClass,
    decimal LotSize = 1m,
    bool FractionalAllowed = false,
    bool Liquid = true,
    bool Restricted = false,
    decimal? AverageDailyVolume = null);
