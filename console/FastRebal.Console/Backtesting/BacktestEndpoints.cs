using System.Text;
using FastRebal.Charts;
using FastRebal.Console.Security;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Console.Backtesting;

/// <summary>
/// A finished backtest's files for its page's links: <c>/backtest/download/{id}/table.csv</c> and each chart as
/// <c>NAME.png</c> or <c>NAME.svg</c> (drawn when asked). Only the user who ran it gets them (viewer role); a run
/// no longer kept answers 404.
/// </summary>
public static class BacktestEndpoints
{
    public const string Prefix = "/backtest/download";

    public static void MapBacktestEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet(Prefix + "/{id:guid}/{file}", (Guid id, string file, HttpContext context, BacktestService backtests) =>
        {
            if (backtests.Find(id, context.User.Identity?.Name) is not { } run)
            {
                return Results.Problem("no such backtest: only the last few runs are kept, for the user who ran them; run it again", statusCode: StatusCodes.Status404NotFound);
            }
            if (file == "table.csv")
            {
                return Results.File(Encoding.UTF8.GetBytes(run.Csv()), "text/csv", "backtest.csv");
            }
            var name = Path.GetFileNameWithoutExtension(file);
            var format = Path.GetExtension(file) switch
            {
                ".png" => ChartFormat.Png,
                ".svg" => ChartFormat.Svg,
                _ => (ChartFormat?)null,
            };
            if (format is null || !BacktestChartSet.Names.Contains(name))
            {
                return Results.Problem($"no file '{TextLimit.Clip(file, 60)}'; known: table.csv, or {string.Join(", ", BacktestChartSet.Names)} as .png or .svg",
                    statusCode: StatusCodes.Status404NotFound);
            }
            return Results.File(BacktestChartSet.Draw(name, run.Result, format.Value), format == ChartFormat.Png ? "image/png" : "image/svg+xml", $"backtest-{file}");
        }).RequireAuthorization(Policies.View);
}
