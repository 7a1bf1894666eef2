using System.Globalization;
using FastRebal.Engine.MarketData;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Simulation;

/// <summary>How a generated firm's models choose their instruments.</summary>
public enum FirmShape
{
    /// <summary>Four risk-profile models over the same instruments: every price tick touches every account.</summary>
    Uniform,

    /// <summary>
    /// Risk profiles times several lineups drawn from a universe of a few hundred instruments: a tick touches only the
    /// accounts whose model holds that instrument.
    /// </summary>
    Realistic,
}

/// <summary>What firm to generate.</summary>
/// <param name="Accounts">Number of accounts.</param>
/// <param name="PositionsPerAccount">Instruments in every model (2 or more).</param>
/// <param name="Seed">Same seed, same firm.</param>
/// <param name="AsOf">The day the book is priced on (the history's last day when null); a replay starts after it.</param>
/// <param name="Shape">Whether every model holds the same instruments (uniform) or models differ in their lineups (realistic).</param>
public sealed record FirmSpec(int Accounts, int PositionsPerAccount = 20, int Seed = 42, DateOnly? AsOf = null, FirmShape Shape = FirmShape.Uniform);

/// <summary>A generated firm, ready to sweep: the book priced as of <see cref="AsOf"/>, plus the day's cash flows.</summary>
public sealed class GeneratedFirm
{
    public required AccountBook Book { get; init; }

    public required DateOnly AsOf { get; init; }

    public required IReadOnlyList<PendingCashFlow> CashFlows { get; init; }

    public required string PriceSource { get; init; }

    /// <summary>The daily history of every instrument in the book (the real closes plus the generated funds that track them).</summary>
    public required MarketHistory History { get; init; }
}

/// <summary>
/// A deterministic synthetic firm that behaves like a real one: four risk-profile models (30/70 to 95/5) built as
/// asset-class sleeves, over one set of instruments (<see cref="FirmShape.Uniform"/>) or over one of several lineups
/// drawn from a universe of a few hundred funds (<see cref="FirmShape.Realistic"/>); accounts whose size is log-normal,
/// grouped in households, each with its own IPS (band, trigger, calendar, reserve, restrictions); holdings bought at target on the account's last rebalance date at
/// that day's price, so today's drift is the market's real move since then. A few accounts carry an out-of-model
/// legacy stock or an illiquid private REIT, as real books do.
/// </summary>
public static class FirmGenerator
{
    /// <summary>The as-of date when no real history is found (the last day of the shipped data).</summary>
    public static readonly DateOnly DefaultAsOf = new(2025, 9, 26);

    private static readonly string[] EquityClasses = ["US Equity", "Intl Equity", "Emerging Equity", "Real Estate", "Commodities"];

    private static readonly (string Symbol, string AssetClass)[] Etfs =
    [
        ("SPY", "US Equity"), ("AGG", "US Bonds"), ("EFA", "Intl Equity"), ("IEF", "US Treasuries"), ("VTI", "US Equity"),
        ("TLT", "US Treasuries"), ("EEM", "Emerging Equity"), ("BIL", "Cash Equivalents"), ("VNQ", "Real Estate"),
        ("GLD", "Commodities"), ("VEU", "Intl Equity"),
    ];

    private static readonly (string Prefix, string AssetClass, string Parent)[] FundFamilies =
    [
        ("USEQ", "US Equity", "SPY"), ("USBD", "US Bonds", "AGG"), ("INTL", "Intl Equity", "EFA"), ("TRSY", "US Treasuries", "IEF"),
    ];

    /// <summary>
    /// The realistic firm's generated funds, by the real ETF each tracks (its asset class too), with how many of every
    /// 30 funds follow it: broad US equity and core bonds have the most funds, cash and commodities the fewest.
    /// </summary>
    private static readonly (string Prefix, string Parent, int Share)[] TrackingFamilies =
    [
        ("USEQ", "SPY", 5), ("USTM", "VTI", 3), ("USBD", "AGG", 5), ("INTL", "EFA", 3), ("XUSE", "VEU", 2), ("TRSY", "IEF", 3),
        ("LTRS", "TLT", 2), ("EMEQ", "EEM", 2), ("REIT", "VNQ", 2), ("CMDT", "GLD", 1), ("CASH", "BIL", 2),
    ];

    /// <summary>Instruments a realistic firm's lineups are drawn from (the real ETFs plus the funds that track them).</summary>
    public const int RealisticUniverse = 300;

    /// <summary>Lineups of a realistic firm: every risk profile has one model per lineup.</summary>
    public const int RealisticLineups = 8;

    /// <summary>The most lineups one instrument is in (while positions are few enough for that): three of eight.</summary>
    public const int MaxLineupsPerInstrument = 3;

