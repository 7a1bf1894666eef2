using FastRebal.Engine.Model;

namespace FastRebal.Engine.State;

/// <summary>
/// Lays accounts out into an <see cref="AccountBook"/>. It resolves each account's effective targets once, at build
/// time: the model's weights, with instruments restricted for the account (firm-wide or by its IPS) set to zero
/// and their weight spread pro rata over the rest of the model, so the sweep and the trades agree on the target.
/// </summary>
public sealed class BookBuilder
{
    private readonly InstrumentTable instruments;
    private readonly IReadOnlyList<TargetModel> models;
    private readonly double[] prices;
    private readonly (int[] Instrument, double[] Weight)[] resolvedModels;

    private readonly List<int> slotStart = [0];
    // The slot columns grow in blocks and are copied into the book once: a List would copy a few hundred megabytes as it doubles and again to hand over its array.
    private readonly BlockColumn<double> quantity = new();
    private readonly BlockColumn<double> target = new();
    private readonly BlockColumn<int> instrumentIndex = new();
    private readonly List<double> cash;
    private readonly List<double> reserveAmount;
    private readonly List<double> reservePercent;
    private readonly List<double> bandWidth;
    private readonly List<bool> relativeBand;
    private readonly List<string> accountIds;
    private readonly List<string> householdIds;
    private readonly List<int> modelIndex;
    private readonly List<InvestmentPolicy> policies;
    private readonly List<DateOnly?> lastRebalanced;
    private readonly Dictionary<string, int> accountIndexById;
    private bool built;

    // Where each instrument sits among the slots of the account being added, valid where its stamp is the account's.
    private readonly int[] slotOfInstrument;
    private readonly int[] slotStamp;
    private int stamp;

    /// <param name="instruments">The instruments every account refers to by index.</param>
    /// <param name="models">Valid models (weights already checked); accounts refer to them by index.</param>
    /// <param name="prices">One price per instrument (NaN where none is known).</param>
    /// <param name="accountCapacity">Expected accounts, to size the arrays once.</param>
    public BookBuilder(InstrumentTable instruments, IReadOnlyList<TargetModel> models, ReadOnlySpan<double> prices, int accountCapacity = 0)
    {
        if (prices.Length != instruments.Count)
        {
            throw new ArgumentException($"expected {instruments.Count} prices, got {prices.Length}", nameof(prices));
        }
        this.instruments = instruments;
        this.models = models;
        this.prices = prices.ToArray();
        slotOfInstrument = new int[instruments.Count];
        slotStamp = new int[instruments.Count];
        resolvedModels = new (int[], double[])[models.Count];
        for (var m = 0; m < models.Count; m++)
        {
            var weights = models[m].ResolvedWeights();
            resolvedModels[m] = ([.. weights.Select(w => instruments.IndexOf(w.InstrumentId))], [.. weights.Select(w => w.Weight)]);
        }

        cash = new(accountCapacity);
        reserveAmount = new(accountCapacity);
        reservePercent = new(accountCapacity);
        bandWidth = new(accountCapacity);
        relativeBand = new(accountCapacity);
        accountIds = new(accountCapacity);
        householdIds = new(accountCapacity);
        modelIndex = new(accountCapacity);
        policies = new(accountCapacity);
        lastRebalanced = new(accountCapacity);
        accountIndexById = new(accountCapacity, StringComparer.Ordinal);
    }

    public int AccountCount => accountIds.Count;

    /// <summary>The instrument indices a model targets.</summary>
    public ReadOnlySpan<int> ModelInstruments(int model) => resolvedModels[model].Instrument;

    /// <summary>
    /// Adds one account, or returns why it cannot be added (and adds nothing). Holdings are given as parallel spans
    /// of instrument index and quantity.
    /// </summary>
    public string? TryAddAccount(
        string id,
        string householdId,
        int model,
        double accountCash,
        InvestmentPolicy policy,
        DateOnly? lastRebalancedOn,
        ReadOnlySpan<int> heldInstruments,
        ReadOnlySpan<double> heldQuantities)
    {
        if (built)
        {
            throw new InvalidOperationException("the book is built; a builder makes one book");
        }
        if (accountIndexById.ContainsKey(id))
        {
            return $"duplicate account id '{id}'";
        }
        if ((uint)model >= (uint)resolvedModels.Length)
        {
            return $"model index {model} is not in the book";
        }
        if (heldInstruments.Length != heldQuantities.Length)
        {
            return "holdings: instrument and quantity counts differ";
        }

        var (modelInstruments, modelWeights) = resolvedModels[model];
        var scale = RestrictionScale(instruments, modelInstruments, modelWeights, policy);
        if (scale is null)
        {
            return $"every instrument of model '{models[model].Id}' is restricted for this account";
        }

        var firstSlot = instrumentIndex.Count;
        stamp++;
        for (var i = 0; i < modelInstruments.Length; i++)
        {
            Place(modelInstruments[i], instrumentIndex.Count);
            instrumentIndex.Add(modelInstruments[i]);
            target.Add(IsRestricted(instruments, modelInstruments[i], policy) ? 0 : modelWeights[i] * scale.Value);
            quantity.Add(0);
        }
        for (var h = 0; h < heldInstruments.Length; h++)
        {
            var slot = slotStamp[heldInstruments[h]] == stamp ? slotOfInstrument[heldInstruments[h]] : -1;
            if (slot >= modelInstruments.Length + firstSlot || (slot >= 0 && quantity[slot] != 0))
            {
                RollBack(firstSlot);
                return $"instrument '{instruments[heldInstruments[h]].Id}' is held twice";
            }
            if (slot < 0)
            {
                Place(heldInstruments[h], instrumentIndex.Count);
                instrumentIndex.Add(heldInstruments[h]);
                target.Add(0);
                quantity.Add(heldQuantities[h]);
            }
            else
            {
                quantity[slot] = heldQuantities[h];
            }
        }

        slotStart.Add(instrumentIndex.Count);
        cash.Add(accountCash);
        reserveAmount.Add((double)policy.CashReserveAmount);
        reservePercent.Add(policy.CashReservePercent);
        bandWidth.Add(policy.BandWidth);
        relativeBand.Add(policy.BandType == BandType.Relative);
        accountIndexById.Add(id, accountIds.Count);
        accountIds.Add(id);
        householdIds.Add(householdId);
        modelIndex.Add(model);
        policies.Add(policy);
        lastRebalanced.Add(lastRebalancedOn);
        return null;
    }

