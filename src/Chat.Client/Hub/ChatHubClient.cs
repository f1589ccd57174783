using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Chat.Client.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chat.Client;

/// <summary>
/// A SignalR hub connection (JSON protocol over WebSockets) with the chat hub's resume semantics,
/// shaped like the official <c>HubConnection</c>: <see cref="ConnectAsync"/>, <see cref="InvokeAsync{T}"/>,
/// <see cref="SendAsync"/>, <see cref="On{T}(string, Func{T, Task})"/>, <see cref="Closed"/>, automatic reconnect.
/// </summary>
/// <remarks>
/// <para>
/// Server events are handed to the handlers one at a time, in arrival order, on a per-client
/// dispatch loop (never on the receive loop, so a handler may itself invoke hub methods).
/// </para>
/// <para>
/// Events whose first argument carries <c>epoch</c> and <c>seq</c> (the user's event position) are
/// delivered exactly once and in order: duplicates are dropped, and after a reconnect the client calls
/// <see cref="ChatHubClientOptions.ResumeMethod"/> with the last position it processed and delivers the
/// missed events before any newer one. If the server answers <c>{resync: true}</c>,
/// <see cref="ResyncRequired"/> is raised (in event order) and the client reloads its state by REST.
/// A jump in the position of a live event is treated the same way: the client asks the server for what
/// lies between. Events without a position (typing, presence) are delivered as they come.
/// </para>
/// <para>
/// Nothing here holds a thread: a connection is an async receive loop, a timer and a dispatch loop,
/// so one process can hold thousands of clients.
/// </para>
/// </remarks>
public sealed class ChatHubClient : IAsyncDisposable, IHubConnectionOwner
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly ChatHubClientOptions _options;
    private readonly ILogger _logger;
    private readonly JsonSerializerOptions _json;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly IReadOnlyList<Uri> _urls;
    private readonly SemaphoreSlim _stateLock = new(1, 1);
    private readonly Channel<DispatchItem> _queue = Channel.CreateUnbounded<DispatchItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, HandlerEntry[]> _handlers = new(StringComparer.Ordinal);
    private readonly Lock _handlersLock = new();
    private readonly Lock _positionLock = new();
    private readonly Task _dispatchLoop;
    private HubSocketConnection? _connection;
    private CancellationTokenSource _session = new();
    private Task _reconnectLoop = Task.CompletedTask;
    private int _state;
    private int _generation;
    private int _urlIndex;
    private int _skipUrls;
    private bool _disposed;

    // Touched only by the dispatch loop (except _last, which is read under _positionLock).
    private EventPosition? _last;
    private int _readyGeneration = -1;
    private HubSocketConnection? _readyConnection;

    /// <summary>Creates a client; nothing is sent until <see cref="ConnectAsync"/>.</summary>
    public ChatHubClient(ChatHubClientOptions options, ILogger<ChatHubClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Url);
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _json = options.SerializerOptions ?? ChatJson.Options;
        _http = options.HttpClient ?? new HttpClient();
        _ownsHttp = options.HttpClient is null;
        _urls = [options.Url, .. options.AlternateUrls];
        _last = options.InitialPosition;
        _dispatchLoop = Task.Run(DispatchLoopAsync);
    }

    /// <summary>
    /// Raised when the client stops for good: after <see cref="StopAsync"/> (null), after a server close
    /// that forbids reconnecting, or when the reconnect policy gave up (the last error).
    /// </summary>
    public event Func<Exception?, Task>? Closed;

    /// <summary>Raised when the connection was lost and reconnecting starts (with the reason).</summary>
    public event Func<Exception?, Task>? Reconnecting;

    /// <summary>Raised when a reconnect attempt succeeded (with the new connection id); missed events follow via resume.</summary>
    public event Func<string?, Task>? Reconnected;

    /// <summary>
    /// Raised in event order when missed events cannot be replayed: reload the inbox and catch up the
    /// conversations with <c>after=seq</c>. Events after it are new ones.
    /// </summary>
    public event Func<ResyncRequiredEventArgs, Task>? ResyncRequired;

    /// <summary>The current state.</summary>
    public HubConnectionState State => (HubConnectionState)Volatile.Read(ref _state);

    /// <summary>The connection id of the current connection (null without negotiate).</summary>
    public string? ConnectionId => Volatile.Read(ref _connection)?.ConnectionId;

    /// <summary>The URL of the current connection.</summary>
    public Uri? CurrentUrl => Volatile.Read(ref _connection)?.Url;

    /// <summary>The position of the last positioned event the handlers processed (persist it to resume later).</summary>
    public EventPosition? LastPosition
    {
        get
        {
            lock (_positionLock)
            {
                return _last;
            }
        }
    }

    /// <summary>
    /// Connects (negotiate, WebSocket, handshake) and, with <see cref="ChatHubClientOptions.ResumeMethod"/>,
    /// completes once the first <c>Resume</c> answered: from then on every event of the user reaches the
    /// handlers. Fails with <see cref="HubConnectionException"/>; no retry (reconnects happen only once connected).
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        Task ready;
        await _stateLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (State != HubConnectionState.Disconnected)
            {
                throw new InvalidOperationException($"The client is {State}; ConnectAsync needs Disconnected.");
            }

            SetState(HubConnectionState.Connecting);
            _session.Dispose();
            _session = new CancellationTokenSource();
            try
            {
                (var connection, ready) = await StartConnectionAsync(_urls[_urlIndex], cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _connection, connection);
                SetState(HubConnectionState.Connected);
            }
            catch
            {
                SetState(HubConnectionState.Disconnected);
                throw;
            }
        }
        finally
        {
            _stateLock.Release();
        }

        // Outside the lock: the dispatch loop resumes, and a handler it runs may well call StopAsync.
        await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connection and stops reconnecting; raises <see cref="Closed"/> with null.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _session.CancelAsync().ConfigureAwait(false);
        HubSocketConnection? connection;
        bool wasActive;
        await _stateLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            wasActive = State != HubConnectionState.Disconnected;
            connection = Volatile.Read(ref _connection);
            Volatile.Write(ref _connection, null);
            // A newer generation makes the closing connection's report stale.
            Interlocked.Increment(ref _generation);
            SetState(HubConnectionState.Disconnected);
        }
        finally
        {
            _stateLock.Release();
        }

        if (connection is not null)
        {
            await connection.CloseAsync(CloseTimeout).ConfigureAwait(false);
        }

        await _reconnectLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (wasActive)
        {
            await RaiseAsync(Closed, nameof(Closed), null).ConfigureAwait(false);
        }
    }

    /// <summary>Invokes a hub method and returns its result.</summary>
    /// <param name="method">The hub method.</param>
    /// <param name="arguments">Its arguments, serialised with the client's JSON settings (camelCase).</param>
    /// <param name="timeout">Limit for the completion; <see cref="ChatHubClientOptions.InvocationTimeout"/> by default.</param>
    /// <param name="cancellationToken">Stops waiting (the server may still run the method).</param>
    /// <exception cref="HubInvocationException">The server completed the call with an error (its code in <c>Error.Code</c>).</exception>
    /// <exception cref="HubConnectionException">Not connected, or the connection was lost before the completion.</exception>
    /// <exception cref="TimeoutException">No completion within the timeout.</exception>
    public async Task<T> InvokeAsync<T>(string method, object?[]? arguments = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var connection = ConnectedOrThrow(method);
        var result = await connection.InvokeAsync(method, arguments ?? [], TypeInfo<T>(), timeout ?? _options.InvocationTimeout, cancellationToken).ConfigureAwait(false);
        return result!;
    }

    /// <summary>Invokes a hub method and waits for its completion, ignoring any result.</summary>
    /// <inheritdoc cref="InvokeAsync{T}" path="/param"/>
    public Task InvokeAsync(string method, object?[]? arguments = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ConnectedOrThrow(method).InvokeAsync<JsonElement>(method, arguments ?? [], null, timeout ?? _options.InvocationTimeout, cancellationToken);

    /// <summary>Sends a hub invocation without waiting for (or getting) a completion: done once written to the socket.</summary>
    public Task SendAsync(string method, object?[]? arguments = null, CancellationToken cancellationToken = default) =>
        ConnectedOrThrow(method).SendAsync(method, arguments ?? [], cancellationToken);

    /// <summary>Handles a server event; its first argument is deserialised as <typeparamref name="T"/>. Dispose the result to remove the handler.</summary>
    public IDisposable On<T>(string eventName, Func<T, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        ArgumentNullException.ThrowIfNull(handler);
        var info = TypeInfo<T>();
        var entry = new HandlerEntry(
            argument => argument is null ? default : JsonSerializer.Deserialize(argument, info),
            argument => handler((T)argument!));
        lock (_handlersLock)
        {
            _handlers[eventName] = [.. _handlers.GetValueOrDefault(eventName, []), entry];
        }

        return new Subscription(this, eventName, entry);
    }

    /// <summary>Handles a server event synchronously; see <see cref="On{T}(string, Func{T, Task})"/>.</summary>
    public IDisposable On<T>(string eventName, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On<T>(eventName, argument =>
        {
            handler(argument);
            return Task.CompletedTask;
        });
    }

    /// <summary>Stops, delivers what is already queued, and releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        _disposed = true;
        _queue.Writer.TryComplete();
        await _dispatchLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _session.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    // ---- connection lifecycle ----------------------------------------------------------------

    /// <summary>Starts a connection; the task it also returns completes when the dispatch loop has resumed it.</summary>
    private async Task<(HubSocketConnection Connection, Task Ready)> StartConnectionAsync(Uri url, CancellationToken cancellationToken)
    {
        var generation = Interlocked.Increment(ref _generation);
        // The marker goes into the queue before the connection exists, so it precedes all of its events;
        // the dispatch loop resumes there, from the last position it processed.
        var marker = new Marker();
        _queue.Writer.TryWrite(DispatchItem.Start(generation, marker));
        try
        {
            Log.Connecting(_logger, url, generation);
            var connection = await HubSocketConnection.ConnectAsync(url, _options, _json, _http, this, generation, _logger, cancellationToken).ConfigureAwait(false);
            Log.Connected(_logger, url, generation, connection.ConnectionId);
            marker.Connected.TrySetResult(connection);
            return (connection, marker.Ready.Task);
        }
        catch
        {
            marker.Connected.TrySetResult(null);
            throw;
        }
    }

    void IHubConnectionOwner.OnClosed(HubSocketConnection connection, Exception? error, bool allowReconnect) =>
        _ = HandleClosedAsync(connection, error, allowReconnect);

    private async Task HandleClosedAsync(HubSocketConnection connection, Exception? error, bool allowReconnect)
    {
        bool reconnect;
        await _stateLock.WaitAsync().ConfigureAwait(false);
        try
        {
            // Compare generations, not references: the connection may close before ConnectAsync stored it.
            if (connection.Generation != Volatile.Read(ref _generation) || State != HubConnectionState.Connected)
            {
                return;
            }

            Volatile.Write(ref _connection, null);
            reconnect = allowReconnect && _options.AutomaticReconnect && !_session.IsCancellationRequested;
            SetState(reconnect ? HubConnectionState.Reconnecting : HubConnectionState.Disconnected);
            if (reconnect)
            {
                _reconnectLoop = ReconnectLoopAsync(error, _session.Token);
            }
        }
        finally
        {
            _stateLock.Release();
        }

        if (!reconnect)
        {
            await RaiseAsync(Closed, nameof(Closed), error).ConfigureAwait(false);
        }
    }

    private async Task ReconnectLoopAsync(Exception? reason, CancellationToken session)
    {
        await Task.Yield();
        await RaiseAsync(Reconnecting, nameof(Reconnecting), reason).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var attempts = 0;
        var lastError = reason;
        // A frontend that asked us to leave is stopping: start with the next one.
        var offset = Interlocked.Exchange(ref _skipUrls, 0);
        while (true)
        {
            var delay = _options.ReconnectPolicy(new ReconnectContext(attempts, Stopwatch.GetElapsedTime(started), lastError));
            if (delay is null)
            {
                Log.ReconnectGaveUp(_logger, attempts, Stopwatch.GetElapsedTime(started), lastError);
                await GiveUpAsync(lastError, session).ConfigureAwait(false);
                return;
            }

            var url = _urls[(_urlIndex + offset + attempts) % _urls.Count];
            Log.ReconnectAttempt(_logger, attempts + 1, url, delay.Value.TotalMilliseconds);
            try
            {
                await Task.Delay(delay.Value, session).ConfigureAwait(false);
                await _stateLock.WaitAsync(session).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                if (State != HubConnectionState.Reconnecting)
                {
                    return;
                }

                var (connection, _) = await StartConnectionAsync(url, session).ConfigureAwait(false);
                _urlIndex = (_urlIndex + offset + attempts) % _urls.Count;
                Volatile.Write(ref _connection, connection);
                SetState(HubConnectionState.Connected);
            }
            catch (Exception exception) when (!session.IsCancellationRequested)
            {
                Log.ReconnectAttemptFailed(_logger, attempts + 1, exception);
                lastError = exception;
                attempts++;
                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                _stateLock.Release();
            }

            Log.Reconnected(_logger, url, attempts + 1);
            await RaiseAsync(Reconnected, nameof(Reconnected), ConnectionId).ConfigureAwait(false);
            return;
        }
    }

    private async Task GiveUpAsync(Exception? lastError, CancellationToken session)
    {
        try
        {
            await _stateLock.WaitAsync(session).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (State != HubConnectionState.Reconnecting)
            {
                return;
            }

            SetState(HubConnectionState.Disconnected);
        }
        finally
        {
            _stateLock.Release();
        }

        await RaiseAsync(Closed, nameof(Closed), lastError).ConfigureAwait(false);
    }

    private HubSocketConnection ConnectedOrThrow(string method)
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is null || connection.IsTerminated || State != HubConnectionState.Connected)
        {
            throw new HubConnectionException($"The hub client is {State}; '{method}' needs a connection.");
        }

        return connection;
    }

    private void SetState(HubConnectionState state) => Volatile.Write(ref _state, (int)state);

    private JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)_json.GetTypeInfo(typeof(T));

    private async Task RaiseAsync<TArg>(Func<TArg, Task>? handlers, string name, TArg argument)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<Func<TArg, Task>>())
        {
            try
            {
                await handler(argument).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                Log.LifecycleHandlerFailed(_logger, name, exception);
            }
        }
    }

    // ---- event dispatch ------------------------------------------------------------------------

    void IHubConnectionOwner.OnInvocation(HubSocketConnection connection, string target, byte[]? firstArgument)
    {
        if (target == _options.ReconnectEventName)
        {
            // The frontend is stopping and will close with "do not reconnect"; leave first, so that we do.
            Interlocked.Exchange(ref _skipUrls, 1);
            connection.Abort(new HubConnectionException($"The server asked the client to reconnect ({ReasonOf(firstArgument)})."));
            return;
        }

        var position = _options.ResumeMethod is not null && firstArgument is not null ? HubProtocol.ReadPosition(firstArgument) : null;
        _queue.Writer.TryWrite(DispatchItem.Event(connection.Generation, target, firstArgument, position));
    }

    private async Task DispatchLoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                try
                {
                    if (item.Marker is { } marker)
                    {
                        try
                        {
                            await OnMarkerAsync(item.Generation, marker.Connected.Task).ConfigureAwait(false);
                        }
                        finally
                        {
                            marker.Ready.TrySetResult();
                        }
                    }
                    else
                    {
                        await OnEventAsync(item).ConfigureAwait(false);
                    }
                }
                catch (Exception exception)
                {
                    Log.HandlerFailed(_logger, item.Target ?? "(resume)", exception);
                }
            }
        }
    }

    private async Task OnMarkerAsync(int generation, Task<HubSocketConnection?> connected)
    {
        _readyGeneration = -1;
        _readyConnection = null;
        var connection = await connected.ConfigureAwait(false);
        if (connection is null)
        {
            return;
        }

        // Resume on every connection, a fresh one too (from 0:0): the chat hub holds a new connection's
        // events until Resume says where the client stands.
        if (_options.ResumeMethod is not null && !await ResumeAsync(connection, LastPosition).ConfigureAwait(false))
        {
            // Events of this connection stay undelivered; the next connection resumes from the same position.
            return;
        }

        _readyGeneration = generation;
        _readyConnection = connection;
    }

    private async Task OnEventAsync(DispatchItem item)
    {
        if (item.Position is not { } position)
        {
            await InvokeHandlersAsync(item.Target!, item.Argument).ConfigureAwait(false);
            return;
        }

        if (item.Generation != _readyGeneration)
        {
            Log.DroppedStaleEvent(_logger, item.Target!, position, item.Generation);
            return;
        }

        if (item.Target == _options.ResyncEventName)
        {
            await RaiseResyncAsync(LastPosition, "the server lost events", position).ConfigureAwait(false);
            return;
        }

        if (LastPosition is { } last)
        {
            if (position.Epoch == last.Epoch && position.Seq <= last.Seq)
            {
                return;
            }

            if (position.Epoch != last.Epoch || position.Seq != last.Seq + 1)
            {
                Log.Discontinuity(_logger, last, position);
                if (_readyConnection is { } connection && !await ResumeAsync(connection, last).ConfigureAwait(false))
                {
                    _readyGeneration = -1;
                    return;
                }

                if (LastPosition is { } now && now.Epoch == position.Epoch && position.Seq <= now.Seq)
                {
                    return;
                }

                if (LastPosition is { } still && (still.Epoch != position.Epoch || position.Seq != still.Seq + 1))
                {
                    Log.UnfilledGap(_logger, still, position);
                }
            }
        }

        await InvokeHandlersAsync(item.Target!, item.Argument).ConfigureAwait(false);
        SetLast(position);
    }

    /// <summary>
    /// Calls Resume from <paramref name="from"/> (0:0 for a fresh client) and delivers what it returns.
    /// False when the connection failed: its events must not be delivered, a later connection resumes.
    /// </summary>
    private async Task<bool> ResumeAsync(HubSocketConnection connection, EventPosition? from)
    {
        var start = from ?? default;
        JsonElement result;
        try
        {
            result = await connection.InvokeAsync(
                _options.ResumeMethod!, [start.Epoch, start.Seq], TypeInfo<JsonElement>(), _options.InvocationTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (HubInvocationException exception)
        {
            // The hub cannot resume (e.g. it has no such method): say so instead of silently missing events.
            if (from is not null)
            {
                await RaiseResyncAsync(from, $"{_options.ResumeMethod} failed: {exception.ServerMessage}", null).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception exception) when (exception is TimeoutException or HubConnectionException or JsonException)
        {
            Log.ResumeFailed(_logger, exception);
            connection.Abort(exception);
            return false;
        }

        var isObject = result.ValueKind == JsonValueKind.Object;
        // The chat hub answers the position reached with the events (or the resync).
        var reached = isObject ? HubProtocol.ReadPosition(JsonSerializer.SerializeToUtf8Bytes(result, TypeInfo<JsonElement>())) : null;
        if (isObject && result.TryGetProperty("resync", out var resync) && resync.ValueKind == JsonValueKind.True)
        {
            if (from is null)
            {
                // A fresh client has nothing to reload: it simply starts at the current position.
                SetLast(reached);
            }
            else
            {
                await RaiseResyncAsync(from, "the server cannot replay the missed events", reached).ConfigureAwait(false);
            }

            return true;
        }

        var count = 0;
        if (isObject && result.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array)
        {
            foreach (var element in events.EnumerateArray())
            {
                count++;
                await DeliverResumedAsync(element).ConfigureAwait(false);
            }
        }

        if (reached is { } position && (LastPosition is not { } last || last.Epoch != position.Epoch || position.Seq > last.Seq))
        {
            SetLast(position);
        }

        if (from is { } origin)
        {
            Log.Resumed(_logger, origin, count);
        }

        return true;
    }

    private async Task DeliverResumedAsync(JsonElement element)
    {
        var name = element.ValueKind == JsonValueKind.Object
            && element.TryGetProperty(_options.ResumedEventNameProperty, out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : "";
        var argument = JsonSerializer.SerializeToUtf8Bytes(element, TypeInfo<JsonElement>());
        var position = HubProtocol.ReadPosition(argument);
        if (position is { } p && LastPosition is { } last && p.Epoch == last.Epoch && p.Seq <= last.Seq)
        {
            return;
        }

        if (name == _options.ResyncEventName && position is { } at)
        {
            await RaiseResyncAsync(LastPosition, "the server lost events", at).ConfigureAwait(false);
            return;
        }

        await InvokeHandlersAsync(name, argument).ConfigureAwait(false);
        if (position is { } delivered)
        {
            SetLast(delivered);
        }
    }

    /// <summary>Raises <see cref="ResyncRequired"/>; from then on the client stands at <paramref name="continueAt"/> (null: the next event's position).</summary>
    private async Task RaiseResyncAsync(EventPosition? from, string reason, EventPosition? continueAt)
    {
        Log.ResyncRequired(_logger, from, reason);
        SetLast(continueAt);
        await RaiseAsync(ResyncRequired, nameof(ResyncRequired), new ResyncRequiredEventArgs(from, reason)).ConfigureAwait(false);
    }

    private static string ReasonOf(byte[]? argument)
    {
        if (argument is null)
        {
            return "no reason given";
        }

        try
        {
            using var document = JsonDocument.Parse(argument);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                ? reason.GetString()!
                : "no reason given";
        }
        catch (JsonException)
        {
            return "no reason given";
        }
    }

    private void SetLast(EventPosition? position)
    {
        lock (_positionLock)
        {
            _last = position;
        }
    }

    private async Task InvokeHandlersAsync(string target, byte[]? argument)
    {
        if (!_handlers.TryGetValue(target, out var entries) || entries.Length == 0)
        {
            Log.NoHandler(_logger, target);
            return;
        }

        foreach (var entry in entries)
        {
            try
            {
                await entry.Invoke(entry.Deserialize(argument)).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // Like SignalR: a failing handler is logged; the connection and later events go on.
                Log.HandlerFailed(_logger, target, exception);
            }
        }
    }

    private void RemoveHandler(string eventName, HandlerEntry entry)
    {
        lock (_handlersLock)
        {
            if (_handlers.TryGetValue(eventName, out var entries))
            {
                _handlers[eventName] = [.. entries.Where(e => !ReferenceEquals(e, entry))];
            }
        }
    }

    private sealed record HandlerEntry(Func<byte[]?, object?> Deserialize, Func<object?, Task> Invoke);

    private sealed class Subscription(ChatHubClient client, string eventName, HandlerEntry entry) : IDisposable
    {
        public void Dispose() => client.RemoveHandler(eventName, entry);
    }

    /// <summary>An event of a connection, or the marker that starts a connection's events.</summary>
    private readonly record struct DispatchItem(int Generation, string? Target, byte[]? Argument, EventPosition? Position, Marker? Marker)
    {
        public static DispatchItem Event(int generation, string target, byte[]? argument, EventPosition? position) =>
            new(generation, target, argument, position, null);

        public static DispatchItem Start(int generation, Marker marker) => new(generation, null, null, null, marker);
    }

    /// <summary>Where a connection's events begin: the connection once established (null if it failed), and "resumed".</summary>
    private sealed class Marker
    {
        public TaskCompletionSource<HubSocketConnection?> Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
