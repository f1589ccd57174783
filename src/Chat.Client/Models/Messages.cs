namespace Chat.Client;

/// <summary>Metadata of an uploaded attachment (<c>POST /api/attachments</c> answers it).</summary>
public sealed record AttachmentInfo(Guid Id, string Name, string ContentType, long Size);

/// <summary>What a reply points at; <see cref="Deleted"/> once the target was deleted.</summary>
public sealed record ReplyPreview(Guid Id, long Seq, string? Preview, bool Deleted);

/// <summary>Reactions of one emoji, grouped.</summary>
public sealed record ReactionGroup(string Emoji, int Count, IReadOnlyList<Guid> UserIds);

/// <summary>
/// A message (SPEC section 12). A deleted message is a tombstone: no content, no attachments,
/// <see cref="DeletedAt"/> set. <see cref="Seq"/> is per conversation, gapless, from 1.
/// <see cref="SystemEvent"/> says what a system message reports ("created", "joined", "renamed",
/// "left", "removed"); null for text messages.
/// </summary>
public sealed record ChatMessage(
    Guid Id,
    Guid ConversationId,
    long Seq,
    Guid? SenderId,
    UserSummary? Sender,
    MessageType Type,
    string? Content,
    IReadOnlyList<AttachmentInfo>? Attachments,
    ReplyPreview? ReplyTo,
    IReadOnlyList<ReactionGroup>? Reactions,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EditedAt,
    DateTimeOffset? DeletedAt,
    string? ClientMessageId,
    string? SystemEvent = null);

/// <summary>
/// A send (REST body and the hub's <c>SendMessage</c> argument). <see cref="ClientMessageId"/> makes it
/// idempotent: a retry with the same id returns the original message.
/// </summary>
public sealed record SendMessageRequest(
    string ClientMessageId,
    string? Content = null,
    IReadOnlyList<Guid>? AttachmentIds = null,
    Guid? ReplyToId = null);

/// <summary>A sent message; <see cref="Created"/> is false for an idempotent retry (HTTP 200 instead of 201).</summary>
public sealed record SendMessageResult(ChatMessage Message, bool Created, RateLimitInfo? RateLimit);

/// <summary><c>PATCH /api/conversations/{id}/messages/{messageId}</c>.</summary>
public sealed record EditMessageRequest(string Content);

/// <summary>A page of history in ascending seq order; <see cref="HasMore"/> in the paging direction.</summary>
public sealed record MessagePage(IReadOnlyList<ChatMessage> Messages, bool HasMore);

/// <summary>A participant who read or received a message, and when.</summary>
public sealed record ReceiptEntry(Guid UserId, DateTimeOffset? At);

/// <summary>Who read and who received a message; <see cref="Status"/> is "sent", "delivered" or "read".</summary>
public sealed record MessageReceipts(
    Guid MessageId,
    long Seq,
    string Status,
    int RecipientCount,
    IReadOnlyList<ReceiptEntry> ReadBy,
    IReadOnlyList<ReceiptEntry> DeliveredTo);

/// <summary>Search hits, newest first; pass <see cref="NextBefore"/> as <c>before</c> for the next page.</summary>
public sealed record SearchResult(IReadOnlyList<ChatMessage> Messages, bool HasMore, string? NextBefore);

/// <summary>A downloaded attachment.</summary>
public sealed record AttachmentDownload(byte[] Content, string ContentType, string? FileName);
