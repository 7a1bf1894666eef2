using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Firms;

/// <summary>
/// Writes a book as a firm folder that <see cref="FirmFolder"/> reads back: <c>firm.json</c> with the instruments,
/// models and one named policy per distinct set of IPS terms, and the CSV files a custodian would export. Accounts
/// whose policies have the same terms share one named policy (its id is the folder's, not the account's own).
/// </summary>
public static class FirmFolderWriter
{
    /// <param name="lots">The taxable accounts' lots, written to lots.csv (none when null).</param>
    /// <param name="tax">The tax elections every taxable account's policy carries when <paramref name="lots"/> are given (harvesting only when enabled).</param>
    public static void Write(string folder, AccountBook book, DateOnly asOf, LotTable? lots = null, AccountTaxSettings? tax = null) =>
        Write(folder, book, asOf, [.. Enumerable.Range(0, book.AccountCount)], book.Policy, lots, tax is null ? null : _ => tax);

    /// <summary>
    /// Writes some of a book's accounts, each under the policy <paramref name="policy"/> gives it (a policy edit's dry
    /// run writes the accounts it would change, as edited), with each account's own tax elections.
    /// </summary>
    /// <param name="accounts">The accounts to write, in the order the files list them.</param>
    /// <param name="taxOf">Each taxable account's tax elections when <paramref name="lots"/> are given.</param>
    public static void Write(string folder, AccountBook book, DateOnly asOf, IReadOnlyList<int> accounts, Func<int, InvestmentPolicy> policy, LotTable? lots, Func<int, AccountTaxSettings>? taxOf)
    {
        Directory.CreateDirectory(folder);
        var c = CultureInfo.InvariantCulture;
        var options = ScenarioDocument.JsonOptions;
        var templates = new Dictionary<(string Terms, AccountTaxSettings? Tax), string>();
        var policyOf = new Dictionary<int, string>(accounts.Count);
        foreach (var a in accounts)
        {
            var key = (JsonSerializer.Serialize(policy(a) with { Id = "", Version = 1 }, options), lots is null ? null : taxOf?.Invoke(a));
            if (!templates.TryGetValue(key, out var id))
            {
                templates[key] = id = string.Create(c, $"IPS-{templates.Count + 1:00000}");
            }
            policyOf[a] = id;
        }

        var firm = new JsonObject
        {
            ["asOf"] = asOf.ToString("yyyy-MM-dd", c),
            ["instruments"] = JsonSerializer.SerializeToNode(book.Instruments.All, options),
            ["models"] = JsonSerializer.SerializeToNode(book.Models, options),
        };
        var policies = new JsonArray();
        foreach (var ((terms, tax), id) in templates)
        {
            var written = JsonNode.Parse(terms)!.AsObject();
            written["id"] = id;
            // A tax-deferred account has no lots, so no elections about them.
            if (tax is not null && written["taxStatus"]?.GetValue<string>() != "taxDeferred")
            {
                WriteElections(written, tax);
            }
            policies.Add(written);
        }
        firm["policies"] = policies;
        File.WriteAllText(Path.Combine(folder, FirmFolder.FirmJson), firm.ToJsonString(options));

        using (var prices = Csv(folder, FirmFolder.Prices))
        {
            for (var i = 0; i < book.Instruments.Count; i++)
            {
                prices.WriteLine(string.Create(c, $"{Field(book.Instruments[i].Id)},{book.Prices[i]:R}"));
            }
        }
        using (var accountFile = Csv(folder, FirmFolder.Accounts))
        {
            foreach (var a in accounts)
            {
                accountFile.WriteLine(string.Create(c,
                    $"{Field(book.AccountId(a))},{Field(book.Models[book.ModelIndex(a)].Id)},{policyOf[a]},{Field(book.HouseholdId(a))},{(decimal)book.Cash[a]},{book.LastRebalanced(a):yyyy-MM-dd}"));
            }
        }
        using (var positions = Csv(folder, FirmFolder.Positions))
        {
            foreach (var a in accounts)
            {
                var account = Field(book.AccountId(a));
                for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
                {
                    if (book.Quantities[s] > 0)
                    {
                        positions.WriteLine(string.Create(c, $"{account},{Field(book.Instruments[book.InstrumentIndices[s]].Id)},{(decimal)book.Quantities[s]}"));
                    }
                }
            }
        }
        if (lots is null)
        {
            return;
        }
        using var lotFile = Csv(folder, FirmFolder.Lots);
        foreach (var a in accounts)
        {
            if (!lots.IsTracked(a))
            {
                continue;
            }
            var account = Field(book.AccountId(a));
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                foreach (var lot in lots.Lots(s))
                {
                    // The custodian's basis already carries any wash-sale adjustment.
                    lotFile.WriteLine(string.Create(c,
                        $"{account},{Field(lot.InstrumentId)},{lot.Acquired:yyyy-MM-dd},{lot.Quantity},{lot.CostBasis + lot.WashSaleAdjustment},{Field(lot.Id)},{lot.HoldingSince:yyyy-MM-dd}"));
                }
            }
        }
    }

    /// <summary>The policy fields that hold a taxable account's elections.</summary>
    internal static readonly string[] ElectionFields = ["lotMethod", "specificLots", "gainsBudget", "deferLongTermWithinDays", "shortTermTaxRate", "longTermTaxRate", "cashOnly", "harvest"];

    /// <summary>A taxable account's elections, as the policy fields <see cref="FirmFolder"/> reads (the defaults left out).</summary>
    internal static void WriteElections(JsonObject policy, AccountTaxSettings tax)
    {
        var options = ScenarioDocument.JsonOptions;
        var defaults = AccountTaxSettings.Default;
        policy["lotMethod"] = JsonSerializer.SerializeToNode(tax.LotMethod, options);
        if (tax.SpecificLots is { Count: > 0 })
        {
            policy["specificLots"] = JsonSerializer.SerializeToNode(tax.SpecificLots, options);
        }
        if (tax.GainsBudget is { } budget)
        {
            policy["gainsBudget"] = budget;
        }
        if (tax.DeferLongTermWithinDays != 0)
        {
            policy["deferLongTermWithinDays"] = tax.DeferLongTermWithinDays;
        }
        if (tax.ShortTermTaxRate != defaults.ShortTermTaxRate)
        {
            policy["shortTermTaxRate"] = tax.ShortTermTaxRate;
        }
        if (tax.LongTermTaxRate != defaults.LongTermTaxRate)
        {
            policy["longTermTaxRate"] = tax.LongTermTaxRate;
        }
        if (tax.CashOnly)
        {
            policy["cashOnly"] = true;
        }
        if (tax.Harvest.Enabled)
        {
            policy["harvest"] = JsonSerializer.SerializeToNode(tax.Harvest, options);
        }
    }

    /// <summary>A CSV file with its header: every column of the file, in the order <see cref="FirmFolder"/> lists them.</summary>
    private static StreamWriter Csv(string folder, FirmCsvFile file)
    {
        var writer = new StreamWriter(Path.Combine(folder, file.Name), append: false, new UTF8Encoding(false), bufferSize: 1 << 16) { NewLine = "\n" };
        writer.WriteLine(string.Join(',', file.Columns));
        return writer;
    }

    /// <summary>A value quoted as RFC 4180 asks when it holds a comma, quote or line break.</summary>
    private static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
