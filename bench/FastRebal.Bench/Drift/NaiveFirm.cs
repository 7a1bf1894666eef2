using FastRebal.Engine.State;

namespace FastRebal.Bench.Drift;

/// <summary>
/// The comparison point for the SoA sweep: the same figures computed over an object graph (an account object
/// holding a list of position objects that point at instrument objects), as straightforward C# would model it.
/// </summary>
public sealed class NaiveFirm
{
    private sealed class NaiveInstrument
    {
        public double Price;
    }

    private sealed class NaivePosition
    {
        public required NaiveInstrument Instrument;
        public double Quantity;
        public double Target;
        public double Drift;
    }

    private sealed class NaiveAccount
    {
        public List<NaivePosition> Positions = [];
        public double Cash;
        public double ReserveAmount;
        public double ReservePercent;
        public double Band;
        public bool Relative;
        public double MaxAbsDrift;
        public double TotalDrift;
        public bool Breach;
    }

    private readonly List<NaiveAccount> accounts = [];

    public static NaiveFirm From(AccountBook book)
    {
        var firm = new NaiveFirm();
        var instruments = Enumerable.Range(0, book.Instruments.Count).Select(i => new NaiveInstrument { Price = book.Prices[i] }).ToArray();
        for (var a = 0; a < book.AccountCount; a++)
        {
            var account = new NaiveAccount
            {
                Cash = book.Cash[a],
                ReserveAmount = book.ReserveAmounts[a],
                ReservePercent = book.ReservePercents[a],
                Band = book.BandWidths[a],
                Relative = book.RelativeBands[a],
            };
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                account.Positions.Add(new NaivePosition { Instrument = instruments[book.InstrumentIndices[s]], Quantity = book.Quantities[s], Target = book.Targets[s] });
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
            var total = account.Cash;
            foreach (var position in account.Positions)
            {
                total += position.Quantity * position.Instrument.Price;
            }
            var investable = total - (account.ReserveAmount + (account.ReservePercent * total));
            double maxAbs = 0, sum = 0;
            var breach = false;
            foreach (var position in account.Positions)
            {
                position.Drift = (position.Quantity * position.Instrument.Price / investable) - position.Target;
                var abs = Math.Abs(position.Drift);
                maxAbs = Math.Max(maxAbs, abs);
                sum += abs;
                breach |= abs > (account.Relative ? account.Band * position.Target : account.Band);
            }
            account.MaxAbsDrift = maxAbs;
            account.TotalDrift = sum / 2;
            account.Breach = breach;
            breaches += breach ? 1 : 0;
        }
        return breaches;
    }
}
