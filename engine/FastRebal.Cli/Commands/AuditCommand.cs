using System.CommandLine;
using System.Globalization;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>fastrebal audit verify|report|export</c>: checks the audit chain (naming the first bad record), prints an
/// account's audit-ready report, and moves old records to an archive (retention). Also the <c>--audit FILE</c> option
/// the one-shot commands share.
/// </summary>
public static class AuditCommand
{
    public static Command Create() => new("audit", "Verify the audit chain, report on an account, export old records") { Verify(), Report(), Export() };

    /// <summary>The <c>--audit FILE</c> option of rebalance, harvest, approve and reject.</summary>
    public static Option<string?> FileOption() => new("--audit") { Description = "Audit chain file: a record is appended per decision, trade, harvest and approval (created if missing)" };

    /// <summary>Opens the chain to append to; a torn tail is cut and reported, a broken chain is refused (nothing is appended to it).</summary>
    public static AuditChain? OpenChain(string? path)
    {
        if (OptionChecks.OutputFile("--audit", path) is null)
        {
            return null;
        }
        var opened = FileAuditStore.Open(path!);
        if (opened.Repair is not null)
        {
            Console.Error.WriteLine($"fastrebal: audit: {opened.Repair}");
        }
        return opened.Store is { } store
            ? new AuditChain(store)
            : throw new InvalidDataException($"{path}: the audit chain is broken, nothing was appended: {opened.Verification.Message} (see 'fastrebal audit verify')");
    }

    private static Option<string> ChainFile() => new("--file") { Description = "The live audit chain file", Required = true };

    private static Command Verify()
    {
        var file = ChainFile();
        var archives = new Option<string[]>("--archive") { Description = "Archive files exported from this chain, oldest first, verified together with it", AllowMultipleArgumentsPerToken = false };
        var command = new Command("verify", "Check every record's hash and link, the seal and any checkpoint; print each UTC day's Merkle root, or name the first bad record") { file, archives };
        command.SetAction(parse => ExitCodes.Guard(() =>
        {
            var path = parse.GetValue(file)!;
            var verification = VerifyFiles([.. parse.GetValue(archives) ?? [], path]);
            if (!verification.Intact)
            {
                Console.WriteLine($"BROKEN: {verification.Fault} at record {verification.BadSequence}: {verification.Message}");
                return ExitCodes.BadInput;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"OK: {verification.Count} record(s), sequence {verification.FirstSequence} to {verification.LastSequence}, tail hash {verification.TailHash}"));
            foreach (var day in verification.Days)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {day.Day:yyyy-MM-dd}  {day.Records,6} record(s)  {day.FirstSequence}-{day.LastSequence}  merkle root {day.Root}"));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Reads the files (archives first) and verifies them as one chain, against the last file's seal.</summary>
    internal static AuditVerification VerifyFiles(IReadOnlyList<string> paths)
    {
        foreach (var path in paths.Where(p => !File.Exists(p)))
        {
            throw new FileNotFoundException($"audit file not found: {path}");
        }
        return FileAuditStore.VerifyFiles(paths);
    }

    private static Command Report()
    {
        var file = ChainFile();
        var account = new Option<string>("--account") { Description = "Account id", Required = true };
        var from = new Option<string>("--from") { Description = "First UTC day (yyyy-MM-dd)", Required = true };
        var to = new Option<string>("--to") { Description = "Last UTC day, inclusive (yyyy-MM-dd)", Required = true };
        var format = new Option<string>("--format") { Description = "Report format", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "html");
        var output = new Option<string?>("--out") { Description = "Where to write the report (default: standard output)" };
        var command = new Command("report", "An account's decisions, trades, harvests and approvals in plain language, with figures, policy and hashes") { file, account, from, to, format, output };
        command.SetAction(parse => ExitCodes.Guard(() =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"audit file not found: {path}");
            }
            OptionChecks.OutputFile("--out", parse.GetValue(output));
            var query = new AuditReportQuery(parse.GetValue(account)!, Day(parse.GetValue(from)!, "--from"), Day(parse.GetValue(to)!, "--to"));
            if (query.To < query.From)
            {
                throw new UsageException($"--to {query.To:yyyy-MM-dd} is before --from {query.From:yyyy-MM-dd}");
            }
            // Both read the file a block at a time, so a report on a file of any size holds only the account's records.
            var verification = FileAuditStore.VerifyFiles(path);
            var records = FileAuditStore.ReadAccount(path, query.AccountId).Where(query.Includes).ToList();
            var outPath = parse.GetValue(output);
            using (var writer = outPath is null or "-" ? new StreamWriter(Console.OpenStandardOutput()) : new StreamWriter(outPath))
            {
                if (parse.GetValue(format) == "html")
                {
                    AuditReport.WriteHtml(writer, records, query, path, verification);
                }
                else
                {
                    AuditReport.WriteCsv(writer, records);
                }
            }
            Console.Error.WriteLine($"fastrebal: {records.Count} record(s) for {query.AccountId}; chain {(verification.Intact ? "intact" : "BROKEN: " + verification.Message)}");
            return verification.Intact ? ExitCodes.Ok : ExitCodes.BadInput;
        }));
        return command;
    }

    private static Command Export()
    {
        var file = ChainFile();
        var before = new Option<string?>("--before") { Description = "Records of UTC days before this date (yyyy-MM-dd) are exported" };
        var keepDays = new Option<int?>("--keep-days") { Description = "Instead of --before: keep the last N UTC days (today included) live, export the rest" };
        var archive = new Option<string>("--archive") { Description = "Archive file to create", Required = true };
        var who = new Option<string>("--who") { Description = "Who runs the export (kept in the checkpoint record)", DefaultValueFactory = _ => Environment.UserName };
        var why = new Option<string>("--why") { Description = "Why (kept in the checkpoint record)", DefaultValueFactory = _ => "retention" };
        var command = new Command("export", "Move the records before a date to an archive and prune them from the live file; the chain stays verifiable") { file, before, keepDays, archive, who, why };
        command.SetAction(parse => ExitCodes.Guard(() =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"audit file not found: {path}");
            }
            var cutoff = (parse.GetValue(before), parse.GetValue(keepDays)) switch
            {
                ({ } date, null) => Day(date, "--before"),
                (null, >= 1 and var days) => DateOnly.FromDateTime(DateTime.UtcNow).AddDays(1 - days),
                (null, { } days) => throw new UsageException($"--keep-days must be at least 1 (got {days})"),
                (null, null) => throw new UsageException("give --before DATE or --keep-days N"),
                _ => throw new UsageException("give --before or --keep-days, not both"),
            };
            OptionChecks.OutputFile("--archive", parse.GetValue(archive));
            var result = AuditRetention.Export(path, cutoff, parse.GetValue(archive)!, parse.GetValue(who)!, parse.GetValue(why)!);
            if (result.Repair is not null)
            {
                Console.Error.WriteLine($"fastrebal: audit: {result.Repair}");
            }
            if (!result.Ok)
            {
                throw new InvalidDataException(result.Problem!);
            }
            Console.WriteLine(result.Checkpoint is { } checkpoint
                ? $"exported {result.Archived} record(s) to {parse.GetValue(archive)}; checkpoint record {checkpoint.Sequence}: {checkpoint.Entry.Explanation}"
                : string.Create(CultureInfo.InvariantCulture, $"nothing to export: no record before {cutoff:yyyy-MM-dd}"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static DateOnly Day(string text, string option) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new UsageException($"{option}: '{TextLimit.Clip(text, 80)}' is not a date like 2025-09-26");
}
