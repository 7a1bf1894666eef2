using System.Globalization;
using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Firms;

/// <summary>
/// A file of book events for a live run: one CSV row per dated event
/// (<c>date,account_id,kind[,amount][,note][,policy_id][,reinvest][,instrument_id][,ratio][,symbol]</c>).
/// Kinds deposit, withdrawal, dividend, interest and fee are cash flows and need an amount; a dividend or interest is
/// reinvested unless <c>reinvest</c> is <c>no</c> (then it stays cash); kind ips moves the account to the firm's named
/// policy <c>policy_id</c> (its IPS and tax elections); kind close closes the account (its holdings and cash
/// transferred out in kind). Kinds split and symbol are corporate actions on <c>instrument_id</c> for every account
/// (no account_id): a split of <c>ratio</c> new shares per old one (<c>2</c> or <c>2:1</c>), a new ticker
/// <c>symbol</c>. Kind open opens a new account on <c>model_id</c> under the named policy <c>policy_id</c>, in
/// <c>household_id</c> (default: itself), with <c>amount</c> of cash (optional); later rows may name it. Kind model
/// moves the account to <c>model_id</c>. A bad row is an error naming its line and column, and only that event is left out.
/// </summary>
public static class BookEventFile
{
    /// <summary>Only what every kind needs is required; each kind checks its own columns.</summary>
    public static FirmCsvFile Columns { get; } = new("events.csv", ["date", "account_id", "kind", "amount", "note", "policy_id", "reinvest", "instrument_id", "ratio", "symbol", "model_id", "household_id"], Required: 3, "the event is not applied");

    /// <summary>The kind that moves an account to another named policy.</summary>
    public const string IpsKind = "ips";

    /// <summary>The kind that closes an account.</summary>
    public const string CloseKind = "close";

    /// <summary>The kind that splits an instrument.</summary>
    public const string SplitKind = "split";

    /// <summary>The kind that changes an instrument's ticker.</summary>
    public const string SymbolKind = "symbol";

    /// <summary>The kind that opens an account.</summary>
    public const string OpenKind = "open";

    /// <summary>The kind that moves an account to another model.</summary>
    public const string ModelKind = "model";

