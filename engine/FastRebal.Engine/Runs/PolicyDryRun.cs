using System.Text.Json;
using System.Text.Json.Nodes;
using FastRebal.Engine.Approvals;
using FastRebal.Engine.Firms;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Tax;

namespace FastRebal.Engine.Runs;

/// <summary>
/// One run of the decision core over a scenario or firm folder, the one <c>fastrebal rebalance</c> makes: tax-aware
/// (lot relief, gains budget, wash sales, approvals) when the input has tax fields or an approval queue is kept
/// (<see cref="Taxed"/>), the plain run otherwise.
/// </summary>
public sealed record OneShotRun(TaxScenario Input, RunResult Run, TaxRunResult? Taxed)
{
    public IReadOnlyList<TaxedTrade> TaxedTrades => Taxed?.TaxedTrades ?? [];

    /// <param name="queue">The approval queue a run adds its pending items to and releases approved ones from; none kept when null.</param>
    public static OneShotRun Of(TaxScenario input, ApprovalQueue? queue = null)
    {
        if (!input.UsesTaxFeatures && queue is null)
        {
            return new(input, RebalanceRun.Execute(input.Scenario.Book, input.Scenario.AsOf, input.Scenario.CashFlows), null);
        }
        var taxed = TaxAwareRun.Rebalance(input, queue);
        return new(input, taxed.Run, taxed);
    }
}

/// <summary>What a one-shot run over some accounts would do: the figures a policy edit's preview compares.</summary>
/// <param name="Turnover">Notional of the released trades, buys and sells.</param>
/// <param name="Value">The accounts' value before trading (holdings at the book's prices and cash).</param>
/// <param name="InBreach">The accounts outside a band of their policy before trading.</param>
public sealed record DryRunFigures(
    int Accounts,
    int AccountsTrading,
    int Trades,
    int HeldForApproval,
    decimal Turnover,
    decimal Value,
    decimal ShortTermGain,
    decimal LongTermGain,
    IReadOnlySet<string> InBreach)
{
    public static DryRunFigures Of(OneShotRun run)
    {
        var book = run.Input.Scenario.Book;
        var inBreach = new HashSet<string>(StringComparer.Ordinal);
        var value = 0m;
        for (var a = 0; a < book.AccountCount; a++)
        {
            value += (decimal)run.Run.Drift.TotalValue[a];
            if (run.Run.Drift.Breaches(a))
            {
                inBreach.Add(book.AccountId(a));
            }
        }
        return new DryRunFigures(
            book.AccountCount,
            run.Run.Trades.Select(t => t.AccountId).Distinct(StringComparer.Ordinal).Count(),
            run.Run.Trades.Count,
            run.Run.HeldTrades.Count,
            run.Run.Trades.Sum(t => t.Notional),
            value,
            run.TaxedTrades.Sum(t => t.ShortTermGain),
            run.TaxedTrades.Sum(t => t.LongTermGain),
            inBreach);
    }
}

/// <summary>
/// A policy edit's preview: the accounts it would change, as they stand between two of the engine's batches, written
/// as a firm folder (<c>as-is</c>) and again with the edit applied (<c>as-edited</c>), and the decision core run over
/// each exactly as <c>fastrebal rebalance --scenario FOLDER</c> runs it. So the figures can be checked by hand from
/// the folders. Nothing is traded and the engine's book is not changed.
/// </summary>
/// <remarks>
/// A one-shot run starts from the book's holdings, cash, prices, lots and policies; the live engine's own state
/// beyond those (trades in flight, a breach parked for the day, cash flows waiting to be invested, the household's
/// recent purchases for the wash-sale rule) is not part of it.
/// </remarks>
public sealed record PolicyPreview(DryRunFigures AsIs, DryRunFigures AsEdited, string Folder)
{
    public const string AsIsFolder = "as-is";
    public const string AsEditedFolder = "as-edited";

    /// <summary>Accounts outside a band as edited that are within every band as they are.</summary>
    public IReadOnlyList<string> EnterBreach => [.. AsEdited.InBreach.Except(AsIs.InBreach).Order(StringComparer.Ordinal)];

