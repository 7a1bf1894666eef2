using System.Globalization;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Firms;

/// <summary>
/// A file of book events for a live run: one CSV row per dated event (<c>date,account_id,kind[,amount][,note][,policy_id][,reinvest]</c>).
/// Kinds deposit, withdrawal, dividend, interest and fee are cash flows and need an amount; a dividend or interest is
/// reinvested unless <c>reinvest</c> is <c>no</c> (then it stays cash); kind ips moves the account to the firm's named
/// policy <c>policy_id</c> (its IPS and tax elections); kind close closes the account (its holdings and cash
/// transferred out in kind). A bad row is an error naming its line and column, and only that event is left out.
/// </summary>
public static class BookEventFile
{
    /// <summary>Only what every kind needs is required; each kind checks its own columns.</summary>
    public static FirmCsvFile Columns { get; } = new("events.csv", ["date", "account_id", "kind", "amount", "note", "policy_id", "reinvest"], Required: 3, "the event is not applied");

    /// <summary>The kind that moves an account to another named policy.</summary>
    public const string IpsKind = "ips";

    /// <summary>The kind that closes an account.</summary>
    public const string CloseKind = "close";

    private enum Column { Date, AccountId, Kind, Amount, Note, PolicyId, Reinvest }

    /// <summary>Reads the events of the accounts <paramref name="book"/> holds, in file order (the engine applies them by date).</summary>
    /// <param name="asOf">The day the book is priced on: an event before it should already be in the holdings, and is an error.</param>
    /// <param name="policies">The firm's named policies, which an <c>ips</c> row names; null for a generated firm, which has none.</param>
    public static (List<BookEvent> Events, List<InputError> Errors) Read(string path, AccountBook book, DateOnly asOf, IReadOnlyList<NamedPolicy>? policies = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{TextLimit.Clip(path, 200)}: no such events file");
        }
        var file = Columns with { Name = Path.GetFileName(path) };
        var named = new Dictionary<string, NamedPolicy>(StringComparer.Ordinal);
        foreach (var policy in policies ?? [])
        {
            named.TryAdd(policy.Policy.Id, policy);
        }
        var events = new List<BookEvent>();
        var errors = new List<InputError>();
        FirmCsv.Read(path, file, errors, row =>
        {
            var date = row.Date((int)Column.Date);
            var account = row.Text((int)Column.AccountId);
            var kindText = row.Text((int)Column.Kind);
            var note = row.Text((int)Column.Note, optional: true);
            var move = string.Equals(kindText, IpsKind, StringComparison.OrdinalIgnoreCase);
            var close = string.Equals(kindText, CloseKind, StringComparison.OrdinalIgnoreCase);
            CashFlowKind? kind = null;
            if (kindText is not null && !move && !close)
            {
                // Names only: Enum.TryParse would also take "2" or "1,2".
                if (char.IsLetter(kindText[0]) && Enum.TryParse<CashFlowKind>(kindText, ignoreCase: true, out var flowKind) && Enum.IsDefined(flowKind))
                {
                    kind = flowKind;
                }
                else
                {
                    row.Fail((int)Column.Kind, $"'{TextLimit.Clip(kindText, 60)}' is not valid; valid values: {string.Join(", ", Enum.GetNames<CashFlowKind>().Select(n => n.ToLowerInvariant()))}, {IpsKind}, {CloseKind}");
                }
            }
            if (date is { } day && day < asOf)
            {
                row.Fail((int)Column.Date, $"{day:yyyy-MM-dd} is before the book's as-of date {asOf:yyyy-MM-dd}, whose holdings and cash already include it");
            }
            if (account is not null && book.FindAccount(account) < 0)
            {
                row.Fail((int)Column.AccountId, $"no account '{TextLimit.Clip(account, 80)}' in the book (unknown, or left out for its own errors)");
            }
            decimal? amount = null;
            NamedPolicy? target = null;
            var keepAsCash = false;
            var reinvest = row.Text((int)Column.Reinvest, optional: true);
            if (reinvest is not null)
            {
                if (kind is not { } income || !CashFlow.IsIncome(income))
                {
                    row.Fail((int)Column.Reinvest, "only a dividend or interest is reinvested or kept as cash; leave it empty for other kinds");
                }
                else if (string.Equals(reinvest, "no", StringComparison.OrdinalIgnoreCase))
                {
                    keepAsCash = true;
                }
                else if (!string.Equals(reinvest, "yes", StringComparison.OrdinalIgnoreCase))
                {
                    row.Fail((int)Column.Reinvest, $"'{TextLimit.Clip(reinvest, 60)}' is not valid; valid values: yes (the default: invest it), no (keep it as cash)");
                }
            }
            if (close)
            {
                if (!row.Span((int)Column.Amount).IsEmpty)
                {
                    row.Fail((int)Column.Amount, "a close event transfers the whole account out and takes no amount");
                }
                if (!row.Span((int)Column.PolicyId).IsEmpty)
                {
                    row.Fail((int)Column.PolicyId, "only an ips event names a policy");
                }
            }
            else if (move)
            {
                if (!row.Span((int)Column.Amount).IsEmpty)
                {
                    row.Fail((int)Column.Amount, "an ips event moves an account to another policy and takes no amount");
                }
                var policyId = row.Text((int)Column.PolicyId, quiet: true);
                if (policyId is null)
                {
                    row.Fail((int)Column.PolicyId, "is required for an ips event (the id of one of the firm's named policies)");
                }
                else if (policies is null)
                {
                    row.Fail((int)Column.PolicyId, "a generated firm has no named policies; an ips event needs run --firm with a firm folder");
                }
                else if (named.Count == 0)
                {
                    row.Fail((int)Column.PolicyId, "the firm names no policies (a firm folder's firm.json lists them under policies); an ips event needs one");
                }
                else if (!named.TryGetValue(policyId, out target))
                {
                    row.Fail((int)Column.PolicyId, $"no policy '{TextLimit.Clip(policyId, 80)}' in the firm's firm.json (it has {string.Join(", ", named.Keys.Order(StringComparer.Ordinal).Take(10))})");
                }
            }
            else
            {
                amount = row.Number((int)Column.Amount);
                if (amount is { } value && (value <= 0 || (double)value > ScenarioLoader.MaxAmount))
                {
                    row.Fail((int)Column.Amount, string.Create(CultureInfo.InvariantCulture, $"must be positive (the kind gives the direction) and at most {ScenarioLoader.MaxAmount:0e0}, got {value}"));
                }
                if (!row.Span((int)Column.PolicyId).IsEmpty)
                {
                    row.Fail((int)Column.PolicyId, "only an ips event names a policy");
                }
            }
            if (!row.Failed)
            {
                var source = string.Create(CultureInfo.InvariantCulture, $"{file.Name} line {row.Line}{(note is null ? "" : $": {TextLimit.Clip(note, 200)}")}");
                events.Add(close ? BookEvent.Close(date!.Value, account!, source)
                    : move ? BookEvent.MoveTo(date!.Value, account!, target!, source)
                    : new BookEvent(date!.Value, new CashFlow(account!, kind!.Value, amount!.Value) { KeepAsCash = keepAsCash }, source));
            }
        });
        return (events, errors);
    }
}
