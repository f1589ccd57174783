using System.Collections.Immutable;

namespace Chat.Grains;

/// <summary>An active participant of a conversation.</summary>
[GenerateSerializer, Immutable, Alias("chat.ParticipantInfo")]
public sealed record ParticipantInfo(
    Guid UserId,
    string DisplayName,
    string? AvatarUrl,
    Role Role,
    DateTimeOffset JoinedAt);

/// <summary>The caller's own participation (personal settings and read position).</summary>
[GenerateSerializer, Immutable, Alias("chat.MyParticipation")]
public sealed record MyParticipation(
    Role Role,
    long LastReadSeq,
    DateTimeOffset? LastReadAt,
    int UnreadCount,
    bool IsStarred,
    bool IsMuted);

/// <summary>A conversation with its active participants (SPEC <c>GET /api/conversations/{id}</c>).</summary>
[GenerateSerializer, Immutable, Alias("chat.ConversationDetails")]
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
    ImmutableArray<ParticipantInfo> Participants,
    MyParticipation Me);

/// <summary>Creates a group (SPEC <c>POST /api/conversations/group</c>); the creator is added as owner.</summary>
[GenerateSerializer, Immutable, Alias("chat.CreateGroupRequest")]
public sealed record CreateGroupRequest(Guid OrganizationId, string Name, ImmutableArray<Guid> ParticipantIds, string? Description = null);

/// <summary>Renames or re-describes a group; null members stay unchanged, "" clears the description.</summary>
[GenerateSerializer, Immutable, Alias("chat.UpdateConversationRequest")]
public sealed record UpdateConversationRequest(string? Name = null, string? Description = null);

/// <summary>Personal settings (SPEC <c>PUT /api/conversations/{id}/settings</c>); null members stay unchanged.</summary>
[GenerateSerializer, Immutable, Alias("chat.ParticipantSettingsRequest")]
public sealed record ParticipantSettingsRequest(bool? IsStarred = null, bool? IsMuted = null);

/// <summary>Result of "open a DM": the conversation and whether this call created it (201) or found it (200).</summary>
[GenerateSerializer, Immutable, Alias("chat.OpenDirectResult")]
public sealed record OpenDirectResult(ConversationDetails Conversation, bool Created);

/// <summary>A participant's read position after a change.</summary>
[GenerateSerializer, Immutable, Alias("chat.ReadState")]
public sealed record ReadState(Guid ConversationId, Guid UserId, long LastReadSeq, DateTimeOffset? LastReadAt, int UnreadCount);
