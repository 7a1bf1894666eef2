using System.CommandLine;
using System.Globalization;
using FastRebal.Engine.Approvals;
using FastRebal.Engine.Audit;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Cli.Commands;

/// <summary>
/// <c>fastrebal approvals --queue FILE</c> lists the queue; <c>fastrebal approve|reject --queue FILE --id X --who W --why R</c>
/// records an operator's decision (with the time) so the next <c>rebalance</c> or <c>harvest</c> with the same queue
/// releases what was approved.
/// </summary>
public static class ApprovalCommands
{
    public static Command List()
    {
        var queue = QueueOption();
        var all = new Option<bool>("--all") { Description = "Show decided items too, not only pending ones" };
        var command = new Command("approvals", "List the approval queue") { queue, all };
        command.SetAction(parse => ExitCodes.Guard(() =>
        {
            var path = parse.GetValue(queue)!;
            RequireFile(path);
            var items = ApprovalQueue.Load(path).Items.Where(i => parse.GetValue(all) || i.Status == ApprovalStatus.Pending).ToList();
            foreach (var item in items)
            {
                var decided = item.Decision is { } d ? string.Create(CultureInfo.InvariantCulture, $" ({d.Outcome} by {d.Who} at {d.When:u}: {d.Why})") : "";
                Console.WriteLine($"{item.Id}  {item.Status}{decided}");
                Console.WriteLine($"    {item.Kind} {item.AccountId} (IPS {item.PolicyId} v{item.PolicyVersion}): {item.Reason}");
                foreach (var t in item.Trades)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {t.Side} {t.Quantity:0.######} {t.InstrumentId} @ {t.Price:0.00}"));
                }
            }
            Console.Error.WriteLine($"fastrebal: {items.Count} item(s)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Approve() => Decide("approve", "Approve a queued item: the next run releases its trades", approve: true);

    public static Command Reject() => Decide("reject", "Reject a queued item: its trades are never released", approve: false);

    private static Command Decide(string name, string description, bool approve)
    {
        var queue = QueueOption();
        var id = new Option<string>("--id") { Description = "Item id (from 'fastrebal approvals')", Required = true };
        var who = new Option<string>("--who") { Description = "Operator making the decision", Required = true };
        var why = new Option<string>("--why") { Description = "Reason, kept with the decision", Required = true };
        var audit = AuditCommand.FileOption();
        var command = new Command(name, description) { queue, id, who, why, audit };
        command.SetAction(parse => ExitCodes.Guard(() =>
        {
            var path = parse.GetValue(queue)!;
            RequireFile(path);
            var q = ApprovalQueue.Load(path);
            var (itemId, operatorName, reason) = (parse.GetValue(id)!, parse.GetValue(who)!, parse.GetValue(why)!);
            // Opened first: a broken chain stops the decision rather than leave it unrecorded.
            using var chain = AuditCommand.OpenChain(parse.GetValue(audit));
            var outcome = approve ? q.Approve(itemId, operatorName, reason, DateTimeOffset.UtcNow) : q.Reject(itemId, operatorName, reason, DateTimeOffset.UtcNow);
            switch (outcome)
            {
                case ApprovalOutcome.Done:
                    q.Save(path);
                    if (chain is not null)
                    {
                        // The decision is the queue's newest audit record: who, why, when.
                        chain.Append(AuditEntries.Approval(q.Audit[^1]));
                        chain.Flush(durable: true);
                    }
                    Console.WriteLine($"{itemId} {(approve ? "approved" : "rejected")} by {operatorName}");
                    return ExitCodes.Ok;
                case ApprovalOutcome.NotFound:
                    throw new UsageException($"no item '{TextLimit.Clip(itemId, 80)}' in {path}");
                case ApprovalOutcome.AlreadyDecided:
                    throw new UsageException($"item '{itemId}' is already {q.Find(itemId)!.Status.ToString().ToLowerInvariant()}; a decision is final");
                default:
                    throw new UsageException($"--who and --why must not be empty ({outcome})");
            }
        }));
        return command;
    }

    private static Option<string> QueueOption() => new("--queue") { Description = "Approval queue file (written by rebalance/harvest --approvals)", Required = true };

    private static void RequireFile(string path)
    {
        OptionChecks.InputFile("--queue", path);
    }
}
