using System.Diagnostics;
using FastRebal.Engine.Decisions;
using FastRebal.Engine.Drift;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Runs;

/// <summary>How a one-shot run is carried out.</summary>
public sealed record RunOptions
{
    public SweepPath SweepPath { get; init; } = SweepPath.Auto;

    public bool Parallel { get; init; } = true;
}

/// <summary>Everything a run decided, in account order, with how long each stage took.</summary>
public sealed class RunResult
{
    public required DateOnly AsOf { get; init; }

    public required IReadOnlyList<Decision> Decisions { get; init; }

    /// <summary>The released trades: those of accounts that rebalance or invest a cash flow.</summary>
    public required IReadOnlyList<Trade> Trades { get; init; }

    /// <summary>Trades sized but waiting for an operator's approval: not released, and not to be executed from here.</summary>
    public IReadOnlyList<Trade> HeldTrades { get; init; } = [];

    /// <summary>Per account (book order), its plan, or null when it does not trade.</summary>
    public required IReadOnlyList<TradePlan?> Plans { get; init; }

    public required DriftReport Drift { get; init; }

    public required TimeSpan SweepTime { get; init; }

    public required TimeSpan DecideTime { get; init; }

    public int Count(DecisionAction action) => Decisions.Count(d => d.Action == action);
}

/// <summary>
/// One pass of the engine over a book: apply pending cash flows to a copy of cash, sweep drift, decide per account
/// by its IPS, and size trades for the accounts that must act. The book itself is not changed: a host applies the
/// plans it executes with <see cref="AccountBook.ApplyExecution"/>, one account at a time, all or nothing.
/// </summary>
public static class RebalanceRun
{
    /// <param name="book">The accounts; not changed.</param>
    /// <param name="asOf">Valuation date for the calendar and minimum-days rules.</param>
    /// <param name="cashFlows">Flows to apply before the sweep.</param>
    /// <param name="options">Sweep path and parallelism.</param>
    /// <param name="report">A report sized for the book to reuse (a long-running host keeps one); a new one when null.</param>
    public static RunResult Execute(AccountBook book, DateOnly asOf, IReadOnlyList<PendingCashFlow> cashFlows, RunOptions? options = null, DriftReport? report = null)
    {
        options ??= new RunOptions();
        var netFlow = new decimal[book.AccountCount];
        foreach (var pending in cashFlows)
        {
            netFlow[pending.Account] += pending.Flow.SignedAmount;
        }
        var cash = book.Cash.ToArray();
        for (var a = 0; a < cash.Length; a++)
        {
            cash[a] += (double)netFlow[a];
        }

        report ??= new DriftReport(book);
        var clock = Stopwatch.StartNew();
        DriftSweep.Run(book, cash, report, options.SweepPath, options.Parallel);
        var sweepTime = clock.Elapsed;

        clock.Restart();
        var decisions = new Decision[book.AccountCount];
        var plans = new TradePlan?[book.AccountCount];
        void DecideRange(int from, int to)
        {
            for (var a = from; a < to; a++)
            {
                (decisions[a], plans[a]) = AccountDecider.Decide(book, report, a, asOf, (decimal)book.Cash[a] + netFlow[a], netFlow[a]);
            }
        }
        if (options.Parallel && book.AccountCount >= DriftSweep.ParallelThreshold)
        {
            var chunks = Environment.ProcessorCount * 8;
            var perChunk = (book.AccountCount + chunks - 1) / chunks;
            Parallel.For(0, chunks, chunk => DecideRange(chunk * perChunk, Math.Min(book.AccountCount, (chunk + 1) * perChunk)));
        }
        else
        {
            DecideRange(0, book.AccountCount);
        }
        var trades = new List<Trade>();
        var held = new List<Trade>();
        for (var a = 0; a < plans.Length; a++)
        {
            if (plans[a] is { IsBlocked: false } plan)
            {
                var into = decisions[a].Action switch
                {
                    DecisionAction.Rebalance or DecisionAction.CashFlow => trades,
                    DecisionAction.NeedsApproval => held,
                    _ => null,
                };
                into?.AddRange(plan.Trades);
            }
        }
        return new RunResult
        {
            AsOf = asOf,
            Decisions = decisions,
            Trades = trades,
            HeldTrades = held,
            Plans = plans,
            Drift = report,
            SweepTime = sweepTime,
            DecideTime = clock.Elapsed,
        };
    }

    /// <summary>
    /// Applies every released plan of a run to the book as if filled at the plan's prices (accounts blocked or
    /// waiting for approval are left alone), together with their cash flows. Used to show post-trade drift.
    /// </summary>
    public static void ApplyFilled(AccountBook book, RunResult result, IReadOnlyList<PendingCashFlow> cashFlows)
    {
        var netFlow = new Dictionary<int, decimal>();
        foreach (var pending in cashFlows)
        {
            netFlow[pending.Account] = netFlow.GetValueOrDefault(pending.Account) + pending.Flow.SignedAmount;
        }
        for (var a = 0; a < book.AccountCount; a++)
        {
            var plan = result.Plans[a];
            var decision = result.Decisions[a];
            var flow = netFlow.GetValueOrDefault(a);
            var released = plan is not null && decision.Action is DecisionAction.Rebalance or DecisionAction.CashFlow;
            if (decision.Action == DecisionAction.Blocked || decision.Action == DecisionAction.NeedsApproval)
            {
                // Nothing lands for these accounts except an inflow, which is simply kept as cash.
                flow = Math.Max(flow, 0);
            }
            var fills = released ? new (int, double)[plan!.Trades.Count] : [];
            var traded = 0m;
            for (var i = 0; i < fills.Length; i++)
            {
                var t = plan!.Trades[i];
                fills[i] = (book.Instruments.IndexOf(t.InstrumentId), (double)(t.Side == TradeSide.Buy ? t.Quantity : -t.Quantity));
                traded += t.CashEffect;
            }
            var cashChange = flow + traded;
            if (fills.Length > 0 || cashChange != 0)
            {
                book.ApplyExecution(a, fills, (double)cashChange, decision.Action == DecisionAction.Rebalance ? result.AsOf : null);
            }
        }
    }
}
