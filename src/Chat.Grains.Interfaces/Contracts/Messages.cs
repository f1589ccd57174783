using System.Collections.Immutable;

namespace Chat.Grains;

/// <summary>Metadata of an uploaded attachment.</summary>
[GenerateSerializer, Immutable, Alias("chat.AttachmentInfo")]
public sealed record AttachmentInfo(Guid Id, string Name, string ContentType, long Size);

/// <summary>What a reply points at; <see cref="Deleted"/> once the target was deleted (then no preview).</summary>
[GenerateSerializer, Immutable, Alias("chat.ReplyPreview")]
public sealed record ReplyPreview(Guid Id, long Seq, string? Preview, bool Deleted);

/// <summary>Reactions of one emoji, grouped.</summary>
[GenerateSerializer, Immutable, Alias("chat.ReactionGroup")]
public sealed record ReactionGroup(string Emoji, int Count, ImmutableArray<Guid> UserIds);

/// <summary>
/// A message as clients see it (SPEC section 12). A deleted message is a tombstone: no content, no
/// attachments, no reactions, <see cref="DeletedAt"/> set.
/// </summary>
[GenerateSerializer, Immutable, Alias("chat.MessageDto")]
public sealed record MessageDto(
    Guid Id,
    Guid ConversationId,
    long Seq,
    Guid? SenderId,
    UserSummary? Sender,
    MessageType Type,
    string? Content,
    ImmutableArray<AttachmentInfo> Attachments,
    ReplyPreview? ReplyTo,
    ImmutableArray<ReactionGroup> Reactions,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EditedAt,
    DateTimeOffset? DeletedAt,
    string? ClientMessageId,
    string? SystemEvent = null);

/// <summary>
/// A send (SPEC <c>POST /api/conversations/{id}/messages</c>). There is deliberately no sender field:
/// the sender is always the authenticated user the frontend passes as the acting user.
/// </summary>
[GenerateSerializer, Immutable, Alias("chat.SendMessageRequest")]
public sealed record SendMessageRequest(
    string ClientMessageId,
    string? Content = null,
    ImmutableArray<Guid> AttachmentIds = default,
    Guid? ReplyToId = null);

/// <summary>The stored message; <see cref="Created"/> is false for an idempotent retry (200 instead of 201).</summary>
[GenerateSerializer, Immutable, Alias("chat.SendMessageResult")]
public sealed record SendMessageResult(MessageDto Message, bool Created, RateLimitStatus? RateLimit);

/// <summary>A history request: newest page by default, else <c>before</c> or <c>after</c> a seq.</summary>
[GenerateSerializer, Immutable, Alias("chat.HistoryQuery")]
public sealed record HistoryQuery(long? Before = null, long? After = null, int? Limit = null);

/// <summary>A page of history in ascending seq order; <see cref="HasMore"/> says whether more exist in the paging direction.</summary>
[GenerateSerializer, Immutable, Alias("chat.MessagePage")]
public sealed record MessagePage(ImmutableArray<MessageDto> Messages, bool HasMore);

/// <summary>A participant who read or received a message, and when their position last moved.</summary>
[GenerateSerializer, Immutable, Alias("chat.ReceiptEntry")]
public sealed record ReceiptEntry(Guid UserId, DateTimeOffset? At);

/// <summary>
/// Who read and who received a message (SPEC section 5). <see cref="Status"/> is "sent", "delivered"
/// or "read" (read by everyone else) — DMs show it; groups show "read by N of M" from
/// <see cref="ReadBy"/> and <see cref="RecipientCount"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("chat.MessageReceipts")]
public sealed record MessageReceipts(
    Guid MessageId,
    long Seq,
    string Status,
    int RecipientCount,
    ImmutableArray<ReceiptEntry> ReadBy,
    ImmutableArray<ReceiptEntry> DeliveredTo);

/// <summary>Full-text search (SPEC <c>GET /api/search</c>); <see cref="Before"/> is the <c>NextBefore</c> of the previous page.</summary>
[GenerateSerializer, Immutable, Alias("chat.SearchQuery")]
public sealed record SearchQuery(string Query, Guid? ConversationId = null, string? Before = null, int? Limit = null);

/// <summary>Search hits, newest first; pass <see cref="NextBefore"/> as <c>before</c> for the next page.</summary>
[GenerateSerializer, Immutable, Alias("chat.SearchResult")]
public sealed record SearchResult(ImmutableArray<MessageDto> Messages, bool HasMore, string? NextBefore);

/// <summary>
/// An upload: the name and type the client declared and the bytes (the type is decided by sniffing them).
/// Bytes are <see cref="ReadOnlyMemory{T}"/>, which crosses the wire as base64 (an ImmutableArray of bytes
/// would be a JSON array of numbers, four times larger).
/// </summary>
[GenerateSerializer, Immutable, Alias("chat.AttachmentUpload")]
public sealed record AttachmentUpload(string FileName, string? DeclaredContentType, ReadOnlyMemory<byte> Content);

/// <summary>A download.</summary>
[GenerateSerializer, Immutable, Alias("chat.AttachmentContent")]
public sealed record AttachmentContent(AttachmentInfo Info, ReadOnlyMemory<byte> Content);
