namespace FastRebal.Engine.Persistence;

/// <summary>The saved state does not belong to this engine (another book, another layout).</summary>
public sealed class StateMismatchException(string message) : Exception(message);

/// <summary>The state on disk is damaged beyond what recovery can rebuild exactly: the message names the file and what is wrong.</summary>
public sealed class StateDamageException(string message) : Exception(message);
