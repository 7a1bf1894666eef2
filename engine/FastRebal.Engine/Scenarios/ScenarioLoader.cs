using System.Globalization;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Scenarios;

/// <summary>A cash flow waiting to be applied to one account of the book.</summary>
public sealed record PendingCashFlow(int Account, CashFlow Flow);

/// <summary>A validated scenario: the book of every good account, the errors of every bad item, the cash flows.</summary>
public sealed class LoadedScenario
{
    public required DateOnly AsOf { get; init; }

    public required AccountBook Book { get; init; }

    public required IReadOnlyList<PendingCashFlow> CashFlows { get; init; }

    public required IReadOnlyList<InputError> Errors { get; init; }

    public required int AccountsInInput { get; init; }
}

/// <summary>
/// Reads and validates a scenario. A malformed file stops everything (<see cref="ScenarioFormatException"/>); a bad
/// item (instrument, price, model, account, cash flow) becomes an <see cref="InputError"/> and only the accounts that
/// depend on it are left out: the good accounts still run.
/// </summary>
public static class ScenarioLoader
{
    /// <summary>The highest price accepted for one unit of an instrument.</summary>
    public const double MaxPrice = 1e9;

    /// <summary>The largest account value, cash balance or cash flow accepted: far above any real account, and low enough that every sum the engine forms stays exact.</summary>
    public const double MaxAmount = 1e15;

    public static LoadedScenario Load(string path)
    {
        var read = ScenarioReader.ReadFile(path);
        return Build(read.Document, path, read.Problems);
    }

    /// <summary>Validates a parsed document and lays the good accounts out into a book.</summary>
    /// <param name="read">What strict reading left out: its errors come first, and its accounts count as submitted.</param>
    public static LoadedScenario Build(ScenarioDocument document, string source = "scenario", ReadProblems? read = null) => Build(document, source, read, CancellationToken.None);

    /// <param name="stop">Stops a build whose result is no longer wanted (<see cref="OperationCanceledException"/>).</param>
    internal static LoadedScenario Build(ScenarioDocument document, string source, ReadProblems? read, CancellationToken stop)
    {
        read ??= ReadProblems.None;
        if (document.AsOf is not { } asOf)
        {
            throw new ScenarioFormatException($"{source}: 'asOf' (the valuation date, YYYY-MM-DD) is required");
        }
        var errors = new List<InputError>(read.Errors);
        var instruments = ValidInstruments(document.Instruments ?? [], errors);
        var table = new InstrumentTable(instruments.Values);
        var prices = ValidPrices(document.Prices ?? [], table, errors);
        var models = ValidModels(document.Models ?? [], table, errors);
        var modelList = models.Values.ToList();
        var modelIndex = modelList.Select((m, i) => (m.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);

        var accounts = document.Accounts ?? [];
        var builder = new BookBuilder(table, modelList, prices, accounts.Count);
        var submittedIds = new HashSet<string>(accounts.Count + read.UnreadAccounts.Count, StringComparer.Ordinal);
        var duplicateIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in accounts.Where(a => a?.Id is not null).Select(a => a.Id).Concat(read.UnreadAccounts.Keys))
        {
            if (!submittedIds.Add(id))
            {
                duplicateIds.Add(id);
            }
        }
        var scratch = new AccountScratch(table.Count);
        for (var i = 0; i < accounts.Count; i++)
        {
            if ((i & 4095) == 0)
            {
                stop.ThrowIfCancellationRequested();
            }
            AddAccount(accounts[i], i, asOf, builder, table, prices, modelIndex, duplicateIds, errors, scratch);
        }
        var book = builder.Build();

        var flows = new List<PendingCashFlow>();
        var flowList = document.CashFlows ?? [];
        for (var i = 0; i < flowList.Count; i++)
        {
            var flow = flowList[i];
            var subject = $"cashFlows[{i}]";
            if (flow is null || string.IsNullOrWhiteSpace(flow.AccountId))
            {
                errors.Add(new(subject, "accountId", "is required"));
                continue;
            }
            if (flow.Amount <= 0 || (double)flow.Amount > MaxAmount)
            {
                errors.Add(new(subject, "amount", string.Create(CultureInfo.InvariantCulture, $"must be positive (the kind gives the direction) and at most {MaxAmount:0e0}, got {flow.Amount}")));
                continue;
            }
            var account = book.FindAccount(flow.AccountId);
            if (account >= 0)
            {
                flows.Add(new PendingCashFlow(account, flow));
            }
            else if (!submittedIds.Contains(flow.AccountId))
            {
                errors.Add(new(subject, "accountId", $"unknown account '{TextLimit.Clip(flow.AccountId, 80)}'"));
            }
            // A flow for an account rejected above is not applied; that account's own error already explains why.
        }

        return new LoadedScenario { AsOf = asOf, Book = book, CashFlows = flows, Errors = errors, AccountsInInput = Math.Max(accounts.Count, read.AccountsInFile) };
    }

