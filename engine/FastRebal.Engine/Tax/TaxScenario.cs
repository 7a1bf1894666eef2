using System.Globalization;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Tax;

/// <summary>A lot as a scenario file writes it under a position.</summary>
/// <param name="CostBasis">Required: a lot without one would count its whole sale as gain.</param>
public sealed record LotInput(string? Id, DateOnly? Acquired, decimal Quantity, decimal? CostBasis, DateOnly? HoldingSince = null);

/// <summary>The tax fields of a position (the base loader reads instrument and quantity from the same object).</summary>
public sealed record TaxPositionInput(string? InstrumentId, decimal Quantity, IReadOnlyList<LotInput>? Lots);

/// <summary>The tax fields of an IPS, read from the account's <c>policy</c> object.</summary>
public sealed record TaxPolicyInput(
    TaxStatus? TaxStatus,
    LotMethod? LotMethod,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? SpecificLots,
    decimal? GainsBudget,
    int? DeferLongTermWithinDays,
    HarvestSettings? Harvest,
    decimal? ShortTermTaxRate,
    decimal? LongTermTaxRate,
    bool? CashOnly);

public sealed record TaxAccountInput(string? Id, string? HouseholdId, IReadOnlyList<TaxPositionInput>? Positions, TaxPolicyInput? Policy);

/// <summary>A trade of the recent past in any household account (lots already reflect it): the wash-sale ledger's history.</summary>
/// <param name="Price">Optional: lets the KPIs count the trade's turnover.</param>
/// <param name="RealizedGain">For a sell: the gain (negative for a loss) the custodian reported; a loss opens the wash-sale window.</param>
/// <param name="Term">For a sell's realized gain: short-term unless this says long-term.</param>
public sealed record HouseholdTradeInput(
    DateOnly? Date,
    string? AccountId,
    string? InstrumentId,
    TradeSide? Side,
    decimal Quantity,
    TradeSource? Source = null,
    string? LotId = null,
    decimal? RealizedGain = null,
    decimal? Price = null,
    HoldingTerm? Term = null);

/// <summary>Small accounts of one model are rebalanced together below this total value.</summary>
public sealed record BatchingSettings(decimal BelowValue);

/// <summary>The tax and batching fields of a scenario file; everything is optional, so an older file reads as "none".</summary>
public sealed record TaxDocument(
    IReadOnlyList<TaxAccountInput>? Accounts,
    IReadOnlyList<IReadOnlyList<string>>? SubstituteGroups,
    IReadOnlyList<IReadOnlyList<string>>? IdenticalGroups,
    IReadOnlyList<HouseholdTradeInput>? HouseholdTrades,
    BatchingSettings? Batching);

/// <summary>A scenario with its tax side: lots, per-account tax settings, instrument relations and the household history.</summary>
public sealed class TaxScenario
{
    public required LoadedScenario Scenario { get; init; }

    public required LotBook Lots { get; init; }

    public required IReadOnlyDictionary<string, AccountTaxSettings> Settings { get; init; }

    public required InstrumentRelations Relations { get; init; }

    public required IReadOnlyList<HouseholdTradeInput> History { get; init; }

    public BatchingSettings? Batching { get; init; }

    /// <summary>Input errors of the base scenario and of its tax fields, together.</summary>
    public required IReadOnlyList<InputError> Errors { get; init; }

    /// <summary>Whether the file used any tax or batching field (if not, a run reports exactly what the plain run does).</summary>
    public required bool UsesTaxFeatures { get; init; }

    public AccountTaxSettings SettingsFor(string accountId) => Settings.GetValueOrDefault(accountId) ?? AccountTaxSettings.Default;

