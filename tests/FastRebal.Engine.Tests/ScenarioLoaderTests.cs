using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Tests;

public class ScenarioLoaderTests
{
    private static TestBook GoodFirm() => new TestBook()
        .Instrument("A", 10).Instrument("B", 20)
        .Model("M", ("A", 0.6), ("B", 0.4))
        .Account("GOOD", "M", 100, positions: [("A", 10), ("B", 5)]);

    private static InputError SingleErrorAbout(LoadedScenario loaded, string subject)
    {
        Assert.Contains("GOOD", Enumerable.Range(0, loaded.Book.AccountCount).Select(loaded.Book.AccountId));
        return Assert.Single(loaded.Errors, e => e.Subject == subject);
    }

    [Fact]
    public void Unknown_instrument_in_a_position_rejects_only_that_account_and_names_the_field()
    {
        var loaded = GoodFirm().Account("BAD", "M", 0, positions: [("A", 1), ("ZZZ", 3)]).Load();

        var error = SingleErrorAbout(loaded, "account BAD");
        Assert.Equal("positions[1].instrumentId", error.Field);
        Assert.Contains("ZZZ", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, loaded.Book.AccountCount);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(0)]
    [InlineData(-5)]
    public void Bad_price_is_reported_and_accounts_that_need_it_are_left_out(double price)
    {
        var loaded = GoodFirm().Instrument("C", price).Model("MC", ("C", 1.0)).Account("USESC", "MC", 0, positions: [("C", 1)]).Load();

        Assert.Contains(loaded.Errors, e => e.Subject == "price of C" && e.Field == "value");
        Assert.Contains(loaded.Errors, e => e.Subject == "account USESC" && e.Message.Contains("C", StringComparison.Ordinal));
        Assert.Equal(["GOOD"], Enumerable.Range(0, loaded.Book.AccountCount).Select(loaded.Book.AccountId));
    }

    [Fact]
    public void Missing_price_rejects_the_accounts_holding_the_instrument()
    {
        var document = GoodFirm().Account("HOLDSB", "M", 0, positions: [("B", 1)]).Document();
        var loaded = ScenarioLoader.Build(document with { Prices = [new Price("A", 10)] });

        Assert.Contains(loaded.Errors, e => e.Subject == "account HOLDSB" && e.Message.Contains("B has no valid price", StringComparison.Ordinal));
        Assert.Equal(0, loaded.Book.AccountCount);
    }

    [Fact]
    public void Model_weights_not_summing_to_one_reject_the_model_and_its_accounts()
    {
        var loaded = GoodFirm().Model("BROKEN", ("A", 0.6), ("B", 0.3)).Account("ONBROKEN", "BROKEN", 0).Load();

        var error = Assert.Single(loaded.Errors, e => e.Subject == "model BROKEN");
        Assert.Contains("sum to 1", error.Message, StringComparison.Ordinal);
        Assert.Contains(loaded.Errors, e => e.Subject == "account ONBROKEN" && e.Field == "modelId");
        Assert.Equal(1, loaded.Book.AccountCount);
    }

    [Fact]
    public void Weights_within_one_billionth_of_one_are_accepted() =>
        Assert.Empty(new TestBook().Instrument("A", 1).Instrument("B", 1).Model("M", ("A", 0.6), ("B", 0.4 + 5e-10)).Load().Errors);

    [Fact]
    public void Negative_quantity_and_negative_cash_are_named()
    {
        var loaded = GoodFirm().Account("NEG", "M", -1, positions: [("A", -3)]).Load();

        Assert.Contains(loaded.Errors, e => e.Subject == "account NEG" && e.Field == "cash");
        Assert.Contains(loaded.Errors, e => e.Subject == "account NEG" && e.Field == "positions[0].quantity");
        Assert.Equal(1, loaded.Book.AccountCount);
    }

    [Fact]
    public void Duplicate_account_ids_reject_every_copy()
    {
        var loaded = GoodFirm().Account("DUP", "M", 0).Account("DUP", "M", 5).Load();

        Assert.Equal(2, loaded.Errors.Count(e => e.Subject == "account DUP" && e.Message.Contains("duplicate", StringComparison.Ordinal)));
        Assert.Equal(1, loaded.Book.AccountCount);
    }