    private static Dictionary<string, Instrument> ValidInstruments(IReadOnlyList<Instrument> input, List<InputError> errors)
    {
        var valid = new Dictionary<string, Instrument>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < input.Count; i++)
        {
            var instrument = input[i];
            if (instrument is null || string.IsNullOrWhiteSpace(instrument.Id))
            {
                errors.Add(new($"instruments[{i}]", "id", "is required"));
                continue;
            }
            var subject = $"instrument {TextLimit.Clip(instrument.Id, 80)}";
            if (!seen.Add(instrument.Id))
            {
                valid.Remove(instrument.Id);
                errors.Add(new(subject, "id", "duplicate instrument id; every instrument with this id is rejected"));
                continue;
            }
            if (string.IsNullOrWhiteSpace(instrument.AssetClass))
            {
                errors.Add(new(subject, "assetClass", "is required"));
                continue;
            }
            if (instrument.LotSize <= 0)
            {
                errors.Add(new(subject, "lotSize", $"must be positive, got {instrument.LotSize}"));
                continue;
            }
            if (instrument.AverageDailyVolume is { } adv && AverageDailyVolumes.Problem(adv) is { } problem)
            {
                errors.Add(new(subject, "averageDailyVolume", problem));
                continue;
            }
            valid[instrument.Id] = instrument with { Symbol = string.IsNullOrWhiteSpace(instrument.Symbol) ? instrument.Id : instrument.Symbol };
        }
        return valid;
    }

    private static double[] ValidPrices(IReadOnlyList<Price> input, InstrumentTable table, List<InputError> errors)
    {
        var prices = new double[table.Count];
        Array.Fill(prices, double.NaN);
        var seen = new HashSet<int>();
        for (var i = 0; i < input.Count; i++)
        {
            var price = input[i];
            if (price is null || string.IsNullOrWhiteSpace(price.InstrumentId))
            {
                errors.Add(new($"prices[{i}]", "instrumentId", "is required"));
                continue;
            }
            var subject = $"price of {TextLimit.Clip(price.InstrumentId, 80)}";
            if (!table.TryGetIndex(price.InstrumentId, out var index))
            {
                errors.Add(new(subject, "instrumentId", "unknown or rejected instrument"));
                continue;
            }
            if (!seen.Add(index))
            {
                prices[index] = double.NaN;
                errors.Add(new(subject, "instrumentId", "more than one price given; the instrument has no usable price"));
                continue;
            }
            if (!double.IsFinite(price.Value) || price.Value <= 0 || price.Value > MaxPrice)
            {
                errors.Add(new(subject, "value", string.Create(CultureInfo.InvariantCulture, $"must be a positive number up to {MaxPrice:0e0}, got {price.Value}")));
                continue;
            }
            prices[index] = price.Value;
        }
        return prices;
    }

    private static Dictionary<string, TargetModel> ValidModels(IReadOnlyList<TargetModel> input, InstrumentTable table, List<InputError> errors)
    {
        var valid = new Dictionary<string, TargetModel>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < input.Count; i++)
        {
            var model = input[i];
            if (model is null || string.IsNullOrWhiteSpace(model.Id))
            {
                errors.Add(new($"models[{i}]", "id", "is required"));
                continue;
            }
            var subject = $"model {TextLimit.Clip(model.Id, 80)}";
            if (!seen.Add(model.Id))
            {
                valid.Remove(model.Id);
                errors.Add(new(subject, "id", "duplicate model id; every model with this id is rejected"));
                continue;
            }
            var problems = ModelProblems(model, table);
            if (problems.Count > 0)
            {
                errors.AddRange(problems.Select(p => new InputError(subject, p.Field, p.Message)));
                continue;
            }
            valid[model.Id] = model;
        }
        return valid;
    }

    /// <summary>Every reason a model cannot be used: bad weights, unknown instruments, sleeves that do not add up.</summary>
    public static List<(string Field, string Message)> ModelProblems(TargetModel model, InstrumentTable table)
    {
        var problems = new List<(string, string)>();
        if ((model.Targets?.Count ?? 0) + (model.Sleeves?.Count ?? 0) == 0)
        {
            problems.Add(("targets", "the model has no targets and no sleeves"));
            return problems;
        }
        void CheckWeights(IReadOnlyList<ModelWeight> weights, string field, string? assetClass)
        {
            for (var w = 0; w < weights.Count; w++)
            {
                var weight = weights[w];
                if (weight is null || !table.TryGetIndex(weight.InstrumentId ?? "", out var index))
                {
                    problems.Add(($"{field}[{w}].instrumentId", $"unknown or rejected instrument '{TextLimit.Clip(weight?.InstrumentId, 80)}'"));
                    continue;
                }
                if (!double.IsFinite(weight.Weight) || weight.Weight < 0 || weight.Weight > 1)
                {
                    problems.Add(($"{field}[{w}].weight", string.Create(CultureInfo.InvariantCulture, $"must be between 0 and 1, got {weight.Weight}")));
                }
                if (assetClass is not null && table[index].AssetClass != assetClass)
                {
                    problems.Add(($"{field}[{w}].instrumentId", $"{TextLimit.Clip(weight.InstrumentId, 80)} is {TextLimit.Clip(table[index].AssetClass, 80)}, not in the {TextLimit.Clip(assetClass, 80)} sleeve"));
                }
            }
        }
        CheckWeights(model.Targets ?? [], "targets", null);
        for (var s = 0; s < (model.Sleeves?.Count ?? 0); s++)
        {
            var sleeve = model.Sleeves![s];
            var members = sleeve?.Instruments ?? [];
            if (sleeve is null || !double.IsFinite(sleeve.Weight) || sleeve.Weight < 0 || sleeve.Weight > 1)
            {
                problems.Add(($"sleeves[{s}].weight", string.Create(CultureInfo.InvariantCulture, $"must be between 0 and 1, got {sleeve?.Weight}")));
            }
            CheckWeights(members, $"sleeves[{s}].instruments", sleeve?.AssetClass);
            var memberSum = members.Sum(m => m?.Weight ?? 0);
            if (!(Math.Abs(memberSum - 1) <= TargetModel.WeightSumTolerance))
            {
                problems.Add(($"sleeves[{s}].instruments", string.Create(CultureInfo.InvariantCulture, $"weights inside the sleeve must sum to 1, got {memberSum:R}")));
            }
        }
        if (problems.Count > 0)
        {
            return problems;
        }
        var resolved = model.ResolvedWeights();
        var total = resolved.Sum(w => w.Weight);
        if (!(Math.Abs(total - 1) <= TargetModel.WeightSumTolerance))
        {
            problems.Add(("weights", string.Create(CultureInfo.InvariantCulture, $"must sum to 1 within 1e-9, got {total:R}")));
        }
        var duplicate = resolved.GroupBy(w => w.InstrumentId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            problems.Add(("weights", $"instrument {TextLimit.Clip(duplicate.Key, 80)} appears more than once"));
        }
        return problems;
    }

    private static void AddAccount(
        Account? account,
        int position,
        DateOnly asOf,
        BookBuilder builder,
        InstrumentTable table,
        double[] prices,
        Dictionary<string, int> modelIndex,
        HashSet<string> duplicateIds,
        List<InputError> errors,
        AccountScratch scratch)
    {
        if (account is null || string.IsNullOrWhiteSpace(account.Id))
        {
            errors.Add(new($"accounts[{position}]", "id", "is required"));
            return;
        }
        var before = errors.Count;
        // The subject is made only for an error: a million good accounts need none.
        void Fail(string field, string message) => errors.Add(new($"account {TextLimit.Clip(account.Id, 80)}", field, message));

        if (duplicateIds.Contains(account.Id))
        {
            Fail("id", "duplicate account id; every account with this id is rejected");
            return;
        }
        var model = -1;
        if (string.IsNullOrWhiteSpace(account.ModelId) || !modelIndex.TryGetValue(account.ModelId, out model))
        {
            Fail("modelId", $"unknown or rejected model '{TextLimit.Clip(account.ModelId, 80)}'");
        }
        else
        {
            foreach (var weight in builder.ModelInstruments(model))
            {
                if (double.IsNaN(prices[weight]))
                {
                    Fail("modelId", $"model {TextLimit.Clip(account.ModelId, 80)} targets {TextLimit.Clip(table[weight].Id, 80)}, which has no valid price");
                }
            }
        }
        if (account.LastRebalanced is { } last && last > asOf)
        {
            Fail("lastRebalanced", $"{last:yyyy-MM-dd} is after the valuation date {asOf:yyyy-MM-dd}");
        }
        if (account.Cash < 0 || (double)account.Cash > MaxAmount)
        {
            Fail("cash", string.Create(CultureInfo.InvariantCulture, $"must be from 0 up to {MaxAmount:0e0}, got {account.Cash}"));
        }
        var policy = account.Policy;
        if (policy is null)
        {
            Fail("policy", "is required");
        }
        else
        {
            foreach (var (field, problem) in scratch.PolicyProblems(policy, table))
            {
                Fail(field, problem);
            }
        }

        var positions = account.Positions ?? [];
        var (held, quantities) = scratch.Positions(positions.Count);
        var stamp = scratch.NextAccount();
        var columns = positions as IPositionColumns;
        for (var p = 0; p < positions.Count; p++)
        {
            // Columns give the instrument's index in the table (a lookup per instrument of the file, not per position)
            // and its id only for an error. A missing position reads as one without an instrument: both are an unknown instrument ''.
            string? instrumentId = null;
            decimal quantity;
            if (columns is not null)
            {
                held[p] = columns.InstrumentIndex(p, table);
                quantity = columns.Quantity(p);
            }
            else
            {
                (instrumentId, quantity) = positions[p] is { } pos ? (pos.InstrumentId, pos.Quantity) : (null, 0m);
                held[p] = table.TryGetIndex(instrumentId ?? "", out var index) ? index : -1;
            }
            if (held[p] < 0)
            {
                Fail($"positions[{p}].instrumentId", $"unknown or rejected instrument '{InstrumentId(positions, p, instrumentId)}'");
                continue;
            }
            // The field is named only when something is wrong: a string per position would cost more than the checks.
            if (!scratch.FirstTime(held[p], stamp))
            {
                Fail($"positions[{p}].instrumentId", $"{InstrumentId(positions, p, instrumentId)} is listed twice");
            }
            if (quantity < 0)
            {
                Fail($"positions[{p}].quantity", $"{InstrumentId(positions, p, instrumentId)}: negative quantity {quantity} (short positions are not allowed)");
            }
            if (double.IsNaN(prices[held[p]]))
            {
                Fail($"positions[{p}].instrumentId", $"{InstrumentId(positions, p, instrumentId)} has no valid price");
            }
            quantities[p] = (double)quantity;
        }
        if (errors.Count > before)
        {
            return;
        }
        var value = (double)account.Cash;
        for (var p = 0; p < positions.Count; p++)
        {
            value += quantities[p] * prices[held[p]];
        }
        if (!(value <= MaxAmount))
        {
            Fail("positions", string.Create(CultureInfo.InvariantCulture, $"the account's value {value:0.###e0} is above the limit of {MaxAmount:0e0}; check the quantities and prices"));
            return;
        }
        var refused = builder.TryAddAccount(account.Id, account.HouseholdId ?? account.Id, model, (double)account.Cash, policy!, account.LastRebalanced, held.AsSpan(0, positions.Count), quantities.AsSpan(0, positions.Count));
        if (refused is not null)
        {
            Fail("account", refused);
        }
    }

    /// <summary>A position's instrument id as an error names it: <paramref name="id"/> as read, else the columns' (which are read without it).</summary>
    private static string InstrumentId(IReadOnlyList<Position> positions, int p, string? id) =>
        TextLimit.Clip(id ?? (positions as IPositionColumns)?.InstrumentId(p), 80);
}