    /// <summary>A ledger holding the household history, matched among itself but not adjusting lots (the custodian already did).</summary>
    public WashSaleLedger NewLedger(ILotStore lots)
    {
        var ledger = new WashSaleLedger(Relations, lots);
        var book = Scenario.Book;
        // Sales before purchases on the same day: a same-day repurchase is a replacement.
        foreach (var trade in History.OrderBy(t => t.Date).ThenBy(t => t.Side == TradeSide.Sell ? 0 : 1))
        {
            var account = book.FindAccount(trade.AccountId!);
            var household = account >= 0 ? book.HouseholdId(account) : HouseholdOf(trade.AccountId!);
            var deferred = account >= 0 && book.Policy(account).TaxStatus == TaxStatus.TaxDeferred;
            if (trade.Side == TradeSide.Buy)
            {
                ledger.RecordBuy(household, trade.AccountId!, deferred, trade.InstrumentId!, trade.Date!.Value, trade.Quantity, trade.LotId, trade.Source ?? TradeSource.Manual, adjustLots: false);
            }
            else if (trade.RealizedGain is { } gain && gain < 0 && !deferred)
            {
                var relief = new LotRelief(trade.LotId ?? "history", trade.Date!.Value, trade.Date!.Value, trade.Quantity, 0, -gain, HoldingTerm.ShortTerm);
                ledger.RecordSale(household, trade.AccountId!, trade.InstrumentId!, trade.Date!.Value, [relief], adjustLots: false);
            }
        }
        return ledger;
    }

    private readonly Dictionary<string, string> householdOfRejected = new(StringComparer.Ordinal);

    private string HouseholdOf(string accountId) => householdOfRejected.GetValueOrDefault(accountId, accountId);

    /// <summary>The same scenario (book, lots, settings) with a longer household history.</summary>
    public TaxScenario WithHistory(IReadOnlyList<HouseholdTradeInput> history)
    {
        var copy = new TaxScenario
        {
            Scenario = Scenario, Lots = Lots, Settings = Settings, Relations = Relations, History = history, Batching = Batching,
            Errors = Errors, UsesTaxFeatures = UsesTaxFeatures,
        };
        foreach (var (account, household) in householdOfRejected)
        {
            copy.householdOfRejected[account] = household;
        }
        return copy;
    }

    /// <summary>A generated firm with lots (e.g. <see cref="Simulation.FirmLots"/>) and one set of tax settings for every account.</summary>
    public static TaxScenario FromFirm(Simulation.GeneratedFirm firm, LotBook lots, AccountTaxSettings settings, InstrumentRelations? relations = null)
    {
        var book = firm.Book;
        return new TaxScenario
        {
            Scenario = new LoadedScenario { AsOf = firm.AsOf, Book = book, CashFlows = firm.CashFlows, Errors = [], AccountsInInput = book.AccountCount },
            Lots = lots,
            Settings = Enumerable.Range(0, book.AccountCount).ToDictionary(book.AccountId, _ => settings, StringComparer.Ordinal),
            Relations = relations ?? InstrumentRelations.None,
            History = [],
            Errors = [],
            UsesTaxFeatures = true,
        };
    }

    /// <summary>Reads a scenario from JSON text (tests, hosts that hold the text already).</summary>
    public static TaxScenario Parse(string json, string source = "scenario")
    {
        var read = OneFile(ScenarioReader.ReadText(json, source), source);
        return Build(read.Document, read.Tax, source, read.Problems);
    }

    /// <summary>Reads a scenario file with its tax fields, strictly (see <see cref="ScenarioReader"/>).</summary>
    public static TaxScenario Load(string path)
    {
        var read = OneFile(ScenarioReader.ReadFile(path), path);
        return Build(read.Document, read.Tax, path, read.Problems);
    }

    /// <summary>A scenario read as one file: named policies there would name nothing (its accounts carry their own), so they refuse it.</summary>
    private static ScenarioRead OneFile(ScenarioRead read, string source) => read.Policies is { Count: > 0 }
        ? throw new ScenarioFormatException($"{TextLimit.Clip(source, 200)}: $.policies: named policies belong in a firm folder's firm.json, for its accounts.csv rows to name; in one scenario file each account carries its own policy")
        : read;