    private enum Column { Date, AccountId, Kind, Amount, Note, PolicyId, Reinvest, InstrumentId, Ratio, Symbol, ModelId, HouseholdId }

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
        var opened = new HashSet<string>(StringComparer.Ordinal);
        FirmCsv.Read(path, file, errors, row =>
        {
            var date = row.Date((int)Column.Date);
            var kindText = row.Text((int)Column.Kind);
            var split = string.Equals(kindText, SplitKind, StringComparison.OrdinalIgnoreCase);
            var symbol = string.Equals(kindText, SymbolKind, StringComparison.OrdinalIgnoreCase);
            var corporate = split || symbol;
            var account = corporate ? null : row.Text((int)Column.AccountId);
            var note = row.Text((int)Column.Note, optional: true);
            var move = string.Equals(kindText, IpsKind, StringComparison.OrdinalIgnoreCase);
            var close = string.Equals(kindText, CloseKind, StringComparison.OrdinalIgnoreCase);
            var open = string.Equals(kindText, OpenKind, StringComparison.OrdinalIgnoreCase);
            var toModel = string.Equals(kindText, ModelKind, StringComparison.OrdinalIgnoreCase);
            CashFlowKind? kind = null;
            if (kindText is not null && !move && !close && !corporate && !open && !toModel)
            {
                // Names only: Enum.TryParse would also take "2" or "1,2".
                if (char.IsLetter(kindText[0]) && Enum.TryParse<CashFlowKind>(kindText, ignoreCase: true, out var flowKind) && Enum.IsDefined(flowKind))
                {
                    kind = flowKind;
                }
                else
                {
                    row.Fail((int)Column.Kind, $"'{TextLimit.Clip(kindText, 60)}' is not valid; valid values: {string.Join(", ", Enum.GetNames<CashFlowKind>().Select(n => n.ToLowerInvariant()))}, {IpsKind}, {ModelKind}, {CloseKind}, {OpenKind}, {SplitKind}, {SymbolKind}");
                }
            }
            if (date is { } day && day < asOf)
            {
                row.Fail((int)Column.Date, $"{day:yyyy-MM-dd} is before the book's as-of date {asOf:yyyy-MM-dd}, whose holdings and cash already include it");
            }
            if (open)
            {
                if (account is not null && (book.FindAccount(account) >= 0 || opened.Contains(account)))
                {
                    row.Fail((int)Column.AccountId, $"account '{TextLimit.Clip(account, 80)}' is in the book already (or opened by an earlier row)");
                }
            }
            else if (account is not null && book.FindAccount(account) < 0 && !opened.Contains(account))
            {
                row.Fail((int)Column.AccountId, $"no account '{TextLimit.Clip(account, 80)}' in the book (unknown, left out for its own errors, or opened by no earlier row)");
            }
            if (!open && !toModel && !row.Span((int)Column.ModelId).IsEmpty)
            {
                row.Fail((int)Column.ModelId, $"only an {OpenKind} or {ModelKind} event names a model_id");
            }
            if (!open && !row.Span((int)Column.HouseholdId).IsEmpty)
            {
                row.Fail((int)Column.HouseholdId, $"only an {OpenKind} event names a household_id");
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
            CorporateAction? action = null;
            if (corporate)
            {
                action = ReadCorporateAction(row, book, split);
            }
            else
            {
                foreach (var column in (ReadOnlySpan<Column>)[Column.InstrumentId, Column.Ratio, Column.Symbol])
                {
                    if (!row.Span((int)column).IsEmpty)
                    {
                        row.Fail((int)column, $"only a {SplitKind} or {SymbolKind} event names an instrument, a ratio or a symbol");
                    }
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
                    row.Fail((int)Column.PolicyId, "only an ips or open event names a policy");
                }
            }
            else if (move)
            {
                if (!row.Span((int)Column.Amount).IsEmpty)
                {
                    row.Fail((int)Column.Amount, "an ips event moves an account to another policy and takes no amount");
                }
                target = NamedPolicy(row, IpsKind, policies, named);
            }
            else if (toModel)
            {
                if (!row.Span((int)Column.Amount).IsEmpty)
                {
                    row.Fail((int)Column.Amount, "a model event moves an account to another model and takes no amount");
                }
                if (!row.Span((int)Column.PolicyId).IsEmpty)
                {
                    row.Fail((int)Column.PolicyId, "a model event keeps the account's IPS (an ips event moves it to another)");
                }
                Model(row, book);
            }
            else if (open)
            {
                target = NamedPolicy(row, OpenKind, policies, named);
                Model(row, book);
                amount = row.Number((int)Column.Amount, optional: true) ?? 0;
                if (amount is < 0 || (double)amount > ScenarioLoader.MaxAmount)
                {
                    row.Fail((int)Column.Amount, string.Create(CultureInfo.InvariantCulture, $"the cash an account opens with is 0 to {ScenarioLoader.MaxAmount:0e0}, got {amount}"));
                }
                if (account is not null && !row.Failed)
                {
                    opened.Add(account);
                }
            }
            else if (!corporate)
            {
                amount = row.Number((int)Column.Amount);
                if (amount is { } value && (value <= 0 || (double)value > ScenarioLoader.MaxAmount))
                {
                    row.Fail((int)Column.Amount, string.Create(CultureInfo.InvariantCulture, $"must be positive (the kind gives the direction) and at most {ScenarioLoader.MaxAmount:0e0}, got {value}"));
                }
                if (!row.Span((int)Column.PolicyId).IsEmpty)
                {
                    row.Fail((int)Column.PolicyId, "only an ips or open event names a policy");
                }
            }
            if (!row.Failed)
            {
                var source = string.Create(CultureInfo.InvariantCulture, $"{file.Name} line {row.Line}{(note is null ? "" : $": {TextLimit.Clip(note, 200)}")}");
                events.Add(action is not null ? BookEvent.Corporate(date!.Value, action, source)
                    : toModel ? BookEvent.MoveToModel(date!.Value, account!, row.Text((int)Column.ModelId)!, source)
                    : open ? BookEvent.Open(date!.Value, new AccountOpening(account!, row.Text((int)Column.HouseholdId, optional: true) ?? account!, row.Text((int)Column.ModelId)!, target!, amount!.Value), source)
                    : close ? BookEvent.Close(date!.Value, account!, source)
                    : move ? BookEvent.MoveTo(date!.Value, account!, target!, source)
                    : new BookEvent(date!.Value, new CashFlow(account!, kind!.Value, amount!.Value) { KeepAsCash = keepAsCash }, source));
            }
        });
        return (events, errors);
    }

