using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using Chat.Runtime.Invocation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;

namespace Chat.Runtime.Messaging;

/// <summary>What a process tells its peers in the handshake.</summary>
internal sealed record HelloMessage(string Role, string ClusterId, string? SiloAddress, string? ClientId);

/// <summary>A request that arrived over a connection, with the routing facts from its header.</summary>
internal readonly record struct IncomingRequest(GrainRequest Request, long SenderViewVersion, Connection Connection);

/// <summary>
/// Remote calls of one process (silo or cluster client): correlation of requests and responses,
/// outbound connections with reconnect and backoff, the handshake, timeouts of calls in flight,
/// and failing every call of a peer at once when it is lost.
/// </summary>
internal sealed partial class MessageCenter : IFrameHandler, IAsyncDisposable
{
    /// <summary>How long a stream push waits for a connection to its subscriber's silo before it is dropped.</summary>
    private static readonly TimeSpan StreamPushPatience = TimeSpan.FromSeconds(10);

    /// <summary>More silos than any cluster of ours has: a longer chain is a malformed frame.</summary>
    private const int MaxChainLength = 64;

    private readonly ConcurrentDictionary<long, PendingCall> _pending = new();
    private readonly ConcurrentDictionary<SiloAddress, OutboundPeer> _peers = new();
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly ConcurrentDictionary<string, Connection> _clients = new(StringComparer.Ordinal);
    private readonly ObjectPool<FrameBuilder> _builders = new DefaultObjectPool<FrameBuilder>(new DefaultPooledObjectPolicy<FrameBuilder>(), 64);
    private HelloMessage _hello;
    private readonly JsonSerializerOptions _json;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _timeoutTimer;
    private readonly int _sendQueueCapacity;
    private long _nextCorrelationId;
    private long _incomingInFlight;
    private long _lastIncomingTicks;
    private volatile bool _disposed;
    private int _connectAttempts;

    public MessageCenter(HelloMessage hello, JsonSerializerOptions json, TimeProvider time, ILogger logger, TimeSpan timeoutCheckInterval, int sendQueueCapacity)
    {
        _hello = hello;
        _json = json;
        _time = time;
        _logger = logger;
        _sendQueueCapacity = sendQueueCapacity;
        _timeoutTimer = time.CreateTimer(static s => ((MessageCenter)s!).ExpirePending(), this, timeoutCheckInterval, timeoutCheckInterval);
    }

    /// <summary>Requests that arrived (silos only).</summary>
    public Action<IncomingRequest>? OnRequest { get; set; }

    /// <summary>Requests answered "moved" or "unavailable": not executed, to be routed again.</summary>
    public Action<GrainRequest, long>? OnRerouteNeeded { get; set; }

    /// <summary>Stream events pushed by silos (clients and silos).</summary>
    public Action<Connection, ReadOnlySequence<byte>>? OnStreamEvent { get; set; }

    /// <summary>A peer's handshake arrived.</summary>
    public Action<Connection, HelloMessage>? OnHello { get; set; }

    public int PendingCount => _pending.Count;

    /// <summary>Requests received and not answered yet.</summary>
    public long IncomingInFlight => Interlocked.Read(ref _incomingInFlight);