    /// <summary>
    /// Validates the tax fields, leaves out every account whose tax fields are wrong (with an error naming the account,
    /// instrument, lot and field), and loads the rest through the base loader.
    /// </summary>
    /// <param name="read">What strict reading left out (its errors come first).</param>
    public static TaxScenario Build(ScenarioDocument document, TaxDocument tax, string source = "scenario", ReadProblems? read = null)
    {
        read ??= ReadProblems.None;
        if (document.AsOf is not { } asOf)
        {
            throw new ScenarioFormatException($"{source}: 'asOf' (the valuation date, YYYY-MM-DD) is required");
        }
        var errors = new List<InputError>();
        var instrumentIds = (document.Instruments ?? []).Where(i => i?.Id is not null).Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        var relations = ValidRelations(tax, instrumentIds, errors);

        var lots = new LotBook();
        var settings = new Dictionary<string, AccountTaxSettings>(tax.Accounts?.Count ?? 0, StringComparer.Ordinal);
        var rejected = new HashSet<string>(StringComparer.Ordinal);
        var taxAccounts = tax.Accounts ?? [];
        var sharedSettings = new Dictionary<TaxPolicyInput, SharedSettings>(ReferenceEqualityComparer.Instance);
        var usesTax = relations.SubstituteGroups.Count > 0 || (tax.IdenticalGroups?.Count ?? 0) > 0 || (tax.HouseholdTrades?.Count ?? 0) > 0 || tax.Batching is not null;
        // The base loader takes the accounts the tax check keeps, nearly always all of them: it starts on another core
        // with all of them while the check runs, and is stopped and run again on the kept ones only if one is left out.
        using var stop = new CancellationTokenSource();
        var withAll = Task.Run(() => ScenarioLoader.Build(document, source, read, stop.Token));
        try
        {
            for (var i = 0; i < taxAccounts.Count; i++)
            {
                var account = taxAccounts[i];
                if (account?.Id is null)
                {
                    continue; // the base loader reports the missing id
                }
                var before = errors.Count;
                var (accountLots, accountSettings, used) = ValidAccount(account, asOf, errors, sharedSettings);
                usesTax |= used;
                if (errors.Count > before)
                {
                    rejected.Add(account.Id);
                    continue;
                }
                if (accountSettings is not null)
                {
                    settings[account.Id] = accountSettings;
                }
                if (account.Policy?.TaxStatus != TaxStatus.TaxDeferred)
                {
                    lots.AddAccount(account.Id, accountLots);
                }
            }
        }
        catch
        {
            stop.Cancel();
            throw;
        }

        LoadedScenario loaded;
        if (rejected.Count == 0)
        {
            loaded = withAll.GetAwaiter().GetResult();
        }
        else
        {
            stop.Cancel();
            Task.WhenAny(withAll).Wait();
            // Accounts with bad tax fields are left out whole, with their cash flows (their own errors say why).
            var kept = document with
            {
                Accounts = (document.Accounts ?? []).Where(a => a?.Id is null || !rejected.Contains(a.Id)).ToList(),
                CashFlows = (document.CashFlows ?? []).Where(f => f?.AccountId is null || !rejected.Contains(f.AccountId)).ToList(),
            };
            loaded = ScenarioLoader.Build(kept, source, read);
        }
        errors.InsertRange(0, loaded.Errors.Take(read.Errors.Count));
        errors.AddRange(loaded.Errors.Skip(read.Errors.Count));
        var history = ValidHistory(tax.HouseholdTrades ?? [], asOf, (document.Accounts ?? []).Where(a => a?.Id is not null).Select(a => a.Id).Concat(read.UnreadAccounts.Keys), errors);
        if (tax.Batching is { } batching && batching.BelowValue <= 0)
        {
            errors.Add(new("batching", "belowValue", $"must be positive, got {batching.BelowValue}"));
        }
        var scenario = new TaxScenario
        {
            Scenario = new LoadedScenario { AsOf = loaded.AsOf, Book = loaded.Book, CashFlows = loaded.CashFlows, Errors = errors, AccountsInInput = Math.Max(document.Accounts?.Count ?? 0, read.AccountsInFile) },
            Lots = lots,
            Settings = settings,
            Relations = relations,
            History = history,
            Batching = tax.Batching is { BelowValue: > 0 } ? tax.Batching : null,
            Errors = errors,
            UsesTaxFeatures = usesTax,
        };
        // A book holding as many accounts as the document lists holds every one of them (it has each id once), and a
        // million lookups would find them all.
        if (loaded.Book.AccountCount < (document.Accounts?.Count ?? 0))
        {
            foreach (var account in document.Accounts!)
            {
                if (account?.Id is not null && loaded.Book.FindAccount(account.Id) < 0)
                {
                    scenario.householdOfRejected[account.Id] = account.HouseholdId ?? account.Id;
                }
            }
        }
        foreach (var (account, household) in read.UnreadAccounts)
        {
            scenario.householdOfRejected.TryAdd(account, household);
        }
        return scenario;
    }

