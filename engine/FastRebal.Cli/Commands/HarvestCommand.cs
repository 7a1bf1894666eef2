using System.CommandLine;
using FastRebal.Engine.Approvals;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Firms;
using FastRebal.Engine.Tax;

namespace FastRebal.Cli.Commands;

/// <summary><c>fastrebal harvest --scenario FILE</c>: the tax-loss harvesting scan (and swap backs) on demand.</summary>
public static class HarvestCommand
{
    public static Command Create()
    {
        var scenario = new Option<FileInfo>("--scenario") { Description = "Scenario file with lots and harvest settings, or a firm folder with lots.csv", Required = true };
        var output = new Option<string?>("--out") { Description = "Where to write the harvests and trades (default: standard output)" };
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "csv");
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines on standard error" };
        var approvals = new Option<string?>("--approvals") { Description = "Approval queue file: harvests above an account's limit wait here; approved ones are released" };
        var audit = AuditCommand.FileOption();
        var command = new Command("harvest", "Scan taxable accounts for losses to harvest, keep the exposure with substitutes, respect the wash-sale rule") { scenario, output, format, quiet, approvals, audit };
        command.SetAction(parse => ExitCodes.Guard(() => Run(
            parse.GetValue(scenario)!, parse.GetValue(output), parse.GetValue(format)!, new Progress(parse.GetValue(quiet)), parse.GetValue(approvals), parse.GetValue(audit))));
        return command;
    }

    public static int Run(FileInfo scenarioFile, string? outPath, string format, Progress progress, string? approvalsPath, string? auditPath = null)
    {
        OptionChecks.InputFileOrFolder("--scenario", scenarioFile.FullName);
        OptionChecks.OutputFile("--out", outPath);
        OptionChecks.OutputFile("--approvals", approvalsPath);
        OptionChecks.OutputFile("--audit", auditPath);
        var tax = progress.Time($"loading {scenarioFile.Name}", () => ImportedFirm.Load(scenarioFile.FullName).Scenario, out _);
        foreach (var error in tax.Errors)
        {
            Console.Error.WriteLine($"fastrebal: bad input: {error}");
        }
        var book = tax.Scenario.Book;
        using var chain = AuditCommand.OpenChain(auditPath);
        var inputHashes = chain is null ? [] : AuditInputs.HashAll(book, tax.Scenario.AsOf, tax.Scenario.CashFlows, tax.Lots);
        var queue = approvalsPath is null ? new ApprovalQueue() : ApprovalQueue.Load(approvalsPath);
        var approvalRecordsBefore = queue.Audit.Count;
        var result = progress.Time("harvest scan", () => TaxAwareRun.Harvest(tax, queue), out _);
        RebalanceCommand.Write(outPath, format, stream => TaxReport.WriteJson(stream, tax.Scenario.Book, result, tax.Errors, harvestScan: true), writer => TaxReport.WriteCsv(writer, result, tax.Errors, harvestScan: true));
        RebalanceCommand.SaveQueue(queue, approvalsPath, progress);
        if (chain is not null)
        {
            var appended = 0;
            foreach (var harvest in result.Harvests)
            {
                chain.Append(AuditEntries.Harvest(harvest, inputHashes[book.FindAccount(harvest.AccountId)]));
                appended++;
            }
            foreach (var taxed in result.TaxedTrades)
            {
                var a = book.FindAccount(taxed.Trade.AccountId);
                chain.Append(AuditEntries.HarvestTrade(book, a, taxed, inputHashes[a]));
                appended++;
            }
            appended += RebalanceCommand.AppendApprovals(chain, book, queue, approvalRecordsBefore, inputHashes);
            RebalanceCommand.AppendedToAudit(chain, auditPath!, appended, progress);
        }
        var harvested = result.Harvests.Where(h => h.Status == HarvestStatus.Harvested).ToList();
        progress.Step(FormattableString.Invariant($"{harvested.Count} harvest(s), losses {harvested.Sum(h => h.Loss):N2}, estimated tax saved {harvested.Sum(h => h.EstimatedTaxSaved):N2}; {result.Harvests.Count(h => h.Status == HarvestStatus.PendingApproval)} waiting for approval ({result.Run.HeldTrades.Count} trade(s) held), {result.Run.Trades.Count} trade(s) released, {result.Harvests.Count(h => h.Status == HarvestStatus.Skipped)} skipped"));
        return tax.Errors.Count > 0 ? ExitCodes.BadInput : ExitCodes.Ok;
    }
}