    /// <summary>Accounts outside a band as they are that the edit brings within every band.</summary>
    public IReadOnlyList<string> LeaveBreach => [.. AsIs.InBreach.Except(AsEdited.InBreach).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Previews <paramref name="edit"/> on <paramref name="accountIds"/> of a running engine. The accounts are written
    /// on the engine's evaluation thread between two batches (so no batch is half seen); the runs go on off it.
    /// </summary>
    /// <param name="folder">An empty or new folder for the two firm folders.</param>
    /// <param name="editTax">The change to each taxable account's tax elections, when the edit changes them.</param>
    public static async Task<PolicyPreview> RunAsync(EngineHost engine, IReadOnlyList<string> accountIds, Func<InvestmentPolicy, InvestmentPolicy> edit, string folder,
        Func<AccountTaxSettings, AccountTaxSettings>? editTax = null, CancellationToken cancel = default)
    {
        var asIs = Path.Combine(folder, AsIsFolder);
        var asEdited = Path.Combine(folder, AsEditedFolder);
        await engine.Evaluation.ReadBetweenBatches(() =>
        {
            var book = engine.Book;
            var accounts = new List<int>(accountIds.Count);
            foreach (var id in accountIds)
            {
                var a = book.FindAccount(id);
                accounts.Add(a >= 0 ? a : throw new ArgumentException($"unknown account '{TextLimit.Clip(id, 100)}'", nameof(accountIds)));
            }
            var tax = engine.Evaluation.Tax;
            FirmFolderWriter.Write(asIs, book, engine.Evaluation.Day, accounts, book.Policy, tax?.Lots, tax is null ? null : tax.Settings);
            return true;
        }).WaitAsync(cancel).ConfigureAwait(false);
        return await Task.Run(() =>
        {
            WriteEdited(asIs, asEdited, edit, editTax);
            return new PolicyPreview(Figures(asIs), Figures(asEdited), folder);
        }, cancel).ConfigureAwait(false);
    }

    /// <summary>The figures of <c>fastrebal rebalance --scenario <paramref name="folder"/></c>.</summary>
    public static DryRunFigures Figures(string folder) => DryRunFigures.Of(OneShotRun.Of(ImportedFirm.Load(folder).Scenario));

    /// <summary>
    /// Copies a firm folder with the edit applied to each of its named policies (every account names one). A
    /// policy's tax elections are kept as written.
    /// </summary>
    private static void WriteEdited(string from, string to, Func<InvestmentPolicy, InvestmentPolicy> edit, Func<AccountTaxSettings, AccountTaxSettings>? editTax)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
        var options = ScenarioDocument.JsonOptions;
        var firmPath = Path.Combine(to, FirmFolder.FirmJson);
        var firm = JsonNode.Parse(File.ReadAllText(firmPath))!.AsObject();
        foreach (var node in firm["policies"]!.AsArray())
        {
            var written = node!.AsObject();
            var edited = JsonSerializer.SerializeToNode(edit(written.Deserialize<InvestmentPolicy>(options)!), options)!.AsObject();
            foreach (var (name, value) in written.ToList())
            {
                if (!edited.ContainsKey(name))
                {
                    // The folder's own fields (its id, the tax elections): not part of the policy edited.
                    edited[name] = value?.DeepClone();
                }
            }
            edited["id"] = written["id"]!.DeepClone();
            if (editTax is not null && written.ContainsKey("lotMethod"))
            {
                // A taxable account's elections, as the folder's reader makes them, changed and written back.
                var elections = TaxScenario.NewSettings(written.Deserialize<TaxPolicyInput>(options)!);
                foreach (var field in FirmFolderWriter.ElectionFields)
                {
                    edited.Remove(field);
                }
                FirmFolderWriter.WriteElections(edited, editTax(elections));
            }
            written.Clear();
            foreach (var (name, value) in edited.ToList())
            {
                edited.Remove(name);
                written[name] = value;
            }
        }
        File.WriteAllText(firmPath, firm.ToJsonString(options));
    }
}