    private static InstrumentRelations ValidRelations(TaxDocument tax, HashSet<string> instrumentIds, List<InputError> errors)
    {
        List<IReadOnlyList<string>> Groups(IReadOnlyList<IReadOnlyList<string>>? groups, string field)
        {
            var valid = new List<IReadOnlyList<string>>();
            for (var g = 0; g < (groups?.Count ?? 0); g++)
            {
                var members = groups![g] ?? [];
                var unknown = members.Where(m => m is null || !instrumentIds.Contains(m)).ToList();
                if (members.Count < 2)
                {
                    errors.Add(new($"{field}[{g}]", "members", "a group needs at least two instruments"));
                }
                else if (unknown.Count > 0)
                {
                    errors.Add(new($"{field}[{g}]", "members", $"unknown instrument(s) {string.Join(", ", unknown.Select(u => $"'{TextLimit.Clip(u, 80)}'"))}; the group is ignored"));
                }
                else
                {
                    valid.Add(members);
                }
            }
            return valid;
        }
        var identical = Groups(tax.IdenticalGroups, "identicalGroups");
        var substitutes = Groups(tax.SubstituteGroups, "substituteGroups");
        var relations = new InstrumentRelations(substitutes, identical);
        for (var g = 0; g < substitutes.Count; g++)
        {
            var group = substitutes[g];
            for (var a = 0; a < group.Count; a++)
            {
                for (var b = a + 1; b < group.Count; b++)
                {
                    if (relations.AreIdentical(group[a], group[b]))
                    {
                        errors.Add(new($"substituteGroups[{g}]", "members", $"{TextLimit.Clip(group[a], 80)} and {TextLimit.Clip(group[b], 80)} are substantially identical, so one cannot substitute for the other in a harvest"));
                    }
                }
            }
        }
        return relations;
    }

    /// <summary>The settings one policy object gives and their problems, which every account naming the policy shares (no check of them looks at an account's lots).</summary>
    private sealed record SharedSettings(AccountTaxSettings Settings, List<(string Field, string Message)> Problems);