    /// <summary>
    /// Waits until nothing is in flight in either direction and no request arrived for a short
    /// quiet period (a leaving silo answers everything before it says goodbye).
    /// </summary>
    public async Task DrainAsync(TimeSpan quietPeriod, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var quietFor = TimeSpan.FromTicks(DateTime.UtcNow.Ticks - Interlocked.Read(ref _lastIncomingTicks));
            if (IncomingInFlight == 0 && _pending.IsEmpty && quietFor >= quietPeriod)
            {
                return;
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <summary>Sets what later handshakes say (the silo learns its address after binding).</summary>
    public void UpdateHello(HelloMessage hello) => _hello = hello;

    public JsonSerializerOptions SerializerOptions => _json;

    /// <summary>Sends a request to a silo. Its outcome arrives on the request.</summary>
    /// <remarks>
    /// <paramref name="targetLeaving"/>: the sender's view has the target shutting down. Such a
    /// silo refuses every request, so if the connection is lost the request is re-routed rather
    /// than failed: it cannot have run.
    /// </remarks>
    public void SendRequest(SiloAddress target, GrainRequest request, long viewVersion, bool targetLeaving = false)
    {
        if (_disposed)
        {
            request.TryFail(new SiloUnavailableException("This process is shutting down."));
            return;
        }

        OutgoingFrame frame;
        var id = Interlocked.Increment(ref _nextCorrelationId);
        try
        {
            frame = EncodeRequest(request, id, viewVersion);
        }
        catch (Exception ex)
        {
            request.TryFail(ex);
            return;
        }

        if (!request.IsOneWay)
        {
            request.CorrelationId = id;
            _pending[id] = new PendingCall(request, target, targetLeaving);
        }

        var peer = Peer(target);
        if (peer.Connected is { IsClosed: false } connection && connection.TrySend(frame))
        {
            return;
        }

        _ = SendSlowAsync(peer, frame, request, id);
    }

    private async Task SendSlowAsync(OutboundPeer peer, OutgoingFrame frame, GrainRequest request, long id)
    {
        try
        {
            var connection = await peer.GetConnectionAsync(request.DeadlineTimestamp).ConfigureAwait(false);
            await connection.SendAsync(frame).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            frame.Return();
            if (request.IsOneWay || _pending.TryRemove(id, out _))
            {
                request.TryFail(ex as SiloUnavailableException ?? new SiloUnavailableException($"Silo {peer.Address} is unreachable: {ex.Message}", ex));
            }
        }
    }

    /// <summary>Fails every call to a silo and forgets its connection (it was declared dead or left).</summary>
    public void DisconnectSilo(SiloAddress silo, string reason)
    {
        if (_peers.TryRemove(silo, out var peer))
        {
            peer.MarkDead();
        }

        FailPending(p => p.Target == silo, () => new SiloUnavailableException($"Silo {silo} is unavailable: {reason}."));
    }

    /// <summary>Sends a stream event to a cluster client connected to this process; dropped if it is not.</summary>
    public void SendStreamEventToClient(string clientId, Action<FrameBuilder> writeBody)
    {
        if (_clients.TryGetValue(clientId, out var connection) && !connection.IsClosed)
        {
            SendStreamEvent(connection, writeBody);
        }
    }

    /// <summary>This process's connection to <paramref name="silo"/>, connecting (with backoff) until the deadline (a <see cref="TimeProvider"/> timestamp; 0 = none).</summary>
    internal Task<Connection> GetConnectionAsync(SiloAddress silo, long deadlineTimestamp) =>
        Peer(silo).GetConnectionAsync(deadlineTimestamp);

    private OutboundPeer Peer(SiloAddress silo) => _peers.GetOrAdd(silo, static (address, self) => new OutboundPeer(address, self), this);

    /// <summary>Sends a stream event to another silo over this process's connection to it.</summary>
    public void SendStreamEventToSilo(SiloAddress silo, Action<FrameBuilder> writeBody)
    {
        var peer = Peer(silo);
        if (peer.Connected is { IsClosed: false } connection)
        {
            SendStreamEvent(connection, writeBody);
            return;
        }

        var frame = BuildStreamEvent(writeBody);
        _ = SendStreamEventSlowAsync(peer, frame);
    }

    private async Task SendStreamEventSlowAsync(OutboundPeer peer, OutgoingFrame frame)
    {
        try
        {
            // Bounded: a push for a silo that is gone would otherwise retry (and hold its frame)
            // until that silo is declared dead, or for ever if it already was.
            var connection = await peer.GetConnectionAsync(_time.GetTimestamp() + Timestamps.FromTimeSpan(_time, StreamPushPatience)).ConfigureAwait(false);
            await connection.SendAsync(frame).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The subscriber silo is gone; subscribers catch up from the replay buffer when they renew.
            frame.Return();
        }
    }

    private OutgoingFrame BuildStreamEvent(Action<FrameBuilder> writeBody)
    {
        var builder = _builders.Get();
        try
        {
            builder.Begin(FrameType.StreamEvent, 0);
            writeBody(builder);
            return builder.Complete();
        }
        finally
        {
            _builders.Return(builder);
        }
    }

    /// <summary>Sends a stream event frame to a connection (fire and forget, in order per connection).</summary>
    public void SendStreamEvent(Connection connection, Action<FrameBuilder> writeBody)
    {
        var builder = _builders.Get();
        try
        {
            builder.Begin(FrameType.StreamEvent, 0);
            writeBody(builder);
            var frame = builder.Complete();
            if (!connection.TrySend(frame))
            {
                _ = SendOrDropAsync(connection, frame);
            }
        }
        finally
        {
            _builders.Return(builder);
        }
    }

    private static async Task SendOrDropAsync(Connection connection, OutgoingFrame frame)
    {
        try
        {
            await connection.SendAsync(frame).ConfigureAwait(false);
        }
        catch (SiloUnavailableException)
        {
            // The peer is gone (a subscriber's lease will expire; a caller fails on the lost connection).
            frame.Return();
        }
    }

    /// <summary>Accepts an inbound connection (from the silo's listener).</summary>
    public void Accept(Socket socket)
    {
        var connection = new Connection(socket, this, _sendQueueCapacity);
        _connections[connection] = 0;
        connection.Start();
        SendHello(connection);
    }

    /// <summary>Outbound connection attempts so far (for tests of the backoff).</summary>
    internal int ConnectAttempts => Volatile.Read(ref _connectAttempts);

    private async Task<Connection> ConnectAsync(SiloAddress address)
    {
        Interlocked.Increment(ref _connectAttempts);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(address.EndPoint, timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new Connection(socket, this, _sendQueueCapacity) { Peer = address };
        _connections[connection] = 0;
        connection.Start();
        SendHello(connection);
        return connection;
    }

    private void SendHello(Connection connection)
    {
        var builder = _builders.Get();
        try
        {
            builder.Begin(FrameType.Hello, 0);
            var json = builder.Json();
            JsonSerializer.Serialize(json, _hello, _json);
            json.Flush();
            var hello = builder.Complete();
            if (!connection.TrySend(hello))
            {
                hello.Return();
            }
        }
        finally
        {
            _builders.Return(builder);
        }
    }

    /// <summary>Answers a request that arrived over a connection.</summary>
    public void SendResponse<T>(Connection connection, long correlationId, T result)
    {
        var builder = _builders.Get();
        OutgoingFrame frame;
        try
        {
            builder.Begin(FrameType.Response, correlationId);
            builder.WriteByte((byte)ResponseStatus.Ok);
            builder.WriteInt64(0);
            var json = builder.Json();
            JsonSerializer.Serialize(json, result, _json);
            json.Flush();
            frame = builder.Complete();
        }
        catch (Exception ex)
        {
            _builders.Return(builder);
            SendError(connection, correlationId, ex);
            return;
        }

        _builders.Return(builder);
        Send(connection, frame);
    }

    public void SendError(Connection connection, long correlationId, Exception exception)
    {
        var builder = _builders.Get();
        try
        {
            builder.Begin(FrameType.Response, correlationId);
            builder.WriteByte((byte)ResponseStatus.Exception);
            builder.WriteInt64(0);
            builder.WriteBytes(ExceptionCodec.Encode(exception, _json));
            Send(connection, builder.Complete());
        }
        finally
        {
            _builders.Return(builder);
        }
    }

    /// <summary>Tells the sender the request was not executed here and must be routed again.</summary>
    public void SendReroute(Connection connection, long correlationId, ResponseStatus status, long viewVersion)
    {
        var builder = _builders.Get();
        try
        {
            builder.Begin(FrameType.Response, correlationId);
            builder.WriteByte((byte)status);
            builder.WriteInt64(viewVersion);
            Send(connection, builder.Complete());
        }
        finally
        {
            _builders.Return(builder);
        }
    }

    private static void Send(Connection connection, OutgoingFrame frame)
    {
        if (!connection.TrySend(frame))
        {
            _ = SendOrDropAsync(connection, frame);
        }
    }

    private OutgoingFrame EncodeRequest(GrainRequest request, long correlationId, long viewVersion)
    {
        var builder = _builders.Get();
        try
        {
            builder.Begin(FrameType.Request, correlationId);
            builder.WriteByte((byte)(request.IsOneWay ? RequestFrameFlags.OneWay : RequestFrameFlags.None));
            var remaining = request.DeadlineTimestamp == 0 ? -1 : (int)Math.Clamp(_time.GetElapsedTime(_time.GetTimestamp(), request.DeadlineTimestamp).TotalMilliseconds, 0, int.MaxValue);
            builder.WriteInt32(remaining);
            builder.WriteInt64(viewVersion);
            var chain = request.Chain ?? [];
            builder.WriteByte((byte)chain.Length);
            foreach (var silo in chain)
            {
                builder.WriteInt64(silo);
            }

            builder.WriteString(request.Target.Type);
            builder.WriteString(request.Target.Key);
            builder.WriteString(request.InterfaceName);
            builder.WriteInt32(request.MethodId);
            var json = builder.Json();
            request.WriteArguments(json, _json);
            json.Flush();
            return builder.Complete();
        }
        finally
        {
            _builders.Return(builder);
        }
    }

    void IFrameHandler.OnFrame(Connection connection, FrameType type, long correlationId, ReadOnlySequence<byte> body)
    {
        switch (type)
        {
            case FrameType.Response:
                OnResponse(correlationId, body);
                break;
            case FrameType.Request:
                OnRequestFrame(connection, correlationId, body);
                break;
            case FrameType.StreamEvent:
                OnStreamEvent?.Invoke(connection, body);
                break;
            case FrameType.Hello:
                var hello = JsonSerializer.Deserialize<HelloMessage>(body.ToArray(), _json)!;
                if (hello.ClusterId != _hello.ClusterId)
                {
                    LogWrongCluster(_logger, connection.RemoteEndPoint, hello.ClusterId);
                    connection.Close(new InvalidDataException($"Peer belongs to cluster '{hello.ClusterId}'."));
                    return;
                }

                if (hello is { Role: "client", ClientId: { } clientId })
                {
                    connection.Peer = "client:" + clientId;
                    _clients[clientId] = connection;
                }

                OnHello?.Invoke(connection, hello);
                break;
            case FrameType.Ping:
                Send(connection, Pong(correlationId));
                break;
            default:
                break;
        }
    }

    private OutgoingFrame Pong(long correlationId)
    {
        var builder = _builders.Get();
        try
        {
            builder.Begin(FrameType.Pong, correlationId);
            return builder.Complete();
        }
        finally
        {
            _builders.Return(builder);
        }
    }

    private void OnResponse(long correlationId, ReadOnlySequence<byte> body)
    {
        if (!_pending.TryRemove(correlationId, out var pending))
        {
            return; // Timed out already.
        }

        var reader = new FrameBodyReader(body);
        var status = (ResponseStatus)reader.ReadByte();
        var viewVersion = reader.ReadInt64();
        var request = pending.Request;
        switch (status)
        {
            case ResponseStatus.Ok:
                // Completing runs the caller's continuation; keep the receive loop free of it.
                var payload = reader.Rest.ToArray();
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.request.CompleteFromJson(new ReadOnlySequence<byte>(s.payload), s.json), (request, payload, json: _json), preferLocal: false);
                break;
            case ResponseStatus.Exception:
                var exception = ExceptionCodec.Decode(reader.Rest.ToArray(), _json);
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.request.TryFail(s.exception), (request, exception), preferLocal: false);
                break;
            default:
                var reroute = OnRerouteNeeded;
                if (reroute is null)
                {
                    request.TryFail(new SiloUnavailableException($"Silo {pending.Target} did not accept the call."));
                }
                else
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static s => s.reroute(s.request, s.viewVersion), (reroute, request, viewVersion), preferLocal: false);
                }

                break;
        }
    }

    private void OnRequestFrame(Connection connection, long correlationId, ReadOnlySequence<byte> body)
    {
        var reader = new FrameBodyReader(body);
        GrainRequest request;
        long viewVersion;
        bool oneWay;
        try
        {
            oneWay = ((RequestFrameFlags)reader.ReadByte() & RequestFrameFlags.OneWay) != 0;
            var remainingMs = reader.ReadInt32();
            viewVersion = reader.ReadInt64();
            var chain = ReadChain(ref reader);
            var grainType = reader.ReadString();
            var grainKey = reader.ReadString();
            var interfaceName = reader.ReadString();
            var methodId = reader.ReadInt32();
            request = RequestFactory?.Invoke(interfaceName, methodId) ?? throw new InvalidOperationException("This process does not accept requests.");
            var json = new Utf8JsonReader(reader.Rest);
            json.Read();
            request.ReadArguments(ref json, _json);
            request.Target = new GrainId(grainType, grainKey);
            request.Chain = chain;
            var now = _time.GetTimestamp();
            request.SentTimestamp = now;
            request.DeadlineTimestamp = remainingMs < 0 ? 0 : now + Timestamps.FromTimeSpan(_time, TimeSpan.FromMilliseconds(Math.Max(1, remainingMs)));
        }
        catch (Exception ex)
        {
            SendError(connection, correlationId, ex);
            return;
        }

        request.CorrelationId = correlationId;
        Interlocked.Exchange(ref _lastIncomingTicks, DateTime.UtcNow.Ticks);
        if (!oneWay)
        {
            Interlocked.Increment(ref _incomingInFlight);
        }

        request.ResponseSink = oneWay ? OneWaySink : new ConnectionResponseSink(this, connection, correlationId);
        var handler = OnRequest;
        if (handler is null)
        {
            request.TryFail(new SiloUnavailableException("This process does not accept requests."));
            return;
        }

        handler(new IncomingRequest(request, viewVersion, connection));
    }

    private static long[]? ReadChain(ref FrameBodyReader reader)
    {
        var count = reader.ReadByte();
        if (count == 0)
        {
            return null;
        }

        if (count > MaxChainLength)
        {
            throw new InvalidDataException($"A call chain of {count} silos is longer than {MaxChainLength}.");
        }

        var chain = new long[count];
        for (var i = 0; i < count; i++)
        {
            chain[i] = reader.ReadInt64();
        }

        return chain;
    }

    /// <summary>Makes an empty request for (interface name, method id); silos set it.</summary>
    public Func<string, int, GrainRequest>? RequestFactory { get; set; }

    /// <summary>Where failures of incoming one-way requests go.</summary>
    public IResponseSink OneWaySink { get; set; } = new DiscardingSink();

    void IFrameHandler.OnClosed(Connection connection, Exception? error)
    {
        _connections.TryRemove(connection, out _);
        if (connection.Peer is string client && client.StartsWith("client:", StringComparison.Ordinal))
        {
            _clients.TryRemove(KeyValuePair.Create(client["client:".Length..], connection));
        }

        if (connection.Peer is SiloAddress silo)
        {
            if (_peers.TryGetValue(silo, out var peer))
            {
                peer.OnConnectionClosed(connection);
            }

            if (!_disposed)
            {
                LogConnectionLost(_logger, silo.ToString(), error?.Message ?? "closed");
            }

            FailPending(p => p.Target == silo, () => new SiloUnavailableException($"Connection to silo {silo} was lost.", error));
        }

        ConnectionClosed?.Invoke(connection);
    }

    /// <summary>Raised after any connection closes (silos drop client subscriptions with it).</summary>
    public Action<Connection>? ConnectionClosed { get; set; }

    private void FailPending(Func<PendingCall, bool> predicate, Func<Exception> error)
    {
        var reroute = OnRerouteNeeded;
        foreach (var (id, pending) in _pending)
        {
            if (predicate(pending) && _pending.TryRemove(id, out _))
            {
                if (pending.TargetLeaving && reroute is not null && !_disposed)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static s => s.reroute(s.Request, 0), (reroute, pending.Request), preferLocal: false);
                }
                else
                {
                    pending.Request.TryFail(error());
                }
            }
        }
    }

    private void ExpirePending()
    {
        var now = _time.GetTimestamp();
        foreach (var (id, pending) in _pending)
        {
            var deadline = pending.Request.DeadlineTimestamp;
            if (deadline > 0 && deadline <= now && _pending.TryRemove(id, out _))
            {
                pending.Request.TryFail(Activation.Catalog.TimeoutException(pending.Request));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _timeoutTimer.DisposeAsync().ConfigureAwait(false);
        foreach (var peer in _peers.Values)
        {
            peer.MarkDead();
        }

        // Answers already queued still go out before the sockets close.
        await Task.WhenAll(_connections.Keys.Select(c => c.CloseGracefullyAsync(TimeSpan.FromSeconds(5)))).ConfigureAwait(false);
        FailPending(_ => true, () => new SiloUnavailableException("This process is shutting down."));
    }

    /// <summary>Drops every connection at once without a goodbye (test cluster's kill).</summary>
    public void Abort()
    {
        _disposed = true;
        _timeoutTimer.Dispose();
        foreach (var connection in _connections.Keys)
        {
            connection.Close(null);
        }
    }

    [LoggerMessage(2001, LogLevel.Warning, "Rejected connection from {RemoteEndPoint}: cluster '{ClusterId}' is not ours")]
    private static partial void LogWrongCluster(ILogger logger, string remoteEndPoint, string clusterId);

    [LoggerMessage(2002, LogLevel.Information, "Connection to silo {Silo} lost: {Reason}")]
    private static partial void LogConnectionLost(ILogger logger, string silo, string reason);

    private readonly record struct PendingCall(GrainRequest Request, SiloAddress Target, bool TargetLeaving);

    private sealed class DiscardingSink : IResponseSink
    {
        public void OnResult<T>(GrainRequest<T> request, T result)
        {
        }

        public void OnException(GrainRequest request, Exception exception)
        {
        }
    }

    /// <summary>Marks sinks that answer a caller in another process.</summary>
    internal interface IRemoteResponseSink : IResponseSink;

    /// <summary>
    /// Writes a request's outcome back on the connection it came from, under the caller's correlation
    /// id: kept here, because a request passed on to another silo gets a new id for that hop.
    /// </summary>
    private sealed class ConnectionResponseSink(MessageCenter center, Connection connection, long correlationId) : IRemoteResponseSink
    {
        public void OnResult<T>(GrainRequest<T> request, T result)
        {
            center.SendResponse(connection, correlationId, result);
            Interlocked.Decrement(ref center._incomingInFlight);
        }

        public void OnException(GrainRequest request, Exception exception)
        {
            Answer(request, exception);
            Interlocked.Decrement(ref center._incomingInFlight);
        }

        private void Answer(GrainRequest request, Exception exception)
        {
            switch (exception)
            {
                case RerouteException reroute:
                    center.SendReroute(connection, correlationId, reroute.Status, reroute.ViewVersion);
                    break;
                default:
                    center.SendError(connection, correlationId, exception);
                    break;
            }
        }
    }

    /// <summary>An outbound connection to one silo, with reconnect and exponential backoff.</summary>
    private sealed class OutboundPeer(SiloAddress address, MessageCenter center)
    {
        private readonly object _lock = new();
        private Task<Connection>? _connecting;
        private int _failures;
        private long _nextAttemptTicks;
        private bool _dead;

        public SiloAddress Address => address;

        public Connection? Connected { get; private set; }

        public void MarkDead()
        {
            Connection? connection;
            lock (_lock)
            {
                _dead = true;
                connection = Connected;
                Connected = null;
            }

            connection?.Close(null);
        }

        public void OnConnectionClosed(Connection connection)
        {
            lock (_lock)
            {
                if (Connected == connection)
                {
                    Connected = null;
                }
            }
        }

        public async Task<Connection> GetConnectionAsync(long deadlineTimestamp)
        {
            while (true)
            {
                Task<Connection> attempt;
                lock (_lock)
                {
                    if (_dead)
                    {
                        throw new SiloUnavailableException($"Silo {address} is dead.");
                    }

                    if (Connected is { IsClosed: false } connected)
                    {
                        return connected;
                    }

                    // Callers arriving during an attempt share it; after a failure the next one waits
                    // out the backoff first.
                    var wait = TimeSpan.FromTicks(_nextAttemptTicks - DateTime.UtcNow.Ticks);
                    attempt = _connecting ??= AttemptAsync(wait);
                }

                try
                {
                    return await attempt.ConfigureAwait(false);
                }
                catch (Exception) when (deadlineTimestamp == 0 || center._time.GetTimestamp() < deadlineTimestamp)
                {
                    // Retry after the backoff until the call's deadline.
                    if (_dead)
                    {
                        throw new SiloUnavailableException($"Silo {address} is dead.");
                    }
                }
            }
        }

        /// <summary>
        /// One connection attempt, after <paramref name="wait"/> (the backoff). It is stored in
        /// <see cref="_connecting"/> under the lock and clears that field when it ends, so it must not
        /// end before it was stored: a <c>connect()</c> can fail or succeed synchronously, hence it
        /// always starts on the thread pool (docs/runtime/messaging.md, "Outbound connections").
        /// </summary>
        private async Task<Connection> AttemptAsync(TimeSpan wait)
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }
            else
            {
                await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            }

            try
            {
                var connection = await center.ConnectAsync(address).ConfigureAwait(false);
                lock (_lock)
                {
                    _failures = 0;
                    _connecting = null;
                    if (_dead)
                    {
                        connection.Close(null);
                        throw new SiloUnavailableException($"Silo {address} is dead.");
                    }

                    Connected = connection;
                }

                return connection;
            }
            catch (Exception ex) when (ex is not SiloUnavailableException)
            {
                lock (_lock)
                {
                    _failures++;
                    _nextAttemptTicks = DateTime.UtcNow.Ticks + Math.Min(TimeSpan.TicksPerSecond * 2, TimeSpan.TicksPerMillisecond * 50 * (1L << Math.Min(_failures, 6)));
                    _connecting = null;
                }

                throw new SiloUnavailableException($"Cannot connect to silo {address}: {ex.Message}", ex);
            }
        }
    }
}

/// <summary>Thrown into a request's sink to answer "not executed here, route again".</summary>
internal sealed class RerouteException(ResponseStatus status, long viewVersion) : Exception("The request must be routed again.")
{
    public ResponseStatus Status { get; } = status;

    public long ViewVersion { get; } = viewVersion;
}
