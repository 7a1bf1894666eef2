using System.Buffers;
using System.Text.Json;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Audit;

/// <summary>
/// An investment policy as <see cref="JsonSerializer"/> writes it with <see cref="ScenarioDocument.JsonOptions"/>
/// (the input hash's policy line), written field by field: the serializer's machinery is not compiled, nor run, for
/// each decision the audit trail hashes. A test holds the two to the same bytes for any policy, and to its fields.
/// </summary>
internal sealed class AuditPolicyJson
{
    private static readonly JsonSerializerOptions Options = ScenarioDocument.JsonOptions;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = Options.Encoder,
        Indented = Options.WriteIndented,
        IndentCharacter = Options.IndentCharacter,
        IndentSize = Options.IndentSize,
        NewLine = Options.NewLine,
        SkipValidation = true,
    };

    /// <summary>The fields, in the order the serializer writes them (declaration order).</summary>
    internal static readonly string[] Fields =
    [
        nameof(InvestmentPolicy.Id), nameof(InvestmentPolicy.Version), nameof(InvestmentPolicy.Trigger), nameof(InvestmentPolicy.BandType),
        nameof(InvestmentPolicy.BandWidth), nameof(InvestmentPolicy.AssetClassBands), nameof(InvestmentPolicy.Calendar),
        nameof(InvestmentPolicy.MinDaysBetweenRebalances), nameof(InvestmentPolicy.CashReserveAmount), nameof(InvestmentPolicy.CashReservePercent),
        nameof(InvestmentPolicy.MinTradeValue), nameof(InvestmentPolicy.FractionalShares), nameof(InvestmentPolicy.RestrictedInstruments),
        nameof(InvestmentPolicy.TaxStatus), nameof(InvestmentPolicy.Mode),
    ];

    private static readonly JsonEncodedText[] Names = [.. Fields.Select(f => JsonEncodedText.Encode(Options.PropertyNamingPolicy?.ConvertName(f) ?? f, Options.Encoder))];

    private readonly ArrayBufferWriter<byte> buffer = new(2048);
    private readonly Utf8JsonWriter json;

    public AuditPolicyJson() => json = new Utf8JsonWriter(buffer, WriterOptions);

    /// <summary>The policy's JSON, valid until the next call.</summary>
    public ReadOnlySpan<byte> Write(InvestmentPolicy p)
    {
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        json.WriteStartObject();
        if (p.Id is not null)
        {
            json.WriteString(Names[0], p.Id);
        }
        json.WriteNumber(Names[1], p.Version);
        Enum(Names[2], p.Trigger);
        Enum(Names[3], p.BandType);
        Number(Names[4], p.BandWidth);
        if (p.AssetClassBands is { } bands)
        {
            json.WriteStartObject(Names[5]);
            foreach (var (assetClass, band) in bands)
            {
                Number(JsonEncodedText.Encode(assetClass, Options.Encoder), band);
            }
            json.WriteEndObject();
        }
        Enum(Names[6], p.Calendar);
        json.WriteNumber(Names[7], p.MinDaysBetweenRebalances);
        json.WriteNumber(Names[8], p.CashReserveAmount);
        Number(Names[9], p.CashReservePercent);
        json.WriteNumber(Names[10], p.MinTradeValue);
        json.WriteBoolean(Names[11], p.FractionalShares);
        if (p.RestrictedInstruments is { } restricted)
        {
            json.WriteStartArray(Names[12]);
            foreach (var instrument in restricted)
            {
                if (instrument is null)
                {
                    json.WriteNullValue();
                }
                else
                {
                    json.WriteStringValue(instrument);
                }
            }
            json.WriteEndArray();
        }
        Enum(Names[13], p.TaxStatus);
        Enum(Names[14], p.Mode);
        json.WriteEndObject();
        json.Flush();
        return buffer.WrittenSpan;
    }

    /// <summary>A double as the options write it: a number, or NaN and the infinities as named strings.</summary>
    private void Number(JsonEncodedText name, double value)
    {
        if (double.IsFinite(value) || (Options.NumberHandling & System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals) == 0)
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    /// <summary>An enum as the options' string converter writes it: its camel-cased name, or its number when it has no name.</summary>
    private void Enum<T>(JsonEncodedText name, T value) where T : struct, Enum
    {
        if (EnumNames<T>.Of(value) is { } text)
        {
            json.WriteString(name, text);
        }
        else
        {
            json.WriteNumber(name, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static class EnumNames<T> where T : struct, Enum
    {
        private static readonly Dictionary<T, JsonEncodedText> Names = System.Enum.GetValues<T>().Distinct()
            .ToDictionary(v => v, v => JsonEncodedText.Encode(JsonNamingPolicy.CamelCase.ConvertName(v.ToString()), Options.Encoder));

        public static JsonEncodedText? Of(T value) => Names.TryGetValue(value, out var text) ? text : null;
    }
}
