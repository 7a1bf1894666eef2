using System.Globalization;
using System.Runtime.CompilerServices;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Audit;

/// <summary>
/// A decision's, a trade's or a fill's reason as the audit trail keeps it: a code naming its shape and the figures it is made
/// of, written by the engine without putting anything into words, and put into words when the trail is read, from
/// the record alone, in the sentence the engine's own reason reads (the record's <see cref="AuditEntry.Explanation"/>).
/// </summary>
/// <remarks>
/// A decision's codes: <c>trigger</c> (what the IPS trigger found), <c>rebalance</c> (and to where: figure <c>to</c>),
/// <c>cashFlow</c> (figure <c>netFlow</c>), <c>noInvestableValue</c>, or <c>words</c> (a reason given in words: figure
/// <c>text</c>). The trigger's parts: <c>trigger</c> (its rule), <c>fired</c> (the rule held back by the minimum days,
/// when it differs), <c>calendar</c>, <c>assetClass</c>/<c>assetClassDrift</c>/<c>assetClassBand</c>,
/// <c>daysSinceLast</c>/<c>minDays</c>, each only where the words use it, with the drift and band of the decision's own
/// figures; then <c>blocked</c>, <c>approval</c>, <c>nothingPlaced</c> and a <c>warning</c> per warning. A trade's
/// codes: <c>sizing</c> (figures <c>label</c>, <c>symbol</c> when it is not the instrument, <c>value</c>, <c>goal</c>,
/// <c>investable</c>, <c>target</c>) or <c>words</c> (figure <c>text</c>); then the relieved lots of a tax-aware trade,
/// four figures each (<c>lot</c>, <c>lotQuantity</c>, <c>lotGain</c>, <c>lotTerm</c>). A live fill's code: <c>fill</c>
/// (its figures as before, then its relieved lots and ten figures per wash sale, <c>washQuantity</c> to
/// <c>washReason</c>). Numbers are invariant and
/// round-trip exactly: decimals as they are, doubles in their shortest round-trip form.
/// </remarks>
public static class AuditReasons
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public const string WordsCode = "words";
    public const string TriggerCode = "trigger";
    public const string RebalanceCode = "rebalance";
    public const string CashFlowCode = "cashFlow";
    public const string NoInvestableValueCode = "noInvestableValue";
    public const string SizingCode = "sizing";
    public const string FillCode = "fill";

    /// <summary>The code of a decision's reason: its parts when they are those the decision's figures can carry, else its words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static string CodeOf(Decision decision, out DecisionReason parts)
    {
        parts = default;
        if (decision.Why is not { } why || why.Shape == DecisionReason.Kind.Words)
        {
            return WordsCode;
        }
        parts = why;
        if (why.Shape == DecisionReason.Kind.NoInvestableValue)
        {
            return Same(why.AccountValue, decision.TotalValue) ? NoInvestableValueCode : WordsCode;
        }
        // The words of the trigger use the drift and band it saw: kept once, as the decision's own figures.
        var o = why.Outcome;
        if (!Same(o.MaxAbsDrift, decision.MaxAbsDrift) || !Same(o.MaxRelativeDrift, decision.MaxRelativeDrift) || o.BandType != decision.BandType
            || !Same(o.BandWidth, decision.BandWidth))
        {
            return WordsCode;
        }
        return why.Shape switch
        {
            DecisionReason.Kind.Rebalance => RebalanceCode,
            DecisionReason.Kind.CashFlow => CashFlowCode,
            _ => TriggerCode,
        };
    }

    // The same bits, so the same words (0.0 and -0.0 are equal but are not written alike).
    private static bool Same(double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b);

    /// <summary>The figures of a decision's reason after the decision's own (see <see cref="CodeOf"/>), and its warnings.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WriteDecisionParts(IAuditEntrySink sink, Decision decision, string code, in DecisionReason why)
    {
        if (code == WordsCode)
        {
            sink.Figure("text", decision.Reason);
        }
        else if (code != NoInvestableValueCode)
        {
            var o = why.Outcome;
            sink.Figure("trigger", RuleName(o.Rule));
            if (o.Fired != o.Rule)
            {
                sink.Figure("fired", RuleName(o.Fired));
            }
            if (o.Fired is not (DecisionRule.BandBreach or DecisionRule.AssetClassBandBreach or DecisionRule.WithinBand))
            {
                sink.Figure("calendar", o.Calendar.ToString());
            }
            if (o.Fired == DecisionRule.AssetClassBandBreach && o.AssetClass is { } breach)
            {
                sink.Figure("assetClass", breach.AssetClass);
                Number(sink, "assetClassDrift", breach.Drift);
                Number(sink, "assetClassBand", breach.Band);
            }
            if (o.Rule == DecisionRule.MinDaysBetweenRebalances)
            {
                Number(sink, "daysSinceLast", o.DaysSinceLast);
                Number(sink, "minDays", o.MinDays);
            }
            if (code == RebalanceCode)
            {
                sink.Figure("to", why.Goal switch
                {
                    RebalanceMode.ToBandEdge => "bandEdge",
                    RebalanceMode.Halfway => "halfway",
                    _ => "target",
                });
            }
            else if (code == CashFlowCode)
            {
                Number(sink, "netFlow", why.NetFlow);
            }
        }
        if (code != WordsCode)
        {
            if (why.BlockedBecause is { } blocked)
            {
                sink.Figure("blocked", blocked);
            }
            if (why.HeldBecause is { } held)
            {
                sink.Figure("approval", held);
            }
            if (why.NoTradePlaced)
            {
                sink.Figure("nothingPlaced", "true");
            }
        }
        for (var i = 0; i < decision.Warnings.Count; i++)
        {
            sink.Figure("warning", decision.Warnings[i].ToString());
        }
    }

    /// <summary>The code of a trade's reason: its sizing's parts, or its words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static string CodeOf(Trade trade) => trade.Why is { Rule: not null } ? SizingCode : WordsCode;

    /// <summary>The figures of a trade's reason after its instrument, side, quantity and price, and its relieved lots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WriteTradeParts(IAuditEntrySink sink, Trade trade, string code, TaxedTrade? taxed)
    {
        if (code == SizingCode)
        {
            var why = trade.Why!.Value;
            sink.Figure("label", why.Rule);
            if (why.Symbol != trade.InstrumentId)
            {
                sink.Figure("symbol", why.Symbol);
            }
            Number(sink, "value", why.Value);
            Number(sink, "goal", why.Goal);
            Number(sink, "investable", why.Investable);
            Number(sink, "target", why.Target);
        }
        else
        {
            sink.Figure("text", trade.Reason);
        }
        if (taxed is not null)
        {
            WriteLots(sink, taxed);
        }
    }

    private static void WriteLots(IAuditEntrySink sink, TaxedTrade taxed)
    {
        foreach (var lot in taxed.Lots)
        {
            sink.Figure("lot", lot.LotId);
            Number(sink, "lotQuantity", lot.Quantity);
            Number(sink, "lotGain", lot.Gain);
            sink.Figure("lotTerm", lot.Term.ToString());
        }
    }

    /// <summary>A fill's relieved lots (four figures each) and wash sales (ten figures each), after its own figures.</summary>
    internal static void WriteFillParts(IAuditEntrySink sink, TaxedTrade taxed)
    {
        WriteLots(sink, taxed);
        foreach (var w in taxed.WashSales)
        {
            Number(sink, "washQuantity", w.Quantity);
            sink.Figure("washSold", w.SoldInstrumentId);
            sink.Figure("washSaleAccount", w.SaleAccountId);
            sink.Figure("washSaleDate", w.SaleDate.ToString("yyyy-MM-dd", C));
            sink.Figure("washSoldLot", w.SoldLotId);
            sink.Figure("washReplacement", w.ReplacementInstrumentId);
            sink.Figure("washReplacementAccount", w.ReplacementAccountId);
            sink.Figure("washReplacementDate", w.ReplacementDate.ToString("yyyy-MM-dd", C));
            Number(sink, "washDisallowed", w.DisallowedLoss);
            sink.Figure("washReason", w.Reason);
        }
    }

    /// <summary>A number in its shortest invariant form that reads back to the same value (and, for a decimal, the same scale).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Number<T>(IAuditEntrySink sink, string name, T value) where T : IUtf8SpanFormattable
    {
        Span<byte> text = stackalloc byte[DecimalText.MaxLength];
        // Decimals are most of a trade record's numbers: written by the audit's own formatter (the same text).
        var formatted = typeof(T) == typeof(decimal)
            ? DecimalText.TryFormat((decimal)(object)value, text, out var written)
            : value.TryFormat(text, out written, default, C);
        if (!formatted)
        {
            throw new InvalidOperationException($"figure '{name}' did not fit in {text.Length} bytes");
        }
        sink.Figure(name, text[..written]);
    }

    private static string RuleName(DecisionRule rule) => rule.ToString();

    /// <summary>The record's reason in words, or a note naming what keeps it from being put into words.</summary>
    public static string Words(AuditEntry entry) =>
        TryWords(entry, onlyCheck: false, out var words, out var problem) ? words : $"(the reason '{entry.ReasonCode}' cannot be put into words: {problem})";

    /// <summary>What keeps a coded record from being put into words, or null when nothing does.</summary>
    /// <remarks>Every figure the words need is read and checked, but no words are made (verification reads every record).</remarks>
    public static string? Problem(AuditEntry entry) => TryWords(entry, onlyCheck: true, out _, out var problem) ? null : problem;

    private static bool TryWords(AuditEntry entry, bool onlyCheck, out string words, out string problem)
    {
        words = "";
        var read = new FigureReader(entry, onlyCheck);
        bool done;
        try
        {
            done = entry.Kind switch
            {
                AuditKind.Decision => DecisionWords(entry, ref read, out words),
                AuditKind.Trade => TradeWords(entry, ref read, out words),
                AuditKind.Fill => FillWords(entry, ref read, out words),
                _ => read.Fail($"no {entry.Kind} record keeps its reason as a code"),
            };
        }
        catch (ArithmeticException e)
        {
            // A notional or a percent out of decimal's range: the engine never records one, so the record was forged.
            done = read.Fail($"its figures give a number out of range ({e.Message})");
        }
        problem = read.Problem ?? "";
        return done && read.Problem is null;
    }

    private static bool DecisionWords(AuditEntry entry, ref FigureReader read, out string words)
    {
        words = "";
        var action = read.Enum<DecisionAction>("action");
        DecisionReason why;
        switch (entry.ReasonCode)
        {
            case WordsCode:
                why = DecisionReason.Words(read.Text("text"));
                break;
            case NoInvestableValueCode:
                why = DecisionReason.NoInvestableValue(read.Double("totalValue"));
                break;
            case TriggerCode or RebalanceCode or CashFlowCode:
                var rule = read.Enum<DecisionRule>("trigger");
                var fired = read.Has("fired") ? read.Enum<DecisionRule>("fired") : rule;
                var calendar = read.Has("calendar") ? read.Enum<CalendarSchedule>("calendar") : CalendarSchedule.None;
                var assetClass = read.Has("assetClass")
                    ? new AssetClassBreach(read.Text("assetClass"), read.Double("assetClassDrift"), read.Double("assetClassBand"))
                    : null;
                var (days, minDays) = rule == DecisionRule.MinDaysBetweenRebalances ? (read.Int("daysSinceLast"), read.Int("minDays")) : (0, 0);
                var outcome = new TriggerOutcome(rule, fired, read.Double("maxAbsDrift"), read.Double("maxRelativeDrift"), read.Enum<BandType>("bandType"),
                    read.Double("bandWidth"), calendar, assetClass, days, minDays);
                why = entry.ReasonCode switch
                {
                    RebalanceCode => DecisionReason.Rebalance(outcome, read.Text("to") switch
                    {
                        "bandEdge" => RebalanceMode.ToBandEdge,
                        "halfway" => RebalanceMode.Halfway,
                        "target" => RebalanceMode.ToTarget,
                        var other => read.Fail($"figure 'to' is '{other}', not bandEdge, halfway or target") ? RebalanceMode.ToTarget : RebalanceMode.ToTarget,
                    }),
                    CashFlowCode => DecisionReason.CashFlow(outcome, read.Decimal("netFlow")),
                    _ => DecisionReason.Trigger(outcome),
                };
                break;
            default:
                return read.Fail($"unknown decision reason '{entry.ReasonCode}'");
        }
        if (entry.ReasonCode != WordsCode)
        {
            if (read.Has("blocked"))
            {
                why = why.Blocked(read.Text("blocked"));
            }
            if (read.Has("approval"))
            {
                why = why.HeldForApproval(read.Text("approval"));
            }
            if (read.Has("nothingPlaced"))
            {
                why = why.NothingPlaced();
            }
        }
        var warnings = read.All("warning");
        if (read.Problem is not null)
        {
            return false;
        }
        if (read.OnlyCheck)
        {
            return true;
        }
        var tail = warnings.Count > 0 ? $" (warnings: {string.Join("; ", warnings)})" : "";
        words = $"{AuditEntries.ActionText(action)}: {why}{tail}";
        return true;
    }

    private static bool TradeWords(AuditEntry entry, ref FigureReader read, out string words)
    {
        words = "";
        var instrument = read.Text("instrument");
        var side = read.Enum<TradeSide>("side");
        var quantity = read.Decimal("quantity");
        var price = read.Decimal("price");
        string reason;
        switch (entry.ReasonCode)
        {
            case SizingCode:
                var sizing = new TradeReason(read.Text("label"), read.Has("symbol") ? read.Text("symbol") : instrument, read.Decimal("value"), read.Decimal("goal"),
                    read.Decimal("investable"), read.Decimal("target"));
                if (sizing.Investable == 0)
                {
                    return read.Fail("figure 'investable' is zero: a sizing always has an investable value");
                }
                reason = read.OnlyCheck ? "" : sizing.ToString();
                break;
            case WordsCode:
                reason = read.Text("text");
                break;
            default:
                return read.Fail($"unknown trade reason '{entry.ReasonCode}'");
        }
        if (!RelievedLots(ref read, out var relieved))
        {
            return false;
        }
        if (read.Problem is not null)
        {
            return false;
        }
        if (read.OnlyCheck)
        {
            return true;
        }
        var rule = System.Enum.TryParse<DecisionRule>(entry.Rule, out var r) && r.ToString() == entry.Rule ? AuditEntries.RuleText(r) : entry.Rule;
        words = string.Create(C,
            $"{side} {new QuantityWords(quantity)} {instrument} at {price.ToString("0.00####", C)} ({new NotionalWords(quantity * price)}) for {rule}: {reason}{relieved}");
        return true;
    }

    /// <summary>The words of a record's relieved lots ("; lots relieved: ..."), or "" when it has none.</summary>
    private static bool RelievedLots(ref FigureReader read, out string relieved)
    {
        relieved = "";
        var lots = read.All("lot");
        var lotQuantities = read.All("lotQuantity");
        var lotGains = read.All("lotGain");
        var lotTerms = read.All("lotTerm");
        if (lotQuantities.Count != lots.Count || lotGains.Count != lots.Count || lotTerms.Count != lots.Count)
        {
            return read.Fail("each relieved lot needs its lot, lotQuantity, lotGain and lotTerm");
        }
        if (lots.Count > 0)
        {
            var each = new string[lots.Count];
            for (var i = 0; i < lots.Count; i++)
            {
                var lotQuantity = FigureReader.ParseDecimal(lotQuantities[i]);
                var gain = FigureReader.ParseDecimal(lotGains[i]);
                if (lotQuantity is null || gain is null || !System.Enum.TryParse<HoldingTerm>(lotTerms[i], out var term) || term.ToString() != lotTerms[i])
                {
                    return read.Fail($"relieved lot {i + 1} ('{lots[i]}') has a quantity, gain or term that does not read");
                }
                each[i] = read.OnlyCheck ? "" : string.Create(C, $"{lots[i]} {lotQuantity:0.######} (gain {gain:0.00}, {term})");
            }
            relieved = "; lots relieved: " + string.Join(", ", each);
        }
        return true;
    }

    private static bool FillWords(AuditEntry entry, ref FigureReader read, out string words)
    {
        words = "";
        if (entry.ReasonCode != FillCode)
        {
            return read.Fail($"unknown fill reason '{entry.ReasonCode}'");
        }
        var instrument = read.Text("instrument");
        var side = read.Enum<TradeSide>("side");
        var quantity = read.Decimal("quantity");
        var price = read.Decimal("price");
        var opened = read.Text("lotOpened");
        if (!RelievedLots(ref read, out var relieved))
        {
            return false;
        }
        var quantities = read.All("washQuantity");
        string[] names = ["washSold", "washSaleAccount", "washSaleDate", "washSoldLot", "washReplacement", "washReplacementAccount", "washReplacementDate", "washDisallowed", "washReason"];
        var parts = names.Select(read.All).ToArray();
        if (parts.Any(p => p.Count != quantities.Count))
        {
            return read.Fail("each wash sale needs its ten figures");
        }
        var washes = new string[quantities.Count];
        for (var i = 0; i < washes.Length; i++)
        {
            var washQuantity = FigureReader.ParseDecimal(quantities[i]);
            var disallowed = FigureReader.ParseDecimal(parts[7][i]);
            if (washQuantity is null || disallowed is null
                || !DateOnly.TryParseExact(parts[2][i], "yyyy-MM-dd", C, DateTimeStyles.None, out var saleDate)
                || !DateOnly.TryParseExact(parts[6][i], "yyyy-MM-dd", C, DateTimeStyles.None, out var replacementDate))
            {
                return read.Fail($"wash sale {i + 1} has a quantity, date or disallowed loss that does not read");
            }
            washes[i] = read.OnlyCheck ? "" : string.Create(C,
                $"wash sale: {washQuantity:0.######} {parts[0][i]} sold at a loss in {parts[1][i]} on {saleDate:yyyy-MM-dd} (lot {parts[3][i]}) replaced by {parts[4][i]} bought in {parts[5][i]} on {replacementDate:yyyy-MM-dd}: {disallowed:0.00} disallowed, {parts[8][i]}");
        }
        if (read.Problem is not null)
        {
            return false;
        }
        if (read.OnlyCheck)
        {
            return true;
        }
        var openedWords = opened.Length > 0 ? $"; opened lot {opened}" : "";
        var washWords = washes.Length == 0 ? "" : "; " + string.Join("; ", washes);
        words = string.Create(C, $"{side} {quantity:0.######} {instrument} filled at {price:0.00####} ({quantity * price:#,0.00}) for {entry.Rule}{relieved}{openedWords}{washWords}");
        return true;
    }

    /// <summary>Reads a coded record's figures by name, keeping the first thing that does not read.</summary>
    private struct FigureReader(AuditEntry entry, bool onlyCheck)
    {
        public string? Problem { get; private set; }

        /// <summary>Only whether the words could be made: every figure read and checked, no text made.</summary>
        public readonly bool OnlyCheck => onlyCheck;

        public readonly bool Has(string name) => entry.Figure(name) is not null;

        public bool Fail(string problem)
        {
            Problem ??= problem;
            return false;
        }

        public string Text(string name)
        {
            if (entry.Figure(name) is { } value)
            {
                return value;
            }
            Fail($"figure '{name}' is missing");
            return "";
        }

        public readonly List<string> All(string name) => [.. entry.Figures.Where(f => f.Name == name).Select(f => f.Value)];

        public T Enum<T>(string name) where T : struct, Enum
        {
            var text = Text(name);
            if (System.Enum.TryParse<T>(text, out var value) && System.Enum.IsDefined(value) && value.ToString() == text)
            {
                return value;
            }
            if (Problem is null)
            {
                Fail($"figure '{name}' is '{text}', not a {typeof(T).Name}");
            }
            return default;
        }

        public double Double(string name)
        {
            var text = Text(name);
            if (double.TryParse(text, NumberStyles.Float, C, out var value))
            {
                return value;
            }
            if (Problem is null)
            {
                Fail($"figure '{name}' is '{text}', not a number");
            }
            return 0;
        }

        public int Int(string name)
        {
            var text = Text(name);
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, C, out var value))
            {
                return value;
            }
            if (Problem is null)
            {
                Fail($"figure '{name}' is '{text}', not a whole number");
            }
            return 0;
        }

        public decimal Decimal(string name)
        {
            var text = Text(name);
            if (ParseDecimal(text) is { } value)
            {
                return value;
            }
            if (Problem is null)
            {
                Fail($"figure '{name}' is '{text}', not a decimal number");
            }
            return 0;
        }

        public static decimal? ParseDecimal(string text)
        {
            if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, C, out var value))
            {
                return null;
            }
            // A negative zero ("-0.00") is written with its sign, so it is read back with it.
            return value == 0 && text.StartsWith('-') && !decimal.IsNegative(value) ? decimal.Negate(value) : value;
        }
    }
}
