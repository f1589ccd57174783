using Microsoft.Extensions.Logging;

namespace Chat.Grains.Diagnostics;

/// <summary>The chat domain's log events. Never message bodies, never passwords.</summary>
internal static partial class ChatLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Conversation {ConversationId} created ({Type}, {Participants} participants)")]
    public static partial void ConversationCreated(ILogger logger, Guid conversationId, string type, int participants);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Conversation {ConversationId}: another activation wrote seq {Seq}; deactivating this one")]
    public static partial void StaleConversationActivation(ILogger logger, Guid conversationId, long seq);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Conversation {ConversationId} deleted by {UserId}")]
    public static partial void ConversationDeleted(ILogger logger, Guid conversationId, Guid userId);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "Conversation {ConversationId} loaded: seq {LastSeq}, {Participants} participants, {Messages} messages in memory")]
    public static partial void ConversationLoaded(ILogger logger, Guid conversationId, long lastSeq, int participants, int messages);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Publishing a {EventType} event of user {UserId} failed")]
    public static partial void PublishFailed(ILogger logger, Guid userId, string eventType, Exception exception);

    [LoggerMessage(EventId = 5090, Level = LogLevel.Warning, Message = "Event log of user {UserId} could not be closed; its next activation starts a new epoch")]
    public static partial void EventLogCloseFailed(ILogger logger, Guid userId, Exception exception);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Debug, Message = "Inbox of user {UserId} loaded: {Conversations} conversations")]
    public static partial void InboxLoaded(ILogger logger, Guid userId, int conversations);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Debug, Message = "User {UserId} is now {Status}")]
    public static partial void PresenceChanged(ILogger logger, Guid userId, string status);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Information, Message = "User {UserId} is over the send rate limit ({Limit} per {Window})")]
    public static partial void RateLimited(ILogger logger, Guid userId, int limit, TimeSpan window);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Organization {OrganizationId}: member {UserId} removed by {ActorId}; {Conversations} participations ended")]
    public static partial void OrganizationMemberRemoved(ILogger logger, Guid organizationId, Guid userId, Guid actorId, int conversations);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Information, Message = "Organization {OrganizationId} created by {UserId}")]
    public static partial void OrganizationCreated(ILogger logger, Guid organizationId, Guid userId);

    [LoggerMessage(EventId = 5030, Level = LogLevel.Information, Message = "User {UserId} registered as {Username}")]
    public static partial void UserRegistered(ILogger logger, Guid userId, string username);

    [LoggerMessage(EventId = 5031, Level = LogLevel.Information, Message = "Failed login for account {AccountKey}")]
    public static partial void LoginFailed(ILogger logger, string accountKey);

    [LoggerMessage(EventId = 5040, Level = LogLevel.Information, Message = "Demo data: {Organization} loaded ({Users} users, {Conversations} conversations, {Messages} messages)")]
    public static partial void DemoLoaded(ILogger logger, string organization, int users, int conversations, int messages);

    [LoggerMessage(EventId = 5041, Level = LogLevel.Information, Message = "Demo data: {Organization} is already loaded; nothing changed")]
    public static partial void DemoAlreadyLoaded(ILogger logger, string organization);

    [LoggerMessage(EventId = 5032, Level = LogLevel.Information, Message = "Session created for user {UserId}")]
    public static partial void SessionCreated(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 5033, Level = LogLevel.Information, Message = "Session of user {UserId} revoked")]
    public static partial void SessionRevoked(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Warning, Message = "Could not save {Count} delivered positions; retrying at the next save")]
    public static partial void DeliveredSaveFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning, Message = "Conversation {ConversationId} could not tell user {UserId} about a change; the user sees it after a resync")]
    public static partial void NoticeFailed(ILogger logger, Guid conversationId, Guid userId, Exception exception);
}
