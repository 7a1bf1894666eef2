using System.Globalization;
using FastRebal.Engine.Orders.Slicing;
using MemoryPack;

namespace FastRebal.Engine.Orders.Execution;

/// <summary>How the simulated venue behaves. The defaults fill every order in full, at once, at its limit price.</summary>
public sealed record SimulatedVenueOptions
{
    /// <summary>The fill price is the limit moved this many basis points against the order.</summary>
    public double SlippageBps { get; init; }

    /// <summary>The share of each order that trades (0 to 1); the rest stays open until the day ends, then expires.</summary>
    public decimal FillRatio { get; init; } = 1m;

    /// <summary>The share of orders the venue refuses (0 to 1), chosen by a hash of the order id, so a replay refuses the same ones.</summary>
    public double RejectRate { get; init; }

    /// <summary>Market time between an order (or a cancel) reaching the venue and its reports coming back.</summary>
    public TimeSpan Latency { get; init; }

    public void Validate()
    {
        if (FillRatio is < 0 or > 1)
        {
            throw new ArgumentException($"venue fill ratio must be between 0 and 1, got {FillRatio}");
        }
        if (RejectRate is < 0 or > 1 || double.IsNaN(RejectRate))
        {
            throw new ArgumentException($"venue reject rate must be between 0 and 1, got {RejectRate}");
        }
        if (Latency < TimeSpan.Zero)
        {
            throw new ArgumentException($"venue latency must not be negative, got {Latency}");
        }
        if (!double.IsFinite(SlippageBps))
        {
            throw new ArgumentException($"venue slippage must be a number of basis points, got {SlippageBps}");
        }
    }

    /// <summary>True for the defaults: full fills, no refusals, no delay.</summary>
    public bool FillsEverythingAtOnce => FillRatio == 1m && RejectRate == 0 && Latency == TimeSpan.Zero;
}

/// <summary>
/// A stand-in market for runs and tests, driven by the order stage's clock (market time), so a replay of the same
/// inputs gets the same reports at the same points: it acknowledges each order, fills <see
/// cref="SimulatedVenueOptions.FillRatio"/> of it, refuses a hashed share of orders, holds every report for the
/// latency, and expires what is still open when the market day of the order has ended. Single-threaded: the order
/// stage owns it.
/// </summary>
public sealed class SimulatedVenue
{
    private readonly SimulatedVenueOptions options;
    private readonly PriorityQueue<ExecutionReport, (long Due, long Order)> held = new();
    private readonly Dictionary<string, OpenRest> open = new(StringComparer.Ordinal);

    // Resting orders by when they expire, so a release looks only at those due (one cancelled since is skipped then).
    private readonly PriorityQueue<OpenRest, (long ExpiresAt, long Order)> expiries = new();
    private long added;

    public SimulatedVenue(SimulatedVenueOptions? options = null)
    {
        this.options = options ?? new SimulatedVenueOptions();
        this.options.Validate();
    }

    /// <summary>Reports held for their latency, and orders resting.</summary>
    public int Working => held.Count + open.Count;

    /// <summary>An order reaches the venue at market time <paramref name="now"/> (ticks).</summary>
    public void Accept(ChildOrder order, long now)
    {
        var due = now + options.Latency.Ticks;
        if (options.RejectRate > 0 && Hash(order.Id) < options.RejectRate)
        {
            Hold(ExecutionReport.Reject(order.Id, "refused by the simulated venue (reject rate)"), due);
            return;
        }
        Hold(ExecutionReport.Ack(order.Id), due);
        var quantity = Traded(order.Quantity);
        if (quantity > 0)
        {
            var slip = (decimal)(options.SlippageBps * 1e-4) * (order.Side == TradeSide.Buy ? 1 : -1);
            Hold(ExecutionReport.Filled(order.Id, order.Id + "-F1", quantity, decimal.Round(order.LimitPrice * (1 + slip), 6)), due);
        }
        if (quantity < order.Quantity)
        {
            // A day order: what did not trade expires at the end of the market day it was sent on.
            var endOfDay = ((now / TimeSpan.TicksPerDay) + 1) * TimeSpan.TicksPerDay;
            Rest(new OpenRest(order.Id, Math.Max(endOfDay, due), added++));
        }
    }