    /// <summary>Notes the first slot of the account being added that holds an instrument.</summary>
    private void Place(int instrument, int slot)
    {
        if (slotStamp[instrument] != stamp)
        {
            (slotStamp[instrument], slotOfInstrument[instrument]) = (stamp, slot);
        }
    }

    private void RollBack(int firstSlot)
    {
        instrumentIndex.Truncate(firstSlot);
        target.Truncate(firstSlot);
        quantity.Truncate(firstSlot);
    }

    private static bool IsRestricted(InstrumentTable instruments, int instrument, InvestmentPolicy policy) =>
        instruments[instrument].Restricted
        || (policy.RestrictedInstruments is { } list && list.Contains(instruments[instrument].Id, StringComparer.Ordinal));

    /// <summary>What the model's unrestricted weights are scaled by, so they add up to the whole; null when the policy restricts every instrument.</summary>
    private static double? RestrictionScale(InstrumentTable instruments, ReadOnlySpan<int> modelInstruments, ReadOnlySpan<double> modelWeights, InvestmentPolicy policy)
    {
        var restrictedWeight = 0.0;
        for (var i = 0; i < modelInstruments.Length; i++)
        {
            if (IsRestricted(instruments, modelInstruments[i], policy))
            {
                restrictedWeight += modelWeights[i];
            }
        }
        return restrictedWeight >= 1 - TargetModel.WeightSumTolerance ? null : 1 / (1 - restrictedWeight);
    }

    /// <summary>
    /// Each of a model's weights as an account's target: restricted instruments (firm-wide or by its policy) at zero and
    /// their weight spread pro rata over the rest; null when the policy restricts every instrument.
    /// </summary>
    internal static double[]? RestrictedTargets(InstrumentTable instruments, int[] modelInstruments, double[] modelWeights, InvestmentPolicy policy)
    {
        if (RestrictionScale(instruments, modelInstruments, modelWeights, policy) is not { } scale)
        {
            return null;
        }
        var targets = new double[modelInstruments.Length];
        for (var i = 0; i < targets.Length; i++)
        {
            targets[i] = IsRestricted(instruments, modelInstruments[i], policy) ? 0 : modelWeights[i] * scale;
        }
        return targets;
    }

    /// <summary>The book of every account added; the builder is finished after (it hands its id index to the book).</summary>
    public AccountBook Build()
    {
        if (built)
        {
            throw new InvalidOperationException("the book is built; a builder makes one book");
        }
        double[] quantities = [], targets = [], inverse = [];
        int[] indices = [];
        // The slot columns are copied out on every core: a million accounts' book copies and first touches over a gigabyte here.
        Parallel.Invoke(
            () => quantities = quantity.ToArray(),
            () => indices = instrumentIndex.ToArray(),
            () =>
            {
                targets = target.ToArray();
                inverse = new double[targets.Length];
                for (var s = 0; s < targets.Length; s++)
                {
                    inverse[s] = targets[s] > 0 ? 1 / targets[s] : 0;
                }
            });
        var columns = new BookColumns
        {
            SlotStart = [.. slotStart],
            Quantity = quantities,
            Mark = new double[quantity.Count],
            Target = targets,
            InverseTarget = inverse,
            InstrumentIndex = indices,
            Cash = [.. cash],
            ReserveAmount = [.. reserveAmount],
            ReservePercent = [.. reservePercent],
            BandWidth = [.. bandWidth],
            RelativeBand = [.. relativeBand],
            AccountIds = [.. accountIds],
            HouseholdIds = [.. householdIds],
            ModelIndex = [.. modelIndex],
            Policies = [.. policies],
            LastRebalanced = [.. lastRebalanced],
            // Handed over, not copied (a million ids would be hashed again): the builder is finished.
            AccountIndexById = accountIndexById,
        };
        built = true;
        var book = new AccountBook(instruments, models, (double[])prices.Clone(), columns);
        book.RefreshMarks(parallel: true);
        return book;
    }
}
