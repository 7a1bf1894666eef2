using FastRebal.Console.AuditTrail;
using System.Text;
using FastRebal.Console.Engine;
using FastRebal.Console.Security;
using FastRebal.Engine.Audit;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FastRebal.Console.Operations;

/// <summary>
/// The console's HTTP endpoints besides the pages: the kill switch as form posts (operator role, antiforgery), the
/// engine status as JSON and the audit report download (viewer role). The pages call <see cref="OperatorActions"/>
/// directly; these exist for scripts and other tools, and a viewer posting to them is refused with 403.
/// </summary>
public static class OperatorEndpoints
{
    public static void MapOperatorEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/kill-switch/engage", async ([FromForm] string? reason, HttpContext context, OperatorActions actions) =>
            Reply(await actions.EngageKillSwitch(context.User, reason))).RequireAuthorization(Policies.Operate);

        app.MapPost("/api/kill-switch/release", async ([FromForm] string? reason, HttpContext context, OperatorActions actions) =>
            Reply(await actions.ReleaseKillSwitch(context.User, reason))).RequireAuthorization(Policies.Operate);

        app.MapGet("/api/status", (EngineSession session) => session.Engine is { } engine
            ? Results.Ok(engine.Status())
            : Results.Json(new { phase = session.Phase.ToString(), progress = session.Progress }, statusCode: StatusCodes.Status503ServiceUnavailable))
            .RequireAuthorization(Policies.View);

        app.MapGet("/audit/report", (string? account, DateOnly? from, DateOnly? to, string? format, EngineSession session) =>
        {
            if (session.Audit is not { } audit)
            {
                return Results.Problem("the audit chain is off (Console:Audit is false)", statusCode: StatusCodes.Status404NotFound);
            }
            if (string.IsNullOrWhiteSpace(account))
            {
                return Results.Problem("name the account: ?account=A0000001", statusCode: StatusCodes.Status400BadRequest);
            }
            if (format is not (null or "csv" or "html"))
            {
                return Results.Problem($"format must be csv or html (got '{format}')", statusCode: StatusCodes.Status400BadRequest);
            }
            // Both read the file a block at a time: memory holds the account's records, whatever the file's size.
            // Every segment of the chain, archives first: a rollover moves older records out of the live file.
            var query = new AuditReportQuery(account, from ?? DateOnly.MinValue, to ?? DateOnly.MaxValue);
            var segments = AuditArchives.List(audit.Path);
            var records = segments.SelectMany(s => FileAuditStore.ReadAccount(s.Path, account)).Where(query.Includes).ToList();
            using var writer = new StringWriter();
            if (format == "html")
            {
                AuditReport.WriteHtml(writer, records, query, string.Join(", ", segments.Select(s => s.Name)), AuditArchives.VerifyAll(audit.Path));
                return Results.File(Encoding.UTF8.GetBytes(writer.ToString()), "text/html", $"audit-{account}.html");
            }
            AuditReport.WriteCsv(writer, records);
            return Results.File(Encoding.UTF8.GetBytes(writer.ToString()), "text/csv", $"audit-{account}.csv");
        }).RequireAuthorization(Policies.View);

        // A segment of the chain (an archive or the live file) or its seal, as stored: the export a reviewer verifies
        // with `fastrebal audit verify --file`.
        app.MapGet("/audit/segment/{name}", (string name, EngineSession session) =>
        {
            if (session.Audit is not { } audit)
            {
                return Results.Problem("the audit chain is off (Console:Audit is false)", statusCode: StatusCodes.Status404NotFound);
            }
            foreach (var segment in AuditArchives.List(audit.Path))
            {
                if (name == segment.Name)
                {
                    return Results.File(new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete),
                        AuditFileBlocks.IsCompressed(segment.Path) ? "application/gzip" : "application/x-ndjson", segment.Name);
                }
                if (name == segment.Name + ".seal" && File.Exists(FileAuditStore.SealPath(segment.Path)))
                {
                    return Results.File(File.ReadAllBytes(FileAuditStore.SealPath(segment.Path)), "application/json", name);
                }
            }
            return Results.Problem($"no audit segment '{FastRebal.Engine.Scenarios.TextLimit.Clip(name, 80)}'", statusCode: StatusCodes.Status404NotFound);
        }).RequireAuthorization(Policies.View);
    }

    private static IResult Reply(ActionOutcome outcome) =>
        outcome.Forbidden ? Results.Json(outcome, statusCode: StatusCodes.Status403Forbidden)
        : outcome.Done ? Results.Ok(outcome)
        : Results.Json(outcome, statusCode: StatusCodes.Status409Conflict);
}