    [Fact]
    public void Duplicate_instrument_ids_are_rejected()
    {
        var loaded = GoodFirm().Instrument("A", 11).Load();

        Assert.Contains(loaded.Errors, e => e.Subject == "instrument A" && e.Message.Contains("duplicate", StringComparison.Ordinal));
        Assert.Contains(loaded.Errors, e => e.Subject == "account GOOD" || e.Subject == "model M");
    }

    [Fact]
    public void Invalid_policy_fields_are_named()
    {
        var policy = TestBook.Policy(band: 1.5) with { Id = "", MinTradeValue = -1 };
        var loaded = GoodFirm().Account("BADIPS", "M", 0, policy).Load();

        Assert.Contains(loaded.Errors, e => e.Subject == "account BADIPS" && e.Field == "policy.bandWidth");
        Assert.Contains(loaded.Errors, e => e.Subject == "account BADIPS" && e.Field == "policy.id");
        Assert.Contains(loaded.Errors, e => e.Subject == "account BADIPS" && e.Field == "policy.minTradeValue");
    }

    [Fact]
    public void Cash_flow_for_an_unknown_account_or_with_no_amount_is_an_error()
    {
        var loaded = GoodFirm().Flow("NOBODY", CashFlowKind.Deposit, 10).Flow("GOOD", CashFlowKind.Deposit, 0).Load();

        Assert.Contains(loaded.Errors, e => e.Subject == "cashFlows[0]" && e.Field == "accountId");
        Assert.Contains(loaded.Errors, e => e.Subject == "cashFlows[1]" && e.Field == "amount");
        Assert.Empty(loaded.CashFlows);
    }

    [Fact]
    public void Sleeve_model_resolves_to_instrument_weights()
    {
        var document = new TestBook()
            .Instrument("EQ1", 1, "US Equity").Instrument("EQ2", 1, "US Equity").Instrument("BD", 1, "US Bonds")
            .Document() with
        {
            Models = [new TargetModel("S", Sleeves: [
                new AssetClassSleeve("US Equity", 0.6, [new ModelWeight("EQ1", 0.5), new ModelWeight("EQ2", 0.5)]),
                new AssetClassSleeve("US Bonds", 0.4, [new ModelWeight("BD", 1.0)])])],
            Accounts = [new Account("X", "H", "S", 100, [], TestBook.Policy())],
        };

        var loaded = ScenarioLoader.Build(document);

        Assert.Empty(loaded.Errors);
        Assert.Equal([0.3, 0.3, 0.4], loaded.Book.Targets.ToArray());
    }

    [Fact]
    public void Sleeve_member_of_the_wrong_asset_class_is_rejected()
    {
        var document = new TestBook().Instrument("EQ", 1, "US Equity").Instrument("BD", 1, "US Bonds").Document() with
        {
            Models = [new TargetModel("S", Sleeves: [new AssetClassSleeve("US Equity", 1.0, [new ModelWeight("BD", 1.0)])])],
        };

        Assert.Contains(ScenarioLoader.Build(document).Errors, e => e.Subject == "model S" && e.Message.Contains("not in the US Equity sleeve", StringComparison.Ordinal));
    }

    [Fact]
    public void Malformed_file_names_the_line()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "{\n  \"asOf\": \"2025-06-30\",\n  \"accounts\": [ { \"id\": \"X\", \"cash\": 5 ]\n}");
        try
        {
            var error = Assert.Throws<ScenarioFormatException>(() => ScenarioLoader.Load(path));
            Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_value_of_the_wrong_kind_leaves_out_its_account_only()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "{\n  \"asOf\": \"2025-06-30\",\n  \"accounts\": [ { \"id\": \"X\", \"cash\": \"lots\" } ]\n}");
        try
        {
            var error = Assert.Single(ScenarioLoader.Load(path).Errors);
            Assert.Equal("$.accounts[0].cash", error.Field);
            Assert.StartsWith("expects a number, got \"lots\"; account X is left out", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_as_of_date_is_refused() =>
        Assert.Throws<ScenarioFormatException>(() => ScenarioLoader.Build(GoodFirm().Document() with { AsOf = null }));
}
