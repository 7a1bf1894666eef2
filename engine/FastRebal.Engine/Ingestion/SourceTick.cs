namespace FastRebal.Engine.Ingestion;

/// <summary>One quote from one source: what a feed hands the engine, before verification.</summary>
/// <param name="Instrument">Dense index in the book's <see cref="State.InstrumentTable"/>.</param>
/// <param name="Source">Which of the feed's sources quoted it (0 .. SourceCount-1).</param>
/// <param name="Price">The quoted price, unchecked: it may be NaN, zero or wild.</param>
/// <param name="Timestamp">When the source observed it, UTC ticks, on the feed's clock (a replay's simulated time).</param>
public readonly record struct SourceTick(int Instrument, int Source, double Price, long Timestamp);

/// <summary>
/// A price feed: what a firm implements for its custodian or exchange connection. The engine calls
/// <see cref="Read"/> from one ingestion thread only, in a loop, so an implementation needs no locking of its own.
/// </summary>
public interface IPriceFeed
{
    /// <summary>A name for logs and the console ("replay data/", "random walk").</summary>
    string Name { get; }

    /// <summary>How many independent sources quote each instrument; verification compares them.</summary>
    int SourceCount { get; }

    /// <summary>True once the feed will never produce another tick (a replay at its end); a live feed never completes.</summary>
    bool IsCompleted { get; }

    /// <summary>The feed's clock now, UTC ticks: market time for staleness checks when no tick arrives.</summary>
    long Now { get; }

    /// <summary>Writes the ticks available now into <paramref name="destination"/> and returns how many (0 when none are ready).</summary>
    int Read(Span<SourceTick> destination);
}
