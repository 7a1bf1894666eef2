using System.Text;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests;

/// <summary>Scenario files are read strictly: an unknown field, a bad value or a missing cost basis leaves out only what it is in.</summary>
public sealed class StrictScenarioTests
{
    /// <summary>Two accounts; <c>GOOD</c> is never touched, <c>BAD</c> carries whatever a test puts in with <paramref name="badPolicy"/> and <paramref name="badPosition"/>.</summary>
    private static string Scenario(string badPolicy = "", string badPosition = "", string model = "\"targets\": [ { \"instrumentId\": \"A\", \"weight\": 0.5 }, { \"instrumentId\": \"B\", \"weight\": 0.5 } ]", string priceA = "10", string extra = "", string quantity = "10") => $$"""
        {
          "asOf": "2025-06-30",
          "instruments": [ { "id": "A", "assetClass": "Eq" }, { "id": "B", "assetClass": "Eq" } ],
          "models": [ { "id": "M", {{model}} } ],
          "prices": [ { "instrumentId": "A", "value": {{priceA}} }, { "instrumentId": "B", "value": 20 } ],
          "accounts": [
            { "id": "GOOD", "modelId": "M", "cash": 100, "positions": [ { "instrumentId": "A", "quantity": 10, "lots": [ { "acquired": "2024-01-02", "quantity": 10, "costBasis": 90 } ] } ],
              "policy": { "id": "P", "lotMethod": "fifo" } },
            { "id": "BAD", "householdId": "H", "modelId": "M", "cash": 100, "positions": [ { "instrumentId": "A", "quantity": {{quantity}}{{badPosition}} } ],
              "policy": { "id": "P" {{badPolicy}} } }
          ]{{extra}}
        }
        """;

    private static TaxScenario Parse(string json) => TaxScenario.Parse(json, "scenario.json");

    private static string[] Accounts(TaxScenario scenario) => [.. Enumerable.Range(0, scenario.Scenario.Book.AccountCount).Select(scenario.Scenario.Book.AccountId)];

    [Fact]
    public void The_base_scenario_of_these_tests_loads_whole()
    {
        var scenario = Parse(Scenario());

        Assert.Empty(scenario.Errors);
        Assert.Equal(["GOOD", "BAD"], Accounts(scenario));
    }

    [Fact]
    public void A_misspelt_field_is_an_error_naming_file_and_path_and_only_its_account_is_left_out()
    {
        var scenario = Parse(Scenario(badPolicy: ", \"lotMethd\": \"highestCost\""));

        var error = Assert.Single(scenario.Errors);
        Assert.Equal("scenario.json: $.accounts[1].policy.lotMethd: unknown field; account BAD is left out", error.ToString());
        Assert.Equal(["GOOD"], Accounts(scenario));
        Assert.Equal(2, scenario.Scenario.AccountsInInput);
    }

    [Theory]
    [InlineData(", \"bandWidht\": 0.1", "$.accounts[1].policy.bandWidht")]
    [InlineData(", \"harvest\": { \"enabeld\": true }", "$.accounts[1].policy.harvest.enabeld")]
    public void Unknown_fields_of_either_view_of_the_policy_are_errors(string field, string path)
    {
        var scenario = Parse(Scenario(badPolicy: field));

        Assert.Equal(path, Assert.Single(scenario.Errors).Field);
        Assert.Equal(["GOOD"], Accounts(scenario));
    }

    [Fact]
    public void An_unknown_field_in_a_lot_is_an_error()
    {
        var scenario = Parse(Scenario(badPosition: ", \"lots\": [ { \"acquired\": \"2024-01-02\", \"quantity\": 10, \"costBasis\": 90, \"washed\": 1 } ]"));

        Assert.Equal("$.accounts[1].positions[0].lots[0].washed", Assert.Single(scenario.Errors).Field);
    }

