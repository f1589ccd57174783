using System.Collections.Immutable;

namespace Chat.Grains;

/// <summary>
/// A user (key: user id). Holds the user's inbox in memory (loaded from PostgreSQL once per
/// activation, then kept current by one-way notifications from conversations), the per-user send
/// rate limiter (so it holds across frontends, connections and transports), presence bookkeeping,
/// and publishes the user's events (stream <c>user-events</c>).
/// </summary>
[Alias("user")]
public interface IUserGrain : IGrainWithGuidKey
{
    /// <summary>The profile; NOT_FOUND when no such user exists.</summary>
    [ReadOnly]
    Task<UserProfile> GetProfile();

    /// <summary>Changes display name and/or avatar url.</summary>
    Task<UserProfile> UpdateProfile(UpdateProfileRequest change);

    /// <summary>The organizations the user is a member of.</summary>
    [ReadOnly]
    Task<ImmutableArray<OrganizationMembership>> GetOrganizations();

    /// <summary>The inbox, newest activity first, answered from memory.</summary>
    [ReadOnly]
    Task<Inbox> GetInbox();

    /// <summary>
    /// Counts one message against the rate limit, or throws RATE_LIMITED with the seconds to wait.
    /// Called by conversations before they store a message.
    /// </summary>
    [AlwaysInterleave]
    Task<RateLimitStatus> AcquireSendPermit();

    /// <summary>The rate limit's state without counting anything (for X-RateLimit headers).</summary>
    [AlwaysInterleave]
    Task<RateLimitStatus> GetRateLimit();

    /// <summary>Full-text search over the messages of the user's conversations, newest first.</summary>
    [ReadOnly]
    Task<SearchResult> Search(SearchQuery query);

    /// <summary>A connection of this user opened on a frontend; returns the resulting presence.</summary>
    Task<PresenceStatus> Connect(string frontendId);

    /// <summary>A connection of this user on a frontend closed; returns the resulting presence.</summary>
    Task<PresenceStatus> Disconnect(string frontendId);

    /// <summary>
    /// A frontend still holds <paramref name="connections"/> connections of this user (a lease renewal;
    /// expired leases count as gone). It also restores the frontend's count after this grain was
    /// reactivated elsewhere (a silo died), and 0 removes the frontend.
    /// </summary>
    /// <returns>The newest position of the user's event log: a frontend that delivered less fills the gap with <see cref="ReadEvents"/>.</returns>
    Task<EventPosition> RenewPresence(string frontendId, int connections);

    /// <summary>
    /// The user's events after <paramref name="after"/>, in order, from the log's bounded replay
    /// buffer (SPEC section 6 resume), or <see cref="EventReplay.TooOld"/> when that position is of
    /// another epoch or older than the buffer.
    /// </summary>
    [ReadOnly]
    Task<EventReplay> ReadEvents(EventPosition after);

    /// <summary>The client says the user is away or back (only meaningful while connected).</summary>
    Task<PresenceStatus> SetPresence(PresenceStatus status);

    // Conversation → user notices are awaited by the conversation (and retried when the user's silo
    // is unavailable) so an acknowledged message reaches every participant's inbox and stream even
    // while silos die or leave. They are idempotent: a retried notice only repeats a publish, which
    // frontends drop by (conversation, seq).

    /// <summary>Conversation → user: the user's summary of a conversation was created or changed.</summary>
    Task OnConversationChanged(ConversationNotice notice);

    /// <summary>Conversation → user: a message event in one of the user's conversations.</summary>
    Task OnMessage(MessageNotice notice);

    /// <summary>Conversation → user: a read position moved.</summary>
    Task OnRead(ReadNotice notice);

    /// <summary>Conversation → user: the user no longer takes part ("left", "removed", "deleted").</summary>
    Task OnConversationRemoved(Guid conversationId, string reason);

    /// <summary>
    /// An ephemeral event for the user's current connections (typing from a conversation, a revoked
    /// session): no position, no replay; dropped when no frontend holds the user.
    /// </summary>
    [AlwaysInterleave]
    Task PushEphemeral(UserEvent evt);

    /// <summary>User → user: a contact's presence changed (keeps inbox presence current).</summary>
    [OneWay]
    Task OnContactPresence(Guid userId, PresenceStatus status, DateTimeOffset? lastSeenAt);
}
