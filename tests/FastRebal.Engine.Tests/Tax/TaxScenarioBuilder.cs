using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Tests.Tax;

/// <summary>
/// Small tax scenarios as JSON text, read through the same loader as a file. The firm: SPY (600) and VTI (300) are
/// US equity substitutes, AGG (100) and BND (50) bond substitutes, PRIV (25) an illiquid REIT; model BAL6040 is 60% SPY,
/// 40% AGG. Accounts, history and extra firm fields are given as JSON fragments.
/// </summary>
internal sealed class TaxScenarioBuilder
{
    private readonly List<string> accounts = [];
    private readonly List<string> flows = [];
    private readonly List<string> history = [];
    private string extra = "";
    private string substitutes = """[["SPY","VTI"],["AGG","BND"]]""";

    public string AsOf { get; set; } = "2025-09-26";

    public TaxScenarioBuilder Account(string json)
    {
        accounts.Add(json);
        return this;
    }

    public TaxScenarioBuilder Flow(string account, string kind, decimal amount)
    {
        flows.Add($$"""{ "accountId": "{{account}}", "kind": "{{kind}}", "amount": {{amount}} }""");
        return this;
    }

    public TaxScenarioBuilder Trade(string json)
    {
        history.Add(json);
        return this;
    }

    public TaxScenarioBuilder Substitutes(string json)
    {
        substitutes = json;
        return this;
    }

    public TaxScenarioBuilder Extra(string json)
    {
        extra = json;
        return this;
    }

    public string Json() => $$"""
        {
          "asOf": "{{AsOf}}",
          "instruments": [
            { "id": "SPY", "assetClass": "US Equity" }, { "id": "VTI", "assetClass": "US Equity" },
            { "id": "AGG", "assetClass": "US Bonds" }, { "id": "BND", "assetClass": "US Bonds" },
            { "id": "PRIV", "assetClass": "Real Estate", "liquid": false }
          ],
          "substituteGroups": {{substitutes}},
          "models": [ { "id": "BAL6040", "targets": [ { "instrumentId": "SPY", "weight": 0.6 }, { "instrumentId": "AGG", "weight": 0.4 } ] } ],
          "prices": [
            { "instrumentId": "SPY", "value": 600 }, { "instrumentId": "VTI", "value": 300 }, { "instrumentId": "AGG", "value": 100 },
            { "instrumentId": "BND", "value": 50 }, { "instrumentId": "PRIV", "value": 25 }
          ],
          "accounts": [ {{string.Join(",\n", accounts)}} ],
          "cashFlows": [ {{string.Join(",\n", flows)}} ],
          "householdTrades": [ {{string.Join(",\n", history)}} ]{{extra}}
        }
        """;

    public TaxScenario Load() => TaxScenario.Parse(Json());

    /// <summary>Loads and asserts the input is clean.</summary>
    public TaxScenario LoadClean()
    {
        var scenario = Load();
        Assert.Empty(scenario.Errors);
        return scenario;
    }
}
