using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Backtest;

/// <summary>
/// Taxes in a backtest: the taxable accounts keep lots (their starting holdings bought on the first day), sell by
/// their lot method within their gains budget, go through the household wash-sale ledger and harvest losses into
/// substitutes, exactly as the live engine does. Net realized gains are taxed each year at the account's short- and
/// long-term rates (a net loss carries forward) and the tax is paid out of the account on the first trading day of
/// the next year.
/// </summary>
/// <param name="Settings">The settings of every taxable account, unless <paramref name="PerAccount"/> names it.</param>
/// <param name="Relations">Substitutes a harvest may buy (each must be an instrument of the backtest).</param>
/// <param name="PerAccount">A firm's own settings by account id.</param>
public sealed record BacktestTax(AccountTaxSettings Settings, InstrumentRelations? Relations = null, IReadOnlyDictionary<string, AccountTaxSettings>? PerAccount = null)
{
    /// <summary>The settings of one account.</summary>
    public AccountTaxSettings For(string accountId) => PerAccount?.GetValueOrDefault(accountId) ?? Settings;

    /// <summary>
    /// The year's tax on realized gains after the losses carried in: losses net against short-term gains first, then
    /// long-term; what is still a loss carries to the next year.
    /// </summary>
    public static (double Tax, double CarryForward) YearTax(double shortTerm, double longTerm, double carriedLoss, double shortRate, double longRate)
    {
        var st = shortTerm;
        var lt = longTerm;
        var loss = carriedLoss;
        // Within the year a net loss of one term offsets the other term's gain.
        if (st < 0)
        {
            (loss, st) = (loss - st, 0);
        }
        if (lt < 0)
        {
            (loss, lt) = (loss - lt, 0);
        }
        var fromShort = Math.Min(st, loss);
        (st, loss) = (st - fromShort, loss - fromShort);
        var fromLong = Math.Min(lt, loss);
        (lt, loss) = (lt - fromLong, loss - fromLong);
        return ((st * shortRate) + (lt * longRate), loss);
    }
}