    private static readonly (string Name, double Equity, double Band)[] Profiles =
    [
        ("Conservative 30/70", 0.30, 0.02), ("Balanced 60/40", 0.60, 0.03), ("Growth 80/20", 0.80, 0.04), ("Aggressive 95/5", 0.95, 0.05),
    ];

    public const string LegacyStock = "LEGACY";
    public const string PrivateReit = "PREIT";

    /// <summary>The shapes as a command line or a settings file spells them: "uniform", "realistic".</summary>
    public static string ShapeName(FirmShape shape) => shape == FirmShape.Realistic ? "realistic" : "uniform";

    /// <summary>The shape spelled <paramref name="name"/> (exactly as <see cref="ShapeName"/> spells it), or null.</summary>
    public static FirmShape? ParseShape(string? name) => Enum.GetValues<FirmShape>().Where(s => ShapeName(s) == name).Cast<FirmShape?>().SingleOrDefault();

    /// <summary>"uniform or realistic", for an error about a shape that does not exist.</summary>
    public static string ShapeNames => string.Join(" or ", Enum.GetValues<FirmShape>().Select(ShapeName));

    /// <summary>Loads the real history under data/ when it can be found, else generates one.</summary>
    public static MarketHistory LoadHistory(int seed)
    {
        var dataDirectory = MarketHistory.FindDataDirectory();
        if (dataDirectory is not null)
        {
            return MarketHistory.LoadEtfs(dataDirectory);
        }
        return MarketHistory.Synthetic(
            Etfs.Select(e => (e.Symbol, 100.0, IsEquity(e.AssetClass) ? 0.08 : 0.03, IsEquity(e.AssetClass) ? 0.18 : 0.06)),
            DefaultAsOf, 600, seed);
    }

    private static bool IsEquity(string assetClass) => EquityClasses.Contains(assetClass);

    public static GeneratedFirm Generate(FirmSpec spec, MarketHistory history)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Accounts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.PositionsPerAccount, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(spec.PositionsPerAccount, 200);
        var random = new Random(spec.Seed);
        history = history.Copy();
        var asOf = spec.AsOf ?? history.LastDate;

        var realistic = spec.Shape == FirmShape.Realistic;
        var instruments = BuildUniverse(realistic ? RealisticUniverse : spec.PositionsPerAccount, realistic, history, random);
        var table = new InstrumentTable(instruments);
        var models = realistic
            ? [.. DrawLineups(instruments, spec.PositionsPerAccount, random).SelectMany((lineup, n) => BuildModels(lineup, string.Create(CultureInfo.InvariantCulture, $"-{n + 1}")))]
            : BuildModels(instruments.Take(spec.PositionsPerAccount).ToList(), "");
        var prices = instruments.Select(i => history[i.Symbol].On(asOf)).ToArray();
        var builder = new BookBuilder(table, models, prices, spec.Accounts);

