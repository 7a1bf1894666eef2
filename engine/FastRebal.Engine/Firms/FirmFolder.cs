using FastRebal.Engine.Model;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Firms;

/// <summary>
/// Reads a firm folder as a custodian or portfolio-accounting system exports a book: <c>firm.json</c> (the scenario
/// JSON: as-of date, instruments, models, prices, the firm's named IPS policies, instrument relations) and one CSV row
/// per account, per position and per lot. What it reads is one scenario, which the scenario loader validates like any
/// other: a bad row leaves out its account only, with an error naming the file, the row and the column.
/// </summary>
public static class FirmFolder
{
    public const string FirmJson = "firm.json";

    public static FirmCsvFile Accounts { get; } = new("accounts.csv", ["account_id", "model_id", "policy_id", "household_id", "cash", "last_rebalanced"], Required: 3);

    public static FirmCsvFile Positions { get; } = new("positions.csv", ["account_id", "instrument_id", "quantity"], Required: 3);

    public static FirmCsvFile Lots { get; } = new("lots.csv", ["account_id", "instrument_id", "acquired", "quantity", "cost_basis", "lot_id", "holding_since"], Required: 5);

    public static FirmCsvFile Prices { get; } = new("prices.csv", ["instrument_id", "price"], Required: 2, "the price is not used");

    public static FirmCsvFile CashFlows { get; } = new("cash_flows.csv", ["account_id", "kind", "amount"], Required: 3, "the cash flow is not applied");

    public static IReadOnlyList<FirmCsvFile> CsvFiles { get; } = [Accounts, Positions, Lots, Prices, CashFlows];

    // Column positions in each file's list above.
    private enum AccountColumn { AccountId, ModelId, PolicyId, HouseholdId, Cash, LastRebalanced }

    private enum PositionColumn { AccountId, InstrumentId, Quantity }

    private enum LotColumn { AccountId, InstrumentId, Acquired, Quantity, CostBasis, LotId, HoldingSince }

    private enum PriceColumn { InstrumentId, Price }

    private enum CashFlowColumn { AccountId, Kind, Amount }

    /// <summary>
    /// Reads <c>firm.json</c> and the CSV files beside it. A missing or malformed <c>firm.json</c>, an unreadable CSV
    /// file, or a CSV header with an unknown or missing column is a <see cref="ScenarioFormatException"/>; a bad row is
    /// an error in the result's problems and leaves out the account it belongs to.
    /// </summary>
    public static ScenarioRead Read(string folder)
    {
        var firmJson = Path.Combine(folder, FirmJson);
        if (!File.Exists(firmJson))
        {
            throw new ScenarioFormatException($"{TextLimit.Clip(folder, 200)}: a firm folder needs {FirmJson} (as-of date, instruments, models, prices and named policies) beside its CSV files");
        }
        // positions.csv, by far the largest file, is parsed on a second core while firm.json and accounts.csv are read.
        using var positions = PositionFile.Start(Path.Combine(folder, Positions.Name), Positions);
        return new Reading(folder, ScenarioReader.ReadFile(firmJson), positions).Read();
    }

    /// <summary>An account read from accounts.csv, with its positions and lots as their rows give them.</summary>
    private sealed class CsvAccount(Account account, TaxPolicyInput tax, int index)
    {
        /// <summary>Its place among the accounts of accounts.csv, which keys its rows in <see cref="PositionRows"/>.</summary>
        public int Index { get; } = index;

        public Account Account { get; } = account;

        public TaxPolicyInput Tax { get; } = tax;


        /// <summary>Its lots by instrument; null until lots.csv gives it one (most accounts of a firm have none, or are tax-deferred).</summary>
        public Dictionary<string, List<LotInput>>? Lots { get; set; }

        /// <summary>Set when a bad row leaves the account out.</summary>
        public bool LeftOut { get; set; }

