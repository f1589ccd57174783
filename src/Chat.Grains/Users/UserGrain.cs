using System.Collections.Immutable;
using Chat.Grains.Diagnostics;
using Chat.Grains.Events;
using Chat.Grains.Options;
using Chat.Grains.Hosting;
using Chat.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Grains.Users;

/// <summary>
/// A user: profile, the inbox in memory (loaded once per activation, then kept current by the
/// conversations' one-way notifications), the send rate limiter, presence, and the publication of
/// the user's events. Split by facet: inbox and events here, presence, search and profile beside.
/// </summary>
internal sealed partial class UserGrain : Grain, IUserGrain
{
    private readonly ChatDatabase _database;
    private readonly ChatLimitsOptions _limits;
    private readonly ChatPresenceOptions _presenceOptions;
    private readonly IUserEventPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly ILogger<UserGrain> _logger;
    private readonly Dictionary<Guid, InboxEntry> _inbox = [];
    private readonly Dictionary<Guid, InboxReader.Contact> _contacts = [];
    private readonly SendRateLimiter _rateLimiter = new();
    private readonly IPersistentState<UserEventLogState> _logState;
    private readonly int _replayBufferSize;
    private readonly ChatMetrics _metrics;
    private UserEventLog? _log;
    private UserProfile? _profile;

    public UserGrain(
        ChatDatabase database,
        IOptions<ChatLimitsOptions> limits,
        IOptions<ChatPresenceOptions> presence,
        IOptions<ChatEventsOptions> events,
        IUserEventPublisher publisher,
        ChatMetrics metrics,
        TimeProvider time,
        ILogger<UserGrain> logger,
        [PersistentState(UserEventLogState.StateName, ChatGrainStorage.Name)] IPersistentState<UserEventLogState> logState)
    {
        _logState = logState;
        _metrics = metrics;
        _replayBufferSize = events.Value.ReplayBufferSize;
        _database = database;
        _limits = limits.Value;
        _presenceOptions = presence.Value;
        _publisher = publisher;
        _time = time;
        _logger = logger;
    }

    private Guid Id => this.GetPrimaryKey();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        _profile = await ReadProfileAsync(connection, Id);
        if (_profile is null)
        {
            return;
        }

        var (entries, contacts) = await InboxReader.ReadAsync(connection, Id, _limits.PreviewLength, _limits.InboxParticipantsShown);
        foreach (var entry in entries)
        {
            _inbox[entry.ConversationId] = entry;
        }

        foreach (var (id, contact) in contacts)
        {
            _contacts[id] = contact;
        }

