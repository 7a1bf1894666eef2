using System.CommandLine;
using FastRebal.Engine.Approvals;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Firms;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Tax;

namespace FastRebal.Cli.Commands;

/// <summary><c>fastrebal rebalance --scenario FILE [--out FILE] [--format json|csv] [--approvals QUEUE] [--audit FILE]</c>: one run over a scenario file.</summary>
public static class RebalanceCommand
{
    public static Command Create()
    {
        var scenario = new Option<FileInfo>("--scenario") { Description = "Scenario file (JSON), or a firm folder (firm.json and its CSV files; docs/firm-files.md)", Required = true };
        var output = new Option<string?>("--out") { Description = "Where to write decisions and trades (default: standard output)" };
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "csv");
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines on standard error" };
        var approvals = new Option<string?>("--approvals") { Description = "Approval queue file: items waiting for an operator are added, approved ones released" };
        var audit = AuditCommand.FileOption();
        var command = new Command("rebalance", "Decide and size trades for every account of a scenario file") { scenario, output, format, quiet, approvals, audit };
        command.SetAction(parse => ExitCodes.Guard(() => Run(
            parse.GetValue(scenario)!, parse.GetValue(output), parse.GetValue(format)!, new Progress(parse.GetValue(quiet)), parse.GetValue(approvals), parse.GetValue(audit))));
        return command;
    }

    public static int Run(FileInfo scenarioFile, string? outPath, string format, Progress progress, string? approvalsPath = null, string? auditPath = null)
    {
        OptionChecks.InputFileOrFolder("--scenario", scenarioFile.FullName);
        OptionChecks.OutputFile("--out", outPath);
        OptionChecks.OutputFile("--approvals", approvalsPath);
        OptionChecks.OutputFile("--audit", auditPath);
        var tax = progress.Time($"loading {scenarioFile.Name}", () => ImportedFirm.Load(scenarioFile.FullName).Scenario, out _);
        var loaded = tax.Scenario;
        foreach (var error in tax.Errors)
        {
            Console.Error.WriteLine($"fastrebal: bad input: {error}");
        }
        progress.Step($"{loaded.Book.AccountCount} of {loaded.AccountsInInput} accounts valid, {tax.Errors.Count} input error(s)");
        // Opened before the run, so a broken chain stops the run before anything is decided; hashed before the run
        // changes the lots.
        using var chain = AuditCommand.OpenChain(auditPath);
        var inputHashes = chain is null ? [] : AuditInputs.HashAll(loaded.Book, loaded.AsOf, loaded.CashFlows, tax.UsesTaxFeatures ? tax.Lots : null);

        // The run a policy preview makes too (OneShotRun): a file without tax fields and no approval queue gets exactly
        // the plain run and report.
        var queue = approvalsPath is not null ? ApprovalQueue.Load(approvalsPath) : tax.UsesTaxFeatures ? new ApprovalQueue() : null;
        var approvalRecordsBefore = queue?.Audit.Count ?? 0;
        var run = progress.Time(tax.UsesTaxFeatures || queue is not null ? "rebalancing (tax-aware)" : "rebalancing", () =>
        {
            // A batch job: room for the run (and its tax-aware plans) is set aside before it decides (see BatchRegion).
            using var region = BatchRegion.Enter(BatchRegion.RunBytes(tax.Scenario.Book, runs: 2));
            return OneShotRun.Of(tax, queue);
        }, out _);
        if (run.Taxed is null)
        {
            var result = run.Run;
            Write(outPath, format, stream => RunReport.WriteJson(stream, loaded.Book, result, tax.Errors), writer => RunReport.WriteCsv(writer, result, tax.Errors));
            progress.Step($"{result.Trades.Count} trade(s) released and {result.HeldTrades.Count} held for approval, for {result.Decisions.Count} accounts, written to {outPath ?? "standard output"}");
            if (chain is not null)
            {
                AppendedToAudit(chain, auditPath!, AuditEntries.AppendRun(chain, loaded.Book, result, inputHashes), progress);
            }
            return tax.Errors.Count > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
        }

        // A tax-aware run always has a queue: the file's, or a new one whose submissions the audit records.
        var taxed = run.Taxed;
        var items = queue!;
        Write(outPath, format, stream => TaxReport.WriteJson(stream, loaded.Book, taxed, tax.Errors), writer => TaxReport.WriteCsv(writer, taxed, tax.Errors));
        SaveQueue(items, approvalsPath, progress);
        if (chain is not null)
        {
            var appended = AuditEntries.AppendRun(chain, loaded.Book, taxed.Run, inputHashes, taxed.TaxedTrades)
                + AppendApprovals(chain, loaded.Book, items, approvalRecordsBefore, inputHashes);
            AppendedToAudit(chain, auditPath!, appended, progress);
        }
        progress.Step($"{taxed.Run.Trades.Count} trade(s) released and {taxed.Run.HeldTrades.Count} held for approval, for {taxed.Run.Decisions.Count} accounts, {taxed.WashSales.Count} wash sale(s), {taxed.Approvals.Count(a => a.Status == ApprovalStatus.Pending)} approval(s) pending, written to {outPath ?? "standard output"}");
        return tax.Errors.Count > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
    }

    /// <summary>Appends the approval records a run added to the queue (submissions), with the account's household and input hash.</summary>
    internal static int AppendApprovals(AuditChain chain, Engine.State.AccountBook book, ApprovalQueue queue, int from, IReadOnlyList<string> inputHashes)
    {
        var appended = 0;
        foreach (var record in queue.Audit.Skip(from))
        {
            var a = book.FindAccount(record.AccountId);
            chain.Append(AuditEntries.Approval(record, a >= 0 ? book.HouseholdId(a) : "", a >= 0 && inputHashes.Count > a ? inputHashes[a] : ""));
            appended++;
        }
        return appended;
    }

    /// <summary>Makes the run's records durable (fsync and seal) before the command reports success.</summary>
    internal static void AppendedToAudit(AuditChain chain, string path, int appended, Progress progress)
    {
        chain.Flush(durable: true);
        progress.Step($"audit {path}: {appended} record(s) appended, chain at record {chain.LastSequence}");
    }

    internal static void SaveQueue(ApprovalQueue queue, string? path, Progress progress)
    {
        if (path is not null)
        {
            queue.Save(path);
            progress.Step($"approval queue {path}: {queue.Pending.Count()} pending of {queue.Items.Count}");
        }
    }

    internal static void Write(string? outPath, string format, Action<Stream> json, Action<TextWriter> csv)
    {
        using var stream = outPath is null or "-" ? Console.OpenStandardOutput() : File.Create(outPath);
        if (format == "csv")
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            csv(writer);
        }
        else
        {
            json(stream);
        }
    }
}