        /// <summary>The positions as the tax loader reads them (with their lots), or none when the account has no rows in lots.csv.</summary>
        public List<TaxPositionInput>? TaxPositions(PositionRows rows)
        {
            if (Lots is null)
            {
                return null;
            }
            var held = new PositionView(rows, Index);
            var positions = held.Select(p => new TaxPositionInput(p.InstrumentId, p.Quantity, Lots.GetValueOrDefault(p.InstrumentId))).ToList();
            // Lots of an instrument without a position row: the tax loader reports that their shares do not match a position of 0.
            var instruments = held.Select(p => p.InstrumentId).ToHashSet(StringComparer.Ordinal);
            positions.AddRange(Lots.Where(l => !instruments.Contains(l.Key)).Select(l => new TaxPositionInput(l.Key, 0, l.Value)));
            return positions;
        }
    }

    /// <summary>
    /// The rows of positions.csv that their accounts keep, grouped by account once all are read, on the columns they
    /// were parsed into: a million accounts' twenty million positions as a <see cref="Position"/> object each would all
    /// live until the book is built, and the collector would copy every one of them.
    /// </summary>
    private sealed class PositionRows(PositionFile file)
    {
        private int[] start = [0];
        private int[] order = [];

        /// <summary>The instrument id of each of the file's instrument numbers (firm.json's string where it gives the instrument).</summary>
        public List<string> Instruments { get; } = [];

        public int Count(int owner) => start[owner + 1] - start[owner];

        public Position Get(int owner, int k) => new(InstrumentId(owner, k), Quantity(owner, k));

        public string InstrumentId(int owner, int k) => Instruments[file.Instrument[order[start[owner] + k]]];

        public int InstrumentIndex(int owner, int k, InstrumentTable table) => IndexIn(table)[file.Instrument[order[start[owner] + k]]];

        /// <summary>Each of the file's instrument numbers as its index in <paramref name="table"/> (-1 where it has none), found once per table.</summary>
        private int[] IndexIn(InstrumentTable table)
        {
            // One reference, replaced whole: a loader stopped and run again on another table finds no half-made array.
            if (indexIn?.Table != table)
            {
                // A loop, not a lambda: a lambda capturing the table would cost an allocation at every call of this method.
                var index = new int[Instruments.Count];
                for (var i = 0; i < index.Length; i++)
                {
                    index[i] = table.TryGetIndex(Instruments[i], out var found) ? found : -1;
                }
                indexIn = new TableIndex(table, index);
            }
            return indexIn.Index;
        }

        private sealed record TableIndex(InstrumentTable Table, int[] Index);

        private TableIndex? indexIn;

        public decimal Quantity(int owner, int k) => file.Quantity[order[start[owner] + k]];

        /// <summary>Orders the kept rows by account (a counting sort, keeping each account's rows in file order).</summary>
        public void Group(int accounts)
        {
            start = new int[accounts + 1];
            var rows = file.Rows;
            for (var r = 0; r < rows; r++)
            {
                if (file.Account[r] >= 0)
                {
                    start[file.Account[r] + 1]++;
                }
            }
            for (var a = 0; a < accounts; a++)
            {
                start[a + 1] += start[a];
            }
            order = new int[start[accounts]];
            var next = start[..^1];
            for (var r = 0; r < rows; r++)
            {
                if (file.Account[r] >= 0)
                {
                    order[next[file.Account[r]]++] = r;
                }
            }
        }
    }

    /// <summary>An account's positions as the loader reads them, each made when it is read and dropped after.</summary>
    private sealed class PositionView(PositionRows rows, int owner) : IReadOnlyList<Position>, IPositionColumns
    {
        public int Count => rows.Count(owner);

        public Position this[int index] => rows.Get(owner, index);

        public string InstrumentId(int index) => rows.InstrumentId(owner, index);

        public int InstrumentIndex(int index, InstrumentTable table) => rows.InstrumentIndex(owner, index, table);

        public decimal Quantity(int index) => rows.Quantity(owner, index);

