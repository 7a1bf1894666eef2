using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Risk;

namespace FastRebal.Engine.Pipeline;

/// <summary>The risk gate as the evaluation stage uses it: drift goes to the breakers, a plan is checked whole.</summary>
/// <param name="gate">The risk gate.</param>
/// <param name="referenceIndex">The instrument the market-wide breaker watches (e.g. SPY), or -1 for none.</param>
public sealed class RiskPlanGate(RiskGate gate, int referenceIndex) : IPlanGate
{
    private OrderCandidate[] candidates = new OrderCandidate[64];
    private double lastIndexLevel = double.NaN;
    private DateOnly indexDay;

    public RiskGate Gate { get; } = gate;

    public void ObserveDrift(int account, int model, double totalDrift, DateOnly day) => Gate.Accounts.Observe(account, totalDrift, day);

    public void ObserveDrifts(int firstAccount, ReadOnlySpan<double> totalDrift, DateOnly day) => Gate.Accounts.ObserveRange(firstAccount, totalDrift, day);

    public void ObserveModelDrift(int model, double meanTotalDrift, DateOnly day) => Gate.Models.Observe(model, meanTotalDrift, day);

    public void FillsApplied(int account, int model)
    {
        Gate.Accounts.Rebase(account);
        Gate.Models.Rebase(model);
    }

    public void ObservePrice(int instrument, double price, DateOnly day)
    {
        if (instrument != referenceIndex)
        {
            return;
        }
        if (day != indexDay && lastIndexLevel > 0)
        {
            // The last level seen before the day changed is the previous close the breaker measures the fall from.
            Gate.Market.StartDay(day, lastIndexLevel);
        }
        indexDay = day;
        Gate.Market.Observe(price, day);
        lastIndexLevel = price;
    }

    public void InstrumentSplit(int instrument, double ratio)
    {
        if (instrument != referenceIndex)
        {
            return;
        }
        lastIndexLevel /= ratio;
        Gate.Market.Rescale(1 / ratio);
    }

    /// <summary>The previous-close tracking of the reference index, for a checkpoint.</summary>
    internal (double LastIndexLevel, int IndexDay) Capture() => (lastIndexLevel, indexDay.DayNumber);

    internal void Restore(double lastLevel, int day)
    {
        lastIndexLevel = lastLevel;
        indexDay = DateOnly.FromDayNumber(day);
    }

    public bool Release(BreakerKind kind, int index, string who, string why)
    {
        switch (kind)
        {
            case BreakerKind.Account:
                return Gate.Accounts.Release(index, who, why);
            case BreakerKind.Model:
                return Gate.Models.Release(index, who, why);
            default:
                if (!Gate.Market.IsHalted)
                {
                    return false;
                }
                Gate.Market.Release(who, why);
                return true;
        }
    }

    public bool IsHalted(int account, int model) => Gate.Accounts.IsHalted(account) || Gate.Models.IsHalted(model);

    public string? Check(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime)
    {
        var verdict = Gate.CheckAll(Candidates(account, model, trades, sequence), marketTime);
        return verdict.IsAccepted ? null : verdict.Describe();
    }

    public string? Preview(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence, long marketTime)
    {
        var verdict = Gate.Preview(Candidates(account, model, trades, sequence), marketTime);
        return verdict.IsAccepted ? null : verdict.Describe();
    }

    private ReadOnlySpan<OrderCandidate> Candidates(int account, int model, IReadOnlyList<(int Instrument, Trade Trade)> trades, long sequence)
    {
        if (candidates.Length < trades.Count)
        {
            candidates = new OrderCandidate[trades.Count * 2];
        }
        for (var i = 0; i < trades.Count; i++)
        {
            var (instrument, trade) = trades[i];
            candidates[i] = new OrderCandidate(account, model, instrument, trade.Side, trade.Quantity, trade.Price, sequence);
        }
        return candidates.AsSpan(0, trades.Count);
    }
}

/// <summary>
/// Price verification as the risk gate's reference prices: the verified prices and freezes as they stood when the
/// batch being decided was journaled, copied once per batch.
/// </summary>
/// <remarks>
/// The ingest thread verifies ahead of evaluation. Read live, the gate would meet prices and freezes the journal
/// holds after the batch (tomorrow's open, at a day's end), while a recovery replays the verifier's changes in
/// journal order and would let through what the live engine refused: the two would trade differently. So the ingest
/// changes the verifier and journals the change as one step under <see cref="JournalOrder"/>, and the evaluation
/// journals a batch and copies the verifier (<see cref="Take"/>) under the same lock; a replay copies it at the same
/// place in the journal.
/// </remarks>
public sealed class JournaledReferencePrices : IReferencePrices
{
    private readonly PriceVerifier verifier;
    private readonly double[] price;
    private readonly bool[] frozen;

    public JournaledReferencePrices(PriceVerifier verifier)
    {
        this.verifier = verifier;
        price = new double[verifier.InstrumentCount];
        frozen = new bool[verifier.InstrumentCount];
        Take();
    }

    /// <summary>Held while the verifier changes and the change is journaled, and while a batch is journaled and <see cref="Take"/> runs.</summary>
    internal object JournalOrder { get; } = new();

    /// <summary>Copies the verifier's prices and freezes as they stand (the caller holds <see cref="JournalOrder"/>, or is replaying).</summary>
    internal void Take()
    {
        verifier.VerifiedPrices.CopyTo(price);
        for (var i = 0; i < frozen.Length; i++)
        {
            frozen[i] = verifier.IsFrozen(i);
        }
    }

    public double VerifiedPrice(int instrument) => price[instrument];

    public bool IsFrozen(int instrument) => frozen[instrument];
}