    [Fact]
    public void An_invalid_enum_value_names_the_field_the_value_and_the_valid_values()
    {
        var scenario = Parse(Scenario(badPolicy: ", \"lotMethod\": \"hifo\""));

        var error = Assert.Single(scenario.Errors);
        Assert.Equal("$.accounts[1].policy.lotMethod", error.Field);
        Assert.Contains("'hifo' is not valid; valid values: fifo, lifo, highestCost, lowestCost, taxOptimal, specificLots", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("FastRebal", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(["GOOD"], Accounts(scenario));
    }

    [Fact]
    public void An_enum_given_as_a_number_is_refused()
    {
        var scenario = Parse(Scenario(badPolicy: ", \"trigger\": 7"));

        Assert.Contains("7 is not valid; valid values:", Assert.Single(scenario.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_of_the_wrong_kind_says_what_was_expected_and_what_was_found()
    {
        var scenario = Parse(Scenario(badPosition: ", \"lots\": [ { \"acquired\": \"yesterday\", \"quantity\": 10, \"costBasis\": 90 } ]"));

        var error = Assert.Single(scenario.Errors);
        Assert.Equal("$.accounts[1].positions[0].lots[0].acquired", error.Field);
        Assert.StartsWith("expects a date (YYYY-MM-DD), got \"yesterday\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lot_without_a_cost_basis_is_refused_not_taken_as_zero()
    {
        var scenario = Parse(Scenario(badPosition: ", \"lots\": [ { \"acquired\": \"2024-01-02\", \"quantity\": 10 } ]"));

        var error = Assert.Single(scenario.Errors);
        Assert.Equal("account BAD", error.Subject);
        Assert.Equal("positions[0].lots[0].costBasis", error.Field);
        Assert.Contains("cost basis", error.Message, StringComparison.Ordinal);
        Assert.Equal(["GOOD"], Accounts(scenario));
    }

    [Fact]
    public void A_bad_model_leaves_out_the_model_and_names_the_accounts_that_use_it()
    {
        var scenario = Parse(Scenario(model: "\"targets\": [ { \"instrumentId\": \"A\", \"weight\": 0.5, \"wieght\": 0.5 } ]"));

        Assert.Contains(scenario.Errors, e => e.Field == "$.models[0].targets[0].wieght" && e.Message.Contains("model M is left out", StringComparison.Ordinal));
        Assert.Contains(scenario.Errors, e => e.Subject == "account GOOD" && e.Field == "modelId");
        Assert.Contains(scenario.Errors, e => e.Subject == "account BAD" && e.Field == "modelId");
        Assert.Empty(Accounts(scenario));
    }

    [Fact]
    public void An_unknown_top_level_field_refuses_the_file()
    {
        var error = Assert.Throws<ScenarioFormatException>(() => Parse(Scenario(extra: ", \"cashFlow\": []")));

        Assert.Equal("scenario.json: $.cashFlow: unknown field", error.Message);
    }

    [Fact]
    public void A_field_given_twice_in_an_item_leaves_out_that_item()
    {
        var scenario = Parse(Scenario(badPolicy: ", \"lotMethod\": \"fifo\", \"lotMethod\": \"lifo\""));

        var error = Assert.Single(scenario.Errors);
        Assert.StartsWith("scenario.json: $.accounts[1].policy", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("field 'lotMethod' is given twice", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("account BAD is left out", error.Message, StringComparison.Ordinal);
        Assert.Equal(["GOOD"], Accounts(scenario));
    }

    [Fact]
    public void A_key_given_twice_in_a_map_leaves_out_its_account()
    {
        var scenario = Parse(Scenario(badPolicy: ", \"assetClassBands\": { \"Eq\": 0.1, \"Eq\": 0.2 }"));

        Assert.Equal("scenario.json: $.accounts[1].policy.assetClassBands.Eq: field 'Eq' is given twice; account BAD is left out", Assert.Single(scenario.Errors).ToString());
    }

    [Fact]
    public void A_top_level_field_given_twice_refuses_the_file()
    {
        var error = Assert.Throws<ScenarioFormatException>(() => Parse(Scenario(extra: ", \"asOf\": \"2025-07-01\"")));

        Assert.Equal("scenario.json: $.asOf: field 'asOf' is given twice", error.Message);
    }

    [Fact]
    public void A_cash_flow_of_an_account_left_out_by_reading_is_not_reported_as_an_unknown_account()
    {
        var scenario = Parse(Scenario(badPolicy: ", \"x\": 1", extra: ", \"cashFlows\": [ { \"accountId\": \"BAD\", \"kind\": \"deposit\", \"amount\": 5 } ]"));

        Assert.Single(scenario.Errors);
        Assert.Empty(scenario.Scenario.CashFlows);
    }

    [Fact]
    public void Invalid_utf8_is_refused_with_the_byte_offset()
    {
        var bytes = Encoding.UTF8.GetBytes(Scenario()).ToList();
        var at = bytes.IndexOf((byte)'G');
        bytes.Insert(at, 0xC3);
        bytes.Insert(at + 1, 0x28);

        var error = Assert.Throws<ScenarioFormatException>(() => ScenarioReader.Read(bytes.ToArray(), "scenario.json"));

        Assert.Equal($"scenario.json: not valid UTF-8 at byte offset {at}", error.Message);
        var withMark = (byte[])[0xEF, 0xBB, 0xBF, .. bytes];
        Assert.Equal($"scenario.json: not valid UTF-8 at byte offset {at + 3}", Assert.Throws<ScenarioFormatException>(() => ScenarioReader.Read(withMark, "scenario.json")).Message);
    }

    [Fact]
    public void A_huge_value_is_echoed_cut_with_its_length()
    {
        var id = new string('x', 100_000);
        var scenario = Parse(Scenario(badPolicy: $", \"lotMethod\": \"{id}\""));

        var message = Assert.Single(scenario.Errors).ToString();
        Assert.True(message.Length < 1_000, $"{message.Length} characters");
        Assert.Contains("… (100,000 characters)", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"sleeves\": [ { \"assetClass\": \"Eq\", \"weight\": -0.2, \"instruments\": [ { \"instrumentId\": \"A\", \"weight\": 1 } ] }, { \"assetClass\": \"Eq\", \"weight\": 1.2, \"instruments\": [ { \"instrumentId\": \"B\", \"weight\": 1 } ] } ]", "sleeves[0].weight")]
    [InlineData("\"sleeves\": [ { \"assetClass\": \"Eq\", \"weight\": \"NaN\", \"instruments\": [ { \"instrumentId\": \"A\", \"weight\": 1 } ] } ]", "sleeves[0].weight")]
    [InlineData("\"targets\": [ { \"instrumentId\": \"A\", \"weight\": -0.2 }, { \"instrumentId\": \"B\", \"weight\": 1.2 } ]", "targets[0].weight")]
    public void Negative_or_not_a_number_weights_reject_the_model(string model, string field)
    {
        var scenario = Parse(Scenario(model: model));

        Assert.Contains(scenario.Errors, e => e.Subject == "model M" && e.Field == field);
        Assert.Empty(Accounts(scenario));
    }

    [Theory]
    [InlineData("1e308")]
    [InlineData("1e10")]
    [InlineData("\"Infinity\"")]
    public void A_price_too_large_is_refused(string price)
    {
        var scenario = Parse(Scenario(priceA: price));

        Assert.Contains(scenario.Errors, e => e.Subject == "price of A" && e.Field == "value");
        Assert.Empty(Accounts(scenario));
    }

    [Fact]
    public void An_account_worth_more_than_the_limit_is_refused()
    {
        var scenario = Parse(Scenario(quantity: "1000000000000000"));

        var error = Assert.Single(scenario.Errors);
        Assert.Equal("account BAD", error.Subject);
        Assert.Contains("above the limit", error.Message, StringComparison.Ordinal);
        Assert.Equal(["GOOD"], Accounts(scenario));
    }

    [Fact]
    public void A_last_rebalance_after_the_valuation_date_is_refused()
    {
        var scenario = Parse(Scenario(extra: "").Replace("\"id\": \"BAD\", \"householdId\": \"H\",", "\"id\": \"BAD\", \"householdId\": \"H\", \"lastRebalanced\": \"2025-07-01\",", StringComparison.Ordinal));

        var error = Assert.Single(scenario.Errors);
        Assert.Equal("account BAD, lastRebalanced: 2025-07-01 is after the valuation date 2025-06-30", error.ToString());
    }

    [Fact]
    public void A_household_trade_with_a_price_that_is_not_positive_is_refused()
    {
        var scenario = Parse(Scenario(extra: ", \"householdTrades\": [ { \"date\": \"2025-06-01\", \"accountId\": \"GOOD\", \"instrumentId\": \"A\", \"side\": \"buy\", \"quantity\": 1, \"price\": -3 } ]"));

        Assert.Equal("householdTrades[0], price: must be positive and at most 1e9, got -3", Assert.Single(scenario.Errors).ToString());
    }

    [Fact]
    public void The_shipped_examples_load_without_errors()
    {
        foreach (var example in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Examples"), "*.json"))
        {
            Assert.Empty(TaxScenario.Load(example).Errors);
        }
    }
}
