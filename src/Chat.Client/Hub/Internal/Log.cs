using Microsoft.Extensions.Logging;

namespace Chat.Client.Internal;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Connecting to {Url} (generation {Generation})")]
    public static partial void Connecting(ILogger logger, Uri url, int generation);

    [LoggerMessage(2, LogLevel.Debug, "Connected to {Url} (generation {Generation}, connection id {ConnectionId})")]
    public static partial void Connected(ILogger logger, Uri url, int generation, string? connectionId);

    [LoggerMessage(3, LogLevel.Information, "Hub connection (generation {Generation}) closed; reconnect allowed: {AllowReconnect}")]
    public static partial void ConnectionClosed(ILogger logger, int generation, bool allowReconnect, Exception? exception);

    [LoggerMessage(4, LogLevel.Information, "Reconnect attempt {Attempt} to {Url} in {DelayMs} ms")]
    public static partial void ReconnectAttempt(ILogger logger, int attempt, Uri url, double delayMs);

    [LoggerMessage(5, LogLevel.Information, "Reconnected to {Url} after {Attempts} attempt(s)")]
    public static partial void Reconnected(ILogger logger, Uri url, int attempts);

    [LoggerMessage(6, LogLevel.Warning, "Gave up reconnecting after {Attempts} attempt(s) in {Elapsed}")]
    public static partial void ReconnectGaveUp(ILogger logger, int attempts, TimeSpan elapsed, Exception? exception);

    [LoggerMessage(7, LogLevel.Warning, "Reconnect attempt {Attempt} failed")]
    public static partial void ReconnectAttemptFailed(ILogger logger, int attempt, Exception exception);

    [LoggerMessage(8, LogLevel.Error, "The handler of '{EventName}' failed")]
    public static partial void HandlerFailed(ILogger logger, string eventName, Exception exception);

    [LoggerMessage(9, LogLevel.Debug, "No handler for '{EventName}'")]
    public static partial void NoHandler(ILogger logger, string eventName);

    [LoggerMessage(10, LogLevel.Information, "Resumed from {From}: {Count} missed event(s)")]
    public static partial void Resumed(ILogger logger, EventPosition from, int count);

    [LoggerMessage(11, LogLevel.Warning, "Resync required from {From}: {Reason}")]
    public static partial void ResyncRequired(ILogger logger, EventPosition? from, string reason);

    [LoggerMessage(12, LogLevel.Warning, "Event position jumped from {Last} to {Next}; asking the server for what lies between")]
    public static partial void Discontinuity(ILogger logger, EventPosition last, EventPosition next);

    [LoggerMessage(13, LogLevel.Warning, "Event position jumped from {Last} to {Next} and Resume did not fill the gap; delivering anyway")]
    public static partial void UnfilledGap(ILogger logger, EventPosition last, EventPosition next);

    [LoggerMessage(14, LogLevel.Debug, "Dropped event '{EventName}' at {Position} of generation {Generation}: that connection did not resume")]
    public static partial void DroppedStaleEvent(ILogger logger, string eventName, EventPosition position, int generation);

    [LoggerMessage(15, LogLevel.Debug, "Ignored hub message of type {Type}")]
    public static partial void IgnoredMessage(ILogger logger, int type);

    [LoggerMessage(16, LogLevel.Debug, "Completion for unknown invocation {InvocationId} (timed out or cancelled)")]
    public static partial void UnknownCompletion(ILogger logger, string? invocationId);

    [LoggerMessage(17, LogLevel.Warning, "The server asked for a result of '{Target}'; this client does not give results")]
    public static partial void ClientResultRequested(ILogger logger, string target);

    [LoggerMessage(18, LogLevel.Warning, "Resume failed; the connection is restarted")]
    public static partial void ResumeFailed(ILogger logger, Exception exception);

    [LoggerMessage(19, LogLevel.Error, "A handler of '{EventName}' raised by the hub client failed")]
    public static partial void LifecycleHandlerFailed(ILogger logger, string eventName, Exception exception);
}
