using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Scenarios;

/// <summary>What strict reading could not use: its errors, the accounts it left out (id to household) and how many accounts the file listed.</summary>
public sealed record ReadProblems(IReadOnlyList<InputError> Errors, IReadOnlyDictionary<string, string> UnreadAccounts, int AccountsInFile)
{
    public static ReadProblems None { get; } = new([], new Dictionary<string, string>(), 0);
}

/// <summary>A scenario file as strict reading leaves it: the base and tax documents of every item it could read, and what it left out.</summary>
/// <param name="Policies">The named policies of a firm's <c>firm.json</c> (its <c>accounts.csv</c> rows name them); none in a scenario whose accounts carry their own.</param>
public sealed record ScenarioRead(ScenarioDocument Document, TaxDocument Tax, ReadProblems Problems, IReadOnlyList<NamedPolicy>? Policies = null);

/// <summary>An IPS given once under its id, with its tax fields, for every account that names it.</summary>
public sealed record NamedPolicy(InvestmentPolicy Policy, TaxPolicyInput Tax);

/// <summary>
/// Reads a scenario file strictly. The file must be UTF-8 JSON with only known fields at the top; each item of a list
/// (instrument, model, price, account, cash flow, household trade, group) is read on its own, so an unknown field or a
/// value of the wrong kind leaves out that item only, with an error naming the file and JSON path.
/// </summary>
public static partial class ScenarioReader
{
    /// <summary>The scenario settings, refusing unknown fields and enum values given as numbers or misspelt.</summary>
    public static JsonSerializerOptions ReadOptions { get; } = CreateReadOptions();

    // The base and the tax view read the same JSON objects; each accepts (and drops) the fields the other one reads.
    private static readonly Dictionary<Type, Type> Twins = new()
    {
        [typeof(Account)] = typeof(TaxAccountInput),
        [typeof(TaxAccountInput)] = typeof(Account),
        [typeof(Position)] = typeof(TaxPositionInput),
        [typeof(TaxPositionInput)] = typeof(Position),
        [typeof(InvestmentPolicy)] = typeof(TaxPolicyInput),
        [typeof(TaxPolicyInput)] = typeof(InvestmentPolicy),
    };

