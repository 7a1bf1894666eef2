using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Orders;
using FastRebal.Engine.Orders.Execution;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using FastRebal.Engine.Runs;
using FastRebal.Engine.Simulation;

namespace FastRebal.Bench.Pipeline;

/// <summary>
/// The order stage on its own, on the trades a day's opening releases for a generated firm (every account's
/// rebalance, sized by the one-shot run): each trade arrives as the evaluation stage publishes it, a heartbeat every
/// <see cref="EvaluationStage.DefaultAccountsPerBlock"/> accounts forms blocks and slices them, the simulated venue
/// fills every child at once, and each closed block's fill is shared out and routed back to its accounts. The
/// baseline is the part of that work the slicing library does whatever the host: the same trades, already gathered as
/// the stage keeps them, grouped into the same blocks by <see cref="BlockAggregator"/>. Each figure is for the whole
/// opening (the setup prints how many trades that is).
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("pipeline")]
[InvocationCount(1)]
public class OrderStageBenchmarks
{
    private static readonly long Noon = new DateTime(2025, 6, 30, 16, 0, 0, DateTimeKind.Utc).Ticks;

    private GeneratedFirm firm = null!;
    private OrderEvent[] events = null!;
    private BlockTrade[][] flushes = null!;
    private int trades;
    private OrderStage stage = null!;
    private ConcurrentQueue<AccountFill> fills = null!;

    [Params(20_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        firm = FirmGenerator.Generate(new FirmSpec(Accounts), FirmGenerator.LoadHistory(42));
        var book = firm.Book;
        var result = RebalanceRun.Execute(book, firm.AsOf, firm.CashFlows);
        var byAccount = result.Trades.GroupBy(t => book.FindAccount(t.AccountId)).OrderBy(g => g.Key).ToList();
        var list = new List<OrderEvent>();
        var flushList = new List<BlockTrade[]>();
        var sequence = 1L;
        for (var from = 0; from < byAccount.Count; from += EvaluationStage.DefaultAccountsPerBlock)
        {
            var flush = new List<BlockTrade>();
            foreach (var group in byAccount.Skip(from).Take(EvaluationStage.DefaultAccountsPerBlock))
            {
                foreach (var t in group)
                {
                    list.Add(new OrderEvent
                    {
                        Kind = OrderEventKind.Trade, Account = group.Key, Instrument = book.Instruments.IndexOf(t.InstrumentId), Side = t.Side,
                        Quantity = t.Quantity, Price = t.Price, Sequence = sequence, MarketTime = Noon, OriginTimestamp = 1,
                    });
                    flush.Add(new BlockTrade(t.AccountId, t.InstrumentId, book.Instruments.IndexOf(t.InstrumentId), t.Side, t.Quantity, t.Price));
                }
            }
            list.Add(new OrderEvent { Kind = OrderEventKind.Heartbeat, Sequence = sequence, MarketTime = Noon });
            flushList.Add([.. flush]);
            sequence++;
        }
        // A later heartbeat takes the venue's last reports, so every block closes.
        list.Add(new OrderEvent { Kind = OrderEventKind.Heartbeat, Sequence = sequence, MarketTime = Noon + TimeSpan.TicksPerSecond });
        events = [.. list];
        flushes = [.. flushList];
        trades = result.Trades.Count;
        Console.WriteLine($"// order stage benchmark: {trades:N0} trades from {Accounts:N0} accounts in {flushes.Length} flushes");
    }

    [IterationSetup(Target = nameof(ThroughTheStage))]
    public void FreshStage()
    {
        fills = new ConcurrentQueue<AccountFill>();
        stage = new OrderStage(firm.Book, new SlicingPolicy { Interval = TimeSpan.Zero }, _ => 1_000_000m, new InMemoryOrderSink(),
            new SimulatedVenue(), new KillSwitch(new InMemoryKillSwitchStore()), fills, new LatencyRecorder("tick to order"));
    }

    [Benchmark(Baseline = true, Description = "the same blocks formed by BlockAggregator alone")]
    public int Aggregate()
    {
        var blocks = 0;
        for (var i = 0; i < flushes.Length; i++)
        {
            blocks += BlockAggregator.Aggregate(flushes[i], i + 1, firm.Book.Instruments).Count;
        }
        return blocks;
    }

    [Benchmark(Description = "order stage: trades in, blocks sliced and filled, fills routed back")]
    public int ThroughTheStage()
    {
        foreach (var e in events)
        {
            stage.Add(e);
        }
        stage.EndBatch();
        if (fills.Count != trades)
        {
            throw new InvalidOperationException($"{fills.Count} account fills for {trades} trades");
        }
        return fills.Count;
    }
}
