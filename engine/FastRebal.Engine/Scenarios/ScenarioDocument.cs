using System.Text.Json;
using System.Text.Json.Serialization;
using FastRebal.Engine.Model;

namespace FastRebal.Engine.Scenarios;

/// <summary>
/// The scenario file as written on disk (JSON, camelCase, enums as strings). Everything is optional at this level
/// so that a missing field becomes a validation error naming the account and field, not a parser exception.
/// </summary>
public sealed record ScenarioDocument(
    DateOnly? AsOf,
    IReadOnlyList<Instrument>? Instruments,
    IReadOnlyList<TargetModel>? Models,
    IReadOnlyList<Price>? Prices,
    IReadOnlyList<Account>? Accounts,
    IReadOnlyList<CashFlow>? CashFlows)
{
    /// <summary>The serializer settings every scenario reader and writer shares.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            // "NaN" prices must reach validation and be reported there, with the instrument named.
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>A problem with one item of the input, named precisely enough to find and fix it.</summary>
/// <param name="Subject">What the problem is in, e.g. "account A-17" or "instrument SPY".</param>
/// <param name="Field">The field, e.g. "positions[2].quantity".</param>
/// <param name="Message">What is wrong with it.</param>
/// <remarks>Each part is cut to a bounded length, so a huge value in the input is never echoed whole.</remarks>
public sealed record InputError(string Subject, string Field, string Message)
{
    public string Subject { get; init; } = TextLimit.Clip(Subject, 200);

    public string Field { get; init; } = TextLimit.Clip(Field, 300);

    public string Message { get; init; } = TextLimit.Clip(Message, 600);

    /// <summary>"account A-1, positions[2].quantity: ..." or, for an error strict reading found, "file.json: $.accounts[3].lotMethd: ...".</summary>
    public override string ToString() => Field.StartsWith('$') ? $"{Subject}: {Field}: {Message}" : $"{Subject}, {Field}: {Message}";
}

/// <summary>The whole input cannot be used (unreadable, not JSON, wrong shape); names the file and position.</summary>
public sealed class ScenarioFormatException(string message, Exception? inner = null) : Exception(message, inner);