    private static JsonSerializerOptions CreateReadOptions()
    {
        var options = new JsonSerializerOptions(ScenarioDocument.JsonOptions)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            AllowDuplicateProperties = false,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { AcceptTwinFields } },
        };
        options.Converters.Insert(0, new StrictEnumConverter());
        options.MakeReadOnly();
        return options;
    }

    private static void AcceptTwinFields(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object || !Twins.TryGetValue(info.Type, out var twin))
        {
            return;
        }
        var known = info.Properties.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var property in twin.GetProperties())
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (known.Add(name))
            {
                var accepted = info.CreateJsonPropertyInfo(typeof(object), name);
                accepted.CustomConverter = SkippedValue.Instance;
                accepted.Set = static (_, _) => { };
                info.Properties.Add(accepted);
            }
        }
    }

    /// <summary>The fields of a policy object the base view reads, in UTF-8 as the base view writes them (camelCase); the tax view reads only the tax status of these.</summary>
    private static readonly byte[][] BasePolicyFields = [.. typeof(InvestmentPolicy).GetProperties()
        .Select(p => Encoding.UTF8.GetBytes(JsonNamingPolicy.CamelCase.ConvertName(p.Name)))];

    /// <summary>The top level of a scenario file (its field names are the known ones): every list kept as raw items, so each is read (and may fail) on its own.</summary>
    private sealed record Sections(
        DateOnly? AsOf,
        List<JsonElement>? Instruments,
        List<JsonElement>? Models,
        List<JsonElement>? Prices,
        List<JsonElement>? Accounts,
        List<JsonElement>? CashFlows,
        List<JsonElement>? SubstituteGroups,
        List<JsonElement>? IdenticalGroups,
        List<JsonElement>? HouseholdTrades,
        JsonElement? Batching,
        List<JsonElement>? Policies);

    /// <summary>Reads a file; an unreadable or malformed file, or an unknown top-level field, is a <see cref="ScenarioFormatException"/>.</summary>
    public static ScenarioRead ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFormatException($"{path}: cannot read the scenario: {e.Message}", e);
        }
        return Read(bytes, path);
    }

    public static ScenarioRead ReadText(string json, string source) => Read(Encoding.UTF8.GetBytes(json), source);

    public static ScenarioRead Read(ReadOnlyMemory<byte> bytes, string source)
    {
        var skip = bytes.Span.StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        bytes = bytes[skip..];
        if (TextLimit.InvalidUtf8At(bytes.Span) is { } offset)
        {
            throw new ScenarioFormatException(string.Create(CultureInfo.InvariantCulture, $"{source}: not valid UTF-8 at byte offset {offset + skip}"));
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ScenarioFormatException(FormatError(e, source), e);
        }
        // One parse of the file; the sections and their items are views into it, read one by one below.
        using (document)
        {
            return new Reading(Path.GetFileName(source)).Read(Top(document.RootElement, source));
        }
    }

    // Duplicate fields are found where they are read: at the top below, inside an item by the serializer (ReadOptions).
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The top level, checked against <see cref="Sections"/>: an unknown field or a section of the wrong kind refuses the file.</summary>
    private static Sections Top(JsonElement root, string source)
    {
        if (root.ValueKind == JsonValueKind.Null)
        {
            throw new ScenarioFormatException($"{source}: the file holds no scenario (JSON null)");
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ScenarioFormatException($"{source}: $: expects an object with asOf, instruments, models, prices, accounts and the other sections");
        }
        var known = ReadOptions.GetTypeInfo(typeof(Sections)).Properties.ToDictionary(p => p.Name, p => p.Name, StringComparer.OrdinalIgnoreCase);
        var found = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!known.TryGetValue(property.Name, out var name))
            {
                throw new ScenarioFormatException($"{source}: $.{TextLimit.Clip(property.Name, 80)}: unknown field");
            }
            if (!found.TryAdd(name, property.Value))
            {
                throw new ScenarioFormatException($"{source}: $.{name}: field '{name}' is given twice");
            }
        }
        List<JsonElement>? List(string name)
        {
            if (!found.TryGetValue(name, out var section) || section.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            return section.ValueKind == JsonValueKind.Array
                ? [.. section.EnumerateArray()]
                : throw new ScenarioFormatException($"{source}: $.{name}: expects a list, got {TextLimit.Clip(section.GetRawText(), 60)}");
        }
        DateOnly? asOf = null;
        if (found.TryGetValue("asOf", out var date))
        {
            try
            {
                asOf = date.Deserialize<DateOnly?>(ReadOptions);
            }
            catch (JsonException e)
            {
                throw new ScenarioFormatException($"{source}: $.asOf: expects a date (YYYY-MM-DD), got {TextLimit.Clip(date.GetRawText(), 60)}", e);
            }
        }
        return new Sections(
            asOf, List("instruments"), List("models"), List("prices"), List("accounts"), List("cashFlows"), List("substituteGroups"), List("identicalGroups"), List("householdTrades"),
            found.TryGetValue("batching", out var batching) && batching.ValueKind != JsonValueKind.Null ? batching : null, List("policies"));
    }

    private static string FormatError(JsonException e, string source)
    {
        var path = e.Path ?? "$";
        if (Describe(e, null) is { } known)
        {
            return e.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $"{source}: {path}: {known} (line {line + 1})") : $"{source}: {path}: {known}";
        }
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return string.Create(CultureInfo.InvariantCulture,
            $"{source}: malformed scenario at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1} ({path}): {TextLimit.Clip(cut > 0 ? message[..cut] : message, 300)}");
    }

    /// <summary>Plain words for an unknown field or a value of the wrong kind; null for anything else (malformed JSON).</summary>
    private static string? Describe(JsonException e, JsonElement? item, Type? target = null)
    {
        if (e.InnerException is null && UnmappedMember().IsMatch(e.Message))
        {
            return "unknown field";
        }
        if (DuplicateProperty().Match(e.Message) is { Success: true } duplicate)
        {
            var name = duplicate.Groups["name"].Success ? duplicate.Groups["name"].Value : PathStep().Matches(e.Path ?? "").LastOrDefault()?.Value.TrimStart('.') ?? "?";
            return $"field '{TextLimit.Clip(name, 80)}' is given twice";
        }
        if (StrictEnumConverter.IsItsError(e))
        {
            return e.Message;
        }
        if (ConversionTarget().IsMatch(e.Message))
        {
            var got = item is { } element && Find(element, e.Path ?? "$") is { } value ? $", got {TextLimit.Clip(value.GetRawText(), 60)}" : "";
            return $"expects {Kind(target is null ? null : Expected(target, e.Path ?? "$"))}{got}";
        }
        return null;
    }

    /// <summary>The type the contract reads at a path inside <paramref name="root"/> (the serializer's message names the enclosing record instead).</summary>
    private static Type? Expected(Type root, string path)
    {
        Type? type = root;
        foreach (Match step in PathStep().Matches(path))
        {
            var info = ReadOptions.GetTypeInfo(Nullable.GetUnderlyingType(type!) ?? type!);
            if (step.Groups["index"].Success)
            {
                type = info.ElementType;
            }
            else
            {
                var name = step.Groups["name"].Success ? step.Groups["name"].Value : step.Groups["quoted"].Value;
                type = info.Kind == JsonTypeInfoKind.Dictionary
                    ? info.ElementType
                    : info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.PropertyType;
            }
            if (type is null)
            {
                return null;
            }
        }
        return type;
    }

    private static string Kind(Type? type)
    {
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        if (type is null)
        {
            return "another kind of value";
        }
        if (type == typeof(decimal) || type == typeof(double) || type == typeof(float))
        {
            return "a number";
        }
        if (type == typeof(int) || type == typeof(long))
        {
            return "a whole number";
        }
        if (type == typeof(DateOnly))
        {
            return "a date (YYYY-MM-DD)";
        }
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return "a date and time (ISO 8601)";
        }
        if (type == typeof(bool))
        {
            return "true or false";
        }
        if (type == typeof(string))
        {
            return "a string";
        }
        return ReadOptions.GetTypeInfo(type).Kind switch
        {
            JsonTypeInfoKind.Enumerable => "a list",
            _ => "an object",
        };
    }

    /// <summary>The value a JSON path (as System.Text.Json writes it, relative to the item) points at, if it is there.</summary>
    private static JsonElement? Find(JsonElement root, string path)
    {
        var current = root;
        foreach (Match step in PathStep().Matches(path))
        {
            if (step.Groups["index"].Success)
            {
                var index = int.Parse(step.Groups["index"].Value, CultureInfo.InvariantCulture);
                if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    return null;
                }
                current = current[index];
                continue;
            }
            var name = step.Groups["name"].Success ? step.Groups["name"].Value : step.Groups["quoted"].Value;
            if (current.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var found = current.EnumerateObject().Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Select(p => (JsonElement?)p.Value).FirstOrDefault();
            if (found is not { } next)
            {
                return null;
            }
            current = next;
        }
        return current;
    }

    [GeneratedRegex(@"could not be mapped to any \.NET member")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex(@"^Duplicate propert(y '(?<name>.*)' encountered|ies)")]
    private static partial Regex DuplicateProperty();

    [GeneratedRegex(@"could not be converted to ")]
    private static partial Regex ConversionTarget();

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<quoted>[^']*)'\]|\[(?<index>\d+)\]")]
    private static partial Regex PathStep();

    /// <summary>One file's reading: its errors and the accounts it leaves out.</summary>
    private sealed class Reading(string file)
    {
        private readonly List<InputError> errors = [];
        private readonly Dictionary<string, string> unread = new(StringComparer.Ordinal);

        public ScenarioRead Read(Sections s)
        {
            var instruments = Items<Instrument>(s.Instruments, "instruments", e => $"instrument {Id(e, "id")}");
            var models = Items<TargetModel>(s.Models, "models", e => $"model {Id(e, "id")}");
            var prices = Items<Price>(s.Prices, "prices", e => $"the price of {Id(e, "instrumentId")}");
            var cashFlows = Items<CashFlow>(s.CashFlows, "cashFlows", e => $"the cash flow of {Id(e, "accountId")}");
            var accounts = new List<Account>();
            var taxAccounts = new List<TaxAccountInput>();
            var accountItems = s.Accounts ?? [];
            for (var i = 0; i < accountItems.Count; i++)
            {
                var item = accountItems[i];
                var subject = $"account {Id(item, "id")}";
                if (TryRead<Account>(item, $"$.accounts[{i}]", subject, out var account) && TryRead<TaxAccountInput>(item, $"$.accounts[{i}]", subject, out var taxAccount))
                {
                    accounts.Add(account!);
                    taxAccounts.Add(taxAccount!);
                }
                else if (Text(item, "id") is { } id)
                {
                    unread.TryAdd(id, Text(item, "householdId") ?? id);
                }
            }
            var history = Items<HouseholdTradeInput>(s.HouseholdTrades, "householdTrades", e => $"household trade of {Id(e, "accountId")}");
            var identical = Items<IReadOnlyList<string>>(s.IdenticalGroups, "identicalGroups", _ => "the group");
            var substitutes = Items<IReadOnlyList<string>>(s.SubstituteGroups, "substituteGroups", _ => "the group");
            BatchingSettings? batching = null;
            if (s.Batching is { } raw && TryRead<BatchingSettings>(raw, "$.batching", "batching", out var read))
            {
                batching = read;
            }
            var policies = new List<NamedPolicy>();
            var policyItems = s.Policies ?? [];
            for (var i = 0; i < policyItems.Count; i++)
            {
                var subject = $"policy {Id(policyItems[i], "id")}";
                if (TryRead<InvestmentPolicy>(policyItems[i], $"$.policies[{i}]", subject, out var policy) && TryReadTax(policyItems[i], policy!, $"$.policies[{i}]", subject, out var taxPolicy))
                {
                    policies.Add(new NamedPolicy(policy!, taxPolicy!));
                }
            }
            var document = new ScenarioDocument(s.AsOf, instruments, models, prices, accounts, cashFlows);
            var tax = new TaxDocument(taxAccounts, substitutes, identical, history, batching);
            return new ScenarioRead(document, tax, new ReadProblems(errors, unread, accountItems.Count), policies);
        }

        /// <summary>
        /// The tax view of a named policy whose base view is read. A policy object naming only base fields, spelt as
        /// the base view writes them, gives the tax view only its tax status, which both views read alike (a firm's
        /// tens of thousands of policies are mostly such): it is made from the base view instead of reading the
        /// object a second time. Any other name (a tax field, another spelling) has the object read again.
        /// </summary>
        private bool TryReadTax(JsonElement item, InvestmentPolicy policy, string at, string subject, out TaxPolicyInput? value)
        {
            var taxStatusGiven = false;
            foreach (var property in item.EnumerateObject())
            {
                if (!IsBasePolicyField(property))
                {
                    return TryRead(item, at, subject, out value);
                }
                taxStatusGiven |= property.NameEquals("taxStatus"u8);
            }
            value = new TaxPolicyInput(taxStatusGiven ? policy.TaxStatus : null, null, null, null, null, null, null, null, null);
            return true;
        }

        private static bool IsBasePolicyField(JsonProperty property)
        {
            foreach (var name in BasePolicyFields)
            {
                if (property.NameEquals(name))
                {
                    return true;
                }
            }
            return false;
        }

        private List<T>? Items<T>(List<JsonElement>? items, string section, Func<JsonElement, string> subject)
        {
            if (items is null)
            {
                return null;
            }
            var read = new List<T>(items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                if (TryRead<T>(items[i], $"$.{section}[{i}]", subject(items[i]), out var value))
                {
                    read.Add(value!);
                }
            }
            return read;
        }

        private bool TryRead<T>(JsonElement item, string at, string subject, out T? value)
        {
            try
            {
                value = item.Deserialize<T>(ReadOptions);
                return true;
            }
            catch (JsonException e)
            {
                var inside = e.Path is { Length: > 1 } p ? p[1..] : "";
                var what = Describe(e, item, typeof(T)) ?? TextLimit.Clip(e.Message, 200);
                errors.Add(new InputError(file, at + inside, $"{what}; {subject} is left out"));
                value = default;
                return false;
            }
        }

        private static string? Text(JsonElement item, string field) =>
            item.ValueKind == JsonValueKind.Object && item.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        private static string Id(JsonElement item, string field) => Text(item, field) is { } id ? TextLimit.Clip(id, 80) : "(no id)";
    }
}

