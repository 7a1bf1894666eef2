using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastRebal.Engine.Orders;

/// <summary>
/// Something a trade plan could not do as sized (a trade below the minimum, a buy cut to keep the cash reserve), kept
/// as its parts and put into words only when read: a report, the console or the audit writer. Sizing a plan formats
/// no text, though most plans of a large book carry such warnings. A warning the engine has no parts for (a rare
/// one, or one read back from a checkpoint) is kept in words. JSON writes it as its words.
/// </summary>
[JsonConverter(typeof(PlanWarningJsonConverter))]
public readonly struct PlanWarning : IEquatable<PlanWarning>
{
    private enum Form : byte
    {
        Words,
        BelowMinimum,
        BuyDropped,
        BuyTrimmed,
    }

    private readonly Form form;

    // The words, or the symbol or instrument the warning is about.
    private readonly string text;
    private readonly TradeSide side;
    private readonly decimal quantity;
    private readonly decimal amount;
    private readonly decimal limit;

    private PlanWarning(Form form, string text, TradeSide side = default, decimal quantity = 0, decimal amount = 0, decimal limit = 0) =>
        (this.form, this.text, this.side, this.quantity, this.amount, this.limit) = (form, text, side, quantity, amount, limit);

    /// <summary>A warning given in words.</summary>
    public static PlanWarning InWords(string words) => new(Form.Words, words);

    /// <summary>A trade of <paramref name="notional"/> under the policy's <paramref name="minimum"/>, not placed.</summary>
    public static PlanWarning BelowMinimum(TradeSide side, decimal quantity, string symbol, decimal notional, decimal minimum) =>
        new(Form.BelowMinimum, symbol, side, quantity, notional, minimum);

    /// <summary>A buy left out so that the cash after the plan stays at the <paramref name="reserve"/>.</summary>
    public static PlanWarning BuyDropped(string instrumentId, decimal reserve) => new(Form.BuyDropped, instrumentId, limit: reserve);

    /// <summary>A buy made smaller by <paramref name="cut"/> so that the cash after the plan stays at the <paramref name="reserve"/>.</summary>
    public static PlanWarning BuyTrimmed(string instrumentId, decimal cut, decimal reserve) => new(Form.BuyTrimmed, instrumentId, quantity: cut, limit: reserve);

    public override string ToString() => form switch
    {
        Form.BelowMinimum => string.Create(CultureInfo.InvariantCulture,
            $"{(side == TradeSide.Buy ? "buy" : "sell")} {quantity:0.######} {text} ({amount:N2}) is below the minimum trade {limit:N2} and was suppressed"),
        Form.BuyDropped => string.Create(CultureInfo.InvariantCulture, $"buy of {text} dropped to keep the cash reserve {limit:N2}"),
        Form.BuyTrimmed => string.Create(CultureInfo.InvariantCulture, $"buy of {text} trimmed by {quantity:0.######} to keep the cash reserve {limit:N2}"),
        _ => text ?? "",
    };

    /// <summary>Two warnings are equal when they read the same, however they are kept.</summary>
    public bool Equals(PlanWarning other) => ToString() == other.ToString();

    public override bool Equals(object? obj) => obj is PlanWarning other && Equals(other);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    public static bool operator ==(PlanWarning left, PlanWarning right) => left.Equals(right);

    public static bool operator !=(PlanWarning left, PlanWarning right) => !left.Equals(right);
}

/// <summary>A <see cref="PlanWarning"/> in JSON: its words (read back as a warning in words).</summary>
public sealed class PlanWarningJsonConverter : JsonConverter<PlanWarning>
{
    public override PlanWarning Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        PlanWarning.InWords(reader.GetString() ?? throw new JsonException("a plan warning is a string"));

    public override void Write(Utf8JsonWriter writer, PlanWarning value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
