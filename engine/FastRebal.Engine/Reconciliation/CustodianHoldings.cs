using System.Globalization;
using FastRebal.Engine.Firms;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Engine.Reconciliation;

/// <summary>What the custodian says one account holds at the end of a day: quantity per instrument id, and cash (null when the file gives none).</summary>
public sealed record CustodianAccount(IReadOnlyDictionary<string, decimal> Positions, decimal? Cash);

/// <summary>
/// A custodian's end-of-day positions file: every account it holds, each instrument's quantity and the cash. The
/// holdings sync compares it with the book (<see cref="HoldingsReconciler"/>).
/// </summary>
public sealed class CustodianHoldings
{
    /// <summary>The instrument id that marks a cash row (quantity = the cash balance), as custodians list cash among the positions.</summary>
    public const string CashId = "CASH";

    public static FirmCsvFile Columns { get; } = new("holdings.csv", ["as_of", "account_id", "instrument_id", "quantity"], Required: 4, "the account is not reconciled");

    private enum Column { AsOf, AccountId, InstrumentId, Quantity }

    public required string Source { get; init; }

    public required DateOnly AsOf { get; init; }

    public required IReadOnlyDictionary<string, CustodianAccount> Accounts { get; init; }

    /// <summary>Rows that could not be read; their accounts are left out of the file (and so not reconciled).</summary>
    public IReadOnlyList<InputError> Errors { get; init; } = [];

    /// <summary>The accounts of those rows.</summary>
    public IReadOnlySet<string> NotReconciled { get; init; } = new HashSet<string>();

    /// <summary>
    /// Reads a positions file (<c>as_of,account_id,instrument_id,quantity</c>; a <c>CASH</c> row gives the account's
    /// cash). Rows of the same account and instrument add up, as a file listing lots or sub-accounts has several. A
    /// bad row is an error naming its line and column, and its account is left out of the sync. A file without a
    /// readable row, or whose rows give different dates, is refused.
    /// </summary>
    public static CustodianHoldings Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{TextLimit.Clip(path, 200)}: no such holdings file");
        }
        var file = Columns with { Name = Path.GetFileName(path) };
        var errors = new List<InputError>();
        var positions = new Dictionary<string, Dictionary<string, decimal>>(StringComparer.Ordinal);
        var cash = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        DateOnly? asOf = null;
        FirmCsv.Read(path, file, errors, row =>
        {
            var day = row.Date((int)Column.AsOf);
            var account = row.Text((int)Column.AccountId);
            var instrument = row.Text((int)Column.InstrumentId);
            var quantity = row.Number((int)Column.Quantity);
            if (day is { } d && (asOf ??= d) != d)
            {
                row.Fail((int)Column.AsOf, $"{d:yyyy-MM-dd}, but the file is as of {asOf:yyyy-MM-dd} (its first row): one file holds one day");
            }
            if (quantity is < 0 && instrument != CashId)
            {
                row.Fail((int)Column.Quantity, string.Create(CultureInfo.InvariantCulture, $"must not be negative (no short positions), got {quantity}"));
            }
            if (quantity is { } q && Math.Abs((double)q) > ScenarioLoader.MaxAmount)
            {
                row.Fail((int)Column.Quantity, string.Create(CultureInfo.InvariantCulture, $"must be at most {ScenarioLoader.MaxAmount:0e0}, got {q}"));
            }
            if (account is null)
            {
                return;
            }
            if (row.Failed)
            {
                failed.Add(account);
                return;
            }
            if (instrument == CashId)
            {
                cash[account] = cash.GetValueOrDefault(account) + quantity!.Value;
                positions.TryAdd(account, new Dictionary<string, decimal>(StringComparer.Ordinal));
                return;
            }
            if (!positions.TryGetValue(account, out var held))
            {
                positions[account] = held = new Dictionary<string, decimal>(StringComparer.Ordinal);
            }
            held[instrument!] = held.GetValueOrDefault(instrument!) + quantity!.Value;
        }, wrongWidth: row => { if (row.Text((int)Column.AccountId, quiet: true) is { } account) { failed.Add(account); } });
        if (asOf is null)
        {
            throw new ScenarioFormatException($"{file.Name}: no row with a readable as_of date; a holdings file lists every account's positions as of one day");
        }
        return new CustodianHoldings
        {
            Source = file.Name,
            AsOf = asOf.Value,
            Accounts = positions.Where(p => !failed.Contains(p.Key))
                .ToDictionary(p => p.Key, p => new CustodianAccount(p.Value, cash.TryGetValue(p.Key, out var c) ? c : null), StringComparer.Ordinal),
            Errors = errors,
            NotReconciled = failed,
        };
    }
}
