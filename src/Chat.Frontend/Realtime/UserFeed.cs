using System.Collections.Immutable;
using Chat.Grains;
using Chat.Runtime;
using Chat.Runtime.Streams;

namespace Chat.Frontend.Realtime;

/// <summary>
/// One user's events on this frontend: a single stream subscription shared by all of the user's
/// connections here (reference-counted), fanned out to each connection in stream order. It also keeps
/// the user's presence lease in the user grain at the number of connections held here.
/// </summary>
internal sealed class UserFeed : IAsyncObserver<UserEvent>
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ConnectionRegistry _registry;
    private readonly Dictionary<Guid, long> _deliveredUpTo = [];
    private readonly PassedMessages _created = new();
    private ImmutableArray<ConnectionFeed> _connections = [];
    private IStreamSubscription? _subscription;
    private bool _closed;

    public UserFeed(Guid userId, ConnectionRegistry registry)
    {
        UserId = userId;
        _registry = registry;
    }

    public Guid UserId { get; }

    public int ConnectionCount => _connections.Length;

    public ImmutableArray<ConnectionFeed> Connections => _connections;

    /// <summary>Adds a connection, subscribing on the first; false when this feed already closed (take a new one).</summary>
    public async Task<bool> AddAsync(ConnectionFeed connection)
    {
        await _lock.WaitAsync();
        try
        {
            if (_closed)
            {
                return false;
            }

            _connections = _connections.Add(connection);
            if (_subscription is null)
            {
                try
                {
                    _subscription = await _registry.StreamOf(UserId).SubscribeAsync(this);
                }
                catch
                {
                    _connections = _connections.Remove(connection);
                    _closed = _connections.IsEmpty;
                    if (_closed)
                    {
                        _registry.Forget(this);
                    }

                    throw;
                }
            }

            await _registry.RenewPresenceAsync(UserId, _connections.Length);
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Removes a connection; the last one ends the subscription and the presence lease.</summary>
    public async Task RemoveAsync(ConnectionFeed connection)
    {
        IStreamSubscription? ended = null;
        await _lock.WaitAsync();
        try
        {
            _connections = _connections.Remove(connection);
            if (_connections.IsEmpty && !_closed)
            {
                _closed = true;
                _registry.Forget(this);
                ended = _subscription;
                _subscription = null;
            }

            await _registry.RenewPresenceAsync(UserId, _connections.Length);
        }
        finally
        {
            _lock.Release();
        }

        if (ended is not null)
        {
            await ended.DisposeAsync();
        }
    }

    /// <summary>Renews the presence lease (periodically, so a crashed frontend's users go offline by themselves).</summary>
    public async Task RenewAsync()
    {
        await _lock.WaitAsync();
        try
        {
            if (!_closed)
            {
                await _registry.RenewPresenceAsync(UserId, _connections.Length);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public Task OnNextAsync(UserEvent item, StreamSequenceToken token)
    {
        if (item is SessionRevokedEvent revoked)
        {
            foreach (var connection in _connections.Where(c => c.SessionKey == revoked.SessionKey))
            {
                _registry.CloseRevoked(connection);
            }

            return Task.CompletedTask;
        }

        if (item is MessageCreatedEvent { Message: { } created } && !_created.TryPass(created.ConversationId, created.Seq))
        {
            return Task.CompletedTask;
        }

        var outgoing = _registry.ToWire(item, token, TicketFor(item));
        foreach (var connection in _connections)
        {
            connection.Offer(outgoing);
        }

        return Task.CompletedTask;
    }

    /// <summary>Moves a per-conversation high-water mark up to <paramref name="seq"/>; false when it already was there.</summary>
    private static bool Raise(Dictionary<Guid, long> marks, Guid conversationId, long seq)
    {
        lock (marks)
        {
            if (marks.TryGetValue(conversationId, out var upTo) && seq <= upTo)
            {
                return false;
            }

            marks[conversationId] = seq;
            return true;
        }
    }

    public Task OnResyncRequiredAsync(StreamSequenceToken latest)
    {
        foreach (var connection in _connections)
        {
            connection.OfferResync(latest);
        }

        return Task.CompletedTask;
    }

    /// <summary>A new message of someone else counts as delivered once a connection of this user got it.</summary>
    public DeliveryTicket? TicketFor(UserEvent item) =>
        item is MessageCreatedEvent { Message: { SenderId: { } sender } message } && sender != UserId
            ? new DeliveryTicket(() => ReportDelivered(message.ConversationId, message.Seq))
            : null;

    /// <summary>Tells the conversation, once per conversation and position (receipts: "delivered").</summary>
    public void ReportDelivered(Guid conversationId, long seq)
    {
        if (!Raise(_deliveredUpTo, conversationId, seq))
        {
            return;
        }

        _registry.ReportDelivered(UserId, conversationId, seq);
    }
}
