namespace FastRebal.Engine.Ingestion;

/// <summary>
/// A ring slot from ingestion to evaluation (the pipeline's price ring): one verified price change, or (with <see cref="Instrument"/> = -1) a
/// heartbeat that only moves the clock, so commands and scheduled work run even when no price moves.
/// </summary>
public struct PriceEvent
{
    /// <summary>Dense instrument index, or -1 for a heartbeat.</summary>
    public int Instrument;

    /// <summary>The verified price.</summary>
    public double Price;

    /// <summary>Market time of the tick (UTC ticks): the replay's simulated time or the feed's clock.</summary>
    public long MarketTime;

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp when the tick entered the engine, for latency.</summary>
    public long ReceivedAt;

    /// <summary>How many ticks the feed had produced when this event was published (recovery resumes the feed after the journaled ones).</summary>
    public long FeedPosition;

    /// <summary>How many verified changes of the feed this event stands for (ingestion conflates a read's changes).</summary>
    public int Changes;

    public readonly bool IsHeartbeat => Instrument < 0;
}
