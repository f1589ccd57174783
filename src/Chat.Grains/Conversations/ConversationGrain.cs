using System.Collections.Immutable;
using Chat.Grains.Diagnostics;
using Chat.Grains.Events;
using Chat.Grains.Options;
using Chat.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Grains.Conversations;

/// <summary>
/// A conversation: participants and roles, the newest messages in memory, read positions and unread
/// counters, seq assignment. PostgreSQL is the source of truth: every change is committed before it
/// is applied in memory, told to the participants' user grains (awaited and retried, so an
/// acknowledged message reaches every participant; conversation → user only, never back, so there
/// are no call cycles), then acknowledged.
/// Split by facet: membership, messages, reading (history, receipts, read positions).
/// Reentrant, with calls admitted one at a time by <see cref="TurnGate"/> (see <see cref="Invoke"/>):
/// Orleans cannot end a turn in the middle of a method, and a send must let the next message commit
/// while the participants are told.
/// </summary>
[Reentrant]
internal sealed partial class ConversationGrain : Grain, IConversationGrain, IIncomingGrainCallFilter
{
    private readonly ChatDatabase _database;
    private readonly ChatLimitsOptions _limits;
    private readonly TimeProvider _time;
    private readonly ILogger<ConversationGrain> _logger;
    private readonly List<StoredMessage> _window = [];
    private readonly Dictionary<Guid, StoredMessage> _byId = [];
    private readonly Dictionary<(Guid Sender, string ClientId), StoredMessage> _byClientId = [];
    private readonly NoticeQueue _notices = new();
    private readonly DeliveredReceiptWriter _receipts;
    private readonly TurnGate _gate = new();
    private readonly ChatMetrics _metrics;
    private ConversationState? _state;

    public ConversationGrain(
        ChatDatabase database,
        DeliveredReceiptWriter receipts,
        IOptions<ChatLimitsOptions> limits,
        TimeProvider time,
        ChatMetrics metrics,
        ILogger<ConversationGrain> logger)
    {
        _metrics = metrics;
        _database = database;
        _receipts = receipts;
        _limits = limits.Value;
        _time = time;
        _logger = logger;
    }

    private Guid Id => this.GetPrimaryKey();

    /// <summary>
    /// Every call but the <see cref="AlwaysInterleaveAttribute"/> ones (delivered marks, which only
    /// move a position in memory) waits for the previous one to end or to release its turn, so the
    /// grain behaves as a non-reentrant one whose sends end their turn once their message is durable.
    /// </summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (TurnGate.Interleaves(context.InterfaceMethod))
        {
            await context.Invoke();
            return;
        }

