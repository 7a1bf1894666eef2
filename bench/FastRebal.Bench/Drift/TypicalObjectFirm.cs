using FastRebal.Engine.State;

namespace FastRebal.Bench.Drift;

/// <summary>
/// The comparison point the way a typical business application models a book: position objects carrying a symbol
/// and decimal quantities, prices in a dictionary keyed by symbol, money in decimal throughout, LINQ for the sums.
/// This is the design FastRebal's sweep replaces; <see cref="NaiveFirm"/> is the leaner object version.
/// </summary>
public sealed class TypicalObjectFirm
{
    private sealed record Position(string Symbol, decimal Quantity, decimal TargetWeight)
    {
        public decimal Drift { get; set; }
    }

    private sealed class Account
    {
        public List<Position> Positions { get; } = [];
        public decimal Cash { get; init; }
        public decimal ReserveAmount { get; init; }
        public decimal ReservePercent { get; init; }
        public decimal Band { get; init; }
        public bool Relative { get; init; }
        public decimal MaxAbsDrift { get; set; }
        public decimal TotalDrift { get; set; }
        public bool Breach { get; set; }
    }

    private readonly List<Account> accounts = [];
    private readonly Dictionary<string, decimal> prices = [];

    public static TypicalObjectFirm From(AccountBook book)
    {
        var firm = new TypicalObjectFirm();
        for (var i = 0; i < book.Instruments.Count; i++)
        {
            firm.prices[book.Instruments[i].Id] = (decimal)book.Prices[i];
        }
        for (var a = 0; a < book.AccountCount; a++)
        {
            var account = new Account
            {
                Cash = (decimal)book.Cash[a],
                ReserveAmount = (decimal)book.ReserveAmounts[a],
                ReservePercent = (decimal)book.ReservePercents[a],
                Band = (decimal)book.BandWidths[a],
                Relative = book.RelativeBands[a],
            };
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                account.Positions.Add(new Position(book.Instruments[book.InstrumentIndices[s]].Id, (decimal)book.Quantities[s], (decimal)book.Targets[s]));
            }
            firm.accounts.Add(account);
        }
        return firm;
    }

    /// <summary>Returns the number of accounts in breach.</summary>
    public int Sweep()
    {
        var breaches = 0;
        foreach (var account in accounts)
        {
            var total = account.Cash + account.Positions.Sum(p => p.Quantity * prices[p.Symbol]);
            var investable = total - (account.ReserveAmount + (account.ReservePercent * total));
            foreach (var position in account.Positions)
            {
                position.Drift = (position.Quantity * prices[position.Symbol] / investable) - position.TargetWeight;
            }
            account.MaxAbsDrift = account.Positions.Max(p => Math.Abs(p.Drift));
            account.TotalDrift = account.Positions.Sum(p => Math.Abs(p.Drift)) / 2;
            account.Breach = account.Positions.Any(p => Math.Abs(p.Drift) > (account.Relative ? account.Band * p.TargetWeight : account.Band));
            breaches += account.Breach ? 1 : 0;
        }
        return breaches;
    }
}
