using System.Collections.Concurrent;
using System.Text.Json;
using Chat.Frontend.Hosting;
using Chat.Grains;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Chat.Frontend.Realtime;

/// <summary>
/// The hub connections of this frontend and, per user, the feed that orders the user's events for
/// them (<see cref="UserFeed"/>); events arrive on this frontend's one stream (<see cref="FrontendEventSubscription"/>). Also this frontend's presence leases and delivery reports.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, ConnectionFeed> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, UserFeed> _users = new();
    private readonly IClusterClient _cluster;
    private readonly IHubContext<ChatHub> _hub;
    private readonly DeliveryReports _deliveries;
    private readonly FrontendOptions _options;
    private readonly ILogger<ConnectionRegistry> _logger;
    private readonly JsonSerializerOptions _json = ChatJson.Create();
    private volatile bool _stopping;

    private readonly Lazy<FrontendMetrics> _lazyMetrics;

    public ConnectionRegistry(
        IClusterClient cluster,
        IHubContext<ChatHub> hub,
        DeliveryReports deliveries,
        IOptions<FrontendOptions> options,
        ILogger<ConnectionRegistry> logger,
        IServiceProvider services)
    {
        _deliveries = deliveries;
        // Lazy: the metrics observe this registry, so they cannot be built before it.
        _lazyMetrics = new Lazy<FrontendMetrics>(services.GetRequiredService<FrontendMetrics>);
        _cluster = cluster;
        _hub = hub;
        _options = options.Value;
        _logger = logger;
        // Unique per process start: a restarted frontend must not inherit (or be charged with) its predecessor's connections.
        FrontendId = $"{_options.Name}/{Guid.NewGuid():N}";
    }

    /// <summary>This frontend's id in the user grains' presence bookkeeping.</summary>
    public string FrontendId { get; }

    public int ConnectionCount => _connections.Count;

    private FrontendMetrics Metrics => _lazyMetrics.Value;

    public int UserCount => _users.Count;

    public async Task ConnectAsync(string connectionId, Guid userId, string sessionKey, Action abort)
    {
        var connection = new ConnectionFeed(connectionId, userId, sessionKey, abort, SendAsync, SendFailed) { SettleDelay = _options.ResumeSettleDelay };
        if (_stopping)
        {
            // Arrived while this frontend stops: go elsewhere.
            await SendReconnectAsync(connection, "frontend stopping");
            abort();
            return;
        }

        _connections[connectionId] = connection;
        try
        {
            while (!await _users.GetOrAdd(userId, id => new UserFeed(id, this)).AddAsync(connection))
            {
                // The feed we found was closing (its last connection just left); take a fresh one.
            }
        }
        catch
        {
            _connections.TryRemove(connectionId, out _);
            throw;
        }

        connection.Start(_options.ResumeWindow);
        FrontendLog.Connected(_logger, userId, connectionId);
    }

    public async Task DisconnectAsync(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var connection))
        {
            return;
        }

        connection.Close();
        if (_users.TryGetValue(connection.UserId, out var feed))
        {
            await feed.RemoveAsync(connection);
        }

        FrontendLog.Disconnected(_logger, connection.UserId, connectionId);
    }

    /// <summary>The hub's <c>Resume</c>.</summary>
    public async Task<ResumeResult> ResumeAsync(string connectionId, Guid userId, long epoch, long seq)
    {
        if (!_connections.TryGetValue(connectionId, out var connection) || !_users.TryGetValue(userId, out var feed))
        {
            throw new ChatException(ChatErrorCodes.Conflict, "The connection is closing; reconnect and resume.");
        }

        var replay = await ReadEventsAsync(userId, new EventPosition(epoch, seq));
        var wire = new WireReplay(replay.TooOld, replay.Latest, [.. replay.Events.Select(e => ToWire(e.Event, e.Position, null))]);
        var (result, events) = connection.Resume(epoch, seq, wire);
        // Whatever the answer carries has now reached a client of the user.
        foreach (var evt in replay.Events.Where(e => events.Any(x => x.Token == e.Position)))
        {
            feed.TicketFor(evt.Event)?.Delivered();
        }

        return result;
    }

    /// <summary>The user's events after <paramref name="after"/> from the user's event log (retried while its silo is being replaced).</summary>
    public Task<EventReplay> ReadEventsAsync(Guid userId, EventPosition after) =>
        GrainCallRetry.RunAsync(() => _cluster.GetGrain<IUserGrain>(userId).ReadEvents(after));

    /// <summary>An event from this frontend's stream: to the user's feed, if the user still has connections here.</summary>
    public Task DispatchAsync(UserEventEnvelope envelope) =>
        _users.TryGetValue(envelope.UserId, out var feed) ? feed.OnEnvelopeAsync(envelope) : Task.CompletedTask;

    public OutgoingEvent ToWire(UserEvent evt, EventPosition? position, DeliveryTicket? ticket) => EventWire.Create(evt, position, _json, ticket);

    public void CatchUpFailed(Guid userId, Exception exception) => FrontendLog.CatchUpFailed(_logger, userId, exception.Message);

    /// <summary>A feed closed: forget it, unless a newer one took its place already.</summary>
    public void Forget(UserFeed feed) => _users.TryRemove(KeyValuePair.Create(feed.UserId, feed));

    /// <summary>
    /// Sets this frontend's connection count in the user's grain and returns the log's newest
    /// position; null when the grain is unreachable (failures only delay presence and catch-up).
    /// </summary>
    public async Task<EventPosition?> RenewPresenceAsync(Guid userId, int connections)
    {
        try
        {
            return await GrainCallRetry.RunAsync(() => _cluster.GetGrain<IUserGrain>(userId).RenewPresence(FrontendId, connections), TimeSpan.FromSeconds(5));
        }
        catch (Exception exception)
        {
            FrontendLog.PresenceRenewFailed(_logger, userId, exception.Message);
            return null;
        }
    }

    /// <summary>Renews every lease and catches each feed up with its log (periodic, and after a gateway change).</summary>
    public Task RenewAllAsync() =>
        Parallel.ForEachAsync(_users.Values.ToList(), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (feed, _) => await feed.RenewAsync());

    public void ReportDelivered(Guid userId, Guid conversationId, long seq) => _deliveries.Record(userId, conversationId, seq);

    /// <summary>The connection's session was revoked (logout): close it.</summary>
    public void CloseRevoked(ConnectionFeed connection)
    {
        FrontendLog.SessionRevokedClosing(_logger, connection.UserId, connection.ConnectionId);
        connection.Abort();
    }

    /// <summary>
    /// Graceful stop: every client is told to reconnect (to another frontend) and resume, then its
    /// connection is closed; presence leases of this frontend are dropped.
    /// </summary>
    public async Task ShutdownAsync()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        var connections = _connections.Values.ToList();
        FrontendLog.ShuttingDown(_logger, connections.Count);
        try
        {
            await Task.WhenAll(connections.Select(c => SendReconnectAsync(c, "frontend stopping")))
                .WaitAsync(_options.ShutdownNoticeTimeout);
        }
        catch (TimeoutException)
        {
            // Clients that did not hear it reconnect on their own when the connection drops.
        }

        foreach (var connection in connections)
        {
            connection.Abort();
        }

        await Task.WhenAll(connections.Select(c => DisconnectAsync(c.ConnectionId)));
        await _deliveries.FlushAsync();
    }

    private async Task SendReconnectAsync(ConnectionFeed connection, string reason)
    {
        try
        {
            await _hub.Clients.Client(connection.ConnectionId).SendAsync(EventWire.Reconnect, EventWire.ReconnectPayload(reason));
        }
        catch (Exception exception)
        {
            SendFailed(connection, exception);
        }
    }

    private Task SendAsync(ConnectionFeed connection, OutgoingEvent evt)
    {
        Metrics.EventDelivered();
        return _hub.Clients.Client(connection.ConnectionId).SendAsync(evt.Name, evt.Payload);
    }

    private void SendFailed(ConnectionFeed connection, Exception exception) =>
        FrontendLog.PushFailed(_logger, connection.UserId, connection.ConnectionId, exception.Message);
}
