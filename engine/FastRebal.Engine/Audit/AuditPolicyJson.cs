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

    /// <summary>The policy's JSON with its asset-class bands in ordinal order, valid until the next call.</summary>
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
        Enum(Names[2], (int)p.Trigger, Triggers);
        Enum(Names[3], (int)p.BandType, BandTypes);
        Number(Names[4], p.BandWidth);
        if (p.AssetClassBands is { } bands)
        {
            // In ordinal order of the asset classes, so two equal policies read from different files write alike.
            var classes = sortedClasses;
            classes.Clear();
            classes.AddRange(bands.Keys);
            classes.Sort(StringComparer.Ordinal);
            json.WriteStartObject(Names[5]);
            foreach (var assetClass in classes)
            {
                Number(ClassName(assetClass), bands[assetClass]);
            }
            json.WriteEndObject();
        }
        Enum(Names[6], (int)p.Calendar, Calendars);
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
        Enum(Names[13], (int)p.TaxStatus, TaxStatuses);
        Enum(Names[14], (int)p.Mode, Modes);
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
    private void Enum(JsonEncodedText name, int value, JsonEncodedText?[] names)
    {
        if ((uint)value < (uint)names.Length && names[value] is { } text)
        {
            json.WriteString(name, text);
        }
        else
        {
            json.WriteNumber(name, value);
        }
    }

    private static readonly JsonEncodedText?[] Triggers = NamesOf<RebalanceTrigger>(), BandTypes = NamesOf<BandType>(), Calendars = NamesOf<CalendarSchedule>(),
        TaxStatuses = NamesOf<TaxStatus>(), Modes = NamesOf<RebalanceMode>();

    /// <summary>The names of an enum's values, by value (the policy's enums number their values from 0).</summary>
    private static JsonEncodedText?[] NamesOf<T>() where T : struct, Enum
    {
        var values = System.Enum.GetValues<T>().Select(v => (Value: Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture), Name: v.ToString())).ToArray();
        var names = new JsonEncodedText?[values.Max(v => v.Value) + 1];
        foreach (var (value, text) in values)
        {
            names[value] = JsonEncodedText.Encode(JsonNamingPolicy.CamelCase.ConvertName(text), Options.Encoder);
        }
        return names;
    }

    /// <summary>An asset class as a property name; the few a firm has are encoded once.</summary>
    private JsonEncodedText ClassName(string assetClass)
    {
        if (!classNames.TryGetValue(assetClass, out var name))
        {
            name = JsonEncodedText.Encode(assetClass, Options.Encoder);
            if (classNames.Count < 1024)
            {
                classNames[assetClass] = name;
            }
        }
        return name;
    }

    private readonly List<string> sortedClasses = [];
    private readonly Dictionary<string, JsonEncodedText> classNames = new(StringComparer.Ordinal);
}
