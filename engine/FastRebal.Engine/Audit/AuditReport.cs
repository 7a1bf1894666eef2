using System.Globalization;
using System.Net;
using FastRebal.Engine.Runs;

namespace FastRebal.Engine.Audit;

/// <summary>Which records a report covers: one account's, over UTC days <see cref="From"/> to <see cref="To"/> inclusive.</summary>
public sealed record AuditReportQuery(string AccountId, DateOnly From, DateOnly To)
{
    /// <summary>The account's records in the period, plus firm-wide operator actions (a kill switch touches every account).</summary>
    public bool Includes(AuditRecord record) =>
        record.Day >= From && record.Day <= To
        && (record.Entry.AccountId == AccountId || (record.Entry.AccountId.Length == 0 && record.Entry.Kind == AuditKind.OperatorAction));
}

/// <summary>
/// The audit-ready report: each decision, trade, harvest, approval and operator action of an account in plain
/// language (what, why, the drift and band figures, the policy id and version), with each record's input hash and
/// own hash so a reviewer can match a line to the chain, and the chain's status and daily Merkle roots.
/// </summary>
public static class AuditReport
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private static readonly string[] Columns =
        ["sequence", "timestamp", "kind", "account_id", "policy_id", "policy_version", "rule", "what_and_why", "drift_and_band", "figures", "actor", "why", "input_hash", "hash"];

    /// <summary>The drift and band figures in words, e.g. "max drift 6.77% (relative 16.9%), total drift 6.61%; band ±5.00% absolute"; "" when the record has none.</summary>
    public static string DriftAndBand(AuditEntry entry)
    {
        if (!TryFigure(entry, "maxAbsDrift", out var drift) || !TryFigure(entry, "bandWidth", out var width))
        {
            return "";
        }
        TryFigure(entry, "maxRelativeDrift", out var relative);
        TryFigure(entry, "totalDrift", out var total);
        var band = entry.Figure("bandType") == "Relative"
            ? string.Create(C, $"±{width * 100:0.##}% relative band")
            : string.Create(C, $"±{width * 100:0.00}% absolute band");
        return string.Create(C, $"max drift {drift * 100:0.00}% (relative {relative * 100:0.0}%), total drift {total * 100:0.00}%; {band}");
    }

    /// <summary>What happened and why, in one sentence a reviewer can read.</summary>
    public static string WhatAndWhy(AuditRecord record)
    {
        var e = record.Entry;
        var policy = e.PolicyId.Length > 0 ? string.Create(C, $" under IPS {e.PolicyId} v{e.PolicyVersion}") : "";
        return e.Kind switch
        {
            AuditKind.Decision => $"Decision for {e.AccountId}{policy}: {e.Explanation}",
            AuditKind.Trade => $"Trade for {e.AccountId}{policy}: {e.Explanation}",
            AuditKind.Harvest => $"Tax-loss harvest for {e.AccountId}{policy}: {e.Explanation}",
            AuditKind.Approval => $"Approval for {e.AccountId}{policy}: {e.Explanation}",
            AuditKind.RiskRejection => $"Refused by the risk gate ({e.Rule}) for {e.AccountId}{policy}: {e.Explanation}",
            AuditKind.OperatorAction => $"Operator action {e.Rule} by {e.Actor}{(e.AccountId.Length > 0 ? " on " + e.AccountId : "")}: {e.Explanation}; reason given: {e.ActorReason}",
            AuditKind.Checkpoint => $"Retention checkpoint: {e.Explanation}",
            AuditKind.Fill => $"Fill for {e.AccountId}{policy}: {e.Explanation}",
            _ => e.Explanation,
        };
    }

    public static void WriteCsv(TextWriter writer, IEnumerable<AuditRecord> records)
    {
        var list = records as IReadOnlyList<AuditRecord> ?? [.. records];
        var decisions = DecisionsByInputs(list);
        writer.WriteLine(string.Join(',', Columns));
        foreach (var r in list)
        {
            writer.WriteLine(string.Join(',', Cells(r, decisions).Select(CsvFields.Quote)));
        }
    }

    /// <summary>
    /// The drift and band behind a record: its own figures, or for a trade that keeps its reason as a code (and so not
    /// its decision's figures), those of its decision among <paramref name="decisions"/> (see <see cref="DecisionsByInputs"/>).
    /// </summary>
    public static string DriftAndBand(AuditRecord record, IReadOnlyDictionary<(string Account, string InputHash), AuditEntry> decisions) =>
        record.Entry is { Kind: AuditKind.Trade, ReasonCode: not null } trade && trade.InputHash.Length > 0
            && decisions.TryGetValue((trade.AccountId, trade.InputHash), out var decision)
            ? DriftAndBand(decision)
            : DriftAndBand(record.Entry);

    /// <summary>The decisions among the records by account and input hash: a trade's decision is the one of its account with its input hash.</summary>
    public static IReadOnlyDictionary<(string Account, string InputHash), AuditEntry> DecisionsByInputs(IEnumerable<AuditRecord> records)
    {
        var decisions = new Dictionary<(string, string), AuditEntry>();
        foreach (var r in records)
        {
            if (r.Entry is { Kind: AuditKind.Decision } d && d.InputHash.Length > 0)
            {
                decisions[(d.AccountId, d.InputHash)] = d;
            }
        }
        return decisions;
    }

    public static void WriteHtml(TextWriter writer, IEnumerable<AuditRecord> records, AuditReportQuery query, string source, AuditVerification verification)
    {
        static string H(string text) => WebUtility.HtmlEncode(text);
        var list = records.ToList();
        var decisions = DecisionsByInputs(list);
        writer.WriteLine("<!DOCTYPE html>");
        writer.WriteLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        writer.WriteLine(string.Create(C, $"<title>Audit report {H(query.AccountId)} {query.From:yyyy-MM-dd} to {query.To:yyyy-MM-dd}</title>"));
        writer.WriteLine("<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #bbb;padding:4px;vertical-align:top;text-align:left}code{font-size:11px;word-break:break-all}.bad{color:#b00020;font-weight:bold}</style>");
        writer.WriteLine("</head><body>");
        writer.WriteLine(string.Create(C, $"<h1>Audit report: account {H(query.AccountId)}, {query.From:yyyy-MM-dd} to {query.To:yyyy-MM-dd}</h1>"));
        writer.WriteLine(string.Create(C, $"<p>Source: <code>{H(source)}</code>. {list.Count} record(s) in the period.</p>"));
        writer.WriteLine(verification.Intact
            ? string.Create(C, $"<p>Chain verified: {H(verification.Message)}; tail hash <code>{verification.TailHash}</code>.</p>")
            : $"<p class=\"bad\">Chain NOT intact: {H(verification.Message)}</p>");
        writer.WriteLine("<table><thead><tr>" + string.Concat(Columns.Select(c => $"<th>{H(c)}</th>")) + "</tr></thead><tbody>");
        foreach (var r in list)
        {
            var cells = Cells(r, decisions);
            writer.WriteLine("<tr>" + string.Concat(cells.Select((cell, i) => Columns[i] is "input_hash" or "hash" ? $"<td><code>{H(cell)}</code></td>" : $"<td>{H(cell)}</td>")) + "</tr>");
        }
        writer.WriteLine("</tbody></table>");
        var days = verification.Days.Where(d => d.Day >= query.From && d.Day <= query.To).ToList();
        if (days.Count > 0)
        {
            writer.WriteLine("<h2>Daily Merkle roots</h2><table><thead><tr><th>day (UTC)</th><th>records</th><th>sequences</th><th>root</th></tr></thead><tbody>");
            foreach (var d in days)
            {
                writer.WriteLine(string.Create(C, $"<tr><td>{d.Day:yyyy-MM-dd}</td><td>{d.Records}</td><td>{d.FirstSequence}–{d.LastSequence}</td><td><code>{d.Root}</code></td></tr>"));
            }
            writer.WriteLine("</tbody></table>");
        }
        writer.WriteLine("</body></html>");
    }

    private static string[] Cells(AuditRecord r, IReadOnlyDictionary<(string Account, string InputHash), AuditEntry> decisions)
    {
        var e = r.Entry;
        return
        [
            r.Sequence.ToString(C), AuditEncoding.FormatTimestamp(r.Timestamp), e.Kind.ToString(), e.AccountId, e.PolicyId,
            e.PolicyId.Length > 0 ? e.PolicyVersion.ToString(C) : "", e.Rule, WhatAndWhy(r), DriftAndBand(r, decisions),
            string.Join("; ", e.Figures.Select(f => $"{f.Name}={f.Value}")), e.Actor, e.ActorReason, e.InputHash, r.Hash,
        ];
    }

    private static bool TryFigure(AuditEntry entry, string name, out double value)
    {
        value = 0;
        return entry.Figure(name) is { } text && double.TryParse(text, NumberStyles.Float, C, out value);
    }
}