    /// <param name="shared">The settings made from each policy object without named lots so far: accounts naming one policy share one settings object.</param>
    private static (List<TaxLot> Lots, AccountTaxSettings? Settings, bool UsesTax) ValidAccount(TaxAccountInput account, DateOnly asOf, List<InputError> errors, Dictionary<TaxPolicyInput, SharedSettings> shared)
    {
        // Called directly, never as a delegate, so a million good accounts make no subject string and no closure.
        void Fail(string field, string message) => errors.Add(new($"account {TextLimit.Clip(account.Id, 80)}", field, message));
        var lots = new List<TaxLot>();
        var usesTax = false;
        HashSet<string>? lotIds = null;
        var positions = account.Positions ?? [];
        for (var p = 0; p < positions.Count; p++)
        {
            var position = positions[p];
            if (position?.Lots is not { } positionLots)
            {
                continue;
            }
            usesTax = true;
            var instrument = position.InstrumentId ?? "?";
            var sum = 0m;
            for (var l = 0; l < positionLots.Count; l++)
            {
                var lot = positionLots[l];
                var field = $"positions[{p}].lots[{l}]";
                if (lot is null)
                {
                    Fail(field, $"{TextLimit.Clip(instrument, 80)}: empty lot");
                    continue;
                }
                var id = string.IsNullOrWhiteSpace(lot.Id) ? $"{TextLimit.Clip(instrument, 80)}-{l + 1}" : lot.Id;
                var before = errors.Count;
                sum += lot.Quantity;
                if (!(lotIds ??= new HashSet<string>(StringComparer.Ordinal)).Add(id))
                {
                    Fail($"{field}.id", $"{TextLimit.Clip(instrument, 80)} lot {TextLimit.Clip(id, 80)}: lot id used twice in the account");
                }
                if (lot.Acquired is not { } acquired)
                {
                    Fail($"{field}.acquired", $"{TextLimit.Clip(instrument, 80)} lot {TextLimit.Clip(id, 80)}: the acquisition date is required");
                    continue;
                }
                if (acquired > asOf)
                {
                    Fail($"{field}.acquired", $"{TextLimit.Clip(instrument, 80)} lot {TextLimit.Clip(id, 80)}: acquired {acquired:yyyy-MM-dd}, after the valuation date {asOf:yyyy-MM-dd}");
                }
                if (lot.Quantity <= 0)
                {
                    Fail($"{field}.quantity", $"{TextLimit.Clip(instrument, 80)} lot {TextLimit.Clip(id, 80)}: must be positive, got {lot.Quantity}");
                }
                if (lot.CostBasis is not { } costBasis)
                {
                    Fail($"{field}.costBasis", $"{TextLimit.Clip(instrument, 80)} lot {TextLimit.Clip(id, 80)}: the cost basis (what the lot cost in all) is required");
                    continue;
                }
                if (costBasis < 0)
                {
                    Fail($"{field}.costBasis", $"{TextLimit.Clip(instrument, 80)} lot {TextLimit.Clip(id, 80)}: must not be negative, got {costBasis}");
                }
                if (lot.HoldingSince is { } since && since > acquired)
                {
                    Fail($"{field}.holdingSince", $"{TextLimit.Clip(instrument, 80)} lot {TextLimit.Clip(id, 80)}: a carried-over holding period cannot start after the purchase");
                }
                if (errors.Count == before)
                {
                    lots.Add(new TaxLot(id, instrument, acquired, lot.Quantity, costBasis, lot.HoldingSince));
                }
            }
            if (sum != position.Quantity)
            {
                Fail($"positions[{p}].lots", $"{TextLimit.Clip(instrument, 80)}: lots hold {sum} shares but the position is {position.Quantity}");
            }
        }

        if (usesTax && account.Policy?.TaxStatus != TaxStatus.TaxDeferred)
        {
            // Lots must cover every holding, or a later buy would open lots for only part of a position.
            for (var p = 0; p < positions.Count; p++)
            {
                if (positions[p] is { Lots: null, Quantity: > 0 } missing)
                {
                    Fail($"positions[{p}].lots", $"{TextLimit.Clip(missing.InstrumentId, 80)}: no lots, but the account keeps lots for other positions; give lots for every position or for none");
                }
            }
        }
        var policy = account.Policy;
        if (policy is null)
        {
            return (lots, null, usesTax);
        }
        usesTax |= policy.LotMethod is not null || policy.GainsBudget is not null || policy.DeferLongTermWithinDays is not null
            || policy.Harvest is not null || policy.CashOnly is not null || policy.SpecificLots is not null
            || policy.ShortTermTaxRate is not null || policy.LongTermTaxRate is not null;
        if (policy.SpecificLots is null)
        {
            if (!shared.TryGetValue(policy, out var known))
            {
                var made = NewSettings(policy);
                shared[policy] = known = new SharedSettings(made, Problems(made, policy.TaxStatus, lots));
            }
            foreach (var (field, message) in known.Problems)
            {
                Fail(field, message);
            }
            return (lots, known.Settings, usesTax);
        }
        var settings = NewSettings(policy);
        foreach (var (field, message) in Problems(settings, policy.TaxStatus, lots))
        {
            Fail(field, message);
        }
        return (lots, settings, usesTax);
    }

    /// <summary>What <see cref="CheckSettings"/> finds wrong with an account's settings; its lots are looked at only for the lots the settings name.</summary>
    private static List<(string Field, string Message)> Problems(AccountTaxSettings settings, TaxStatus? status, List<TaxLot> lots)
    {
        var problems = new List<(string, string)>();
        CheckSettings(settings, status, (field, message) => problems.Add((field, message)), (instrument, id) => lots.Any(l => l.Id == id && l.InstrumentId == instrument));
        return problems;
    }

    /// <summary>The settings an IPS's tax fields give (defaults for the fields it leaves out).</summary>
    internal static AccountTaxSettings NewSettings(TaxPolicyInput policy) => new()
    {
        LotMethod = policy.LotMethod ?? LotMethod.Fifo,
        SpecificLots = policy.SpecificLots,
        GainsBudget = policy.GainsBudget,
        DeferLongTermWithinDays = policy.DeferLongTermWithinDays ?? 0,
        Harvest = policy.Harvest ?? new HarvestSettings(),
        ShortTermTaxRate = policy.ShortTermTaxRate ?? AccountTaxSettings.Default.ShortTermTaxRate,
        LongTermTaxRate = policy.LongTermTaxRate ?? AccountTaxSettings.Default.LongTermTaxRate,
        CashOnly = policy.CashOnly ?? false,
    };

