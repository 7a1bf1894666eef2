using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>Bad tax input is named precisely, leaves out only the account it belongs to, and never half-applies.</summary>
public class TaxScenarioTests
{
    private static string Account(string id, string lots, string policy = "") => $$"""
        { "id": "{{id}}", "householdId": "HH", "modelId": "BAL6040", "cash": 100,
          "positions": [ { "instrumentId": "SPY", "quantity": 10, "lots": {{lots}} },
            { "instrumentId": "AGG", "quantity": 40, "lots": [ { "id": "G1", "acquired": "2024-01-02", "quantity": 40, "costBasis": 4000 } ] } ],
          "policy": { "id": "P-{{id}}"{{policy}} } }
        """;

    private const string GoodLots = """[ { "id": "L1", "acquired": "2024-01-02", "quantity": 10, "costBasis": 5000 } ]""";

    private static TaxScenario Load(string bad) => new TaxScenarioBuilder().Account(Account("GOOD", GoodLots)).Account(bad).Load();

    [Theory]
    [InlineData("""[ { "id": "L1", "acquired": "2024-01-02", "quantity": 7, "costBasis": 5000 } ]""", "positions[0].lots", "lots hold 7 shares but the position is 10")]
    [InlineData("""[ { "id": "L1", "quantity": 10, "costBasis": 5000 } ]""", "positions[0].lots[0].acquired", "SPY lot L1: the acquisition date is required")]
    [InlineData("""[ { "id": "L1", "acquired": "2026-01-02", "quantity": 10, "costBasis": 5000 } ]""", "positions[0].lots[0].acquired", "after the valuation date")]
    [InlineData("""[ { "id": "L1", "acquired": "2024-01-02", "quantity": 10, "costBasis": -1 } ]""", "positions[0].lots[0].costBasis", "SPY lot L1: must not be negative")]
    [InlineData("""[ { "id": "L1", "acquired": "2024-01-02", "quantity": 5, "costBasis": 1 }, { "id": "L1", "acquired": "2024-01-03", "quantity": 5, "costBasis": 1 } ]""", "positions[0].lots[1].id", "lot id used twice")]
    public void A_bad_lot_names_account_instrument_lot_and_field_and_only_that_account_is_left_out(string lots, string field, string message)
    {
        var scenario = Load(Account("BAD", lots));

        var error = Assert.Single(scenario.Errors);
        Assert.Equal("account BAD", error.Subject);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, scenario.Scenario.Book.AccountCount);
        Assert.Equal("GOOD", scenario.Scenario.Book.AccountId(0));
        Assert.False(scenario.Lots.HasAccount("BAD"));
        Assert.Equal(2, scenario.Scenario.AccountsInInput);
    }

    [Theory]
    [InlineData(""", "lotMethod": "specificLots" """, "policy.specificLots", "needs the lots to sell")]
    [InlineData(""", "lotMethod": "specificLots", "specificLots": { "SPY": ["NOPE"] } """, "policy.specificLots.SPY", "unknown lot 'NOPE'")]
    [InlineData(""", "gainsBudget": -5 """, "policy.gainsBudget", "must not be negative")]
    [InlineData(""", "harvest": { "enabled": true, "minLossPercent": 1.5 } """, "policy.harvest.minLossPercent", "fraction")]
    [InlineData(""", "shortTermTaxRate": 1.2 """, "policy.shortTermTaxRate", "fraction")]
    [InlineData(""", "taxStatus": "taxDeferred", "harvest": { "enabled": true } """, "policy.taxStatus", "taxable accounts only")]
    public void A_bad_tax_setting_is_named_and_leaves_the_account_out(string policy, string field, string message)
    {
        var scenario = Load(Account("BAD", GoodLots, policy));

        var error = Assert.Single(scenario.Errors);
        Assert.Equal(("account BAD", field), (error.Subject, error.Field));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, scenario.Scenario.Book.AccountCount);
    }

    [Fact]
    public void A_harvest_schedule_is_read_by_name_and_an_unknown_one_is_named_with_the_valid_ones()
    {
        var weekly = Load(Account("W", GoodLots, """, "harvest": { "enabled": true, "schedule": "weekly" } """));
        var fortnightly = Load(Account("F", GoodLots, """, "harvest": { "enabled": true, "schedule": "fortnightly" } """));

        Assert.Empty(weekly.Errors);
        Assert.Equal(HarvestSchedule.Weekly, weekly.SettingsFor("W").Harvest.Schedule);
        Assert.Equal(HarvestSchedule.Daily, new HarvestSettings().Schedule);
        Assert.Contains("'fortnightly' is not valid; valid values: daily, weekly, monthly, quarterly", Assert.Single(fortnightly.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lots_must_cover_every_holding_once_an_account_keeps_lots()
    {
        var partial = Account("BAD", GoodLots).Replace(", \"lots\": [ { \"id\": \"G1\", \"acquired\": \"2024-01-02\", \"quantity\": 40, \"costBasis\": 4000 } ]", "", StringComparison.Ordinal);

        var error = Assert.Single(Load(partial).Errors);

        Assert.Equal(("account BAD", "positions[1].lots"), (error.Subject, error.Field));
        Assert.Contains("AGG: no lots", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cash_flow_of_a_left_out_account_is_not_reported_as_an_unknown_account()
    {
        var scenario = new TaxScenarioBuilder().Account(Account("GOOD", GoodLots)).Account(Account("BAD", "[]")).Flow("BAD", "deposit", 10).Load();

        Assert.Equal("account BAD", Assert.Single(scenario.Errors).Subject);
        Assert.Empty(scenario.Scenario.CashFlows);
    }

    [Fact]
    public void Unknown_substitutes_and_identical_substitutes_are_rejected_by_group()
    {
        var scenario = new TaxScenarioBuilder().Account(Account("GOOD", GoodLots))
            .Substitutes("""[["SPY","VTI"],["AGG","XYZ"],["SPY","IVV"]]""")
            .Extra(""", "identicalGroups": [["VTI","BND"]]""")
            .Load();

        Assert.Contains(scenario.Errors, e => e.Subject == "substituteGroups[1]" && e.Message.Contains("'XYZ'", StringComparison.Ordinal));
        Assert.Contains(scenario.Errors, e => e.Subject == "substituteGroups[2]");
        Assert.Equal(1, scenario.Scenario.Book.AccountCount);
        Assert.Equal(["VTI"], scenario.Relations.Substitutes("SPY"));
    }

    [Fact]
    public void History_entries_with_unknown_accounts_or_missing_fields_are_named_and_dropped()
    {
        var scenario = new TaxScenarioBuilder().Account(Account("GOOD", GoodLots))
            .Trade("""{ "date": "2025-09-01", "accountId": "NOPE", "instrumentId": "SPY", "side": "buy", "quantity": 1 }""")
            .Trade("""{ "date": "2025-09-01", "accountId": "GOOD", "instrumentId": "SPY", "quantity": 1 }""")
            .Trade("""{ "date": "2025-09-01", "accountId": "GOOD", "instrumentId": "SPY", "side": "buy", "quantity": 1 }""")
            .Load();

        Assert.Equal([("householdTrades[0]", "accountId"), ("householdTrades[1]", "side")], scenario.Errors.Select(e => (e.Subject, e.Field)));
        Assert.Single(scenario.History);
    }

    [Fact]
    public void Lots_on_a_tax_deferred_account_are_ignored()
    {
        var scenario = new TaxScenarioBuilder().Account(Account("IRA", GoodLots, """, "taxStatus": "taxDeferred" """)).LoadClean();

        Assert.False(scenario.Lots.HasAccount("IRA"));
        Assert.Equal(1, scenario.Scenario.Book.AccountCount);
    }
}
