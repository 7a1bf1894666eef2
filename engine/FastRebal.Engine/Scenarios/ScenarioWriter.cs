using System.Text.Json;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Scenarios;

/// <summary>
/// Writes a book (with its prices and pending cash flows) as a scenario file that <see cref="ScenarioLoader"/> reads
/// back. It streams account by account, so a million-account firm never exists as objects in memory.
/// </summary>
public static class ScenarioWriter
{
    public static void Write(Stream output, AccountBook book, DateOnly asOf, IReadOnlyList<PendingCashFlow> cashFlows)
    {
        var options = ScenarioDocument.JsonOptions;
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("asOf", asOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        json.WritePropertyName("instruments");
        JsonSerializer.Serialize(json, book.Instruments.All, options);
        json.WritePropertyName("models");
        JsonSerializer.Serialize(json, book.Models, options);
        json.WriteStartArray("prices");
        for (var i = 0; i < book.Instruments.Count; i++)
        {
            JsonSerializer.Serialize(json, new Price(book.Instruments[i].Id, book.Prices[i]), options);
        }
        json.WriteEndArray();
        json.WriteStartArray("accounts");
        var positions = new List<Position>();
        for (var a = 0; a < book.AccountCount; a++)
        {
            positions.Clear();
            for (var s = book.SlotStart[a]; s < book.SlotStart[a + 1]; s++)
            {
                if (book.Quantities[s] > 0)
                {
                    positions.Add(new Position(book.Instruments[book.InstrumentIndices[s]].Id, (decimal)book.Quantities[s]));
                }
            }
            var account = new Account(book.AccountId(a), book.HouseholdId(a), book.Models[book.ModelIndex(a)].Id,
                (decimal)book.Cash[a], positions, book.Policy(a), book.LastRebalanced(a));
            JsonSerializer.Serialize(json, account, options);
            if (json.BytesPending > 1 << 16)
            {
                json.Flush();
            }
        }
        json.WriteEndArray();
        json.WritePropertyName("cashFlows");
        JsonSerializer.Serialize(json, cashFlows.Select(f => f.Flow), options);
        json.WriteEndObject();
        json.Flush();
    }
}