    /// <summary>Reports each problem of <paramref name="settings"/> to <paramref name="fail"/> (field, message).</summary>
    /// <param name="hasLot">Whether the account holds a lot of this id in this instrument (for named lots).</param>
    internal static void CheckSettings(AccountTaxSettings settings, TaxStatus? status, Action<string, string> fail, Func<string, string, bool> hasLot)
    {
        if (settings.GainsBudget is < 0)
        {
            fail("policy.gainsBudget", $"must not be negative, got {settings.GainsBudget}");
        }
        if (settings.DeferLongTermWithinDays < 0)
        {
            fail("policy.deferLongTermWithinDays", $"must not be negative, got {settings.DeferLongTermWithinDays}");
        }
        if (settings.ShortTermTaxRate is < 0 or >= 1)
        {
            fail("policy.shortTermTaxRate", $"must be a fraction from 0 up to 1, got {settings.ShortTermTaxRate}");
        }
        if (settings.LongTermTaxRate is < 0 or >= 1)
        {
            fail("policy.longTermTaxRate", $"must be a fraction from 0 up to 1, got {settings.LongTermTaxRate}");
        }
        var harvest = settings.Harvest;
        if (!double.IsFinite(harvest.MinLossPercent) || harvest.MinLossPercent < 0 || harvest.MinLossPercent >= 1)
        {
            fail("policy.harvest.minLossPercent", string.Create(CultureInfo.InvariantCulture, $"must be a fraction from 0 up to 1, got {harvest.MinLossPercent}"));
        }
        if (harvest.MinLossAmount < 0)
        {
            fail("policy.harvest.minLossAmount", $"must not be negative, got {harvest.MinLossAmount}");
        }
        if (harvest.ApprovalAbove is < 0)
        {
            fail("policy.harvest.approvalAbove", $"must not be negative, got {harvest.ApprovalAbove}");
        }
        if (settings.LotMethod == LotMethod.SpecificLots && (settings.SpecificLots is null || settings.SpecificLots.Count == 0))
        {
            fail("policy.specificLots", "lotMethod specificLots needs the lots to sell, per instrument");
        }
        foreach (var (instrument, ids) in settings.SpecificLots ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            foreach (var id in ids ?? [])
            {
                if (!hasLot(instrument, id))
                {
                    fail($"policy.specificLots.{TextLimit.Clip(instrument, 80)}", $"{TextLimit.Clip(instrument, 80)}: unknown lot '{TextLimit.Clip(id, 80)}'");
                }
            }
        }
        if (status == TaxStatus.TaxDeferred && (settings.Harvest.Enabled || settings.GainsBudget is not null))
        {
            fail("policy.taxStatus", "harvesting and a gains budget apply to taxable accounts only");
        }
    }

    private static List<HouseholdTradeInput> ValidHistory(IReadOnlyList<HouseholdTradeInput> input, DateOnly asOf, IEnumerable<string> accountIds, List<InputError> errors)
    {
        var valid = new List<HouseholdTradeInput>();
        if (input.Count == 0)
        {
            return valid;
        }
        var known = accountIds.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < input.Count; i++)
        {
            var trade = input[i];
            var subject = $"householdTrades[{i}]";
            var before = errors.Count;
            if (trade?.AccountId is null || !known.Contains(trade.AccountId))
            {
                errors.Add(new(subject, "accountId", $"unknown account '{TextLimit.Clip(trade?.AccountId, 80)}'"));
                continue;
            }
            if (string.IsNullOrWhiteSpace(trade.InstrumentId))
            {
                errors.Add(new(subject, "instrumentId", "is required"));
            }
            if (trade.Date is not { } date || date > asOf)
            {
                errors.Add(new(subject, "date", $"is required and must not be after the valuation date {asOf:yyyy-MM-dd}"));
            }
            if (trade.Side is null)
            {
                errors.Add(new(subject, "side", "is required (buy or sell)"));
            }
            if (trade.Quantity <= 0)
            {
                errors.Add(new(subject, "quantity", $"must be positive, got {trade.Quantity}"));
            }
            if (trade.Price is { } price && (price <= 0 || (double)price > ScenarioLoader.MaxPrice))
            {
                errors.Add(new(subject, "price", string.Create(CultureInfo.InvariantCulture, $"must be positive and at most {ScenarioLoader.MaxPrice:0e0}, got {price}")));
            }
            if (errors.Count == before)
            {
                valid.Add(trade);
            }
        }
        return valid;
    }
}
