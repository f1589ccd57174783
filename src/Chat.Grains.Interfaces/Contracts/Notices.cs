namespace Chat.Grains;

/// <summary>
/// Conversation → user notification: the user's summary of a conversation was created or changed.
/// Presence of the participants is filled in by the user grain.
/// </summary>
/// <param name="Added">True when the user was just added (a <c>conversationCreated</c> event), else an update.</param>
[GenerateSerializer, Immutable, Alias("chat.ConversationNotice")]
public sealed record ConversationNotice(InboxEntry Entry, bool Added);

/// <summary>Conversation → user notification: a message was created, edited, reacted to or deleted.</summary>
/// <param name="Kind">One of <see cref="UserEventTypes.MessageCreated"/>, <see cref="UserEventTypes.MessageUpdated"/>, <see cref="UserEventTypes.MessageDeleted"/>.</param>
/// <param name="LastMessage">The conversation's last message after the change.</param>
/// <param name="UnreadCount">The recipient's unread count after the change.</param>
/// <param name="LastReadSeq">The recipient's read position after the change.</param>
[GenerateSerializer, Immutable, Alias("chat.MessageNotice")]
public sealed record MessageNotice(
    Guid ConversationId,
    string Kind,
    MessageDto Message,
    LastMessagePreview? LastMessage,
    DateTimeOffset LastActivityAt,
    long LastSeq,
    long LastReadSeq,
    int UnreadCount);

/// <summary>Conversation → user notification: <paramref name="ReaderId"/>'s read position moved.</summary>
/// <param name="UnreadCount">When the recipient is the reader: their unread count after the change; else null.</param>
[GenerateSerializer, Immutable, Alias("chat.ReadNotice")]
public sealed record ReadNotice(Guid ConversationId, Guid ReaderId, long LastReadSeq, DateTimeOffset? LastReadAt, int? UnreadCount);

/// <summary>A recipient's delivered position in a conversation (see <see cref="IConversationGrain.MarkDeliveredMany"/>).</summary>
[GenerateSerializer, Immutable, Alias("chat.DeliveredMark")]
public sealed record DeliveredMark(Guid UserId, long Seq);