        var turn = await _gate.EnterAsync();
        try
        {
            await context.Invoke();
        }
        finally
        {
            turn.Release();
        }
    }

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        _state = await LoadStateAsync(connection, Id);
        if (_state is null)
        {
            return;
        }

        foreach (var message in await MessageReader.ReadLatestAsync(connection, Id, _limits.InMemoryMessages))
        {
            Remember(message);
        }

        await CountUnreadAsync(connection);
        ChatLog.ConversationLoaded(_logger, Id, _state.LastSeq, _state.Participants.Count, _window.Count);
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        // The next activation (maybe on another silo) must not tell anyone anything before these.
        _notices.DrainAsync(GrainCallRetry.DefaultBudget);

    private static async Task<ConversationState?> LoadStateAsync(NpgsqlConnection connection, Guid id)
    {
        ConversationState state;
        await using (var command = connection.Command(
            "SELECT type, organization_id, name, description, created_by, created_at, updated_at, deleted_at, version, " +
            "(SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = $1) FROM conversations WHERE id = $1", null, Sql.Uuid(id)))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            if (!await reader.ReadAsync())
            {
                return null;
            }

            state = new ConversationState
            {
                Id = id,
                Type = reader.GetString(0) == "direct" ? ConversationType.Direct : ConversationType.Group,
                OrganizationId = reader.GetGuid(1),
                Name = reader.GetStringOrNull(2),
                Description = reader.GetStringOrNull(3),
                CreatedBy = reader.GetGuid(4),
                CreatedAt = reader.GetTime(5),
                UpdatedAt = reader.GetTime(6),
                DeletedAt = reader.GetTimeOrNull(7),
                Version = reader.GetInt64(8),
                LastSeq = reader.GetInt64(9),
            };
        }

        await using (var command = connection.Command(
            "SELECT p.user_id, u.display_name, u.avatar_url, p.role, p.joined_at, p.left_at, p.last_read_seq, p.last_read_at, " +
            "p.last_delivered_seq, p.is_starred, p.is_muted FROM conversation_participants p JOIN users u ON u.id = p.user_id " +
            "WHERE p.conversation_id = $1", null, Sql.Uuid(id)))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var participant = new Participant
                {
                    UserId = reader.GetGuid(0),
                    DisplayName = reader.GetString(1),
                    AvatarUrl = reader.GetStringOrNull(2),
                    Role = EnumText.ParseRole(reader.GetString(3)) ?? Role.Member,
                    JoinedAt = reader.GetTime(4),
                    LeftAt = reader.GetTimeOrNull(5),
                    LastReadSeq = reader.GetInt64(6),
                    LastReadAt = reader.GetTimeOrNull(7),
                    LastDeliveredSeq = reader.GetInt64(8),
                    IsStarred = reader.GetBoolean(9),
                    IsMuted = reader.GetBoolean(10),
                };
                state.Participants[participant.UserId] = participant;
            }
        }

        return state;
    }

    /// <summary>Unread counters of every active participant, in one query.</summary>
    private async Task CountUnreadAsync(NpgsqlConnection connection)
    {
        await using var command = connection.Command(
            "SELECT p.user_id, (SELECT count(*) FROM messages m WHERE m.conversation_id = p.conversation_id AND m.seq > p.last_read_seq " +
            "AND m.type = 'text' AND m.deleted_at IS NULL AND m.sender_id <> p.user_id)::int " +
            "FROM conversation_participants p WHERE p.conversation_id = $1 AND p.left_at IS NULL", null, Sql.Uuid(Id));
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (_state!.Participants.TryGetValue(reader.GetGuid(0), out var participant))
            {
                participant.Unread = reader.GetInt32(1);
            }
        }
    }

    // ---- access checks ------------------------------------------------------------------------

    private ConversationState RequireExisting() =>
        _state is { DeletedAt: null } state ? state : throw ChatException.NotFound("Conversation");

    /// <summary>The caller's active participation; checked on every call.</summary>
    private Participant RequireParticipant(Guid userId)
    {
        var state = RequireExisting();
        return state.Participants.TryGetValue(userId, out var participant) && participant.IsActive
            ? participant
            : throw ChatException.NotParticipant();
    }

    private Participant RequireManager(Guid userId)
    {
        var participant = RequireParticipant(userId);
        if (_state!.Type != ConversationType.Group)
        {
            throw ChatException.Forbidden("Direct conversations have no members to manage.");
        }

        return participant.Role >= Role.Admin ? participant : throw ChatException.Forbidden("Only the owner or an admin can do this.");
    }

    // ---- in-memory window -----------------------------------------------------------------------

    private void Remember(StoredMessage message)
    {
        _window.Add(message);
        _byId[message.Id] = message;
        if (message.SenderId is { } sender && message.ClientMessageId is { } clientId)
        {
            _byClientId[(sender, clientId)] = message;
        }

        while (_window.Count > _limits.InMemoryMessages)
        {
            var evicted = _window[0];
            _window.RemoveAt(0);
            _byId.Remove(evicted.Id);
            if (evicted.SenderId is { } s && evicted.ClientMessageId is { } c)
            {
                _byClientId.Remove((s, c));
            }
        }
    }

    /// <summary>Seq of the oldest message in memory (the window always ends at the newest).</summary>
    private long WindowStart => _window.Count > 0 ? _window[0].Seq : _state!.LastSeq + 1;

    private async Task<StoredMessage> RequireMessageAsync(Guid messageId)
    {
        if (_byId.TryGetValue(messageId, out var message))
        {
            return message;
        }

        await using var connection = await _database.OpenAsync();
        return await MessageReader.ReadByIdAsync(connection, Id, messageId) ?? throw ChatException.NotFound("Message");
    }

    // ---- views ---------------------------------------------------------------------------------

    private UserSummary? SenderOf(StoredMessage message) =>
        message.SenderId is { } sender && _state!.Participants.TryGetValue(sender, out var participant) ? participant.Summary : null;

    private MessageDto Dto(StoredMessage message) => message.ToDto(SenderOf(message));

    private LastMessagePreview? LastPreview()
    {
        if (_window.Count == 0)
        {
            return null;
        }

        var last = _window[^1];
        return new LastMessagePreview(
            last.Id, last.Seq, last.SenderId, SenderOf(last)?.DisplayName, last.Type,
            last.IsDeleted ? null : StoredMessage.Preview(last.Content, _limits.PreviewLength),
            last.CreatedAt, last.IsDeleted ? 0 : last.Attachments.Length, last.IsDeleted);
    }

    private DateTimeOffset LastActivityAt => _window.Count > 0 ? _window[^1].CreatedAt : _state!.CreatedAt;

    /// <summary>Active participants in the order they joined (ties by id), as every view lists them.</summary>
    private List<Participant> ActiveOrdered() =>
        [.. _state!.Active.OrderBy(p => p.JoinedAt).ThenBy(p => p.UserId)];

    private InboxEntry EntryFor(Participant me)
    {
        var state = _state!;
        var active = ActiveOrdered();
        var displayName = state.Type == ConversationType.Group
            ? state.Name ?? ""
            : state.Participants.Values.Where(p => p.UserId != me.UserId).Select(p => p.DisplayName).FirstOrDefault() ?? me.DisplayName;
        return new InboxEntry(
            state.Id, state.Type, state.OrganizationId, state.Name, displayName,
            [.. active.Take(_limits.InboxParticipantsShown).Select(p => new InboxParticipant(p.UserId, p.DisplayName, p.AvatarUrl, PresenceStatus.Offline))],
            active.Count, LastPreview(), LastActivityAt, state.LastSeq, me.LastReadSeq, me.Unread, me.IsStarred, me.IsMuted, me.Role);
    }

    private static MyParticipation Mine(Participant me) => new(me.Role, me.LastReadSeq, me.LastReadAt, me.Unread, me.IsStarred, me.IsMuted);

    private ConversationDetails DetailsFor(Participant me)
    {
        var state = _state!;
        return new ConversationDetails(
            state.Id, state.Type, state.OrganizationId, state.Name, state.Description, state.CreatedBy, state.CreatedAt, state.UpdatedAt, state.LastSeq,
            [.. ActiveOrdered().Select(p => new ParticipantInfo(p.UserId, p.DisplayName, p.AvatarUrl, p.Role, p.JoinedAt))],
            Mine(me));
    }

    // ---- notifications: conversation → user, awaited ----------------------------------------------
    // Every participant's user grain is told in parallel, and the change is acknowledged only once all
    // of them took it: an acknowledged message reaches every inbox and stream even when a user grain's
    // silo dies meanwhile (retried until it is reactivated elsewhere). A send ends its turn before it
    // waits (the next message can be committed meanwhile), so the notices to each user go through
    // _notices, which keeps them in this conversation's order. A user grain still unreachable after
    // the retry budget is logged and skipped: the change is stored, and that user's clients get it
    // when they resync.

    private IUserGrain UserGrain(Guid userId) => GrainFactory.GetGrain<IUserGrain>(userId);

    private Task TellAsync(Guid userId, Func<IUserGrain, Task> notice) => _notices.Tell(userId, () => TellNowAsync(userId, notice));

    private async Task TellNowAsync(Guid userId, Func<IUserGrain, Task> notice)
    {
        try
        {
            // Notices are idempotent (a repeat is dropped by the frontends), so a timed-out one is sent again.
            await GrainCallRetry.RunAsync(() => notice(UserGrain(userId)), GrainCallRetry.SendBudget, retryTimeouts: true);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ChatLog.NoticeFailed(_logger, Id, userId, exception);
        }
    }

    private Task NotifyMessageAsync(string kind, StoredMessage message, IReadOnlySet<Guid>? except = null)
    {
        var dto = Dto(message);
        var preview = LastPreview();
        var told = new List<Task>(_state!.Participants.Count);
        foreach (var participant in _state.Active)
        {
            if (except?.Contains(participant.UserId) == true)
            {
                continue;
            }

            var notice = new MessageNotice(Id, kind, dto, preview, LastActivityAt, _state.LastSeq, participant.LastReadSeq, participant.Unread);
            told.Add(TellAsync(participant.UserId, user => user.OnMessage(notice)));
        }

        return Task.WhenAll(told);
    }

    private Task NotifyConversationAsync(Participant participant, bool added)
    {
        var notice = new ConversationNotice(EntryFor(participant), added);
        return TellAsync(participant.UserId, user => user.OnConversationChanged(notice));
    }

    private Task NotifyConversationToAllAsync(IReadOnlySet<Guid>? added = null) =>
        Task.WhenAll(_state!.Active.Select(p => NotifyConversationAsync(p, added?.Contains(p.UserId) == true)).ToList());

    private Task NotifyRemovedAsync(Guid userId, string reason) => TellAsync(userId, user => user.OnConversationRemoved(Id, reason));

    // ---- writes --------------------------------------------------------------------------------

    private static Task InsertMessageAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StoredMessage message) =>
        connection.ExecuteAsync(
            "INSERT INTO messages (id, conversation_id, seq, sender_id, type, content, system_event, reply_to_id, client_message_id, created_at) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            transaction,
            Sql.Uuid(message.Id), Sql.Uuid(message.ConversationId), message.Seq, Sql.Uuid(message.SenderId),
            message.Type == MessageType.System ? "system" : "text", message.Content, Sql.Text(message.SystemEvent),
            Sql.Uuid(message.ReplyToId), Sql.Text(message.ClientMessageId), Sql.Time(message.CreatedAt));

    /// <summary>
    /// Writes the metadata and bumps the conversations row's version, if it is still the one this
    /// activation loaded; a stale duplicate activation fails here and the runtime deactivates it.
    /// </summary>
    private async Task WriteMetadataAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset now, string? name, string? description, DateTimeOffset? deletedAt)
    {
        var state = _state!;
        var updated = await connection.ExecuteAsync(
            "UPDATE conversations SET version = version + 1, updated_at = $3, name = $4, description = $5, deleted_at = $6 WHERE id = $1 AND version = $2",
            transaction, Sql.Uuid(state.Id), state.Version, Sql.Time(now), Sql.Text(name), Sql.Text(description), Sql.Time(deletedAt));
        if (updated != 1)
        {
            throw new InconsistentStateException(
                $"Conversation {state.Id} changed in another activation.", null, state.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Applies a committed metadata write.</summary>
    private void ApplyMetadata(DateTimeOffset now, string? name, string? description, DateTimeOffset? deletedAt)
    {
        var state = _state!;
        state.Version++;
        state.UpdatedAt = now;
        state.Name = name;
        state.Description = description;
        state.DeletedAt = deletedAt;
    }

    private Task WriteVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset now) =>
        WriteMetadataAsync(connection, transaction, now, _state!.Name, _state.Description, _state.DeletedAt);

    private StoredMessage NewSystemMessage(string systemEvent, string text, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        ConversationId = Id,
        Seq = _state!.LastSeq + 1,
        Type = MessageType.System,
        Content = text,
        SystemEvent = systemEvent,
        CreatedAt = now,
    };

    /// <summary>Applies a committed system message in memory (unread counts are not affected by system messages).</summary>
    private void ApplySystemMessage(StoredMessage message)
    {
        _state!.LastSeq = message.Seq;
        Remember(message);
    }

    private async Task<HashSet<Guid>> OrganizationMembersAsync(NpgsqlConnection connection, Guid organizationId, IEnumerable<Guid> userIds)
    {
        var members = new HashSet<Guid>();
        await using var command = connection.Command(
            "SELECT user_id FROM organization_members WHERE organization_id = $1 AND user_id = ANY($2)", null,
            Sql.Uuid(organizationId), userIds.Distinct().ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            members.Add(reader.GetGuid(0));
        }

        return members;
    }

    private static async Task<Dictionary<Guid, (string DisplayName, string? AvatarUrl)>> ProfilesAsync(NpgsqlConnection connection, IEnumerable<Guid> userIds)
    {
        var profiles = new Dictionary<Guid, (string, string?)>();
        await using var command = connection.Command("SELECT id, display_name, avatar_url FROM users WHERE id = ANY($1)", null, userIds.Distinct().ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            profiles[reader.GetGuid(0)] = (reader.GetString(1), reader.GetStringOrNull(2));
        }

        return profiles;
    }
}
