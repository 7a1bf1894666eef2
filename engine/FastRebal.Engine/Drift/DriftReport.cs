using FastRebal.Engine.State;

namespace FastRebal.Engine.Drift;

/// <summary>
/// What a drift sweep found, in arrays parallel to the book: per slot the drift (current weight minus target), per
/// account the figures the decision stage needs. Preallocate one per book and reuse it: a sweep allocates nothing.
/// </summary>
/// <remarks>
/// Weights are measured against the account's investable value: total value (positions + cash) less its cash
/// reserve. Cash above the reserve therefore shows up as underweight positions, which is what should trigger
/// investing it.
/// </remarks>
public sealed class DriftReport
{
    public DriftReport(AccountBook book)
        : this(book.AccountCount, book.SlotCount)
    {
    }

    public DriftReport(int accounts, int slots)
    {
        Drift = new double[slots];
        TotalValue = new double[accounts];
        InvestableValue = new double[accounts];
        MaxAbsDrift = new double[accounts];
        MaxRelativeDrift = new double[accounts];
        TotalDrift = new double[accounts];
        MaxExcess = new double[accounts];
    }

    /// <summary>Per slot: weight minus target weight.</summary>
    public double[] Drift { get; }

    /// <summary>Per account: cash plus positions at their marks.</summary>
    public double[] TotalValue { get; }

    /// <summary>Per account: total value less the cash reserve; the denominator of every weight. Zero or less means nothing to invest.</summary>
    public double[] InvestableValue { get; }

    /// <summary>Per account: the largest |drift| of any position.</summary>
    public double[] MaxAbsDrift { get; }

    /// <summary>Per account: the largest |drift| / target among positions with a target.</summary>
    public double[] MaxRelativeDrift { get; }

    /// <summary>Per account: sum of |drift| / 2, the share of the account that would have to move to reach the target.</summary>
    public double[] TotalDrift { get; }

    /// <summary>Per account: the largest (|drift| − band tolerance) over positions; above zero means the band is breached.</summary>
    public double[] MaxExcess { get; }

    public bool HasInvestableValue(int account) => InvestableValue[account] > 0;

    /// <summary>Whether any position of the account is outside its band.</summary>
    public bool Breaches(int account) => HasInvestableValue(account) && MaxExcess[account] > 0;
}
