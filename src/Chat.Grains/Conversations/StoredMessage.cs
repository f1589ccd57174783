using System.Collections.Immutable;

namespace Chat.Grains.Conversations;

/// <summary>A message as a conversation keeps it (mutable: edits, reactions, deletion).</summary>
internal sealed class StoredMessage
{
    public required Guid Id { get; init; }

    public required Guid ConversationId { get; init; }

    public required long Seq { get; init; }

    public Guid? SenderId { get; init; }

    public required MessageType Type { get; init; }

    public required string Content { get; set; }

    public string? SystemEvent { get; init; }

    public Guid? ReplyToId { get; init; }

    /// <summary>The reply target as last seen (kept current while both are in memory).</summary>
    public ReplyPreview? ReplyTo { get; set; }

    public string? ClientMessageId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? EditedAt { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }

    public int EditCount { get; set; }

    public ImmutableArray<AttachmentInfo> Attachments { get; set; } = [];

    /// <summary>(user, emoji) in the order they were added.</summary>
    public List<(Guid UserId, string Emoji)> Reactions { get; } = [];

    public bool IsDeleted => DeletedAt is not null;

    /// <summary>Counts towards unread: a live text message.</summary>
    public bool CountsAsUnreadFor(Guid userId) => Type == MessageType.Text && !IsDeleted && SenderId != userId;

    public MessageDto ToDto(UserSummary? sender)
    {
        if (IsDeleted)
        {
            return new MessageDto(Id, ConversationId, Seq, SenderId, sender, Type, null, [], ReplyTo, [], CreatedAt, EditedAt, DeletedAt, ClientMessageId, SystemEvent);
        }

        var reactions = Reactions
            .GroupBy(r => r.Emoji, StringComparer.Ordinal)
            .Select(g => new ReactionGroup(g.Key, g.Count(), [.. g.Select(r => r.UserId)]))
            .ToImmutableArray();
        return new MessageDto(Id, ConversationId, Seq, SenderId, sender, Type, Content, Attachments, ReplyTo, reactions, CreatedAt, EditedAt, DeletedAt, ClientMessageId, SystemEvent);
    }

    public static string? Preview(string? content, int length) =>
        content is null ? null : content.Length <= length ? content : content[..length];
}
