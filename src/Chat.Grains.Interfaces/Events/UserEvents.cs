using System.Collections.Immutable;
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
[GenerateSerializer, Immutable, Alias("chat.UserEvent")]
public abstract record UserEvent(Guid ConversationId)
{
    /// <summary>The event's name (one of <see cref="UserEventTypes"/>). Not serialised: the discriminator carries it
    /// (and the ignore must be repeated on each override, or System.Text.Json sees a clashing "type" property).</summary>
    [JsonIgnore]
    public abstract string Type { get; }
}

/// <summary>A new message.</summary>
[GenerateSerializer, Immutable, Alias("chat.MessageCreatedEvent")]
public sealed record MessageCreatedEvent(Guid ConversationId, MessageDto Message) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.MessageCreated;
}

/// <summary>An edited message, or one whose reactions changed.</summary>
[GenerateSerializer, Immutable, Alias("chat.MessageUpdatedEvent")]
public sealed record MessageUpdatedEvent(Guid ConversationId, MessageDto Message) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.MessageUpdated;
}

/// <summary>A deleted message, as its tombstone.</summary>
[GenerateSerializer, Immutable, Alias("chat.MessageDeletedEvent")]
public sealed record MessageDeletedEvent(Guid ConversationId, MessageDto Message) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.MessageDeleted;
}

/// <summary>The user now takes part in this conversation.</summary>
[GenerateSerializer, Immutable, Alias("chat.ConversationCreatedEvent")]
public sealed record ConversationCreatedEvent(Guid ConversationId, InboxEntry Conversation) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.ConversationCreated;
}

/// <summary>The conversation's summary changed (name, participants, roles, settings).</summary>
[GenerateSerializer, Immutable, Alias("chat.ConversationUpdatedEvent")]
public sealed record ConversationUpdatedEvent(Guid ConversationId, InboxEntry Conversation) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.ConversationUpdated;
}

/// <summary>The conversation left the user's inbox; <see cref="Reason"/> is "left", "removed" or "deleted".</summary>
[GenerateSerializer, Immutable, Alias("chat.ConversationRemovedEvent")]
public sealed record ConversationRemovedEvent(Guid ConversationId, string Reason) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.ConversationRemoved;
}

/// <summary>A participant's read position moved (the user's own on another device, or a receipt).</summary>
[GenerateSerializer, Immutable, Alias("chat.ReadUpdatedEvent")]
public sealed record ReadUpdatedEvent(Guid ConversationId, Guid UserId, long LastReadSeq, DateTimeOffset? LastReadAt) : UserEvent(ConversationId)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.ReadUpdated;
}

/// <summary>The user's unread count of a conversation, and the inbox totals, after a change.</summary>
[GenerateSerializer, Immutable, Alias("chat.UnreadChangedEvent")]
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
[GenerateSerializer, Immutable, Alias("chat.TypingEvent")]
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
[GenerateSerializer, Immutable, Alias("chat.PresenceEvent")]
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
[GenerateSerializer, Immutable, Alias("chat.SessionRevokedEvent")]
public sealed record SessionRevokedEvent(string SessionKey) : UserEvent(Guid.Empty)
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Type => UserEventTypes.SessionRevoked;
}

/// <summary>
/// A user's event position (SPEC section 6): <see cref="Seq"/> grows by one per positioned event of
/// the user; <see cref="Epoch"/> changes when the user's event log restarts (its grain was lost with
/// a silo, so positions before it cannot be replayed).
/// </summary>
[GenerateSerializer, Immutable, Alias("chat.EventPosition")]
public readonly record struct EventPosition(long Epoch, long Seq)
{
    /// <summary>The position right after this one in the same epoch.</summary>
    public EventPosition Next => new(Epoch, Seq + 1);

    /// <inheritdoc />
    public override string ToString() => $"{Epoch}:{Seq}";
}

/// <summary>One event of a user with its position.</summary>
[GenerateSerializer, Immutable, Alias("chat.PositionedEvent")]
public sealed record PositionedEvent(EventPosition Position, UserEvent Event);

/// <summary>
/// What a frontend's stream carries: an event for one user who has connections on that frontend,
/// with the user's event position, or none for ephemeral events (typing, presence, session revoked).
/// </summary>
[GenerateSerializer, Immutable, Alias("chat.UserEventEnvelope")]
public sealed record UserEventEnvelope(Guid UserId, EventPosition? Position, UserEvent Event);

/// <summary>
/// What one stream event carries: the envelopes sent to one of a frontend's streams while the
/// previous batch was on its way (a silo batches them, so a message to a 500-member group is a few
/// stream events per frontend, not a thousand). In order per user.
/// </summary>
[GenerateSerializer, Immutable, Alias("chat.UserEventBatch")]
public sealed record UserEventBatch(ImmutableArray<UserEventEnvelope> Events);

/// <summary>
/// The answer to "what came after this position": the events in order, or <see cref="TooOld"/> when
/// the position is of another epoch or older than the replay buffer (the client must resync).
/// <see cref="Latest"/> is the log's newest position either way.
/// </summary>
[GenerateSerializer, Immutable, Alias("chat.EventReplay")]
public sealed record EventReplay(EventPosition Latest, bool TooOld, ImmutableArray<PositionedEvent> Events);

/// <summary>
/// The Orleans streams that carry user events to frontends: each frontend process has
/// <see cref="Shards"/> streams, and a user's events always go to the same one of them (the user's
/// order holds), so a frontend's events are delivered by several pulling agents in parallel rather
/// than one at a time through a single subscription.
/// </summary>
public static class FrontendEventStream
{
    /// <summary>The stream provider's name (silos and clients register it under this name).</summary>
    public const string ProviderName = "chat-events";

    /// <summary>The stream namespace.</summary>
    public const string Namespace = "frontend-events";

    /// <summary>Streams per frontend process.</summary>
    public const int Shards = 16;

    /// <summary>The key of the stream of <paramref name="frontendId"/> that carries <paramref name="userId"/>'s events.</summary>
    public static string KeyOf(string frontendId, Guid userId) => KeyOf(frontendId, ShardOf(userId));

    /// <summary>The key of one of a frontend's streams.</summary>
    public static string KeyOf(string frontendId, int shard) => $"{frontendId}/{shard}";

    /// <summary>The keys of all of a frontend's streams.</summary>
    public static IEnumerable<string> KeysOf(string frontendId) => Enumerable.Range(0, Shards).Select(shard => KeyOf(frontendId, shard));

    /// <summary>The shard of a user: stable across processes (from the id's bytes).</summary>
    public static int ShardOf(Guid userId)
    {
        Span<byte> bytes = stackalloc byte[16];
        userId.TryWriteBytes(bytes);
        return (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes) % Shards);
    }
}