/// <summary>Skips a value without keeping it (a field the other view of the same object reads).</summary>
internal sealed class SkippedValue : JsonConverter<object?>
{
    public static SkippedValue Instance { get; } = new();

    public override bool HandleNull => true;

    public override object? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        reader.Skip();
        return null;
    }

    public override void Write(Utf8JsonWriter writer, object? value, JsonSerializerOptions options) => writer.WriteNullValue();
}

/// <summary>Reads enums by their camelCase names only; anything else is an error naming the value and the valid values.</summary>
internal sealed class StrictEnumConverter : JsonConverterFactory
{
    private const string Marker = "; valid values: ";

    public static bool IsItsError(JsonException e) => e.InnerException is null && e.Message.Contains(Marker, StringComparison.Ordinal);

    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<T> : JsonConverter<T>
        where T : struct, Enum
    {
        private static readonly Dictionary<string, T> ByName = Enum.GetValues<T>()
            .ToDictionary(v => JsonNamingPolicy.CamelCase.ConvertName(v.ToString()), v => v, StringComparer.OrdinalIgnoreCase);

        private static readonly string Valid = string.Join(", ", ByName.Keys);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String && ByName.TryGetValue(reader.GetString()!, out var value))
            {
                return value;
            }
            var got = reader.TokenType == JsonTokenType.String
                ? $"'{TextLimit.Clip(reader.GetString()!, 60)}'"
                : TextLimit.Clip(Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan), 60);
            throw new JsonException($"{got} is not valid{Marker}{Valid}");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(JsonNamingPolicy.CamelCase.ConvertName(value.ToString()));
    }
}

/// <summary>Keeps echoed input short (a long value is cut with an ellipsis and its length stated) and finds invalid UTF-8.</summary>
public static class TextLimit
{
    /// <summary>The byte offset of the first byte that is not valid UTF-8, or null when all of it is.</summary>
    public static long? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return null;
        }
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out var read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.Done ? null : read;
    }

    /// <summary>A whole UTF-8 text file (without its byte order mark), refused with the file and byte offset when it is not valid UTF-8.</summary>
    public static string ReadUtf8File(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var text = bytes.AsSpan();
        var skip = text.StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        if (InvalidUtf8At(text[skip..]) is { } offset)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: not valid UTF-8 at byte offset {offset + skip}"));
        }
        return Encoding.UTF8.GetString(text[skip..]);
    }

    public static string Clip(string? text, int max)
    {
        if (text is null || text.Length <= max)
        {
            return text ?? "";
        }
        return string.Create(CultureInfo.InvariantCulture, $"{text[..max]}… ({text.Length:N0} characters)");
    }
}
