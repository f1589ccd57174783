using Chat.Grains.Diagnostics;
using Chat.Grains.Storage;

namespace Chat.Grains.Users;

/// <summary>
/// Presence: online while any frontend holds a connection of the user, away when the client says
/// so, offline (with last seen) when the last connection closes or its frontend stops renewing.
/// </summary>
internal sealed partial class UserGrain
{
    private readonly Dictionary<string, FrontendConnections> _frontends = new(StringComparer.Ordinal);
    private PresenceStatus _status = PresenceStatus.Offline;
    private bool _away;
    private IGrainTimer? _sweep;

    public async Task<PresenceStatus> Connect(string frontendId)
    {
        RequireProfile();
        RequireFrontendId(frontendId);
        var now = _time.GetUtcNow();
        if (!_frontends.TryGetValue(frontendId, out var connections))
        {
            _frontends[frontendId] = connections = new FrontendConnections();
        }

        connections.Count++;
        connections.LeaseUntil = now + _presenceOptions.LeaseDuration;
        _sweep ??= this.RegisterGrainTimer(_ => SweepAsync(), _presenceOptions.SweepInterval, _presenceOptions.SweepInterval);
        await RecomputeAsync();
        return _status;
    }

    public async Task<PresenceStatus> Disconnect(string frontendId)
    {
        RequireProfile();
        if (_frontends.TryGetValue(frontendId, out var connections) && --connections.Count <= 0)
        {
            _frontends.Remove(frontendId);
        }

        await RecomputeAsync();
        return _status;
    }

    public async Task<EventPosition> RenewPresence(string frontendId, int connections)
    {
        RequireProfile();
        RequireFrontendId(frontendId);
        if (connections <= 0)
        {
            _frontends.Remove(frontendId);
        }
        else
        {
            // Also recreates the entry: after a reactivation (e.g. its silo died) the frontends' renewals restore presence.
            if (!_frontends.TryGetValue(frontendId, out var entry))
            {
                _frontends[frontendId] = entry = new FrontendConnections();
            }

            entry.Count = connections;
            entry.LeaseUntil = _time.GetUtcNow() + _presenceOptions.LeaseDuration;
            _sweep ??= this.RegisterGrainTimer(_ => SweepAsync(), _presenceOptions.SweepInterval, _presenceOptions.SweepInterval);
        }

        await RecomputeAsync();
        return _log!.Latest;
    }

    public async Task<PresenceStatus> SetPresence(PresenceStatus status)
    {
        RequireProfile();
        if (!Enum.IsDefined(status))
        {
            throw ChatException.Validation("status", "Status is online, away or offline.");
        }

        _away = status != PresenceStatus.Online;
        await RecomputeAsync();
        return _status;
    }

    public async Task OnContactPresence(Guid userId, PresenceStatus status, DateTimeOffset? lastSeenAt)
    {
        _contacts[userId] = new InboxReader.Contact(status, lastSeenAt);
        if (_frontends.Count > 0)
        {
            // Only while connected: nobody would receive it otherwise, and it would wake this user's stream for nothing.
            await PublishEphemeralAsync(new PresenceEvent(userId, status, lastSeenAt));
        }
    }

    private async Task SweepAsync()
    {
        var now = _time.GetUtcNow();
        foreach (var expired in _frontends.Where(f => f.Value.LeaseUntil <= now).Select(f => f.Key).ToList())
        {
            _frontends.Remove(expired);
        }

        await RecomputeAsync();
        if (_frontends.Count == 0)
        {
            _sweep?.Dispose();
            _sweep = null;
        }
    }

    private async Task RecomputeAsync()
    {
        var status = _frontends.Count == 0 ? PresenceStatus.Offline : _away ? PresenceStatus.Away : PresenceStatus.Online;
        if (status == _status || _profile is null)
        {
            return;
        }

        _status = status;
        var lastSeen = status == PresenceStatus.Offline ? Clock.Now(_time) : _profile.LastSeenAt;
        _profile = _profile with { Status = status, LastSeenAt = lastSeen };
        await using (var connection = await _database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE users SET status = $2, last_seen_at = $3 WHERE id = $1", null, Sql.Uuid(Id), status.ToText(), Sql.Time(lastSeen));
        }

        ChatLog.PresenceChanged(_logger, Id, status.ToText());
        var contacts = _inbox.Values.SelectMany(e => e.Participants).Select(p => p.UserId).Where(id => id != Id).Distinct()
            .Take(_presenceOptions.MaxContactsNotified);
        foreach (var contact in contacts)
        {
            _ = GrainFactory.GetGrain<IUserGrain>(contact).OnContactPresence(Id, status, lastSeen);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Connections are not carried across activations: the frontends reconnect (and reconnecting renews presence).
        _frontends.Clear();
        await RecomputeAsync();
        await CloseLogAsync(cancellationToken);
    }

    private static void RequireFrontendId(string frontendId)
    {
        if (string.IsNullOrWhiteSpace(frontendId) || frontendId.Length > 200)
        {
            throw ChatException.Validation("frontendId", "A frontend id has 1 to 200 characters.");
        }
    }

    private sealed class FrontendConnections
    {
        public int Count;
        public DateTimeOffset LeaseUntil;
    }
}
