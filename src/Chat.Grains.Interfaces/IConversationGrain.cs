using System.Collections.Immutable;

namespace Chat.Grains;

/// <summary>
/// A conversation (key: conversation id). Every method takes the acting user — the authenticated
/// user as established by the frontend — first; requests never carry a sender of their own.
/// Access is checked on every call against the in-memory participant list, which organization
/// removals update synchronously.
/// </summary>
[Alias("conversation")]
public interface IConversationGrain : IGrainWithGuidKey
{
    /// <summary>Creates this conversation as a group owned by <paramref name="userId"/> (201).</summary>
    Task<ConversationDetails> CreateGroup(Guid userId, CreateGroupRequest group);

    /// <summary>
    /// Creates this conversation as the direct conversation of the pair. Used by
    /// <see cref="IDirectConversationGrain"/>; when the pair already has one, returns that one with Created=false.
    /// </summary>
    Task<OpenDirectResult> CreateDirect(Guid userId, Guid organizationId, Guid otherUserId);

    /// <summary>Details and active participants.</summary>
    [ReadOnly]
    Task<ConversationDetails> GetDetails(Guid userId);

    /// <summary>Rename / change description (owner or admin of a group).</summary>
    Task<ConversationDetails> Update(Guid userId, UpdateConversationRequest change);

    /// <summary>Soft-deletes the conversation for everyone (owner only).</summary>
    Task Delete(Guid userId);

    /// <summary>Adds participants (owner or admin of a group); they see the whole history.</summary>
    Task<ConversationDetails> AddParticipants(Guid userId, ImmutableArray<Guid> userIds);

    /// <summary>Leaves (target = self) or removes another participant (owner or admin).</summary>
    Task RemoveParticipant(Guid userId, Guid targetUserId);

    /// <summary>Promotes or demotes a participant (owner only); Owner transfers ownership.</summary>
    Task<ConversationDetails> SetRole(Guid userId, Guid targetUserId, Role role);

    /// <summary>The caller's star/mute settings.</summary>
    Task<MyParticipation> UpdateSettings(Guid userId, ParticipantSettingsRequest settings);

    /// <summary>Moves the caller's read position up to <paramref name="seq"/> (default: the latest). Never moves it back.</summary>
    Task<ReadState> MarkRead(Guid userId, long? seq = null);

    /// <summary>
    /// The frontend pushed messages up to <paramref name="seq"/> to a client of <paramref name="userId"/>.
    /// Interleaves with other calls: it only moves a position in memory (saved a moment later), and
    /// there is one per message and recipient, so it must not queue behind sends.
    /// </summary>
    [AlwaysInterleave]
    Task MarkDelivered(Guid userId, long seq);

    /// <summary>
    /// Several recipients' delivered positions at once: a frontend reports what it pushed in the last
    /// moment together (a message to a 500-member group is one call, not 500). Marks of users who are
    /// not participants (any more) are ignored; positions never move back.
    /// </summary>
    [AlwaysInterleave]
    Task MarkDeliveredMany(ImmutableArray<DeliveredMark> marks);

    /// <summary>
    /// The caller is typing: the other active participants get an ephemeral <see cref="TypingEvent"/>.
    /// Renewals faster than the throttle (<c>Chat:Limits:TypingThrottle</c>) are dropped silently.
    /// </summary>
    Task Typing(Guid userId);

    /// <summary>Sends a message as <paramref name="userId"/>; idempotent by client message id.</summary>
    Task<SendMessageResult> SendMessage(Guid userId, SendMessageRequest message);

    /// <summary>Edits the caller's own message; the previous text goes to the audit history.</summary>
    Task<MessageDto> EditMessage(Guid userId, Guid messageId, string content);

    /// <summary>Soft-deletes a message (its sender, or an owner/admin of the group); returns the tombstone.</summary>
    Task<MessageDto> DeleteMessage(Guid userId, Guid messageId);

    /// <summary>Adds the caller's reaction (idempotent).</summary>
    Task<MessageDto> AddReaction(Guid userId, Guid messageId, string emoji);

    /// <summary>Removes the caller's reaction (idempotent).</summary>
    Task<MessageDto> RemoveReaction(Guid userId, Guid messageId, string emoji);

    /// <summary>A page of history (see <see cref="HistoryQuery"/>).</summary>
    [ReadOnly]
    Task<MessagePage> GetMessages(Guid userId, HistoryQuery query);

    /// <summary>Who read / received a message.</summary>
    [ReadOnly]
    Task<MessageReceipts> GetReceipts(Guid userId, Guid messageId);

    /// <summary>
    /// Organization → conversation: the user was removed from the conversation's organization and
    /// loses access now (their participation is already ended in PostgreSQL).
    /// </summary>
    Task OnOrganizationMemberRemoved(Guid userId);
}
