using System.Text;
using FastRebal.Engine.Firms;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Simulation;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Firms;

/// <summary>A firm's own book read from its files: the shipped example, every kind of bad row, and a round trip of a generated firm.</summary>
public sealed class FirmFolderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-firm-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    public static string Example => Path.Combine(AppContext.BaseDirectory, "Examples", "firm");

    /// <summary>A copy of the example firm with one file's text changed.</summary>
    private string ExampleWith(string file, Func<string, string> edit)
    {
        var copy = Path.Combine(directory, "firm");
        Directory.CreateDirectory(copy);
        foreach (var path in Directory.GetFiles(Example))
        {
            File.Copy(path, Path.Combine(copy, Path.GetFileName(path)), overwrite: true);
        }
        var target = Path.Combine(copy, file);
        File.WriteAllText(target, edit(File.Exists(target) ? File.ReadAllText(target) : ""));
        return copy;
    }

    [Fact]
    public void The_example_firm_loads_every_account_with_its_named_policy_lots_and_elections()
    {
        var firm = ImportedFirm.Load(Example);

        Assert.Empty(firm.Errors);
        Assert.Equal(12, firm.Book.AccountCount);
        Assert.Equal(new DateOnly(2025, 3, 31), firm.AsOf);
        var a1001 = firm.Book.FindAccount("A-1001");
        Assert.Equal(("IPS-STANDARD", 3), (firm.Book.Policy(a1001).Id, firm.Book.Policy(a1001).Version));
        Assert.Equal("H-01", firm.Book.HouseholdId(a1001));
        Assert.Equal(12913.49, firm.Book.Cash[a1001], 6);
        var tax = firm.LiveTax()!;
        // The three IPS-RETIREMENT accounts are tax-deferred: no lots.
        Assert.Equal(9, tax.Lots.TrackedAccounts);
        Assert.Equal(File.ReadAllLines(Path.Combine(Example, "lots.csv")).Length - 1, tax.Lots.Count);
        Assert.False(tax.Lots.IsTracked(firm.Book.FindAccount("A-1002")));
        var tight = tax.Settings(firm.Book.FindAccount("A-1004"));
        Assert.Equal((LotMethod.HighestCost, 5000m, 30), (tight.LotMethod, tight.GainsBudget, tight.DeferLongTermWithinDays));
        Assert.True(tax.Settings(a1001).Harvest.Enabled);
        Assert.Contains("VTI", tax.Ledger.Relations.Substitutes("SPY"));
        var spy = tax.Lots.Lots(tax.Lots.SlotOf(a1001, "SPY"));
        Assert.Equal(397m, spy.Sum(l => l.Quantity));
        Assert.Equal("A-1001-SPY-1", spy[0].Id);
    }

    [Theory]
    [InlineData("positions.csv", "A-1003,SPY,611", "A-1003,SPY,611x", "positions.csv line 12, quantity: expects a number (like 1234.56), got '611x'; the account is left out", "A-1003")]
    [InlineData("accounts.csv", "A-1003,H-02,BALANCED-60,IPS-STANDARD,5054.94", "A-1003,H-02,BALANCED-60,IPS-STANDARD,five", "accounts.csv line 4, cash: expects a number", "A-1003")]
    [InlineData("accounts.csv", "A-1003,H-02,BALANCED-60,IPS-STANDARD", "A-1003,H-02,BALANCED-60,IPS-GOLD", "accounts.csv line 4, policy_id: unknown policy 'IPS-GOLD'", "A-1003")]
    [InlineData("accounts.csv", "5054.94,2024-12-31", "5054.94,31/12/2024", "accounts.csv line 4, last_rebalanced: expects a date (YYYY-MM-DD), got '31/12/2024'", "A-1003")]
    [InlineData("accounts.csv", "A-1003,H-02,BALANCED-60", "A-1003,H-02,", "accounts.csv line 4, model_id: is required", "A-1003")]
    [InlineData("lots.csv", "A-1003,SPY,A-1003-SPY-1,2022-09-30,305,108939.90", "A-1003,SPY,A-1003-SPY-1,2022-09-30,305,", "lots.csv line 10, cost_basis: is required", "A-1003")]
    [InlineData("lots.csv", "A-1003,SPY,A-1003-SPY-1,2022-09-30,305,", "A-1003,SPY,A-1003-SPY-1,2022-09-30,300,", "account A-1003, positions[0].lots: SPY: lots hold 606 shares but the position is 611", "A-1003")]
    [InlineData("positions.csv", "A-1003,SPY,611", "A-1003,SPY,611,extra", "positions.csv line 12, row: 4 value(s), but the header names 3 column(s)", "A-1003")]
    [InlineData("positions.csv", "A-1002,SPY,152", "A-1002,XYZ,152", "account A-1002, positions[0].instrumentId: unknown or rejected instrument 'XYZ'", "A-1002")]
    [InlineData("positions.csv", "A-1002,SPY,152", "A-1002,SPY,-152", "account A-1002, positions[0].quantity: SPY: negative quantity -152", "A-1002")]
    public void A_bad_row_is_named_by_file_line_and_column_and_leaves_out_only_its_account(string file, string find, string replace, string error, string leftOut)
    {
        var folder = ExampleWith(file, text => Replace(text, find, replace));

        var firm = ImportedFirm.Load(folder);

        Assert.Contains(firm.Errors, e => e.ToString().StartsWith(error, StringComparison.Ordinal));
        Assert.Equal(11, firm.Book.AccountCount);
        Assert.Equal(12, firm.AccountsInInput);
        Assert.Equal(-1, firm.Book.FindAccount(leftOut));
        Assert.True(firm.Book.FindAccount("A-1004") >= 0);
    }

    [Fact]
    public void Bad_position_rows_among_good_ones_are_reported_in_file_order_and_leave_out_what_reading_row_by_row_does()
    {
        // positions.csv is parsed on a second thread: plainly good rows as values, the others kept whole to be read in their turn.
        var folder = ExampleWith("positions.csv", text => Replace(Replace(Replace(text,
            "A-1001,SPY,397\n", "A-1001,SPY,397\nA-9999,SPY,1\n\n"),
            "A-1002,SPY,152", "A-1002,SPY,15x2"),
            "A-1003,SPY,611", "A-1003,SPY,611,extra")
            + "A-7777,\"S\nPY\",1\nA-8888,EFA,2\nA-1002,GLD,5\nA-1003,GLD,5\n,SPY,3\nA-1004,,7\nA-1004,GLD,1\nA-9999,GLD,1\n");

        var firm = ImportedFirm.Load(folder);

        Assert.Equal(
            [
                "positions.csv line 3, account_id: no account 'A-9999' in accounts.csv; the account is left out",
                "positions.csv line 9, quantity: expects a number (like 1234.56), got '15x2'; the account is left out",
                "positions.csv line 14, row: 4 value(s), but the header names 3 column(s); the account is left out",
                "positions.csv line 61, account_id: no account 'A-7777' in accounts.csv; the account is left out",
                "positions.csv line 63, account_id: no account 'A-8888' in accounts.csv; the account is left out",
                "positions.csv line 66, account_id: is required; the account is left out",
                "positions.csv line 67, instrument_id: is required; the account is left out",
                "positions.csv line 69, account_id: no account 'A-9999' in accounts.csv; the account is left out",
            ],
            firm.Errors.Select(e => e.ToString()));
        Assert.Equal(9, firm.Book.AccountCount);
        Assert.All(new[] { "A-1002", "A-1003", "A-1004" }, id => Assert.Equal(-1, firm.Book.FindAccount(id)));
        var example = ImportedFirm.Load(Example).Book;
        Assert.All(new[] { "A-1001", "A-1005", "A-1012" }, id => Assert.Equal(Holdings(example, id), Holdings(firm.Book, id)));
    }

    private static List<(string, double)> Holdings(State.AccountBook book, string id)
    {
        var a = book.FindAccount(id);
        return [.. Enumerable.Range(book.SlotStart[a], book.SlotStart[a + 1] - book.SlotStart[a]).Select(s => (book.Instruments[book.InstrumentIndices[s]].Id, book.Quantities[s]))];
    }

    [Fact]
    public void An_account_left_out_for_its_lots_is_reported_once_and_only_it_is_left_out()
    {
        // The base loader starts with every account while the tax fields are checked, and runs again without this one.
        var folder = ExampleWith("lots.csv", text => Replace(text, "A-1003,SPY,A-1003-SPY-1,2022-09-30,305,", "A-1003,SPY,A-1003-SPY-1,2022-09-30,300,"));

        var firm = ImportedFirm.Load(folder);

        Assert.Equal(["account A-1003, positions[0].lots: SPY: lots hold 606 shares but the position is 611"], firm.Errors.Select(e => e.ToString()));
        Assert.Equal(11, firm.Book.AccountCount);
        Assert.Equal(-1, firm.Book.FindAccount("A-1003"));
        Assert.Equal(Holdings(ImportedFirm.Load(Example).Book, "A-1004"), Holdings(firm.Book, "A-1004"));
    }

    [Fact]
    public void A_row_naming_an_account_no_file_gives_is_an_error_and_every_account_still_loads()
    {
        var folder = ExampleWith("lots.csv", text => text + "A-9999,SPY,L-1,2024-01-02,10,5000\n");

        var firm = ImportedFirm.Load(folder);

        var error = Assert.Single(firm.Errors);
        Assert.StartsWith("lots.csv line 83, account_id: no account 'A-9999' in accounts.csv", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(12, firm.Book.AccountCount);
    }

    [Fact]
    public void An_account_id_given_twice_leaves_out_both_and_says_so_once()
    {
        var folder = ExampleWith("accounts.csv", text => text + "A-1005,H-09,GROWTH-80,IPS-STANDARD,100,2024-12-31\n");

        var firm = ImportedFirm.Load(folder);

        Assert.Single(firm.Errors, e => e.ToString() == "account A-1005, accounts.csv, account_id: duplicate account id; every account with this id is left out");
        Assert.Equal(11, firm.Book.AccountCount);
        Assert.Equal(-1, firm.Book.FindAccount("A-1005"));
    }

    [Theory]
    [InlineData("accounts.csv", "account_id,household_id", "acount_id,household_id", "accounts.csv: unknown column 'acount_id' (the columns are account_id, model_id, policy_id, household_id, cash, last_rebalanced)")]
    [InlineData("positions.csv", "account_id,instrument_id,quantity", "account_id,instrument_id", "positions.csv: missing column(s) quantity")]
    [InlineData("lots.csv", "account_id,instrument_id,lot_id", "account_id,instrument_id,instrument_id", "lots.csv: column 'instrument_id' is given twice")]
    public void A_header_with_an_unknown_missing_or_repeated_column_refuses_the_firm(string file, string find, string replace, string message)
    {
        var folder = ExampleWith(file, text => Replace(text, find, replace));

        var refused = Assert.Throws<ScenarioFormatException>(() => ImportedFirm.Load(folder));

        Assert.StartsWith(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void When_files_before_positions_csv_refuse_the_firm_theirs_is_the_error_though_positions_csv_is_parsed_first()
    {
        var folder = ExampleWith("positions.csv", text => Replace(text, "account_id,instrument_id,quantity", "account_id,instrument_id"));
        File.WriteAllText(Path.Combine(folder, "accounts.csv"), Replace(File.ReadAllText(Path.Combine(folder, "accounts.csv")), "account_id,household_id", "acount_id,household_id"));
        Assert.StartsWith("accounts.csv: unknown column 'acount_id'", Assert.Throws<ScenarioFormatException>(() => ImportedFirm.Load(folder)).Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(folder, "firm.json"), "{ \"asOf\": ");
        Assert.Contains("firm.json: malformed scenario", Assert.Throws<ScenarioFormatException>(() => ImportedFirm.Load(folder)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_csv_file_that_is_not_utf8_refuses_the_firm_naming_the_file()
    {
        var folder = ExampleWith("positions.csv", text => text);
        var bytes = File.ReadAllBytes(Path.Combine(folder, "positions.csv")).Concat(new byte[] { 0x41, 0xFF, 0xFE, 0x2C, 0x31, 0x0A }).ToArray();
        File.WriteAllBytes(Path.Combine(folder, "positions.csv"), bytes);

        var refused = Assert.Throws<ScenarioFormatException>(() => ImportedFirm.Load(folder));

        Assert.StartsWith("positions.csv: not valid UTF-8", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_firm_json_or_a_scenario_file_with_named_policies_is_refused()
    {
        var empty = Directory.CreateDirectory(Path.Combine(directory, "empty")).FullName;
        Assert.Contains("a firm folder needs firm.json", Assert.Throws<ScenarioFormatException>(() => ImportedFirm.Load(empty)).Message, StringComparison.Ordinal);

        var scenario = Path.Combine(directory, "scenario.json");
        File.WriteAllText(scenario, File.ReadAllText(Path.Combine(Example, "firm.json")));
        Assert.Contains("$.policies: named policies belong in a firm folder", Assert.Throws<ScenarioFormatException>(() => ImportedFirm.Load(scenario)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_named_policy_is_an_error_naming_its_json_path_and_its_accounts_are_left_out()
    {
        var folder = ExampleWith("firm.json", text => Replace(text, "\"lotMethod\": \"highestCost\"", "\"lotMethod\": \"highestCots\""));

        var firm = ImportedFirm.Load(folder);

        Assert.Contains(firm.Errors, e => e.ToString().StartsWith("firm.json: $.policies[1].lotMethod: 'highestCots' is not valid; valid values: fifo, lifo, highestCost", StringComparison.Ordinal));
        // The three IPS-TIGHT accounts name a policy that was not read.
        Assert.Equal(9, firm.Book.AccountCount);
        Assert.Contains(firm.Errors, e => e.ToString().StartsWith("accounts.csv line 5, policy_id: unknown policy 'IPS-TIGHT'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_generated_firm_written_as_a_firm_folder_reads_back_as_the_same_book_and_lots()
    {
        var generated = FirmGenerator.Generate(new FirmSpec(400, 12, 7, Shape: FirmShape.Realistic), FirmGenerator.LoadHistory(7));
        var lots = FirmLots.Table(generated, 7);
        var folder = Path.Combine(directory, "generated");
        FirmFolderWriter.Write(folder, generated.Book, generated.AsOf, lots, FirmLots.GeneratedSettings);

        var firm = ImportedFirm.Load(folder);

        Assert.Empty(firm.Errors);
        var (expected, read) = (generated.Book, firm.Book);
        Assert.Equal(expected.AccountCount, read.AccountCount);
        Assert.Equal(generated.AsOf, firm.AsOf);
        for (var a = 0; a < expected.AccountCount; a++)
        {
            var b = read.FindAccount(expected.AccountId(a));
            Assert.Equal(expected.HouseholdId(a), read.HouseholdId(b));
            Assert.Equal(expected.Cash[a], read.Cash[b], 9);
            Assert.Equal(expected.LastRebalanced(a), read.LastRebalanced(b));
            Assert.Equal(expected.Policy(a) with { Id = "", Version = 1, RestrictedInstruments = null, AssetClassBands = null }, read.Policy(b) with { Id = "", Version = 1, RestrictedInstruments = null, AssetClassBands = null });
            Assert.Equal(expected.Policy(a).RestrictedInstruments ?? [], read.Policy(b).RestrictedInstruments ?? []);
            Assert.Equal(expected.Policy(a).AssetClassBands?.ToList() ?? [], read.Policy(b).AssetClassBands?.ToList() ?? []);
            var held = Enumerable.Range(expected.SlotStart[a], expected.SlotStart[a + 1] - expected.SlotStart[a]).Where(s => expected.Quantities[s] > 0)
                .ToDictionary(s => expected.Instruments[expected.InstrumentIndices[s]].Id, s => expected.Quantities[s]);
            var readBack = Enumerable.Range(read.SlotStart[b], read.SlotStart[b + 1] - read.SlotStart[b]).Where(s => read.Quantities[s] > 0)
                .ToDictionary(s => read.Instruments[read.InstrumentIndices[s]].Id, s => read.Quantities[s]);
            Assert.Equal(held.OrderBy(p => p.Key), readBack.OrderBy(p => p.Key));
        }
        var tax = firm.LiveTax()!;
        Assert.Equal(lots.Count, tax.Lots.Count);
        Assert.Equal(lots.TrackedAccounts, tax.Lots.TrackedAccounts);
        Assert.Equal(Lots(lots), Lots(tax.Lots));
        Assert.Equal(LotMethod.TaxOptimal, tax.Settings(Enumerable.Range(0, read.AccountCount).First(tax.Lots.IsTracked)).LotMethod);
    }

    [Fact]
    public void A_firm_read_from_a_firm_folder_has_the_book_of_the_same_firm_read_from_one_scenario_file()
    {
        var generated = FirmGenerator.Generate(new FirmSpec(3000, 20, 11, Shape: FirmShape.Realistic), FirmGenerator.LoadHistory(11));
        var scenario = Path.Combine(directory, "scenario.json");
        using (var file = File.Create(scenario))
        {
            ScenarioWriter.Write(file, generated.Book, generated.AsOf, []);
        }
        var folder = Path.Combine(directory, "folder");
        FirmFolderWriter.Write(folder, generated.Book, generated.AsOf);

        var (expected, read) = (ImportedFirm.Load(scenario), ImportedFirm.Load(folder));

        Assert.Empty(expected.Errors);
        Assert.Empty(read.Errors);
        Assert.Equal(expected.AccountsInInput, read.AccountsInInput);
        var (a, b) = (expected.Book, read.Book);
        Assert.Equal(a.AccountCount, b.AccountCount);
        Assert.Equal(a.SlotStart.ToArray(), b.SlotStart.ToArray());
        Assert.Equal(a.InstrumentIndices.ToArray(), b.InstrumentIndices.ToArray());
        Assert.Equal(a.Quantities.ToArray(), b.Quantities.ToArray());
        Assert.Equal(a.Targets.ToArray(), b.Targets.ToArray());
        Assert.Equal(a.Marks.ToArray(), b.Marks.ToArray());
        Assert.Equal(a.Cash.ToArray(), b.Cash.ToArray());
        Assert.Equal(a.ReserveAmounts.ToArray(), b.ReserveAmounts.ToArray());
        Assert.Equal(a.ReservePercents.ToArray(), b.ReservePercents.ToArray());
        Assert.Equal(a.BandWidths.ToArray(), b.BandWidths.ToArray());
        Assert.Equal(a.RelativeBands.ToArray(), b.RelativeBands.ToArray());
        for (var i = 0; i < a.AccountCount; i++)
        {
            Assert.Equal((a.AccountId(i), a.HouseholdId(i), a.ModelIndex(i), a.LastRebalanced(i)), (b.AccountId(i), b.HouseholdId(i), b.ModelIndex(i), b.LastRebalanced(i)));
            // The folder's accounts share named policies under the folder's own ids and versions.
            Assert.Equal(a.Policy(i) with { Id = "", Version = 1, RestrictedInstruments = null, AssetClassBands = null }, b.Policy(i) with { Id = "", Version = 1, RestrictedInstruments = null, AssetClassBands = null });
            Assert.Equal(a.Policy(i).RestrictedInstruments ?? [], b.Policy(i).RestrictedInstruments ?? []);
            Assert.Equal(expected.Scenario.SettingsFor(a.AccountId(i)), read.Scenario.SettingsFor(b.AccountId(i)));
        }
    }

    [Fact]
    public void The_plain_number_reader_gives_what_the_general_parser_gives_and_leaves_it_the_rest()
    {
        var random = new Random(11);
        for (var i = 0; i < 20_000; i++)
        {
            var mantissa = random.NextInt64(1, 999_999_999_999_999_999);
            var value = new decimal((int)mantissa, (int)(mantissa >> 32), 0, isNegative: random.Next(2) == 0, scale: (byte)random.Next(0, 10));
            var text = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Row.TryParsePlain(text, out var read), text);
            Assert.Equal(decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture), read);
            Assert.Equal(text, read.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach (var text in new[] { "", "-", ".", "1.2.3", "1e5", "+5", "12a", "1,000", "1234567890123456789" })
        {
            Assert.False(Row.TryParsePlain(text, out _), text);
        }
    }

    [Fact]
    public void The_plain_date_reader_gives_what_the_general_parser_gives_and_takes_nothing_it_refuses()
    {
        static DateOnly? General(string text) =>
            DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date) ? date : null;
        var random = new Random(12);
        for (var i = 0; i < 20_000; i++)
        {
            var text = DateOnly.MinValue.AddDays(random.Next(0, DateOnly.MaxValue.DayNumber + 1)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Row.TryParseIsoDate(text, out var read), text);
            Assert.Equal(General(text), read);
        }
        foreach (var text in new[] { "2024-02-29", "2025-02-29", "2025-04-31", "2025-13-01", "2025-00-10", "2025-01-00", "0000-01-01", "9999-12-31", "2025-1-01",
            "2025/01/01", "20250101", "2025-01-0a", " 2025-01-01", "+025-01-01", "\uff12025-01-01", "" })
        {
            Assert.Equal(General(text), Row.TryParseIsoDate(text, out var read) ? read : null);
        }
    }

    private static List<(string, string, DateOnly, decimal, decimal)> Lots(LotTable table) =>
        [.. Enumerable.Range(0, table.Book.AccountCount)
            .SelectMany(a => Enumerable.Range(table.Book.SlotStart[a], table.Book.SlotStart[a + 1] - table.Book.SlotStart[a])
                .SelectMany(s => table.Lots(s).Select(l => (table.Book.AccountId(a), l.Id, l.Acquired, l.Quantity, l.CostBasis))))
            .Order()];

    private static string Replace(string text, string find, string replace)
    {
        Assert.Contains(find, text, StringComparison.Ordinal);
        var at = text.IndexOf(find, StringComparison.Ordinal);
        return new StringBuilder(text).Remove(at, find.Length).Insert(at, replace).ToString();
    }
}
