using System.Globalization;
using FastRebal.Cli;

namespace FastRebal.Engine.Tests.Firms;

/// <summary>
/// A firm's quarter through the live engine, from its own files: the real closes of 2025-04-01 to 2025-06-30, cash
/// flows, a holdings sync whose acceptable breaks are taken. The book at the end must equal the loaded book plus the
/// movements the ledger lists, and those movements must agree with the events file and the orders in the blotter.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class FirmDayTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-firmday-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Example => FirmFolderTests.Example;

    private static string Custodian => Path.Combine(Path.GetDirectoryName(Example)!, "custodian", "holdings-2025-04-29.csv");

    private static IEnumerable<string[]> Rows(string path) => File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','));

    private static decimal Number(string text) => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The cash flows of <see cref="FirmCliTests.Events"/> with an account opened, one moved to a model it has no place for, two splits and a symbol change.</summary>
    private const string EventsChangingTheBook = """
        date,account_id,kind,amount,note,reinvest,policy_id,model_id,household_id,instrument_id,ratio,symbol
        2025-04-15,A-1001,deposit,50000,bonus,,,,,,,
        2025-04-15,A-2001,open,250000,new client,,IPS-STANDARD,GROWTH-80,H-NEW,,,
        2025-05-01,A-1003,withdrawal,25000,house,,,,,,,
        2025-05-01,A-1007,fee,3750,Q2 advisory fee,,,,,,,
        2025-05-05,,split,,3-for-2 split,,,,,EFA,3:2,
        2025-05-06,A-1005,model,,more bonds,,,BALANCED-60,,,,
        2025-05-12,,symbol,,ticker change,,,,,VNQ,,VNQX
        2025-06-02,A-1004,dividend,1200,,,,,,,,
        2025-06-02,,split,,1-for-2 reverse split,,,,,GLD,1:2,
        2025-06-16,A-1005,interest,310,coupon paid out,no,,,,,,
        """;

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)] // a venue that fills 70%, answers after two seconds and refuses one order in ten
    [InlineData(false, true)] // accounts opened and moved, splits and a symbol change among the cash flows
    public void The_book_after_a_quarter_equals_the_loaded_book_plus_its_fills_cash_flows_and_accepted_custodian_figures(bool partialFills, bool bookChanges)
    {
        string[] venue = partialFills ? ["--venue-fill-ratio", "0.7", "--venue-latency", "00:00:02", "--venue-reject-rate", "0.1"] : [];
        string[] capacity = bookChanges ? ["--open-capacity", "2"] : [];
        var events = Path.Combine(directory, "events.csv");
        File.WriteAllText(events, bookChanges ? EventsChangingTheBook : FirmCliTests.Events);
        var ledger = Path.Combine(directory, "ledger.csv");
        var bookOut = Path.Combine(directory, "book.csv");
        var blotter = Path.Combine(directory, "blotter.csv");

        var (code, output, error) = CliRunner.Run(["run", "--firm", Example, "--to", "2025-06-30", "--events", events, "--holdings", Custodian, "--accept-breaks",
            "--ledger", ledger, "--book-out", bookOut, "--blotter", blotter, .. venue, .. capacity]);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("holdings sync holdings-2025-04-29.csv", output, StringComparison.Ordinal);

        // The independent recomputation: the firm's files, then every movement in the ledger.
        var expected = new Dictionary<(string Account, string Instrument), decimal>();
        foreach (var row in Rows(Path.Combine(Example, "accounts.csv")))
        {
            expected[(row[0], "CASH")] = Number(row[4]);
        }
        foreach (var row in Rows(Path.Combine(Example, "positions.csv")))
        {
            expected[(row[0], row[1])] = expected.GetValueOrDefault((row[0], row[1])) + Number(row[2]);
        }
        var movements = Rows(ledger).Select(r => (Day: DateOnly.Parse(r[0], CultureInfo.InvariantCulture), Account: r[1], Kind: r[2], Instrument: r[3], Quantity: Number(r[4]), Cash: Number(r[5]))).ToList();
        foreach (var m in movements)
        {
            if (m.Instrument.Length > 0)
            {
                expected[(m.Account, m.Instrument)] = expected.GetValueOrDefault((m.Account, m.Instrument)) + m.Quantity;
            }
            expected[(m.Account, "CASH")] = expected.GetValueOrDefault((m.Account, "CASH")) + m.Cash;
        }
        var actual = Rows(bookOut).ToDictionary(r => (r[1], r[2]), r => Number(r[3]));
        foreach (var ((account, instrument), quantity) in expected)
        {
            var tolerance = instrument == "CASH" ? 0.01m : 0.000001m;
            var held = actual.GetValueOrDefault((account, instrument));
            Assert.True(Math.Abs(held - quantity) <= tolerance, $"{account} {instrument}: the book ends at {held}, its files and ledger give {quantity}");
        }
        Assert.All(actual.Keys, k => Assert.True(expected.ContainsKey(k), $"{k} is in the book but in neither the files nor the ledger"));

        // The cash flows: each deposit, dividend and interest payment once, on or after its date, for its amount; each withdrawal and fee at most once.
        foreach (var e in Rows(events).Where(e => e[2] is "deposit" or "withdrawal" or "dividend" or "interest" or "fee"))
        {
            var (day, account, kind, amount) = (DateOnly.Parse(e[0], CultureInfo.InvariantCulture), e[1], e[2], Number(e[3]));
            var income = kind is "deposit" or "dividend" or "interest";
            var signed = income ? amount : -amount;
            var applied = movements.Where(m => m.Kind == "cash-flow" && m.Account == account && m.Cash == signed).ToList();
            Assert.True(income ? applied.Count == 1 : applied.Count <= 1, $"{kind} of {amount} for {account} applied {applied.Count} time(s)");
            Assert.All(applied, m => Assert.True(m.Day >= day, $"{kind} for {account} applied on {m.Day}, before its date {day}"));
        }

        // The fills: never more, per instrument and side, than the child orders sent for it; every sell fill reduces a holding.
        var sent = Rows(blotter).Where(r => r[0] == "new").GroupBy(r => (r[4], r[5])).ToDictionary(g => g.Key, g => g.Sum(r => Number(r[6])));
        var filled = movements.Where(m => m.Kind == "fill").GroupBy(m => (m.Instrument, m.Quantity > 0 ? "Buy" : "Sell")).ToList();
        Assert.NotEmpty(filled);
        foreach (var group in filled)
        {
            Assert.True(Math.Abs(group.Sum(m => m.Quantity)) <= sent.GetValueOrDefault(group.Key), $"{group.Key}: {group.Sum(m => m.Quantity)} filled, {sent.GetValueOrDefault(group.Key)} sent");
        }
        Assert.Contains(movements, m => m.Kind == "custodian");
        if (bookChanges)
        {
            // The new account was funded and invested, and the splits moved shares.
            Assert.Contains(movements, m => m.Account == "A-2001" && m.Kind == "fill");
            Assert.Contains(movements, m => m.Kind == "split" && m.Instrument == "EFA" && m.Quantity > 0);
            Assert.Contains(movements, m => m.Kind == "split" && m.Instrument == "GLD" && m.Quantity < 0);
            Assert.Contains(actual.Keys, k => k == ("A-1005", "IEF"));
        }
    }
}
