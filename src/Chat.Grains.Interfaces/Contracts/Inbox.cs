using System.Collections.Immutable;

namespace Chat.Grains;

/// <summary>A participant as shown in the inbox, with presence.</summary>
[GenerateSerializer, Immutable, Alias("chat.InboxParticipant")]
public sealed record InboxParticipant(Guid UserId, string DisplayName, string? AvatarUrl, PresenceStatus Presence);

/// <summary>The last message of a conversation, shortened for the inbox.</summary>
/// <param name="Text">The first characters of the content (SPEC: 200); null for deleted messages.</param>
[GenerateSerializer, Immutable, Alias("chat.LastMessagePreview")]
public sealed record LastMessagePreview(
    Guid MessageId,
    long Seq,
    Guid? SenderId,
    string? SenderName,
    MessageType Type,
    string? Text,
    DateTimeOffset CreatedAt,
    int AttachmentCount,
    bool Deleted);

/// <summary>One conversation of a user's inbox (SPEC section 3).</summary>
/// <param name="DisplayName">The group's name, or the other participant's display name for a DM.</param>
/// <param name="Participants">Active participants (the first ones for big groups; see <see cref="ParticipantCount"/>).</param>
[GenerateSerializer, Immutable, Alias("chat.InboxEntry")]
public sealed record InboxEntry(
    Guid ConversationId,
    ConversationType Type,
    Guid OrganizationId,
    string? Name,
    string DisplayName,
    ImmutableArray<InboxParticipant> Participants,
    int ParticipantCount,
    LastMessagePreview? LastMessage,
    DateTimeOffset LastActivityAt,
    long LastSeq,
    long LastReadSeq,
    int UnreadCount,
    bool IsStarred,
    bool IsMuted,
    Role Role);

/// <summary>A user's inbox, newest activity first, with totals.</summary>
/// <param name="TotalUnread">Unread messages over all conversations.</param>
/// <param name="UnreadConversations">Conversations with at least one unread message.</param>
[GenerateSerializer, Immutable, Alias("chat.Inbox")]
public sealed record Inbox(ImmutableArray<InboxEntry> Conversations, int TotalUnread, int UnreadConversations);