        var modelInstruments = models.Select(m => m.ResolvedWeights().Select(w => (Index: table.IndexOf(w.InstrumentId), w.Weight)).ToArray()).ToArray();
        var flows = new List<PendingCashFlow>();
        var held = new List<int>(spec.PositionsPerAccount + 2);
        var quantities = new List<double>(spec.PositionsPerAccount + 2);
        var household = 0;
        var householdLeft = 0;
        for (var a = 0; a < spec.Accounts; a++)
        {
            if (householdLeft-- <= 0)
            {
                household++;
                householdLeft = random.Next(0, 4);
            }
            var profile = PickProfile(random);
            // Lineups come in the order DrawLineups made them, each with one model per profile.
            var model = realistic ? (random.Next(RealisticLineups) * Profiles.Length) + profile : profile;
            var policy = RandomPolicy(random, a, profile, table);
            var value = Math.Clamp(Math.Exp(Math.Log(250_000) + (1.1 * MarketHistory.Gaussian(random))), 5_000, 20_000_000);
            // Most accounts were last rebalanced this quarter; some have gone a long time without one.
            var lastRebalanced = asOf.AddDays(random.NextDouble() < 0.85 ? -random.Next(5, 85) : -random.Next(90, 400));
            var reserve = (double)policy.CashReserveAmount + (policy.CashReservePercent * value);
            var investable = value - reserve;

            held.Clear();
            quantities.Clear();
            var spent = 0.0;
            foreach (var (index, weight) in modelInstruments[model])
            {
                var buyPrice = history[instruments[index].Symbol].On(lastRebalanced);
                var quantity = weight * investable * (1 + (0.01 * MarketHistory.Gaussian(random))) / buyPrice;
                quantity = policy.FractionalShares ? Math.Round(quantity, 4) : Math.Floor(quantity);
                held.Add(index);
                quantities.Add(Math.Max(0, quantity));
                spent += Math.Max(0, quantity) * buyPrice;
            }
            var roll = random.NextDouble();
            if (roll < 0.02)
            {
                held.Add(table.IndexOf(LegacyStock));
                quantities.Add(Math.Floor(value * 0.03 / prices[table.IndexOf(LegacyStock)]));
            }
            else if (roll < 0.03)
            {
                held.Add(table.IndexOf(PrivateReit));
                quantities.Add(Math.Floor(value * 0.05 / prices[table.IndexOf(PrivateReit)]));
            }
            var cash = Math.Round(Math.Max(0, value - spent) + (random.NextDouble() * 200), 2);
            var id = string.Create(CultureInfo.InvariantCulture, $"A{a + 1:D7}");
            var refused = builder.TryAddAccount(id, string.Create(CultureInfo.InvariantCulture, $"H{household:D7}"), model, cash, policy, lastRebalanced, held.ToArray(), quantities.ToArray());
            if (refused is not null)
            {
                throw new InvalidOperationException($"generator produced an invalid account {id}: {refused}");
            }
            var flowRoll = random.NextDouble();
            if (flowRoll < 0.03)
            {
                var kind = flowRoll < 0.02 ? CashFlowKind.Deposit : CashFlowKind.Withdrawal;
                var amount = Math.Round((decimal)(value * (0.01 + (random.NextDouble() * 0.09))), 2);
                flows.Add(new PendingCashFlow(a, new CashFlow(id, kind, amount)));
            }
        }
        return new GeneratedFirm { Book = builder.Build(), AsOf = asOf, CashFlows = flows, PriceSource = history.Source, History = history };
    }

    private static int PickProfile(Random random) => random.NextDouble() switch
    {
        < 0.15 => 0,
        < 0.50 => 1,
        < 0.85 => 2,
        _ => 3,
    };

    /// <summary>
    /// The real ETFs found in the history, then generated funds up to <paramref name="size"/> instruments, each tracking a
    /// real ETF (its daily moves plus a little noise) in that ETF's asset class, then the legacy stock and the private REIT.
    /// </summary>
    private static List<Instrument> BuildUniverse(int size, bool realistic, MarketHistory history, Random random)
    {
        var instruments = new List<Instrument>();
        foreach (var (symbol, assetClass) in Etfs)
        {
            if (history.Contains(symbol))
            {
                instruments.Add(new Instrument(symbol, symbol, assetClass, FractionalAllowed: true));
            }
        }
        var shares = TrackingFamilies.Sum(f => f.Share);
        for (var n = instruments.Count; n < size; n++)
        {
            string prefix, assetClass, parent;
            if (realistic)
            {
                (prefix, parent) = PickFamily(random.Next(shares));
                assetClass = Etfs.First(e => e.Symbol == parent).AssetClass;
            }
            else
            {
                (prefix, assetClass, parent) = FundFamilies[n % FundFamilies.Length];
            }
            var symbol = realistic ? string.Create(CultureInfo.InvariantCulture, $"{prefix}{n:D3}") : string.Create(CultureInfo.InvariantCulture, $"{prefix}{n:D2}");
            history.AddTracking(symbol, parent, 20 + (random.NextDouble() * 180), 0.004, random);
            instruments.Add(new Instrument(symbol, symbol, assetClass, FractionalAllowed: n % 3 != 0));
        }
        history.AddTracking(LegacyStock, "SPY", 85, 0.02, random);
        history.AddTracking(PrivateReit, "VNQ", 25, 0.002, random);
        instruments.Add(new Instrument(LegacyStock, LegacyStock, "US Equity"));
        instruments.Add(new Instrument(PrivateReit, PrivateReit, "Real Estate", Liquid: false));
        return instruments;
    }

    private static (string Prefix, string Parent) PickFamily(int draw)
    {
        foreach (var (prefix, parent, share) in TrackingFamilies)
        {
            if ((draw -= share) < 0)
            {
                return (prefix, parent);
            }
        }
        throw new ArgumentOutOfRangeException(nameof(draw));
    }

    /// <summary>
    /// The realistic firm's lineups: each holds <paramref name="positions"/> different instruments of the universe (the
    /// legacy stock and the private REIT are never in a model), at least one equity and one bond or cash fund, in the
    /// order drawn, which is also the order of their weight. While the lineups fit comfortably in the universe, no
    /// instrument is in more than <see cref="MaxLineupsPerInstrument"/> of them, so a tick on any one touches well under
    /// half the book.
    /// </summary>
    private static List<List<Instrument>> DrawLineups(List<Instrument> universe, int positions, Random random)
    {
        var candidates = universe.Where(i => i.Id is not LegacyStock and not PrivateReit).ToList();
        var equities = candidates.Where(i => IsEquity(i.AssetClass)).ToList();
        var others = candidates.Where(i => !IsEquity(i.AssetClass)).ToList();
        var capped = 2 * RealisticLineups * positions <= MaxLineupsPerInstrument * candidates.Count;
        var lineupsOf = new Dictionary<Instrument, int>();
        var lineups = new List<List<Instrument>>();
        for (var n = 0; n < RealisticLineups; n++)
        {
            var lineup = new List<Instrument>(positions);
            // The core equity and bond holdings first, so every lineup's sleeves hold both sides of its profile's split.
            Draw(equities);
            Draw(others);
            while (lineup.Count < positions)
            {
                Draw(candidates);
            }
            lineups.Add(lineup);

            void Draw(List<Instrument> pool)
            {
                var open = pool.Where(i => !lineup.Contains(i) && (!capped || lineupsOf.GetValueOrDefault(i) < MaxLineupsPerInstrument)).ToList();
                if (open.Count == 0)
                {
                    open = [.. pool.Where(i => !lineup.Contains(i))];
                }
                var next = open[random.Next(open.Count)];
                lineup.Add(next);
                lineupsOf[next] = lineupsOf.GetValueOrDefault(next) + 1;
            }
        }
        return lineups;
    }

    /// <summary>One model per risk profile over the given instruments, written as asset-class sleeves.</summary>
    private static List<TargetModel> BuildModels(List<Instrument> members, string suffix)
    {
        var models = new List<TargetModel>();
        foreach (var (name, equity, _) in Profiles)
        {
            // Earlier instruments are the core holdings and get more weight.
            var raw = members.Select((m, i) => (m, Raw: 1.0 / (1 + (0.15 * i)))).ToList();
            var equityRaw = raw.Where(r => IsEquity(r.m.AssetClass)).Sum(r => r.Raw);
            var bondRaw = raw.Where(r => !IsEquity(r.m.AssetClass)).Sum(r => r.Raw);
            var weights = raw.Select(r => (r.m, Weight: IsEquity(r.m.AssetClass) ? equity * r.Raw / equityRaw : (1 - equity) * r.Raw / bondRaw)).ToList();
            var sleeves = weights.GroupBy(w => w.m.AssetClass).Select(g =>
            {
                var sleeveWeight = g.Sum(w => w.Weight);
                return new AssetClassSleeve(g.Key, sleeveWeight, [.. g.Select(w => new ModelWeight(w.m.Id, w.Weight / sleeveWeight))]);
            }).ToList();
            var id = name.Split(' ')[0].ToUpperInvariant() + suffix;
            models.Add(new TargetModel(id, suffix.Length == 0 ? name : $"{name} (lineup {suffix[1..]})", Sleeves: sleeves));
        }
        return models;
    }

    private static InvestmentPolicy RandomPolicy(Random random, int account, int profile, InstrumentTable table)
    {
        var relative = random.NextDouble() < 0.2;
        var triggerRoll = random.NextDouble();
        var reserveRoll = random.NextDouble();
        return new InvestmentPolicy
        {
            Id = string.Create(CultureInfo.InvariantCulture, $"IPS-{account + 1:D7}"),
            Version = 1 + random.Next(0, 3),
            Trigger = triggerRoll < 0.7 ? RebalanceTrigger.Hybrid : triggerRoll < 0.9 ? RebalanceTrigger.Threshold : RebalanceTrigger.Calendar,
            BandType = relative ? BandType.Relative : BandType.Absolute,
            BandWidth = relative ? 0.20 + (0.05 * random.Next(0, 2)) : Profiles[profile].Band,
            AssetClassBands = random.NextDouble() < 0.1 ? new Dictionary<string, double> { ["US Equity"] = 0.05 } : null,
            Calendar = random.NextDouble() switch { < 0.6 => CalendarSchedule.Quarterly, < 0.8 => CalendarSchedule.Annual, < 0.9 => CalendarSchedule.SemiAnnual, _ => CalendarSchedule.Monthly },
            MinDaysBetweenRebalances = random.Next(0, 3) * 15,
            CashReservePercent = reserveRoll < 0.6 ? 0.01 + (0.005 * random.Next(0, 3)) : 0,
            CashReserveAmount = reserveRoll is >= 0.6 and < 0.9 ? 500 * random.Next(1, 5) : 0,
            MinTradeValue = 25 * random.Next(1, 5),
            FractionalShares = random.NextDouble() < 0.4,
            RestrictedInstruments = random.NextDouble() < 0.05 && table.TryGetIndex("EEM", out _) ? ["EEM"] : null,
            TaxStatus = random.NextDouble() < 0.35 ? TaxStatus.TaxDeferred : TaxStatus.Taxable,
            Mode = random.NextDouble() < 0.2 ? RebalanceMode.ToBandEdge : RebalanceMode.ToTarget,
        };
    }
}
