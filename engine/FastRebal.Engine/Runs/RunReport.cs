using System.Globalization;
using System.Text.Json;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Runs;

/// <summary>Counts a person reads first: how many accounts breach, by model, and what the run will trade.</summary>
/// <param name="Trades">Released trades only; <paramref name="BuyNotional"/> and <paramref name="SellNotional"/> are theirs.</param>
/// <param name="HeldTrades">Trades waiting for an operator's approval: not released.</param>
public sealed record RunSummary(
    int Accounts,
    int AccountsInBreach,
    IReadOnlyDictionary<string, int> BreachesByModel,
    IReadOnlyDictionary<string, int> DecisionsByAction,
    int Trades,
    int HeldTrades,
    decimal BuyNotional,
    decimal SellNotional,
    int InputErrors)
{
    public static RunSummary From(AccountBook book, RunResult result, int inputErrors)
    {
        var byModel = book.Models.ToDictionary(m => m.Id, _ => 0, StringComparer.Ordinal);
        var inBreach = 0;
        for (var a = 0; a < book.AccountCount; a++)
        {
            if (result.Drift.Breaches(a))
            {
                inBreach++;
                byModel[book.Models[book.ModelIndex(a)].Id]++;
            }
        }
        var byAction = Enum.GetValues<DecisionAction>().ToDictionary(a => a.ToString(), a => result.Count(a), StringComparer.Ordinal);
        return new RunSummary(
            book.AccountCount,
            inBreach,
            byModel,
            byAction,
            result.Trades.Count,
            result.HeldTrades.Count,
            result.Trades.Where(t => t.Side == TradeSide.Buy).Sum(t => t.Notional),
            result.Trades.Where(t => t.Side == TradeSide.Sell).Sum(t => t.Notional),
            inputErrors);
    }
}

/// <summary>Writes a run's decisions, trades and input errors as JSON or CSV for people and scripts.</summary>
public static class RunReport
{
    public static void WriteJson(Stream output, AccountBook book, RunResult result, IReadOnlyList<InputError> errors)
    {
        var document = new
        {
            asOf = result.AsOf,
            summary = RunSummary.From(book, result, errors.Count),
            errors,
            decisions = result.Decisions,
            trades = result.Trades.Select(t => new { t.AccountId, t.InstrumentId, t.Side, t.Quantity, t.Price, t.Notional, t.Reason }),
            heldTrades = result.HeldTrades.Select(t => new { t.AccountId, t.InstrumentId, t.Side, t.Quantity, t.Price, t.Notional, t.Reason }),
        };
        JsonSerializer.Serialize(output, document, ScenarioDocument.JsonOptions);
    }

    public const string CsvHeader =
        "record,account_id,action,rule,instrument_id,side,quantity,price,notional,max_abs_drift,total_drift,band_type,band_width,policy_id,policy_version,detail";

    /// <summary>
    /// One CSV with a row per decision, per trade and per input error; the first column says which: <c>trade</c> for a
    /// released trade, <c>held_trade</c> for one waiting for approval.
    /// </summary>
    public static void WriteCsv(TextWriter output, RunResult result, IReadOnlyList<InputError> errors)
    {
        output.WriteLine(CsvHeader);
        var byAccount = result.Trades.ToLookup(t => t.AccountId, StringComparer.Ordinal);
        var heldByAccount = result.HeldTrades.ToLookup(t => t.AccountId, StringComparer.Ordinal);
        foreach (var d in result.Decisions)
        {
            var detail = d.Warnings.Count == 0 ? d.Reason : $"{d.Reason} | warnings: {string.Join("; ", d.Warnings)}";
            CsvFields.Row(output, "decision", d.AccountId, d.Action.ToString(), d.Rule.ToString(), "", "", "", "", "",
                CsvFields.Number(d.MaxAbsDrift), CsvFields.Number(d.TotalDrift), d.BandType.ToString(), CsvFields.Number(d.BandWidth), d.PolicyId,
                d.PolicyVersion.ToString(CultureInfo.InvariantCulture), detail);
            foreach (var (record, t) in byAccount[d.AccountId].Select(t => ("trade", t)).Concat(heldByAccount[d.AccountId].Select(t => ("held_trade", t))))
            {
                CsvFields.Row(output, record, t.AccountId, d.Action.ToString(), d.Rule.ToString(), t.InstrumentId, t.Side.ToString(),
                    CsvFields.Number(t.Quantity), CsvFields.Number(t.Price), CsvFields.Number(decimal.Round(t.Notional, 2)), "", "", "", "", d.PolicyId,
                    d.PolicyVersion.ToString(CultureInfo.InvariantCulture), t.Reason);
            }
        }
        foreach (var e in errors)
        {
            CsvFields.Row(output, "error", e.Subject, "", "", "", "", "", "", "", "", "", "", "", "", "", $"{e.Field}: {e.Message}");
        }
    }
}
