using FastRebal.Console.Engine;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;

namespace FastRebal.Console.Live;

/// <summary>One model's accounts and how many of them are out of band.</summary>
public sealed record ModelBreaches(string ModelId, string Name, int Accounts, int InBreach, bool Halted)
{
    public double Share => Accounts == 0 ? 0 : (double)InBreach / Accounts;
}

/// <summary>How many accounts have their largest drift in a range of percentage points.</summary>
public sealed record DriftBucket(string Label, int Accounts);

/// <summary>An instrument the verifier holds frozen, with its reason in words.</summary>
public sealed record FrozenInstrument(string Symbol, FreezeReason Reason, string Detail);

/// <summary>A tripped drift breaker.</summary>
public sealed record HaltView(string Kind, string Target, string Description);

/// <summary>Rates over the last sampling period.</summary>
public sealed record Throughput(double TicksPerSecond, double PricesPerSecond, double DecisionsPerSecond, double OrdersPerSecond);

/// <summary>
/// Everything the pages show of the running engine at one moment, computed once per second for every page and
/// browser (the loops over 100k accounts run once, not once per tab).
/// </summary>
public sealed record LiveSnapshot(
    DateTimeOffset TakenAt,
    EnginePhase Phase,
    string Progress,
    EngineStatus? Status,
    Throughput Rates,
    double Assets,
    IReadOnlyList<ModelBreaches> BreachesByModel,
    IReadOnlyList<DriftBucket> DriftDistribution,
    LatencySummary PriceToDecision,
    LatencySummary TickToOrder,
    IReadOnlyList<SourceHealth> Sources,
    IReadOnlyList<FrozenInstrument> Frozen,
    IReadOnlyDictionary<string, long> TickRejections,
    IReadOnlyList<HaltView> Halts,
    KillSwitchState KillSwitch)
{
    /// <summary>Upper edges (in weight) of the drift buckets; the last bucket is everything above.</summary>
    public static readonly double[] DriftEdges = [0.005, 0.01, 0.02, 0.03, 0.05, 0.10];

    public static LiveSnapshot Starting(EnginePhase phase, string progress, KillSwitchState killSwitch) => new(
        DateTimeOffset.UtcNow, phase, progress, null, new Throughput(0, 0, 0, 0), 0, [], [], default, default, [], [], new Dictionary<string, long>(), [], killSwitch);

    public bool IsRunning => Phase == EnginePhase.Running && Status is not null;

    /// <summary>Takes a snapshot of the engine, with rates measured against the previous snapshot.</summary>
    public static LiveSnapshot Take(EngineSession session, LiveSnapshot? previous)
    {
        if (session.Phase != EnginePhase.Running || session.Engine is not { } engine)
        {
            return Starting(session.Phase, session.Progress, session.KillSwitch);
        }
        var now = DateTimeOffset.UtcNow;
        var status = engine.Status();
        var book = engine.Book;
        var drift = engine.Evaluation.Drift;

        var modelAccounts = new int[book.Models.Count];
        var modelBreaches = new int[book.Models.Count];
        var buckets = new int[DriftEdges.Length + 1];
        var assets = 0.0;
        for (var a = 0; a < book.AccountCount; a++)
        {
            if (book.IsFreeRow(a))
            {
                continue;
            }
            var m = book.ModelIndex(a);
            modelAccounts[m]++;
            modelBreaches[m] += drift.Breaches(a) ? 1 : 0;
            assets += drift.TotalValue[a];
            var d = drift.MaxAbsDrift[a];
            var b = 0;
            while (b < DriftEdges.Length && d >= DriftEdges[b])
            {
                b++;
            }
            buckets[b]++;
        }
        var models = book.Models.Select((model, m) => new ModelBreaches(model.Id, model.Name ?? model.Id, modelAccounts[m], modelBreaches[m], engine.Risk.Models.IsHalted(m))).ToList();
        var distribution = buckets.Select((count, b) => new DriftBucket(BucketLabel(b), count)).ToList();

        var frozen = new List<FrozenInstrument>();
        for (var i = 0; i < book.Instruments.Count; i++)
        {
            if (engine.Verifier.IsFrozen(i))
            {
                var s = engine.Verifier.Status(i);
                frozen.Add(new FrozenInstrument(book.Instruments[i].Symbol, s.Freeze, s.Detail));
            }
        }
        var rejections = Enum.GetValues<TickRejection>().Where(r => r != TickRejection.None)
            .ToDictionary(r => r.ToString(), r => engine.Verifier.Rejections(r));

        var halts = new List<HaltView>();
        if (engine.Risk.Market.IsHalted)
        {
            halts.Add(new HaltView("market-wide", "", $"level {engine.Risk.Market.TrippedLevel}: the reference index fell {engine.Risk.Market.Levels[engine.Risk.Market.TrippedLevel - 1]:0%} or more below the previous close"));
        }
        foreach (var halt in engine.Risk.Models.Halts())
        {
            halts.Add(new HaltView("model", book.Models[halt.Index].Id, engine.Risk.Models.Describe(halt)));
        }
        foreach (var halt in engine.Risk.Accounts.Halts().Take(200))
        {
            halts.Add(new HaltView("account", book.AccountId(halt.Index), engine.Risk.Accounts.Describe(halt)));
        }

        var rates = new Throughput(0, 0, 0, 0);
        if (previous?.Status is { } before && now > previous.TakenAt)
        {
            var seconds = (now - previous.TakenAt).TotalSeconds;
            rates = new Throughput(
                (status.TicksRead - before.TicksRead) / seconds,
                (status.PricesPublished - before.PricesPublished) / seconds,
                (status.Decisions - before.Decisions) / seconds,
                (status.OrdersSent - before.OrdersSent) / seconds);
        }
        return new LiveSnapshot(now, EnginePhase.Running, session.Progress, status, rates, assets, models, distribution,
            engine.PriceToDecision.Summary(), engine.TickToOrder.Summary(), session.Feed?.Sample() ?? [], frozen, rejections, halts, status.KillSwitch);
    }

    private static string BucketLabel(int bucket) => bucket switch
    {
        0 => $"< {DriftEdges[0] * 100:0.#}%",
        _ when bucket == DriftEdges.Length => $"≥ {DriftEdges[^1] * 100:0.#}%",
        _ => $"{DriftEdges[bucket - 1] * 100:0.#}–{DriftEdges[bucket] * 100:0.#}%",
    };
}
