namespace Chat.Client;

/// <summary>A participant as shown in the inbox, with presence.</summary>
public sealed record InboxParticipant(Guid UserId, string DisplayName, string? AvatarUrl, PresenceStatus Presence);

/// <summary>The last message of a conversation, shortened for the inbox.</summary>
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

/// <summary>One conversation of the inbox (SPEC section 3).</summary>
public sealed record InboxEntry(
    Guid ConversationId,
    ConversationType Type,
    Guid OrganizationId,
    string? Name,
    string DisplayName,
    IReadOnlyList<InboxParticipant> Participants,
    int ParticipantCount,
    LastMessagePreview? LastMessage,
    DateTimeOffset LastActivityAt,
    long LastSeq,
    long LastReadSeq,
    int UnreadCount,
    bool IsStarred,
    bool IsMuted,
    Role Role);

/// <summary><c>GET /api/conversations</c>: newest activity first, with unread totals.</summary>
public sealed record Inbox(IReadOnlyList<InboxEntry> Conversations, int TotalUnread, int UnreadConversations);

/// <summary>An active participant of a conversation.</summary>
public sealed record ParticipantInfo(Guid UserId, string DisplayName, string? AvatarUrl, Role Role, DateTimeOffset JoinedAt);

/// <summary>The caller's own participation.</summary>
public sealed record MyParticipation(Role Role, long LastReadSeq, DateTimeOffset? LastReadAt, int UnreadCount, bool IsStarred, bool IsMuted);

/// <summary><c>GET /api/conversations/{id}</c>: details and participants.</summary>
public sealed record ConversationDetails(
    Guid Id,
    ConversationType Type,
    Guid OrganizationId,
    string? Name,
    string? Description,
    Guid CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long LastSeq,
    IReadOnlyList<ParticipantInfo> Participants,
    MyParticipation? Me);

/// <summary><c>POST /api/conversations/direct</c>; <see cref="OrganizationId"/> picks the organization when the pair shares several.</summary>
public sealed record OpenDirectRequest(Guid UserId, Guid? OrganizationId = null);

/// <summary>Result of "open a DM": the conversation and whether this call created it (201) or found it (200).</summary>
public sealed record DirectConversationResult(ConversationDetails Conversation, bool Created);

/// <summary><c>POST /api/conversations/group</c>; the caller becomes the owner.</summary>
public sealed record CreateGroupRequest(Guid OrganizationId, string Name, IReadOnlyList<Guid> ParticipantIds, string? Description = null);

/// <summary><c>PATCH /api/conversations/{id}</c>; null members stay unchanged.</summary>
public sealed record UpdateConversationRequest(string? Name = null, string? Description = null);

/// <summary><c>POST /api/conversations/{id}/participants</c>.</summary>
public sealed record AddParticipantsRequest(IReadOnlyList<Guid> UserIds);

/// <summary><c>PATCH /api/conversations/{id}/participants/{userId}</c>.</summary>
public sealed record ChangeRoleRequest(Role Role);

/// <summary><c>PUT /api/conversations/{id}/settings</c> (own participation); null members stay unchanged.</summary>
public sealed record ParticipantSettingsRequest(bool? IsStarred = null, bool? IsMuted = null);

/// <summary><c>POST /api/conversations/{id}/read</c>; no seq means "up to the latest".</summary>
public sealed record MarkReadRequest(long? Seq = null);

/// <summary>A read position after a change.</summary>
public sealed record ReadState(Guid ConversationId, Guid UserId, long LastReadSeq, DateTimeOffset? LastReadAt, int UnreadCount);