        public IEnumerator<Position> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class Reading(string folder, ScenarioRead json, PositionFile positions)
    {
        private readonly List<InputError> errors = [.. json.Problems.Errors];
        private readonly Dictionary<string, string> unread = new(json.Problems.UnreadAccounts, StringComparer.Ordinal);
        private readonly Dictionary<string, CsvAccount> accounts = new(StringComparer.Ordinal);
        private readonly HashSet<string> duplicates = new(StringComparer.Ordinal);
        private readonly HashSet<string> jsonAccounts = new((json.Document.Accounts ?? []).Select(a => a.Id).Where(id => id is not null), StringComparer.Ordinal);

        // Instrument ids as firm.json gives them, so a million position rows share its strings instead of making their own.
        private readonly Dictionary<string, string> instrumentIds = (json.Document.Instruments ?? []).Where(i => i.Id is not null).DistinctBy(i => i.Id)
            .ToDictionary(i => i.Id, i => i.Id, StringComparer.Ordinal);

        // Model ids as firm.json gives them, for the same reason (an empty one would let an empty model_id pass as given).
        private readonly Dictionary<string, string> modelIds = (json.Document.Models ?? []).Where(m => !string.IsNullOrEmpty(m?.Id)).DistinctBy(m => m.Id)
            .ToDictionary(m => m.Id, m => m.Id, StringComparer.Ordinal);

        private int accountRows;

        private readonly PositionRows positionRows = new(positions);

        // Each account read from accounts.csv gets the next index (a left-out one keeps its own, unused).
        private int csvAccounts;

        // Rows of one account usually follow each other: the last owner found answers most lookups.
        private CsvAccount? lastOwner;

        public ScenarioRead Read()
        {
            var policies = new Dictionary<string, NamedPolicy>(StringComparer.Ordinal);
            foreach (var named in json.Policies ?? [])
            {
                if (string.IsNullOrWhiteSpace(named.Policy.Id))
                {
                    errors.Add(new InputError(FirmJson, "$.policies", "a named policy needs its id (accounts.csv rows name it)"));
                }
                else if (!policies.TryAdd(named.Policy.Id, named))
                {
                    errors.Add(new InputError(FirmJson, "$.policies", $"policy id '{TextLimit.Clip(named.Policy.Id, 80)}' is given twice; the first is kept"));
                }
            }

            Rows(Accounts, row => ReadAccount(row, policies));
            ReadPositions();
            positionRows.Group(csvAccounts);
            Rows(Lots, ReadLot);
            var prices = new List<Price>(json.Document.Prices ?? []);
            Rows(Prices, row => ReadPrice(row, prices));
            var cashFlows = new List<CashFlow>(json.Document.CashFlows ?? []);
            Rows(CashFlows, row => ReadCashFlow(row, cashFlows));

            var baseAccounts = new List<Account>(json.Document.Accounts ?? []);
            var taxAccounts = new List<TaxAccountInput>(json.Tax.Accounts ?? []);
            foreach (var (id, account) in accounts)
            {
                baseAccounts.Add(account.Account);
                taxAccounts.Add(new TaxAccountInput(id, account.Account.HouseholdId, account.TaxPositions(positionRows), account.Tax));
            }
            foreach (var id in duplicates)
            {
                errors.Add(new InputError($"account {TextLimit.Clip(id, 80)}", $"{Accounts.Name}, account_id", "duplicate account id; every account with this id is left out"));
            }
            var document = json.Document with { Accounts = baseAccounts, Prices = prices, CashFlows = cashFlows };
            var tax = json.Tax with { Accounts = taxAccounts };
            return new ScenarioRead(document, tax, new ReadProblems(errors, unread, json.Problems.AccountsInFile + accountRows), json.Policies);
        }

        private void ReadAccount(Row row, Dictionary<string, NamedPolicy> policies)
        {
            accountRows++;
            if (row.Text((int)AccountColumn.AccountId) is not { } id)
            {
                return;
            }
            var household = row.Text((int)AccountColumn.HouseholdId, optional: true) ?? id;
            if (accounts.Remove(id, out var first) || unread.ContainsKey(id) || jsonAccounts.Contains(id) || duplicates.Contains(id))
            {
                duplicates.Add(id);
                unread.TryAdd(id, first?.Account.HouseholdId ?? household);
                return;
            }
            var model = Known(modelIds, row, (int)AccountColumn.ModelId);
            var policyId = row.Span((int)AccountColumn.PolicyId);
            var cash = row.Number((int)AccountColumn.Cash, optional: true) ?? 0m;
            var lastRebalanced = row.Date((int)AccountColumn.LastRebalanced, optional: true);
            NamedPolicy? policy = null;
            if (policyId.IsEmpty)
            {
                row.Text((int)AccountColumn.PolicyId);
            }
            else if (!policies.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(policyId, out policy))
            {
                row.Fail((int)AccountColumn.PolicyId, $"unknown policy '{TextLimit.Clip(new string(policyId), 80)}' (the policies of {FirmJson} are the ones a row may name)");
            }
            if (row.Failed || model is null || policy is null)
            {
                unread[id] = household;
                return;
            }
            var index = csvAccounts++;
            accounts[id] = new CsvAccount(new Account(id, household, model, cash, new PositionView(positionRows, index), policy.Policy, lastRebalanced), policy.Tax, index);
        }

        /// <summary>
        /// Takes the rows of positions.csv in file order, as parsed on the side: each plainly good row goes to its
        /// account (or is an error when no file gives the account), and each row kept whole is read as any row is.
        /// </summary>
        private void ReadPositions()
        {
            positions.Wait();
            foreach (var id in positions.InstrumentIds)
            {
                positionRows.Instruments.Add(instrumentIds.GetValueOrDefault(id, id));
            }
            // Accounts are only left out from here on, which each one's LeftOut says.
            var owners = positions.AccountIds.Select(id => accounts.GetValueOrDefault(id)).ToArray();
            var keeping = positions.Account;
            for (var r = 0; r < positions.Rows; r++)
            {
                var key = keeping[r];
                if (key < 0)
                {
                    keeping[r] = -1;
                    FirmCsv.Dispatch(positions.Kept[~key].Copy(errors), row => ReadPosition(row, r), row => WrongWidth(Positions, row));
                    continue;
                }
                var owner = owners[key];
                keeping[r] = owner is { LeftOut: false } ? owner.Index : -1;
                if (owner is null && Unknown(positions.AccountIds[key]) is { } message)
                {
                    errors.Add(Row.Error(Positions, positions.Line[r], (int)PositionColumn.AccountId, message));
                }
            }
        }

        /// <summary>Reads a row of positions.csv kept whole by the parse into the parse's row <paramref name="at"/>.</summary>
        private void ReadPosition(Row row, int at)
        {
            if (Owner(row, (int)PositionColumn.AccountId) is not { } account)
            {
                return;
            }
            var instrument = Instrument(row, (int)PositionColumn.InstrumentId);
            var quantity = row.Number((int)PositionColumn.Quantity);
            if (row.Failed)
            {
                LeaveOut(account);
                return;
            }
            positions.Account[at] = account.Index;
            positions.Instrument[at] = positionRows.Instruments.Count;
            positions.Quantity[at] = quantity!.Value;
            positionRows.Instruments.Add(instrument!);
        }

        private void ReadLot(Row row)
        {
            if (Owner(row, (int)LotColumn.AccountId) is not { } account)
            {
                return;
            }
            var instrument = Instrument(row, (int)LotColumn.InstrumentId);
            var id = row.Text((int)LotColumn.LotId, optional: true);
            var acquired = row.Date((int)LotColumn.Acquired);
            var quantity = row.Number((int)LotColumn.Quantity);
            var costBasis = row.Number((int)LotColumn.CostBasis);
            var holdingSince = row.Date((int)LotColumn.HoldingSince, optional: true);
            if (row.Failed)
            {
                LeaveOut(account);
                return;
            }
            account.Lots ??= new Dictionary<string, List<LotInput>>(StringComparer.Ordinal);
            if (!account.Lots.TryGetValue(instrument!, out var lots))
            {
                account.Lots[instrument!] = lots = [];
            }
            lots.Add(new LotInput(id, acquired, quantity!.Value, costBasis, holdingSince));
        }

        private void ReadPrice(Row row, List<Price> prices)
        {
            var instrument = Instrument(row, (int)PriceColumn.InstrumentId);
            var price = row.Double((int)PriceColumn.Price);
            if (!row.Failed)
            {
                prices.Add(new Price(instrument!, price!.Value));
            }
        }

        private void ReadCashFlow(Row row, List<CashFlow> flows)
        {
            var account = row.Text((int)CashFlowColumn.AccountId);
            var kind = row.Enum<CashFlowKind>((int)CashFlowColumn.Kind);
            var amount = row.Number((int)CashFlowColumn.Amount);
            if (!row.Failed)
            {
                flows.Add(new CashFlow(account!, kind!.Value, amount!.Value));
            }
        }

        /// <summary>firm.json's own string for an instrument id (the loader reports one it does not know).</summary>
        private string? Instrument(Row row, int column) => Known(instrumentIds, row, column);

        /// <summary>firm.json's own string for an id it gives, else the row's (an error when the value is missing).</summary>
        private static string? Known(Dictionary<string, string> ids, Row row, int column) =>
            ids.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(row.Span(column), out var id) ? id : row.Text(column);

        /// <summary>The account a position or lot row belongs to; null (with an error for an id no file gave) when there is none to add it to.</summary>
        private CsvAccount? Owner(Row row, int column)
        {
            var span = row.Span(column);
            if (lastOwner is { LeftOut: false } && span.SequenceEqual(lastOwner.Account.Id))
            {
                return lastOwner;
            }
            if (accounts.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(span, out var account))
            {
                return lastOwner = account;
            }
            if (row.Text(column) is { } id && Unknown(id) is { } message)
            {
                row.Fail(column, message);
            }
            return null;
        }

        /// <summary>Why a row naming an account that is not among the ones read cannot be used; null when the account is left out (it has its own error, and its other rows add nothing).</summary>
        private string? Unknown(string id)
        {
            if (unread.ContainsKey(id) || duplicates.Contains(id))
            {
                return null;
            }
            return jsonAccounts.Contains(id)
                ? $"account '{TextLimit.Clip(id, 80)}' is given in {FirmJson} with its positions there; a CSV row cannot add to it"
                : $"no account '{TextLimit.Clip(id, 80)}' in {Accounts.Name}";
        }

        private void LeaveOut(CsvAccount account)
        {
            account.LeftOut = true;
            accounts.Remove(account.Account.Id);
            unread[account.Account.Id] = account.Account.HouseholdId;
        }

        private void Rows(FirmCsvFile file, Action<Row> each) =>
            FirmCsv.Read(Path.Combine(folder, file.Name), file, errors, each, row => WrongWidth(file, row));

        /// <summary>A row whose values do not line up with the header cannot be trusted: its account is left out.</summary>
        private void WrongWidth(FirmCsvFile file, Row row)
        {
            if (file == Prices || row.Span(0).IsEmpty)
            {
                return;
            }
            var id = row.Text(0, optional: true, quiet: true)!;
            if (file == Accounts)
            {
                accountRows++;
                unread.TryAdd(id, id);
            }
            else if (accounts.TryGetValue(id, out var account))
            {
                LeaveOut(account);
            }
        }
    }

}

/// <summary>One CSV file of a firm folder: its name and columns (the first <paramref name="Required"/> must be in its header, which names them in any order).</summary>
/// <param name="LeftOut">What a bad row costs, as its error says it.</param>
public sealed record FirmCsvFile(string Name, IReadOnlyList<string> Columns, int Required, string LeftOut = "the account is left out");
