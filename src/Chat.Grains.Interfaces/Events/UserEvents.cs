using System.Text.Json.Serialization;

namespace Chat.Grains;

/// <summary>Names of the user events (SPEC section 6); also the JSON <c>type</c> discriminator.</summary>
public static class UserEventTypes
{
    /// <summary>A message was sent in one of the user's conversations.</summary>
    public const string MessageCreated = "messageCreated";

    /// <summary>A message was edited or its reactions changed.</summary>
    public const string MessageUpdated = "messageUpdated";

    /// <summary>A message was deleted (the event carries its tombstone).</summary>
    public const string MessageDeleted = "messageDeleted";

    /// <summary>The user was added to a conversation (or created it).</summary>
    public const string ConversationCreated = "conversationCreated";

    /// <summary>Rename, description, roles, participants or the user's own settings changed.</summary>
    public const string ConversationUpdated = "conversationUpdated";

    /// <summary>The user left or was removed, or the conversation was deleted.</summary>
    public const string ConversationRemoved = "conversationRemoved";

    /// <summary>A read position moved: the user's own (another device) or another participant's (receipts).</summary>
    public const string ReadUpdated = "readUpdated";

    /// <summary>The user's unread count of a conversation changed.</summary>
    public const string UnreadChanged = "unreadChanged";

    /// <summary>Ephemeral: another participant is typing in a conversation.</summary>
    public const string Typing = "typing";

    /// <summary>Ephemeral: a user who shares a conversation with this user changed presence.</summary>
    public const string Presence = "presence";

    /// <summary>Ephemeral, for frontends only: a session of the user was revoked (logout); close its connections.</summary>
    public const string SessionRevoked = "sessionRevoked";
}

/// <summary>
/// An event on a user's stream (namespace <c>user-events</c>, key = user id in "N" format). The
/// stream gives each event its position (epoch, seq); the frontend adds it when pushing the event.
/// Serialised with a <c>type</c> discriminator (<see cref="UserEventTypes"/>).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(MessageCreatedEvent), UserEventTypes.MessageCreated)]
[JsonDerivedType(typeof(MessageUpdatedEvent), UserEventTypes.MessageUpdated)]
[JsonDerivedType(typeof(MessageDeletedEvent), UserEventTypes.MessageDeleted)]
[JsonDerivedType(typeof(ConversationCreatedEvent), UserEventTypes.ConversationCreated)]
[JsonDerivedType(typeof(ConversationUpdatedEvent), UserEventTypes.ConversationUpdated)]
[JsonDerivedType(typeof(ConversationRemovedEvent), UserEventTypes.ConversationRemoved)]
[JsonDerivedType(typeof(ReadUpdatedEvent), UserEventTypes.ReadUpdated)]
[JsonDerivedType(typeof(UnreadChangedEvent), UserEventTypes.UnreadChanged)]
[JsonDerivedType(typeof(TypingEvent), UserEventTypes.Typing)]
[JsonDerivedType(typeof(PresenceEvent), UserEventTypes.Presence)]
[JsonDerivedType(typeof(SessionRevokedEvent), UserEventTypes.SessionRevoked)]
public abstract record UserEvent(Guid ConversationId)
{
    /// <summary>The event's name (one of <see cref="UserEventTypes"/>). Not serialised: the discriminator carries it
    /// (and the ignore must be repeated on each override, or System.Text.Json sees a clashing "type" property).</summary>
    [JsonIgnore]
    public abstract string Type { get; }
}

/// <summary>A new message.</summary>
public sealed record MessageCreatedEvent(Guid ConversationId, MessageDto Message) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.MessageCreated;
}

/// <summary>An edited message, or one whose reactions changed.</summary>
public sealed record MessageUpdatedEvent(Guid ConversationId, MessageDto Message) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.MessageUpdated;
}

/// <summary>A deleted message, as its tombstone.</summary>
public sealed record MessageDeletedEvent(Guid ConversationId, MessageDto Message) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.MessageDeleted;
}

/// <summary>The user now takes part in this conversation.</summary>
public sealed record ConversationCreatedEvent(Guid ConversationId, InboxEntry Conversation) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.ConversationCreated;
}

/// <summary>The conversation's summary changed (name, participants, roles, settings).</summary>
public sealed record ConversationUpdatedEvent(Guid ConversationId, InboxEntry Conversation) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.ConversationUpdated;
}

/// <summary>The conversation left the user's inbox; <see cref="Reason"/> is "left", "removed" or "deleted".</summary>
public sealed record ConversationRemovedEvent(Guid ConversationId, string Reason) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.ConversationRemoved;
}

/// <summary>A participant's read position moved (the user's own on another device, or a receipt).</summary>
public sealed record ReadUpdatedEvent(Guid ConversationId, Guid UserId, long LastReadSeq, DateTimeOffset? LastReadAt) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.ReadUpdated;
}

/// <summary>The user's unread count of a conversation, and the inbox totals, after a change.</summary>
public sealed record UnreadChangedEvent(Guid ConversationId, int UnreadCount, int TotalUnread, int UnreadConversations) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.UnreadChanged;
}

/// <summary>
/// Ephemeral (no position, not replayed): <paramref name="UserId"/> is typing in the conversation; the
/// indicator expires after <paramref name="ExpiresInMs"/> unless renewed.
/// </summary>
public sealed record TypingEvent(Guid ConversationId, Guid UserId, string DisplayName, int ExpiresInMs) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.Typing;
}

/// <summary>
/// Ephemeral: a contact's presence changed. Not about one conversation, so <see cref="UserEvent.ConversationId"/>
/// is <see cref="Guid.Empty"/>.
/// </summary>
public sealed record PresenceEvent(Guid UserId, PresenceStatus Status, DateTimeOffset? LastSeenAt) : UserEvent(Guid.Empty)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.Presence;
}

/// <summary>
/// Ephemeral, consumed by frontends (never pushed to clients): the session with this key was revoked,
/// so connections authenticated with it close. <see cref="UserEvent.ConversationId"/> is <see cref="Guid.Empty"/>.
/// </summary>
public sealed record SessionRevokedEvent(string SessionKey) : UserEvent(Guid.Empty)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.SessionRevoked;
}

/// <summary>Stream coordinates of user events.</summary>
public static class UserEventStream
{
    /// <summary>The stream namespace.</summary>
    public const string Namespace = "user-events";

    /// <summary>The stream key of a user.</summary>
    public static string KeyOf(Guid userId) => userId.ToString("N");
}