    /// <summary>The model an open or model row names in <c>model_id</c>, which must be one of the book's.</summary>
    private static void Model(Row row, AccountBook book)
    {
        var modelId = row.Text((int)Column.ModelId);
        if (modelId is not null && !book.Models.Any(m => m.Id == modelId))
        {
            row.Fail((int)Column.ModelId, $"no model '{TextLimit.Clip(modelId, 80)}' in the firm (it has {string.Join(", ", book.Models.Select(m => m.Id).Order(StringComparer.Ordinal).Take(10))})");
        }
    }

    /// <summary>The named policy an ips or open row names in <c>policy_id</c>; null (and the row failed) when it names none of the firm's.</summary>
    private static NamedPolicy? NamedPolicy(Row row, string kind, IReadOnlyList<NamedPolicy>? policies, Dictionary<string, NamedPolicy> named)
    {
        var policyId = row.Text((int)Column.PolicyId, quiet: true);
        if (policyId is null)
        {
            row.Fail((int)Column.PolicyId, $"is required for an {kind} event (the id of one of the firm's named policies)");
        }
        else if (policies is null)
        {
            row.Fail((int)Column.PolicyId, $"a generated firm has no named policies; an {kind} event needs run --firm with a firm folder");
        }
        else if (named.Count == 0)
        {
            row.Fail((int)Column.PolicyId, $"the firm names no policies (a firm folder's firm.json lists them under policies); an {kind} event needs one");
        }
        else if (named.TryGetValue(policyId, out var target))
        {
            return target;
        }
        else
        {
            row.Fail((int)Column.PolicyId, $"no policy '{TextLimit.Clip(policyId, 80)}' in the firm's firm.json (it has {string.Join(", ", named.Keys.Order(StringComparer.Ordinal).Take(10))})");
        }
        return null;
    }

    /// <summary>A split or symbol row's action: it names an instrument of the book, and no account, amount or policy.</summary>
    private static CorporateAction? ReadCorporateAction(Row row, AccountBook book, bool split)
    {
        var kind = split ? SplitKind : SymbolKind;
        if (!row.Span((int)Column.AccountId).IsEmpty)
        {
            row.Fail((int)Column.AccountId, $"a {kind} event applies to every account holding the instrument; leave account_id empty");
        }
        foreach (var column in (ReadOnlySpan<Column>)[Column.Amount, Column.PolicyId, Column.Reinvest])
        {
            if (!row.Span((int)column).IsEmpty)
            {
                row.Fail((int)column, $"a {kind} event takes no {Columns.Columns[(int)column]}");
            }
        }
        var instrument = row.Text((int)Column.InstrumentId);
        if (instrument is not null && !book.Instruments.TryGetIndex(instrument, out _))
        {
            row.Fail((int)Column.InstrumentId, $"no instrument '{TextLimit.Clip(instrument, 80)}' in the book");
        }
        if (split)
        {
            if (!row.Span((int)Column.Symbol).IsEmpty)
            {
                row.Fail((int)Column.Symbol, "a split takes no symbol (a symbol change is an event of its own)");
            }
            var ratio = Ratio(row);
            return instrument is null || ratio is null ? null : new CorporateAction(instrument, ratio, null);
        }
        if (!row.Span((int)Column.Ratio).IsEmpty)
        {
            row.Fail((int)Column.Ratio, "a symbol change takes no ratio");
        }
        var symbol = row.Text((int)Column.Symbol);
        if (symbol is not null && Pipeline.EvaluationStage.SymbolProblem(symbol) is { } problem)
        {
            row.Fail((int)Column.Symbol, problem);
        }
        return instrument is null || symbol is null ? null : new CorporateAction(instrument, null, symbol);
    }

    /// <summary>A split ratio, as new shares per old share (see <see cref="CorporateAction.ParseRatio"/>).</summary>
    private static decimal? Ratio(Row row)
    {
        if (CorporateAction.ParseRatio(row.Span((int)Column.Ratio), out var ratio) is { } problem)
        {
            row.Fail((int)Column.Ratio, problem);
            return null;
        }
        return ratio;
    }
}