    /// <summary>The engine asks to cancel an order; the rest of one still open is cancelled after the latency.</summary>
    public void Cancel(string orderId, string reason, long now)
    {
        if (open.Remove(orderId))
        {
            Hold(ExecutionReport.Cancel(orderId, reason), now + options.Latency.Ticks);
        }
    }

    /// <summary>Every report due by market time <paramref name="now"/>, in the order the venue made them.</summary>
    public void Release(long now, List<ExecutionReport> into)
    {
        while (expiries.TryPeek(out var rest, out var key) && key.ExpiresAt <= now)
        {
            expiries.Dequeue();
            if (open.TryGetValue(rest.OrderId, out var resting) && resting == rest)
            {
                open.Remove(rest.OrderId);
                Hold(ExecutionReport.Expire(rest.OrderId), rest.ExpiresAt);
            }
        }
        while (held.TryPeek(out var report, out var key) && key.Due <= now)
        {
            held.Dequeue();
            into.Add(report);
        }
    }

    private void Hold(ExecutionReport report, long due) => held.Enqueue(report, (due, added++));

    private void Rest(OpenRest rest)
    {
        open[rest.OrderId] = rest;
        expiries.Enqueue(rest, (rest.ExpiresAt, rest.Order));
    }

    private decimal Traded(decimal quantity)
    {
        if (options.FillRatio == 1m)
        {
            return quantity;
        }
        // Whole units for an order in whole units, so every share traded can be allocated to an account's lot.
        var part = quantity * options.FillRatio;
        return decimal.IsInteger(quantity) ? decimal.Floor(part) : decimal.Round(part, 6, MidpointRounding.ToZero);
    }

    /// <summary>A number in [0, 1) from the order id that is the same in every process (string hashes are not).</summary>
    private static double Hash(string id)
    {
        var h = 14695981039346656037UL;
        foreach (var c in id)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return (h >> 11) * (1.0 / (1UL << 53));
    }

    internal SimulatedVenueImage Capture()
    {
        var reports = held.UnorderedItems.OrderBy(i => i.Priority.Due).ThenBy(i => i.Priority.Order).ToList();
        return new SimulatedVenueImage
        {
            Reports = [.. reports.Select(i => i.Element)],
            Due = [.. reports.Select(i => i.Priority.Due)],
            // Numbered from 0, so the image does not depend on how many reports the venue made before.
            Open = [.. open.Values.OrderBy(r => r.Order).Select((r, i) => r with { Order = i })],
        };
    }

    internal void Restore(SimulatedVenueImage? image)
    {
        held.Clear();
        open.Clear();
        expiries.Clear();
        added = 0;
        if (image is null)
        {
            return;
        }
        for (var i = 0; i < image.Reports.Length; i++)
        {
            Hold(image.Reports[i], image.Due[i]);
        }
        foreach (var rest in image.Open)
        {
            Rest(rest with { Order = added++ });
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"simulated venue: fills {options.FillRatio:P0}, rejects {options.RejectRate:P1}, latency {options.Latency.TotalMilliseconds} ms");
}

/// <summary>The simulated venue's reports in flight and resting orders, for a checkpoint.</summary>
[MemoryPackable(GenerateType.VersionTolerant)]
public sealed partial class SimulatedVenueImage
{
    [MemoryPackOrder(0)] public ExecutionReport[] Reports { get; set; } = [];
    [MemoryPackOrder(1)] public long[] Due { get; set; } = [];
    [MemoryPackOrder(2)] public OpenRest[] Open { get; set; } = [];
}

/// <summary>An order's part that did not trade at once: it rests until its day ends or it is cancelled.</summary>
[MemoryPackable]
public sealed partial record OpenRest(string OrderId, long ExpiresAt, long Order);