/// <summary>
/// Positions held as columns (a firm folder's rows), which the loader reads value by value instead of making a
/// <see cref="Position"/> of each: twenty million short-lived objects for a million accounts.
/// </summary>
internal interface IPositionColumns
{
    string InstrumentId(int index);

    /// <summary>The instrument's index in <paramref name="table"/>, or -1 when the table does not have it.</summary>
    int InstrumentIndex(int index, InstrumentTable table);

    decimal Quantity(int index);
}

/// <summary>
/// What validating one account after another reuses, so a million accounts cost no allocation each: the position
/// buffers, a per-instrument stamp that finds an instrument listed twice, and each policy object's problems (a firm's
/// accounts share their named policies).
/// </summary>
internal sealed class AccountScratch(int instruments)
{
    private readonly int[] seenBy = new int[instruments];
    private readonly Dictionary<InvestmentPolicy, List<(string Field, string Problem)>> policyProblems = new(ReferenceEqualityComparer.Instance);
    private int[] held = new int[64];
    private double[] quantities = new double[64];
    private int stamp;

    /// <summary>Buffers for the next account's positions, at least <paramref name="count"/> long.</summary>
    public (int[] Held, double[] Quantities) Positions(int count)
    {
        if (held.Length < count)
        {
            held = new int[count];
            quantities = new double[count];
        }
        return (held, quantities);
    }

    /// <summary>A new stamp for <see cref="FirstTime"/>: every instrument counts as unseen again.</summary>
    public int NextAccount() => ++stamp;

    /// <summary>Whether the account whose stamp this is meets the instrument for the first time.</summary>
    public bool FirstTime(int instrument, int accountStamp)
    {
        if (seenBy[instrument] == accountStamp)
        {
            return false;
        }
        seenBy[instrument] = accountStamp;
        return true;
    }

    public List<(string Field, string Problem)> PolicyProblems(InvestmentPolicy policy, InstrumentTable table)
    {
        if (!policyProblems.TryGetValue(policy, out var problems))
        {
            policyProblems[policy] = problems = PolicyValidation.Problems(policy, table);
        }
        return problems;
    }
}
