namespace Chat.Client;

/// <summary>Names of the hub's server-to-client events (SPEC section 6).</summary>
public static class ChatEvents
{
    /// <summary>A message was sent in one of the user's conversations (<see cref="MessageEvent"/>).</summary>
    public const string MessageCreated = "messageCreated";

    /// <summary>A message was edited or its reactions changed (<see cref="MessageEvent"/>).</summary>
    public const string MessageUpdated = "messageUpdated";

    /// <summary>A message was deleted; the event carries its tombstone (<see cref="MessageEvent"/>).</summary>
    public const string MessageDeleted = "messageDeleted";

    /// <summary>The user was added to a conversation (<see cref="ConversationEvent"/>).</summary>
    public const string ConversationCreated = "conversationCreated";

    /// <summary>Rename, roles, participants or settings changed (<see cref="ConversationEvent"/>).</summary>
    public const string ConversationUpdated = "conversationUpdated";

    /// <summary>The user left or was removed, or the conversation was deleted (<see cref="ConversationRemovedEvent"/>).</summary>
    public const string ConversationRemoved = "conversationRemoved";

    /// <summary>A read position moved (<see cref="ReadUpdatedEvent"/>).</summary>
    public const string ReadUpdated = "readUpdated";

    /// <summary>The user's unread counts changed (<see cref="UnreadChangedEvent"/>).</summary>
    public const string UnreadChanged = "unreadChanged";

    /// <summary>Ephemeral, no position: someone is typing (<see cref="TypingEvent"/>).</summary>
    public const string Typing = "typing";

    /// <summary>Ephemeral, no position: someone's presence changed (<see cref="PresenceEvent"/>).</summary>
    public const string Presence = "presence";

    /// <summary>
    /// Control event <c>{type, reason}</c>: the frontend is stopping; connect again (to any frontend) and
    /// resume. <see cref="ChatHubClient"/> handles it itself.
    /// </summary>
    public const string Reconnect = "reconnect";

    /// <summary>
    /// Control event <c>{type, epoch, seq}</c>: events were lost; reload and continue from this position.
    /// <see cref="ChatHubClient"/> turns it into <see cref="ChatHubClient.ResyncRequired"/>.
    /// </summary>
    public const string Resync = "resync";
}

/// <summary>
/// A positioned event of the user's event log: <see cref="Epoch"/> and <see cref="Seq"/> are the user's
/// event position (not a message's seq); seq grows by one per event, epoch changes when the log restarts.
/// </summary>
public abstract record ChatEvent
{
    /// <summary>The event's name when it came back from <c>Resume</c> (live events carry it as the hub method name).</summary>
    public string? Type { get; init; }

    /// <summary>Epoch of the user's event log.</summary>
    public long Epoch { get; init; }

    /// <summary>Position in the user's event log.</summary>
    public long Seq { get; init; }

    /// <summary>The conversation the event is about.</summary>
    public Guid ConversationId { get; init; }
}

/// <summary><c>messageCreated</c>, <c>messageUpdated</c> and <c>messageDeleted</c>.</summary>
public sealed record MessageEvent : ChatEvent
{
    /// <summary>The message after the change (a tombstone for deletions).</summary>
    public required ChatMessage Message { get; init; }
}

/// <summary><c>conversationCreated</c> and <c>conversationUpdated</c>.</summary>
public sealed record ConversationEvent : ChatEvent
{
    /// <summary>The conversation as the user's inbox shows it.</summary>
    public InboxEntry? Conversation { get; init; }
}

/// <summary><c>conversationRemoved</c>.</summary>
public sealed record ConversationRemovedEvent : ChatEvent
{
    /// <summary>"left", "removed" or "deleted".</summary>
    public string? Reason { get; init; }
}

/// <summary><c>readUpdated</c>: a participant's read position (the user's own on another device, or a receipt).</summary>
public sealed record ReadUpdatedEvent : ChatEvent
{
    /// <summary>Whose position moved.</summary>
    public Guid UserId { get; init; }

    /// <summary>The new position.</summary>
    public long LastReadSeq { get; init; }

    /// <summary>When it moved.</summary>
    public DateTimeOffset? LastReadAt { get; init; }
}

/// <summary><c>unreadChanged</c>: the user's unread count of a conversation and the inbox totals.</summary>
public sealed record UnreadChangedEvent : ChatEvent
{
    /// <summary>Unread messages of the conversation.</summary>
    public int UnreadCount { get; init; }

    /// <summary>Unread messages over all conversations.</summary>
    public int TotalUnread { get; init; }

    /// <summary>Conversations with unread messages.</summary>
    public int UnreadConversations { get; init; }
}

/// <summary>
/// <c>typing</c> (ephemeral): show the indicator for <see cref="ExpiresInMs"/> (5 s by default) unless renewed;
/// null when the server did not say.
/// </summary>
public sealed record TypingEvent(Guid ConversationId, Guid UserId, string? DisplayName, int? ExpiresInMs = null);

/// <summary><c>presence</c> (ephemeral).</summary>
public sealed record PresenceEvent(Guid UserId, PresenceStatus Status, DateTimeOffset? LastSeenAt);

/// <summary>
/// The answer of the hub's <c>Resume(epoch, seq)</c>: the missed events in order, or <see cref="Resync"/>;
/// <see cref="Epoch"/>/<see cref="Seq"/> is the position reached.
/// </summary>
public sealed record ResumeResult(IReadOnlyList<System.Text.Json.JsonElement>? Events, bool? Resync, long Epoch, long Seq);

/// <summary>The answer of the hub's <c>SetPresence</c>.</summary>
public sealed record PresenceAnswer(PresenceStatus Status);
