namespace Chat.Frontend.Hosting;

/// <summary>The frontend's log events. Never request bodies, tokens or passwords.</summary>
internal static partial class FrontendLog
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Error, Message = "{Method} {Path} failed with {Code}")]
    public static partial void RequestFailed(ILogger logger, string method, string path, string code, Exception exception);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Error, Message = "Hub method {HubMethod} failed with {Code}")]
    public static partial void HubCallFailed(ILogger logger, string hubMethod, string code, Exception exception);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Debug, Message = "User {UserId} connected ({ConnectionId})")]
    public static partial void Connected(ILogger logger, Guid userId, string connectionId);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Debug, Message = "User {UserId} disconnected ({ConnectionId})")]
    public static partial void Disconnected(ILogger logger, Guid userId, string connectionId);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, Message = "Pushing an event to user {UserId} ({ConnectionId}) failed: {Reason}")]
    public static partial void PushFailed(ILogger logger, Guid userId, string connectionId, string reason);

    [LoggerMessage(EventId = 2320, Level = LogLevel.Warning, Message = "Catching user {UserId} up with the event log failed (retried on the next event or renewal): {Reason}")]
    public static partial void CatchUpFailed(ILogger logger, Guid userId, string reason);

    [LoggerMessage(EventId = 2321, Level = LogLevel.Information, Message = "Subscribed to this frontend's event stream {StreamKey} ({Reason})")]
    public static partial void Subscribed(ILogger logger, string streamKey, string reason);

    [LoggerMessage(EventId = 2322, Level = LogLevel.Warning, Message = "Checking this frontend's event stream subscription failed (retrying): {Reason}")]
    public static partial void SubscriptionCheckFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 2323, Level = LogLevel.Warning, Message = "Dispatching an event of user {UserId} failed: {Reason}")]
    public static partial void DispatchFailed(ILogger logger, Guid userId, string reason);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Warning, Message = "Renewing the presence of user {UserId} failed: {Reason}")]
    public static partial void PresenceRenewFailed(ILogger logger, Guid userId, string reason);

    [LoggerMessage(EventId = 2305, Level = LogLevel.Warning, Message = "Reporting {Count} delivered positions in conversation {ConversationId} failed: {Reason}")]
    public static partial void DeliveryReportFailed(ILogger logger, int count, Guid conversationId, string reason);

    [LoggerMessage(EventId = 2306, Level = LogLevel.Information, Message = "Closing connection {ConnectionId} of user {UserId}: its session was revoked")]
    public static partial void SessionRevokedClosing(ILogger logger, Guid userId, string connectionId);

    [LoggerMessage(EventId = 2307, Level = LogLevel.Information, Message = "Stopping: telling {Connections} connections to reconnect elsewhere")]
    public static partial void ShuttingDown(ILogger logger, int connections);

    [LoggerMessage(EventId = 2308, Level = LogLevel.Warning, Message = "Renewing presence leases failed")]
    public static partial void RenewLoopFailed(ILogger logger, Exception exception);
}
