using System.Collections.Immutable;
using Chat.Grains;

namespace Chat.Frontend.Realtime;

/// <summary>
/// One user's events on this frontend, fanned out to each of the user's connections here in log
/// order, without repeats or gaps. Events arrive on this frontend's stream (one for all users);
/// this feed keeps the newest position it passed on, drops what it already had, and fills a gap —
/// a stream event lost with a silo, a subscription lost with a gateway, or what its lease renewal
/// says the log holds beyond it — from the user's event log. When the log restarted (a new epoch)
/// the connections are told to resync. It also keeps the user's presence lease in the user grain at
/// the number of connections held here; the lease is also what makes the user grain send this
/// frontend the user's events.
/// </summary>
internal sealed class UserFeed
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ConnectionRegistry _registry;
    private readonly Dictionary<Guid, long> _deliveredUpTo = [];
    private readonly PassedMessages _created = new();
    private ImmutableArray<ConnectionFeed> _connections = [];
    private EventPosition? _last;
    private bool _closed;

    public UserFeed(Guid userId, ConnectionRegistry registry)
    {
        UserId = userId;
        _registry = registry;
    }

    public Guid UserId { get; }

    public int ConnectionCount => _connections.Length;

    public ImmutableArray<ConnectionFeed> Connections => _connections;

    /// <summary>Adds a connection (the first one registers this frontend with the user grain); false when this feed already closed (take a new one).</summary>
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
            var latest = await _registry.RenewPresenceAsync(UserId, _connections.Length);
            // The first connection starts from the log's newest position: what came before it is the client's Resume.
            _last ??= latest;
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Removes a connection; the last one ends the presence lease (and so the events sent here).</summary>
    public async Task RemoveAsync(ConnectionFeed connection)
    {
        await _lock.WaitAsync();
        try
        {
            _connections = _connections.Remove(connection);
            if (_connections.IsEmpty && !_closed)
            {
                _closed = true;
                _registry.Forget(this);
            }

            await _registry.RenewPresenceAsync(UserId, _connections.Length);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Renews the presence lease (periodically, so a crashed frontend's users go offline by
    /// themselves; and after a gateway change) and catches up with the log when it is ahead.
    /// </summary>
    public async Task RenewAsync()
    {
        await _lock.WaitAsync();
        try
        {
            if (_closed)
            {
                return;
            }

            if (await _registry.RenewPresenceAsync(UserId, _connections.Length) is { } latest)
            {
                if (_last is not { } last)
                {
                    _last = latest;
                }
                else if (latest.Epoch != last.Epoch || latest.Seq > last.Seq)
                {
                    await CatchUpLockedAsync();
                }
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>An event of this user from the stream.</summary>
    public async Task OnEnvelopeAsync(UserEventEnvelope envelope)
    {
        await _lock.WaitAsync();
        try
        {
            if (_closed)
            {
                return;
            }

            if (envelope.Position is not { } position)
            {
                OfferEphemeral(envelope.Event);
            }
            else if (_last is not { } last)
            {
                Deliver(position, envelope.Event);
            }
            else if (position.Epoch == last.Epoch)
            {
                if (position.Seq == last.Seq + 1)
                {
                    Deliver(position, envelope.Event);
                }
                else if (position.Seq > last.Seq + 1)
                {
                    await CatchUpLockedAsync();
                }

                // else: a repeat (the same event through a re-created subscription).
            }
            else if (position.Epoch > last.Epoch)
            {
                await CatchUpLockedAsync();
            }

            // else: late from an epoch already left behind.
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Reads what the log holds after the newest position passed on and passes it on; a restarted log means resync.</summary>
    private async Task CatchUpLockedAsync()
    {
        var from = _last!.Value;
        EventReplay replay;
        try
        {
            replay = await _registry.ReadEventsAsync(UserId, from);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The user grain is unreachable for now: the next event or lease renewal tries again.
            _registry.CatchUpFailed(UserId, exception);
            return;
        }

        if (replay.TooOld)
        {
            foreach (var connection in _connections)
            {
                connection.OfferResync(replay.Latest);
            }

            _last = replay.Latest;
            return;
        }

        foreach (var evt in replay.Events)
        {
            if (evt.Position.Seq > _last.Value.Seq)
            {
                Deliver(evt.Position, evt.Event);
            }
        }
    }

    private void Deliver(EventPosition position, UserEvent evt)
    {
        _last = position;
        // A notice retried after a silo died repeats its messageCreated at a new position: clients get it once.
        if (evt is MessageCreatedEvent { Message: { } created } && !_created.TryPass(created.ConversationId, created.Seq))
        {
            return;
        }

        var outgoing = _registry.ToWire(evt, position, TicketFor(evt));
        foreach (var connection in _connections)
        {
            connection.Offer(outgoing);
        }
    }

    private void OfferEphemeral(UserEvent evt)
    {
        if (evt is SessionRevokedEvent revoked)
        {
            foreach (var connection in _connections.Where(c => c.SessionKey == revoked.SessionKey))
            {
                _registry.CloseRevoked(connection);
            }

            return;
        }

        var outgoing = _registry.ToWire(evt, null, null);
        foreach (var connection in _connections)
        {
            connection.Offer(outgoing);
        }
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
