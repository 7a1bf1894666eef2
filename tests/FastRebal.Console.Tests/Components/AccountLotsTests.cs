using System.Globalization;
using Bunit;
using FastRebal.Console.Components.Pages;
using FastRebal.Console.Engine;
using FastRebal.Console.Security;
using FastRebal.Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FastRebal.Console.Tests.Components;

/// <summary>
/// Two small firms run by real sessions, one keeping lots and one not, each stopped once the engine has traded, so
/// the pages and the tests read the same frozen book and lots.
/// </summary>
public sealed class StoppedEngines : IAsyncLifetime
{
    public EngineSession WithLots { get; private set; } = default!;

    public EngineSession WithoutLots { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        WithLots = await Run(lots: true);
        WithoutLots = await Run(lots: false);
    }

    /// <summary>A 300-account firm on a lively random walk with blocks sliced at once, stopped after sales have realized gains of both terms (or 60 seconds).</summary>
    private static async Task<EngineSession> Run(bool lots)
    {
        var session = new EngineSession(
            Options.Create(new EngineSettings { Accounts = 300, Positions = 10, Seed = 4, Lots = lots, SliceInterval = TimeSpan.Zero, MaxChildNotional = 20_000m }),
            Options.Create(new FeedSettings { Kind = "random", TicksPerSecond = 3000, Volatility = 0.002, MeanReversion = 0.005 }),
            Options.Create(new ConsoleSettings { DataDirectory = TestServices.TempDirectory(), Audit = false, Blotter = false }),
            NullLogger<EngineSession>.Instance);
        await session.StartAsync(CancellationToken.None);
        await session.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (lots && DateTime.UtcNow < deadline && AccountWithBothRealized(session) < 0)
        {
            await Task.Delay(200);
        }
        await session.StopAsync(CancellationToken.None);
        return session;
    }

    /// <summary>An account whose sales realized short-term and long-term gains (different amounts), or -1.</summary>
    public static int AccountWithBothRealized(EngineSession session)
    {
        var lots = session.Engine!.Evaluation.Tax!.Lots;
        for (var a = 0; a < lots.Book.AccountCount; a++)
        {
            if (lots.ReadAccount(a) is { RealizedShortTerm: not 0, RealizedLongTerm: not 0 } read && read.RealizedShortTerm != read.RealizedLongTerm)
            {
                return a;
            }
        }
        return -1;
    }

    public Task DisposeAsync()
    {
        WithLots?.Dispose();
        WithoutLots?.Dispose();
        return Task.CompletedTask;
    }
}

