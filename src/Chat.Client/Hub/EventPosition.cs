namespace Chat.Client;

/// <summary>
/// A position in a user's event log (SPEC section 6): <see cref="Seq"/> grows by one per event;
/// <see cref="Epoch"/> changes when the log restarts. Persist the last processed position to resume
/// after a restart of the client (<see cref="ChatHubClientOptions.InitialPosition"/>).
/// </summary>
public readonly record struct EventPosition(long Epoch, long Seq)
{
    /// <inheritdoc />
    public override string ToString() => $"{Epoch}:{Seq}";
}

/// <summary>State of a <see cref="ChatHubClient"/>.</summary>
public enum HubConnectionState
{
    /// <summary>Not connected and not trying to.</summary>
    Disconnected,

    /// <summary>The first connection is being established.</summary>
    Connecting,

    /// <summary>Connected; invocations can be sent.</summary>
    Connected,

    /// <summary>The connection was lost; waiting for the next attempt or attempting.</summary>
    Reconnecting,
}

/// <summary>What a reconnect policy is told before each attempt.</summary>
/// <param name="PreviousAttempts">Failed attempts since the connection was lost.</param>
/// <param name="Elapsed">Time since the connection was lost.</param>
/// <param name="Reason">Why the connection was lost, or why the previous attempt failed.</param>
public readonly record struct ReconnectContext(int PreviousAttempts, TimeSpan Elapsed, Exception? Reason);

/// <summary>Arguments of <see cref="ChatHubClient.ResyncRequired"/>.</summary>
/// <param name="From">The last position processed when the server could not resume from it (null when none was known).</param>
/// <param name="Reason">Why: the server's resync answer, or why <c>Resume</c> could not be called.</param>
public sealed record ResyncRequiredEventArgs(EventPosition? From, string Reason);
