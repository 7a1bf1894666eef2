namespace FastRebal.Engine.Ingestion;

/// <summary>
/// A feed a recovery can move forward at once. A durable engine restarts its feed from the beginning and reads past
/// the ticks its journal already holds; a feed paced on the wall clock (the console's replay at a day a second, a
/// random walk at a few hundred ticks a second) would make that take as long as the first run did, and a random
/// walk's market clock would start again from its first day. Such a feed skips the ticks without waiting and carries
/// on from the market time the journal reached.
/// </summary>
public interface IResumableFeed
{
    /// <summary>
    /// Moves past the next <paramref name="ticks"/> ticks as if they had been read, without waiting for the pace, and
    /// continues the market clock from <paramref name="marketNow"/> (UTC ticks: the latest quote the journal holds).
    /// Returns how many ticks it moved past: fewer only when the feed ended first.
    /// </summary>
    long SkipTo(long ticks, long marketNow);
}