public class AccountLotsTests(StoppedEngines engines) : ComponentTest, IClassFixture<StoppedEngines>
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private async Task<IRenderedComponent<AccountsPage>> RenderAccount(EngineSession session, int account)
    {
        var notifier = this.AddConsole(session);
        AddAuthorization().SetAuthorized("vera").SetRoles(Roles.Viewer);
        await notifier.Publish(TestServices.Running());
        return Render<AccountsPage>(p => p.Add(x => x.AccountId, session.Engine!.Book.AccountId(account)));
    }

    private static int FirstAccount(EngineSession session, TaxStatus status)
    {
        var book = session.Engine!.Book;
        return Enumerable.Range(0, book.AccountCount).First(a => book.Policy(a).TaxStatus == status);
    }

    [Fact]
    public async Task A_taxable_account_shows_every_lot_with_its_term_basis_unit_cost_and_gain_at_the_current_price_and_its_realized_gains()
    {
        var engine = engines.WithLots.Engine!;
        var book = engine.Book;
        var lots = engine.Evaluation.Tax!.Lots;
        var day = engine.Evaluation.Day;
        var a = StoppedEngines.AccountWithBothRealized(engines.WithLots);
        Assert.True(a >= 0, "no account realized gains of both terms before the engine was stopped");
        var read = lots.ReadAccount(a)!;
        // The terms must be judged on the engine's market day: an account with both kinds shows a wrong day.
        var starts = read.Slots.SelectMany(s => s).Select(l => l.HoldingSince ?? l.Acquired).ToList();
        Assert.Contains(starts, s => day > s.AddYears(1));
        Assert.Contains(starts, s => day <= s.AddYears(1));

        var cut = await RenderAccount(engines.WithLots, a);

        Assert.Equal(read.Slots.Sum(s => s.Count), cut.FindAll("#tax-lots tr[data-lot]").Count);
        for (var k = 0; k < read.Slots.Count; k++)
        {
            var instrument = book.InstrumentIndices[book.SlotStart[a] + k];
            var symbol = book.Instruments[instrument].Symbol;
            var price = (decimal)book.Prices[instrument];
            foreach (var lot in read.Slots[k])
            {
                var since = lot.HoldingSince ?? lot.Acquired;
                var gain = (lot.Quantity * price) - lot.CostBasis;
                string[] expected =
                [
                    symbol,
                    lot.Id,
                    lot.Acquired.ToString("yyyy-MM-dd", C) + (lot.HoldingSince is { } h ? $" (held since {h.ToString("yyyy-MM-dd", C)})" : ""),
                    day > since.AddYears(1) ? "long" : "short",
                    lot.Quantity.ToString("#,0.######", C),
                    lot.CostBasis.ToString("#,0.00", C),
                    (lot.CostBasis / lot.Quantity).ToString("#,0.00##", C),
                    gain.ToString("#,0.00", C),
                    lot.WashSaleAdjustment == 0 ? "" : lot.WashSaleAdjustment.ToString("#,0.00", C),
                ];
                Assert.Equal(expected, Cells(cut, $"#tax-lots tr[data-lot='{lot.Id}']"));
            }
            if (read.Slots[k].Count > 0)
            {
                var total = Cells(cut, $"#tax-lots tr[data-holding='{symbol}']");
                Assert.Equal(read.Slots[k].Sum(l => l.Quantity).ToString("#,0.######", C), total[4]);
                Assert.Equal(read.Slots[k].Sum(l => l.CostBasis).ToString("#,0.00", C), total[5]);
                Assert.Equal(read.Slots[k].Sum(l => (l.Quantity * price) - l.CostBasis).ToString("#,0.00", C), total[7]);
            }
        }
        Assert.Equal(read.RealizedShortTerm.ToString("#,0.00", C), cut.Find("#realized-short").TextContent);
        Assert.Equal(read.RealizedLongTerm.ToString("#,0.00", C), cut.Find("#realized-long").TextContent);
        Assert.Contains($"market day {day.ToString("yyyy-MM-dd", C)}", cut.Find("#tax-lots-summary").TextContent, StringComparison.Ordinal);
        Assert.Contains("sales relieve lots tax-optimally", cut.Find("#tax-lots-summary").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("#tax-lots-not-kept"));
    }

    [Fact]
    public async Task A_tax_deferred_account_says_in_one_line_that_no_lots_are_kept()
    {
        var a = FirstAccount(engines.WithLots, TaxStatus.TaxDeferred);
        Assert.Null(engines.WithLots.Engine!.Evaluation.Tax!.Lots.ReadAccount(a));

        var cut = await RenderAccount(engines.WithLots, a);

        Assert.Equal("Tax lots: none kept for this account (tax-deferred, so its sales realize no gains).", cut.Find("#tax-lots-not-kept").TextContent);
        Assert.Empty(cut.FindAll("#tax-lots-heading"));
        Assert.Empty(cut.FindAll("#tax-lots"));
    }

    [Fact]
    public async Task With_lots_off_a_taxable_account_shows_its_holdings_and_no_lots_section()
    {
        Assert.Null(engines.WithoutLots.Engine!.Evaluation.Tax);
        var a = FirstAccount(engines.WithoutLots, TaxStatus.Taxable);

        var cut = await RenderAccount(engines.WithoutLots, a);

        Assert.NotEmpty(cut.FindAll("#holdings tbody tr"));
        Assert.Empty(cut.FindAll("#tax-lots-heading"));
        Assert.Empty(cut.FindAll("#tax-lots-not-kept"));
        Assert.DoesNotContain("Tax lots", cut.Markup, StringComparison.Ordinal);
    }

    private static string[] Cells(IRenderedComponent<AccountsPage> cut, string row) =>
        [.. cut.Find(row).QuerySelectorAll("td").Select(c => c.TextContent.Trim())];
}
