using System.Globalization;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Pipeline;

// Corporate actions: a split of an instrument, or a change of its ticker, for every account of the book at once.
public sealed partial class EvaluationStage
{
    /// <summary>The largest split ratio taken, either way (1000-for-1, or 1-for-1000).</summary>
    public const decimal MaxSplitRatio = 1000m;

    /// <summary>Decimals a split's new quantities are rounded to: finer than any custodian holds, coarser than a ratio's own rounding.</summary>
    public const int ShareDecimals = 8;

    /// <summary>The longest ticker taken.</summary>
    public const int MaxSymbolLength = 32;

    /// <summary>
    /// Splits that wait for trades in flight, by instrument, as journaled (kept in the checkpoint): an account that
    /// holds or targets the instrument trades nothing new meanwhile, and the split applies in the first batch that
    /// finds none of them with a trade in flight.
    /// </summary>
    private readonly SortedDictionary<int, JournaledCommand> splitting = [];

    /// <summary>
    /// The corporate actions applied while running, in order (kept in the checkpoint). A restart builds the instrument
    /// table from the firm's files again: its tickers and split factors are put back from these.
    /// </summary>
    private readonly List<JournaledCommand> corporateActions = [];

    /// <summary>Whether the account holds or targets an instrument whose split waits for trades in flight.</summary>
    private bool WaitsForSplit(int a)
    {
        foreach (var instrument in splitting.Keys)
        {
            if (book.SlotOf(a, instrument) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Why a split ratio cannot be taken, or null when it can.</summary>
    public static string? SplitRatioProblem(decimal ratio) => ratio <= 0 || ratio == 1 || ratio > MaxSplitRatio || ratio < 1 / MaxSplitRatio
        ? string.Create(CultureInfo.InvariantCulture, $"a split ratio is the new shares per old share, other than 1, between {1 / MaxSplitRatio} and {MaxSplitRatio} (2 for 2-for-1, 0.1 for 1-for-10); got {ratio}")
        : null;

    /// <summary>Why a ticker cannot be taken, or null when it can.</summary>
    public static string? SymbolProblem(string? symbol) =>
        string.IsNullOrWhiteSpace(symbol) ? "a symbol change needs the new ticker"
        : symbol.Length > MaxSymbolLength ? $"a ticker is at most {MaxSymbolLength} characters, got {symbol.Length}"
        : symbol.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == ',') ? $"a ticker has no spaces, commas or control characters, got '{Scenarios.TextLimit.Clip(symbol, 40)}'"
        : null;

    private CommandResult ApplySymbolChange(JournaledCommand command)
    {
        if (!book.Instruments.TryGetIndex(command.Target ?? "", out var i))
        {
            return CommandResult.Refused($"symbol change: unknown instrument '{Scenarios.TextLimit.Clip(command.Target, 80)}'");
        }
        var was = book.Instruments[i].Symbol;
        if (SymbolProblem(command.Symbol) is { } problem)
        {
            return CommandResult.Refused($"symbol change of {command.Target}: {problem}");
        }
        if (command.Symbol == was)
        {
            return CommandResult.Refused($"symbol change of {command.Target}: it trades as {was} already");
        }
        if (book.Instruments.FindSymbol(command.Symbol!) is var other and >= 0)
        {
            return CommandResult.Refused($"symbol change of {command.Target}: {command.Symbol} is the ticker of instrument {book.Instruments[other].Id}");
        }
        book.Instruments.ChangeSymbol(i, command.Symbol!);
        corporateActions.Add(command);
        return CommandResult.Ok($"{command.Target} trades as {command.Symbol} (was {was}) from {day:yyyy-MM-dd}; its positions, lots and targets are unchanged");
    }

    private CommandResult ApplySplit(JournaledCommand command)
    {
        if (!book.Instruments.TryGetIndex(command.Target ?? "", out var i))
        {
            return CommandResult.Refused($"split: unknown instrument '{Scenarios.TextLimit.Clip(command.Target, 80)}'");
        }
        if (SplitRatioProblem(command.Amount) is { } problem)
        {
            return CommandResult.Refused($"split of {command.Target}: {problem}");
        }
        if (splitting.ContainsKey(i))
        {
            return CommandResult.Refused($"split of {command.Target}: another split of it waits for trades in flight");
        }
        var busy = AccountsInFlight(i);
        if (busy > 0)
        {
            // A fill of an order sent before the split comes in old shares at the old price: the split waits for them.
            splitting[i] = command;
            return CommandResult.Ok($"{busy} account(s) holding or targeting {command.Target} have trades in flight: the split applies once they are done, and those accounts trade nothing new meanwhile");
        }
        return Split(i, command);
    }

    /// <summary>How many accounts that hold or target the instrument have trades in flight.</summary>
    private int AccountsInFlight(int instrument)
    {
        var count = 0;
        foreach (var a in holdings.AccountsOf(instrument))
        {
            count += openTrades[a] > 0 ? 1 : 0;
        }
        return count;
    }

    /// <summary>Applies the splits that waited for trades in flight and find none left; each is audited.</summary>
    private void FinishSplits()
    {
        foreach (var (i, command) in splitting.Where(s => AccountsInFlight(s.Key) == 0).ToList())
        {
            splitting.Remove(i);
            var result = Split(i, command);
            audit?.Add(Audit.AuditEntries.OperatorAction(command.Name, command.Who, command.Why,
                $"{(result.Applied ? "applied" : "refused")} once the trades in flight were done: {result.Detail}"));
        }
    }

    /// <summary>
    /// Splits instrument <paramref name="i"/> in every account that holds it: quantities and lots times the ratio (each
    /// lot keeps its basis and dates: nothing is realized), the price divided by it, and a fraction of a share the
    /// instrument cannot be held in paid out as cash in lieu at the new price (a sale of that fraction, relieved from
    /// the lots by the account's method). Plans held for approval were sized in old shares: they are dropped, and
    /// their accounts decided again.
    /// </summary>
    private CommandResult Split(int i, JournaledCommand command)
    {
        var ratio = command.Amount;
        var instrument = book.Instruments[i];
        var oldPrice = book.Prices[i];
        var newPrice = oldPrice / (double)ratio;
        var accounts = holdings.AccountsOf(i);
        var slots = holdings.SlotsOf(i);
        var dropped = 0;
        foreach (var a in accounts)
        {
            if (awaitingApprovalCount > 0 && awaitingApproval.ContainsKey(a))
            {
                Unhold(a);
                harvesting.Remove(a);
                dropped++;
            }
        }
        book.UpdatePrice(i, newPrice, holdings);
        int held = 0, paidOut = 0;
        var cashInLieu = 0m;
        for (var k = 0; k < slots.Length; k++)
        {
            // A row of the holdings index lists slots and their accounts in the same (book) order.
            var (a, s) = (accounts[k], slots[k]);
            var before = (decimal)book.Quantities[s];
            if (before == 0)
            {
                MarkDirty(a);
                continue;
            }
            held++;
            // Rounded so a ratio written as a fraction (4:3 is 1.333...) gives 200 for 150 shares, not 199.999...
            var after = decimal.Round(before * ratio, ShareDecimals);
            var fraction = instrument.FractionalAllowed ? 0 : after - decimal.Floor(after);
            var paid = decimal.Round(fraction * (decimal)newPrice, 2);
            book.c.Quantity[s] = (double)(after - fraction);
            book.c.Cash[a] += (double)paid;
            Moved(a, BookMovementKind.Split, i, after - before, 0);
            if (fraction > 0)
            {
                Moved(a, BookMovementKind.Split, i, -fraction, paid);
                paidOut++;
                cashInLieu += paid;
            }
            if (tax is not null && tax.Lots.IsTracked(a) && tax.Lots.LotCount(s) > 0)
            {
                SplitLots(a, s, instrument.Id, ratio, after, fraction, (decimal)newPrice);
            }
            MarkDirty(a);
        }
        tax?.Ledger.Split(instrument.Id, ratio);
        book.Instruments.Split(i, (double)ratio);
        gate.InstrumentSplit(i, (double)ratio);
        // The near-band list was figured at the old price.
        nearBandReady = false;
        corporateActions.Add(command);
        var c = CultureInfo.InvariantCulture;
        var lieu = paidOut > 0 ? string.Create(c, $"; {cashInLieu:#,0.00} cash in lieu paid in {paidOut} account(s) for fractions of a share") : "";
        var plans = dropped > 0 ? string.Create(c, $"; {dropped} plan(s) waiting for approval were sized in old shares and dropped (the accounts are decided again)") : "";
        return CommandResult.Ok(string.Create(c,
            $"split of {instrument.Id} ({instrument.Symbol}), {ratio} new share(s) for each old one, applied by {command.Who}: {held} account(s) holding it, quantities and lots times {ratio} (lots keep their cost basis and dates), price {oldPrice:0.####} -> {newPrice:0.####}{lieu}{plans}"));
    }

    /// <summary>An account's lots through a split: times the ratio (<paramref name="total"/> shares in all), then the fraction paid as cash in lieu sold from them.</summary>
    private void SplitLots(int a, int slot, string instrumentId, decimal ratio, decimal total, decimal fraction, decimal price)
    {
        var lots = tax!.Lots;
        lots.Split(slot, ratio, ShareDecimals, total);
        if (fraction <= 0)
        {
            return;
        }
        var method = TaxPlanAdjuster.ReliefMethod(tax.Settings(a), raisingCash: false);
        var selection = LotSelector.Select(lots.Lots(slot), fraction, price, day, method == LotMethod.SpecificLots ? LotMethod.Fifo : method);
        lots.Relieve(a, slot, selection);
        tax.Ledger.RecordSale(book.HouseholdId(a), book.AccountId(a), instrumentId, day, selection.Reliefs);
    }

    /// <summary>Puts back the corporate actions of a checkpoint: the tickers and split factors of the instrument table, and the splits still waiting.</summary>
    private void RestoreCorporateActions(EvaluationImage image)
    {
        corporateActions.Clear();
        corporateActions.AddRange(image.CorporateActions);
        var factor = new Dictionary<int, double>();
        foreach (var action in corporateActions)
        {
            var i = book.Instruments.IndexOf(action.Target!);
            if (action.Kind == CommandKind.SymbolChange)
            {
                book.Instruments.ChangeSymbol(i, action.Symbol!);
            }
            else
            {
                factor[i] = factor.GetValueOrDefault(i, 1.0) * (double)action.Amount;
            }
        }
        foreach (var (i, f) in factor)
        {
            book.Instruments.SetSplitFactor(i, f);
        }
        splitting.Clear();
        foreach (var split in image.WaitingSplits)
        {
            splitting[book.Instruments.IndexOf(split.Target!)] = split;
        }
    }
}