        // The log is marked open before anything is positioned in it: if this activation dies with its
        // silo, the next one finds it open and starts a new epoch (the clients resync).
        _log = UserEventLog.Open(_logState.RecordExists ? _logState.State : null, _time.GetUtcNow().ToUnixTimeMilliseconds(), _replayBufferSize);
        _logState.State = _log.ToState(open: true);
        await _logState.WriteStateAsync(cancellationToken);
        ChatLog.InboxLoaded(_logger, Id, _inbox.Count);
    }

    /// <summary>Closes the event log cleanly, so the next activation (here or on another silo) continues its epoch.</summary>
    private async Task CloseLogAsync(CancellationToken cancellationToken)
    {
        if (_log is null)
        {
            return;
        }

        try
        {
            _logState.State = _log.ToState(open: false);
            await _logState.WriteStateAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Left open: the next activation starts a new epoch and the clients resync. Nothing is lost.
            ChatLog.EventLogCloseFailed(_logger, Id, exception);
        }
    }

    private UserProfile RequireProfile() => _profile ?? throw ChatException.NotFound("User");

    public Task<Inbox> GetInbox()
    {
        RequireProfile();
        var entries = _inbox.Values
            .OrderByDescending(e => e.LastActivityAt).ThenBy(e => e.ConversationId)
            .Select(WithPresence)
            .ToImmutableArray();
        return Task.FromResult(new Inbox(entries, TotalUnread(), UnreadConversations()));
    }

    private int TotalUnread() => _inbox.Values.Sum(e => e.UnreadCount);

    private int UnreadConversations() => _inbox.Values.Count(e => e.UnreadCount > 0);

    private InboxEntry WithPresence(InboxEntry entry) => entry with
    {
        Participants = [.. entry.Participants.Select(p => p with { Presence = PresenceOf(p.UserId) })],
    };

    private PresenceStatus PresenceOf(Guid userId) =>
        userId == Id ? _status : _contacts.TryGetValue(userId, out var contact) ? contact.Status : PresenceStatus.Offline;

    // ---- rate limit ----------------------------------------------------------------------------

    public Task<RateLimitStatus> AcquireSendPermit()
    {
        RequireProfile();
        var window = _limits.RateLimitWindow;
        if (!_rateLimiter.TryAcquire(_time.GetUtcNow(), _limits.MessagesPerMinute, window, out var status, out var retryAfter))
        {
            ChatLog.RateLimited(_logger, Id, _limits.MessagesPerMinute, window);
            throw new ChatException(ChatErrorCodes.RateLimited,
                $"Too many messages: at most {_limits.MessagesPerMinute} per {window.TotalSeconds:0} seconds.", null, retryAfter);
        }

        return Task.FromResult(status);
    }

    public Task<RateLimitStatus> GetRateLimit() =>
        Task.FromResult(_rateLimiter.Status(_time.GetUtcNow(), _limits.MessagesPerMinute, _limits.RateLimitWindow));

    // ---- notifications from conversations ------------------------------------------------------

    public async Task OnConversationChanged(ConversationNotice notice)
    {
        if (_profile is null)
        {
            return;
        }

        var entry = notice.Entry;
        await LearnContactsAsync(entry.Participants.Select(p => p.UserId));
        var previous = _inbox.GetValueOrDefault(entry.ConversationId);
        _inbox[entry.ConversationId] = entry;
        var withPresence = WithPresence(entry);
        await PublishAsync(previous is null || notice.Added
            ? new ConversationCreatedEvent(entry.ConversationId, withPresence)
            : new ConversationUpdatedEvent(entry.ConversationId, withPresence));
        if (previous is not null && previous.UnreadCount != entry.UnreadCount)
        {
            await PublishUnreadAsync(entry);
        }
    }

    public async Task OnMessage(MessageNotice notice)
    {
        if (_profile is null)
        {
            return;
        }

        if (!_inbox.TryGetValue(notice.ConversationId, out var entry))
        {
            // A notification about a conversation we do not know: an earlier one was lost. Reload it.
            await ReloadEntryAsync(notice.ConversationId);
        }
        else if (notice.LastSeq >= entry.LastSeq)
        {
            _inbox[notice.ConversationId] = entry with
            {
                LastMessage = notice.LastMessage,
                LastActivityAt = notice.LastActivityAt,
                LastSeq = notice.LastSeq,
                LastReadSeq = notice.LastReadSeq,
                UnreadCount = notice.UnreadCount,
            };
        }

        UserEvent evt = notice.Kind switch
        {
            UserEventTypes.MessageCreated => new MessageCreatedEvent(notice.ConversationId, notice.Message),
            UserEventTypes.MessageDeleted => new MessageDeletedEvent(notice.ConversationId, notice.Message),
            _ => new MessageUpdatedEvent(notice.ConversationId, notice.Message),
        };
        await PublishAsync(evt);
        if (entry is null || entry.UnreadCount != notice.UnreadCount)
        {
            await PublishUnreadAsync(_inbox.GetValueOrDefault(notice.ConversationId));
        }
    }

    public async Task OnRead(ReadNotice notice)
    {
        if (_profile is null)
        {
            return;
        }

        await PublishAsync(new ReadUpdatedEvent(notice.ConversationId, notice.ReaderId, notice.LastReadSeq, notice.LastReadAt));
        if (notice.ReaderId == Id && notice.UnreadCount is { } unread && _inbox.TryGetValue(notice.ConversationId, out var entry)
            && notice.LastReadSeq >= entry.LastReadSeq)
        {
            var changed = entry.UnreadCount != unread;
            _inbox[notice.ConversationId] = entry = entry with { LastReadSeq = notice.LastReadSeq, UnreadCount = unread };
            if (changed)
            {
                await PublishUnreadAsync(entry);
            }
        }
    }

    public async Task OnConversationRemoved(Guid conversationId, string reason)
    {
        if (_profile is null)
        {
            return;
        }

        var removed = _inbox.Remove(conversationId, out var entry);
        await PublishAsync(new ConversationRemovedEvent(conversationId, reason));
        if (removed && entry!.UnreadCount > 0)
        {
            await PublishAsync(new UnreadChangedEvent(conversationId, 0, TotalUnread(), UnreadConversations()));
        }
    }

    private async Task ReloadEntryAsync(Guid conversationId)
    {
        await using var connection = await _database.OpenAsync();
        var (entries, contacts) = await InboxReader.ReadAsync(connection, Id, _limits.PreviewLength, _limits.InboxParticipantsShown, conversationId);
        foreach (var entry in entries)
        {
            _inbox[entry.ConversationId] = entry;
        }

        foreach (var (id, contact) in contacts)
        {
            _contacts.TryAdd(id, contact);
        }
    }

    /// <summary>Presence of participants we have not met yet (membership changes are rare; one query).</summary>
    private async Task LearnContactsAsync(IEnumerable<Guid> userIds)
    {
        var unknown = userIds.Where(id => id != Id && !_contacts.ContainsKey(id)).ToArray();
        if (unknown.Length == 0)
        {
            return;
        }

        await using var connection = await _database.OpenAsync();
        await using var command = connection.Command("SELECT id, status, last_seen_at FROM users WHERE id = ANY($1)", null, unknown);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            _contacts[reader.GetGuid(0)] = new InboxReader.Contact(EnumText.ParsePresence(reader.GetString(1)), reader.GetTimeOrNull(2));
        }
    }

    private Task PublishUnreadAsync(InboxEntry? entry) =>
        entry is null
            ? Task.CompletedTask
            : PublishAsync(new UnreadChangedEvent(entry.ConversationId, entry.UnreadCount, TotalUnread(), UnreadConversations()));

    /// <summary>
    /// Positions one event in the user's log, then sends it to the frontends holding the user's
    /// connections. The log is what counts: a send that fails (a stream queue lost with its silo) is
    /// logged, not thrown, because the frontends fill gaps from the log on their next lease renewal,
    /// and a retried notice would position the event twice.
    /// </summary>
    private async Task PublishAsync(UserEvent evt)
    {
        var positioned = _log!.Append(evt);
        _metrics.EventPositioned();
        await SendAsync(new UserEventEnvelope(Id, positioned.Position, evt));
    }

    /// <summary>An ephemeral event (typing, presence, session revoked): current connections only, no position.</summary>
    private Task PublishEphemeralAsync(UserEvent evt) => SendAsync(new UserEventEnvelope(Id, null, evt));

    private async Task SendAsync(UserEventEnvelope envelope)
    {
        try
        {
            await _publisher.PublishAsync(_frontends.Keys, envelope);
            _metrics.EventsSent(_frontends.Count);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _metrics.SendFailed();
            ChatLog.PublishFailed(_logger, Id, envelope.Event.Type, exception);
        }
    }

    public Task<EventReplay> ReadEvents(EventPosition after)
    {
        RequireProfile();
        return Task.FromResult(_log!.ReadAfter(after));
    }

    public Task PushEphemeral(UserEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return _profile is null || _frontends.Count == 0 ? Task.CompletedTask : PublishEphemeralAsync(evt);
    }
}
