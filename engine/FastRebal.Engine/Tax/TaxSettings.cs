namespace FastRebal.Engine.Tax;

/// <summary>When a lot's loss is worth harvesting, and what happens around it.</summary>
public sealed record HarvestSettings
{
    public bool Enabled { get; init; }

    /// <summary>A lot is harvested when its unrealized loss is at least this fraction of its basis (0.05 = 5%)...</summary>
    public double MinLossPercent { get; init; } = 0.05;

    /// <summary>...and at least this amount of money.</summary>
    public decimal MinLossAmount { get; init; } = 100m;

    /// <summary>A harvest whose loss exceeds this waits for an operator (null: never).</summary>
    public decimal? ApprovalAbove { get; init; }

    /// <summary>After the wash-sale window, a substitute held in place of a model instrument is swapped back.</summary>
    public bool SwapBack { get; init; }

    /// <summary>A swap back is made only when selling the substitute realizes at most this net gain.</summary>
    public decimal SwapBackMaxGain { get; init; }

    /// <summary>When the live engine scans the account: at the opening of every trading day, or of the first trading day of each week, month or quarter.</summary>
    public HarvestSchedule Schedule { get; init; } = HarvestSchedule.Daily;
}

/// <summary>How often the live engine runs an account's harvest scan (a one-shot <c>harvest</c> run scans when it is run).</summary>
public enum HarvestSchedule
{
    Daily,
    Weekly,
    Monthly,
    Quarterly,
}

/// <summary>
/// The tax side of an account's IPS. Read from the same <c>policy</c> object of a scenario as the rest of the
/// IPS; every field is optional and the defaults change nothing for accounts that do not use them.
/// </summary>
public sealed record AccountTaxSettings
{
    public LotMethod LotMethod { get; init; } = LotMethod.Fifo;

    /// <summary>For <see cref="LotMethod.SpecificLots"/>: per instrument, the lot ids to sell, in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? SpecificLots { get; init; }

    /// <summary>Net realized gain a rebalance may realize at most (null: no cap). Withdrawals are not capped.</summary>
    public decimal? GainsBudget { get; init; }

    /// <summary>Short-term lots with a gain that turn long-term within this many days are not sold by a rebalance (0: off).</summary>
    public int DeferLongTermWithinDays { get; init; }

    public HarvestSettings Harvest { get; init; } = new();

    /// <summary>Marginal rates used to estimate the tax a harvested loss saves.</summary>
    public decimal ShortTermTaxRate { get; init; } = 0.37m;

    public decimal LongTermTaxRate { get; init; } = 0.20m;

    /// <summary>Rebalance with cash only: invest what cash is above the reserve into the most underweight positions and sell nothing (a withdrawal still sells).</summary>
    public bool CashOnly { get; init; }

    public static AccountTaxSettings Default { get; } = new();
}
