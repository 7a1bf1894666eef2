using System.Globalization;
using System.Text.Json;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tax;

/// <summary>Writes a tax-aware run: the plain report's decisions and trades, plus lots relieved, wash sales, harvests, approvals, model blocks and lots after.</summary>
public static class TaxReport
{
    /// <param name="harvestScan">A harvest scan has no drift decisions: the summary and decisions are left out.</param>
    public static void WriteJson(Stream output, AccountBook book, TaxRunResult result, IReadOnlyList<InputError> errors, bool harvestScan = false)
    {
        var document = new
        {
            asOf = result.Run.AsOf,
            summary = harvestScan ? (object)HarvestSummary.From(result, errors.Count) : RunSummary.From(book, result.Run, errors.Count),
            errors,
            decisions = harvestScan ? null : result.Run.Decisions,
            trades = result.TaxedTrades.Select(t => new
            {
                t.Trade.AccountId, t.Trade.InstrumentId, t.Trade.Side, t.Trade.Quantity, t.Trade.Price, t.Trade.Notional, t.Trade.Reason, t.Source,
                lots = t.Lots.Count == 0 ? null : t.Lots,
                shortTermGain = t.Lots.Count == 0 ? (decimal?)null : t.ShortTermGain,
                longTermGain = t.Lots.Count == 0 ? (decimal?)null : t.LongTermGain,
                t.OpenedLotId,
                washSales = t.WashSales.Count == 0 ? null : t.WashSales,
            }),
            heldTrades = result.Run.HeldTrades.Select(t => new { t.AccountId, t.InstrumentId, t.Side, t.Quantity, t.Price, t.Notional, t.Reason, approvalId = PendingApproval(result, t.AccountId) }),
            washSales = result.WashSales,
            harvests = result.Harvests,
            approvals = result.Approvals,
            blocks = result.Blocks.Select(b => new { b.ModelId, b.InstrumentId, b.Side, b.Quantity, b.Price, b.Notional, b.Allocations }),
            taxSummary = result.Accounts,
            lots = result.Lots.Accounts.Order(StringComparer.Ordinal).ToDictionary(a => a, a => result.Lots.AllLots(a).ToList()),
        };
        JsonSerializer.Serialize(output, document, ScenarioDocument.JsonOptions);
    }

    /// <summary>The id of the approval an account's held trades wait for.</summary>
    private static string? PendingApproval(TaxRunResult result, string accountId) =>
        result.Approvals.FirstOrDefault(a => a.AccountId == accountId && a.Status == Approvals.ApprovalStatus.Pending)?.Id;

    /// <summary>
    /// The plain CSV (same header; decision, trade and error rows) followed by tax rows: <c>lot</c> (a lot a sell
    /// relieved), <c>wash</c>, <c>harvest</c>, <c>approval</c> and <c>block</c>. The first column says which.
    /// </summary>
    public static void WriteCsv(TextWriter output, TaxRunResult result, IReadOnlyList<InputError> errors, bool harvestScan = false)
    {
        var c = CultureInfo.InvariantCulture;
        if (harvestScan)
        {
            output.WriteLine(RunReport.CsvHeader);
            foreach (var (record, t) in result.Run.Trades.Select(t => ("trade", t)).Concat(result.Run.HeldTrades.Select(t => ("held_trade", t))))
            {
                CsvFields.Row(output, record, t.AccountId, "Harvest", "", t.InstrumentId, t.Side.ToString(), CsvFields.Number(t.Quantity), CsvFields.Number(t.Price), CsvFields.Number(decimal.Round(t.Notional, 2)), "", "", "", "", "", "", t.Reason);
            }
            foreach (var e in errors)
            {
                CsvFields.Row(output, "error", e.Subject, "", "", "", "", "", "", "", "", "", "", "", "", "", $"{e.Field}: {e.Message}");
            }
        }
        else
        {
            RunReport.WriteCsv(output, result.Run, errors);
        }
        foreach (var t in result.TaxedTrades)
        {
            foreach (var lot in t.Lots)
            {
                CsvFields.Row(output, "lot", t.Trade.AccountId, "", "", t.Trade.InstrumentId, "Sell", CsvFields.Number(lot.Quantity), CsvFields.Number(t.Trade.Price), CsvFields.Number(decimal.Round(lot.Proceeds, 2)), "", "", "", "", "", "",
                    string.Create(c, $"lot {lot.LotId} acquired {lot.Acquired:yyyy-MM-dd}, basis {lot.Basis:0.00}, gain {lot.Gain:0.00}, {lot.Term}"));
            }
        }
        foreach (var w in result.WashSales)
        {
            CsvFields.Row(output, "wash", w.SaleAccountId, "", "", w.SoldInstrumentId, "", CsvFields.Number(w.Quantity), "", CsvFields.Number(decimal.Round(w.DisallowedLoss, 2)), "", "", "", "", "", "",
                string.Create(c, $"loss on lot {w.SoldLotId} sold {w.SaleDate:yyyy-MM-dd} disallowed: {w.ReplacementInstrumentId} bought in {w.ReplacementAccountId} on {w.ReplacementDate:yyyy-MM-dd} ({w.ReplacementSource}); {w.Reason}"));
        }
        foreach (var h in result.Harvests)
        {
            CsvFields.Row(output, "harvest", h.AccountId, h.Status.ToString(), "", h.InstrumentId, "", CsvFields.Number(h.Quantity), "", CsvFields.Number(decimal.Round(h.Loss, 2)), "", "", "", "", h.PolicyId,
                h.PolicyVersion.ToString(c), string.Create(c, $"{h.Reason}{(h.ApprovalId is null ? "" : $" [{h.ApprovalId}]")}"));
        }
        foreach (var a in result.Approvals)
        {
            CsvFields.Row(output, "approval", a.AccountId, a.Status.ToString(), a.Kind.ToString(), "", "", "", "", "", "", "", "", "", a.PolicyId, a.PolicyVersion.ToString(c), $"{a.Id}: {a.Reason}");
        }
        foreach (var b in result.Blocks)
        {
            CsvFields.Row(output, "block", b.ModelId, "", "", b.InstrumentId, b.Side.ToString(), CsvFields.Number(b.Quantity), CsvFields.Number(b.Price), CsvFields.Number(decimal.Round(b.Notional, 2)), "", "", "", "", "", "",
                string.Join("; ", b.Allocations.Select(x => $"{x.AccountId} {CsvFields.Number(x.Quantity)}")));
        }
    }
}

/// <summary>The counts of a harvest scan: harvests by outcome, released and held trades.</summary>
/// <param name="Trades">Released trades (harvests done, swap backs).</param>
/// <param name="HeldTrades">Trades of harvests waiting for an operator's approval: not released.</param>
public sealed record HarvestSummary(int Harvested, int SwappedBack, int WaitingForApproval, int Skipped, int Trades, int HeldTrades, int InputErrors)
{
    public static HarvestSummary From(TaxRunResult result, int inputErrors) => new(
        result.Harvests.Count(h => h.Status == HarvestStatus.Harvested),
        result.Harvests.Count(h => h.Status == HarvestStatus.SwappedBack),
        result.Harvests.Count(h => h.Status == HarvestStatus.PendingApproval),
        result.Harvests.Count(h => h.Status == HarvestStatus.Skipped),
        result.Run.Trades.Count,
        result.Run.HeldTrades.Count,
        inputErrors);
}
