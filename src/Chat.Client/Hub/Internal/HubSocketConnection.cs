using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;

namespace Chat.Client.Internal;

/// <summary>What a <see cref="HubSocketConnection"/> reports to its owner; both are called on the receive loop or a timer, and must not block.</summary>
internal interface IHubConnectionOwner
{
    /// <summary>A server-to-client invocation arrived. <paramref name="firstArgument"/> is a copy the owner may keep.</summary>
    void OnInvocation(HubSocketConnection connection, string target, byte[]? firstArgument);

    /// <summary>The connection ended (called exactly once).</summary>
    void OnClosed(HubSocketConnection connection, Exception? error, bool allowReconnect);
}

/// <summary>
/// One physical hub connection: negotiate, WebSocket, handshake, a receive loop, invocations and pings.
/// It never reconnects; <see cref="ChatHubClient"/> creates a new one (a new generation) instead.
/// No thread is held: the receive loop is an async loop whose idle wait is a zero-byte read, so an idle
/// connection holds no receive buffer; one timer per connection drives pings and the server timeout.
/// </summary>
internal sealed class HubSocketConnection
{
    private readonly ClientWebSocket _socket;
    private readonly ChatHubClientOptions _options;
    private readonly JsonSerializerOptions _json;
    private readonly IHubConnectionOwner _owner;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<long, PendingInvocation> _pending = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _receiveLoopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Timer? _timer;
    private byte[]? _buffer;
    private int _buffered;
    private long _nextInvocationId;
    private long _lastReceived;
    private long _lastSent;
    private int _terminated;
    private bool _closeReceived;
    private string? _closeError;
    private bool _closeAllowReconnect;

    private HubSocketConnection(
        ClientWebSocket socket, Uri url, string? connectionId, int generation,
        ChatHubClientOptions options, JsonSerializerOptions json, IHubConnectionOwner owner, ILogger logger)
    {
        _socket = socket;
        Url = url;
        ConnectionId = connectionId;
        Generation = generation;
        _options = options;
        _json = json;
        _owner = owner;
        _logger = logger;
        _lastReceived = _lastSent = Environment.TickCount64;
    }

    /// <summary>Which connection of its <see cref="ChatHubClient"/> this is (1, 2, ...).</summary>
    public int Generation { get; }

    /// <summary>The hub URL it connected to.</summary>
    public Uri Url { get; }

    /// <summary>The connection id the server gave in negotiate (null without negotiate).</summary>
    public string? ConnectionId { get; }

    public bool IsTerminated => Volatile.Read(ref _terminated) != 0;

    /// <summary>Negotiates (unless skipped), connects the WebSocket, handshakes and starts receiving.</summary>
    public static async Task<HubSocketConnection> ConnectAsync(
        Uri hubUrl, ChatHubClientOptions options, JsonSerializerOptions json, HttpClient http,
        IHubConnectionOwner owner, int generation, ILogger logger, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var token = timeout.Token;
        try
        {
            var accessToken = options.AccessTokenProvider is { } provider ? await provider(token).ConfigureAwait(false) : options.AccessToken;
            string? connectionId = null, connectionToken = null;
            if (!options.SkipNegotiation)
            {
                (hubUrl, connectionId, connectionToken, accessToken) = await NegotiateAsync(hubUrl, accessToken, http, token).ConfigureAwait(false);
            }

            var socket = new ClientWebSocket();
            // SignalR pings keep the connection alive; WebSocket-level pings would only double the traffic.
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            options.ConfigureWebSocket?.Invoke(socket.Options);
            var connection = new HubSocketConnection(socket, hubUrl, connectionId, generation, options, json, owner, logger);
            try
            {
                await socket.ConnectAsync(WebSocketUrl(hubUrl, connectionToken, accessToken), token).ConfigureAwait(false);
                await connection.HandshakeAsync(token).ConfigureAwait(false);
            }
            catch
            {
                connection.ReturnBuffer();
                socket.Dispose();
                throw;
            }

            connection.Start();
            return connection;
        }
        catch (OperationCanceledException exception) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new HubConnectionException($"Connecting to {hubUrl} took longer than {options.ConnectTimeout.TotalSeconds:0.###} s.", exception);
        }
        catch (Exception exception) when (exception is WebSocketException or HttpRequestException or JsonException or IOException and not HubConnectionException)
        {
            throw new HubConnectionException($"Could not connect to {hubUrl}: {exception.Message}", exception);
        }
    }

    /// <summary>Invokes a hub method and waits for its completion; a null result type ignores any result.</summary>
    public async Task<T?> InvokeAsync<T>(string method, object?[] arguments, JsonTypeInfo<T>? resultType, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextInvocationId);
        var pending = new PendingInvocation<T>(method, resultType);
        _pending[id] = pending;
        // Terminate fails what is pending after setting the flag: re-check so no call is left hanging.
        if (IsTerminated && _pending.TryRemove(id, out _))
        {
            throw new HubConnectionException($"The hub connection was lost; '{method}' was not sent.");
        }

        try
        {
            await SendInvocationAsync(id, method, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _pending.TryRemove(id, out _);
            throw;
        }

        try
        {
            return await pending.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!pending.Task.IsCompleted)
        {
            _pending.TryRemove(id, out _);
            throw new TimeoutException($"The hub method '{method}' did not complete within {timeout.TotalSeconds:0.###} s.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _pending.TryRemove(id, out _);
            throw;
        }
    }

    /// <summary>Sends an invocation without an id: the server runs it and answers nothing.</summary>
    public Task SendAsync(string method, object?[] arguments, CancellationToken cancellationToken) =>
        SendInvocationAsync(null, method, arguments, cancellationToken);

    /// <summary>Closes the WebSocket politely (close frame, then a short wait for the server's), then terminates.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        if (IsTerminated)
        {
            return;
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (await _sendLock.WaitAsync(timeout).ConfigureAwait(false))
            {
                try
                {
                    if (_socket.State == WebSocketState.Open)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _sendLock.Release();
                }

                await _receiveLoopDone.Task.WaitAsync(cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or WebSocketException or ObjectDisposedException or TimeoutException)
        {
            // The close is best effort: terminating below aborts whatever is left.
        }

        Terminate(null, allowReconnect: false);
    }

    /// <summary>Ends the connection at once (e.g. a server that stopped answering).</summary>
    public void Abort(Exception reason) => Terminate(reason, allowReconnect: true);

    private static async Task<(Uri HubUrl, string? ConnectionId, string? ConnectionToken, string? AccessToken)> NegotiateAsync(
        Uri hubUrl, string? accessToken, HttpClient http, CancellationToken cancellationToken)
    {
        // Negotiate may redirect (e.g. to a SignalR service) with a new URL and token; follow a few hops.
        for (var redirects = 0; redirects < 10; redirects++)
        {
            var builder = new UriBuilder(hubUrl);
            builder.Path = builder.Path.TrimEnd('/') + "/negotiate";
            builder.Query = AppendQuery(builder.Query, "negotiateVersion=1");
            using var request = new HttpRequestMessage(HttpMethod.Post, builder.Uri) { Content = new ByteArrayContent([]) };
            if (accessToken is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            }

            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new HubConnectionException(
                    $"Negotiate with {hubUrl} answered {(int)response.StatusCode} {response.ReasonPhrase}.",
                    response.StatusCode == HttpStatusCode.Unauthorized ? new UnauthorizedAccessException("The hub refused the access token.") : null);
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
            {
                throw new HubConnectionException($"Negotiate with {hubUrl} failed: {error.GetString()}");
            }

            if (root.TryGetProperty("url", out var redirect) && redirect.ValueKind == JsonValueKind.String)
            {
                hubUrl = new Uri(redirect.GetString()!);
                if (root.TryGetProperty("accessToken", out var redirectToken) && redirectToken.ValueKind == JsonValueKind.String)
                {
                    accessToken = redirectToken.GetString();
                }

                continue;
            }

            if (root.TryGetProperty("availableTransports", out var transports) && transports.ValueKind == JsonValueKind.Array
                && transports.GetArrayLength() > 0
                && !transports.EnumerateArray().Any(t => t.TryGetProperty("transport", out var name) && name.ValueEquals("WebSockets")))
            {
                throw new HubConnectionException($"The hub at {hubUrl} does not offer WebSockets.");
            }

            var connectionId = root.TryGetProperty("connectionId", out var id) ? id.GetString() : null;
            // negotiateVersion 1 separates the public id from the token that identifies the connection.
            var connectionToken = root.TryGetProperty("connectionToken", out var ct) ? ct.GetString() : connectionId;
            return (hubUrl, connectionId, connectionToken, accessToken);
        }

        throw new HubConnectionException($"Negotiate with {hubUrl} redirected too many times.");
    }

    private static Uri WebSocketUrl(Uri hubUrl, string? connectionToken, string? accessToken)
    {
        var builder = new UriBuilder(hubUrl)
        {
            Scheme = hubUrl.Scheme switch
            {
                "https" or "wss" => "wss",
                _ => "ws",
            },
        };
        var query = builder.Query;
        if (connectionToken is not null)
        {
            query = AppendQuery(query, "id=" + Uri.EscapeDataString(connectionToken));
        }

        if (accessToken is not null)
        {
            // Browsers cannot set headers on WebSockets, so hubs read the token from the query; do the same.
            query = AppendQuery(query, "access_token=" + Uri.EscapeDataString(accessToken));
        }

        builder.Query = query;
        return builder.Uri;
    }

    private static string AppendQuery(string query, string pair)
    {
        var existing = query.TrimStart('?');
        return existing.Length == 0 ? pair : existing + "&" + pair;
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        await _socket.SendAsync(HubProtocol.HandshakeRequest, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            EnsureBufferSpace();
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(_buffered), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new HubConnectionException($"The server closed the WebSocket during the handshake ({_socket.CloseStatus} {_socket.CloseStatusDescription}).");
            }

            _buffered += result.Count;
            var separator = _buffer.AsSpan(0, _buffered).IndexOf(HubProtocol.RecordSeparator);
            if (separator < 0)
            {
                continue;
            }

            var error = HubProtocol.ParseHandshakeResponse(_buffer.AsSpan(0, separator));
            if (error is not null)
            {
                throw new HubConnectionException($"The hub rejected the handshake: {error}");
            }

            // Messages may follow the handshake response in the same frame; the receive loop takes them.
            Consume(separator + 1);
            return;
        }
    }

    private void Start()
    {
        _lastReceived = _lastSent = Environment.TickCount64;
        var tick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(10).Ticks, Math.Min(_options.KeepAliveInterval.Ticks, _options.ServerTimeout.Ticks) / 4));
        _timer = new Timer(static state => ((HubSocketConnection)state!).OnTimer(), this, tick, tick);
        _ = ReceiveLoopAsync();
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        var allowReconnect = true;
        try
        {
            ProcessBuffered();
            var token = _stopping.Token;
            while (!_closeReceived)
            {
                if (_buffered == 0)
                {
                    ReturnBuffer();
                    // Wait for data without holding a buffer: thousands of idle connections cost no memory here.
                    var peek = await _socket.ReceiveAsync(Memory<byte>.Empty, token).ConfigureAwait(false);
                    if (peek.MessageType == WebSocketMessageType.Close)
                    {
                        error = ClosedWithoutMessage();
                        break;
                    }
                }

                EnsureBufferSpace();
                var result = await _socket.ReceiveAsync(_buffer.AsMemory(_buffered), token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    error = ClosedWithoutMessage();
                    break;
                }

                _buffered += result.Count;
                Volatile.Write(ref _lastReceived, Environment.TickCount64);
                ProcessBuffered();
            }

            if (_closeReceived)
            {
                allowReconnect = _closeAllowReconnect;
                error = _closeError is null ? null : new HubConnectionException($"The server closed the connection with an error: {_closeError}");
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Terminated from elsewhere; that path reports the reason.
        }
        catch (Exception exception)
        {
            error = exception;
        }
        finally
        {
            ReturnBuffer();
            _receiveLoopDone.TrySetResult();
        }

        Terminate(error, allowReconnect);
    }

    private HubConnectionException ClosedWithoutMessage() =>
        new($"The server closed the WebSocket without a close message ({_socket.CloseStatus} {_socket.CloseStatusDescription}).");

    private void ProcessBuffered()
    {
        var consumed = 0;
        while (!_closeReceived && _buffered > consumed)
        {
            var rest = _buffer.AsSpan(consumed, _buffered - consumed);
            var separator = rest.IndexOf(HubProtocol.RecordSeparator);
            if (separator < 0)
            {
                break;
            }

            ProcessRecord(rest[..separator]);
            consumed += separator + 1;
        }

        Consume(consumed);
        if (_buffered > _options.MaximumReceiveMessageSize)
        {
            throw new InvalidDataException($"A hub message is larger than {_options.MaximumReceiveMessageSize} bytes.");
        }
    }

    private void ProcessRecord(ReadOnlySpan<byte> record)
    {
        var message = HubProtocol.Parse(record);
        switch (message.Type)
        {
            case HubMessageType.Invocation:
                var target = message.Target ?? throw new InvalidDataException("An invocation needs a 'target'.");
                var argument = message.ArgumentCount > 0 ? record[message.FirstArgument].ToArray() : null;
                _owner.OnInvocation(this, target, argument);
                if (message.InvocationId is { } resultId)
                {
                    // The server waits for a client result; say at once that none comes instead of letting it time out.
                    Log.ClientResultRequested(_logger, target);
                    _ = SendCompletionErrorAsync(resultId, "Client didn't provide a result.");
                }

                break;

            case HubMessageType.Completion:
                if (long.TryParse(message.InvocationId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && _pending.TryRemove(id, out var pending))
                {
                    if (message.Error is { } error)
                    {
                        pending.Fail(new HubInvocationException(pending.Method, error));
                    }
                    else
                    {
                        pending.Complete(message.HasResult ? record[message.Result] : default);
                    }
                }
                else
                {
                    Log.UnknownCompletion(_logger, message.InvocationId);
                }

                break;

            case HubMessageType.Ping:
                break;

            case HubMessageType.Close:
                _closeReceived = true;
                _closeError = message.Error;
                _closeAllowReconnect = message.AllowReconnect;
                break;

            default:
                // StreamItem, CancelInvocation, Ack, Sequence and future types: this client starts no streams
                // and offers no stateful reconnect, so there is nothing to do with them.
                Log.IgnoredMessage(_logger, message.Type);
                break;
        }
    }

    private async Task SendInvocationAsync(long? id, string method, object?[] arguments, CancellationToken cancellationToken)
    {
        using var buffer = new PooledBufferWriter();
        HubProtocol.WriteInvocation(buffer, id, method, arguments, _json);
        await SendRecordAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendCompletionErrorAsync(string invocationId, string error)
    {
        using var buffer = new PooledBufferWriter();
        HubProtocol.WriteCompletionError(buffer, invocationId, error);
        try
        {
            await SendRecordAsync(buffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
        }
        catch (HubConnectionException)
        {
            // The connection is gone; the server's invocation ends with it.
        }
    }

    private async Task SendRecordAsync(ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsTerminated)
            {
                throw new HubConnectionException("The hub connection was lost.");
            }

            // Not the caller's token: cancelling a WebSocket send aborts the whole socket.
            await _socket.SendAsync(record, WebSocketMessageType.Text, endOfMessage: true, _stopping.Token).ConfigureAwait(false);
            Volatile.Write(ref _lastSent, Environment.TickCount64);
        }
        catch (Exception exception) when (exception is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException
            && exception is not HubConnectionException)
        {
            Terminate(exception, allowReconnect: true);
            throw new HubConnectionException($"Sending to the hub failed: {exception.Message}", exception);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void OnTimer()
    {
        if (IsTerminated)
        {
            return;
        }

        var now = Environment.TickCount64;
        if (now - Volatile.Read(ref _lastReceived) > (long)_options.ServerTimeout.TotalMilliseconds)
        {
            Terminate(
                new TimeoutException($"Nothing was received from the server for {_options.ServerTimeout.TotalSeconds:0.###} s; the connection is considered dead."),
                allowReconnect: true);
            return;
        }

        if (now - Volatile.Read(ref _lastSent) >= (long)_options.KeepAliveInterval.TotalMilliseconds)
        {
            _ = SendPingAsync();
        }
    }

    private async Task SendPingAsync()
    {
        // A send in progress keeps the connection alive anyway; never queue pings behind it.
        if (!_sendLock.Wait(0))
        {
            return;
        }

        try
        {
            if (!IsTerminated)
            {
                await _socket.SendAsync(HubProtocol.PingMessage, WebSocketMessageType.Text, endOfMessage: true, _stopping.Token).ConfigureAwait(false);
                Volatile.Write(ref _lastSent, Environment.TickCount64);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            Terminate(exception, allowReconnect: true);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void Terminate(Exception? error, bool allowReconnect)
    {
        if (Interlocked.Exchange(ref _terminated, 1) != 0)
        {
            return;
        }

        _timer?.Dispose();
        _stopping.Cancel();
        _socket.Abort();
        _socket.Dispose();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Fail(new HubConnectionException($"The hub connection was lost before '{pending.Method}' completed.", error));
            }
        }

        Log.ConnectionClosed(_logger, Generation, allowReconnect, error);
        _owner.OnClosed(this, error, allowReconnect);
    }

    private void EnsureBufferSpace()
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(_options.ReceiveBufferSize);
            return;
        }

        // Keep at least a quarter of the initial size free so that a receive never asks for a few bytes.
        if (_buffer.Length - _buffered >= Math.Max(256, _options.ReceiveBufferSize / 4))
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, _buffered).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    private void Consume(int count)
    {
        if (count == 0)
        {
            return;
        }

        var remaining = _buffered - count;
        if (remaining > 0)
        {
            _buffer.AsSpan(count, remaining).CopyTo(_buffer);
        }

        _buffered = remaining;
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null && _buffered == 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    /// <summary>An invocation waiting for its completion.</summary>
    private abstract class PendingInvocation(string method)
    {
        public string Method { get; } = method;

        public abstract void Complete(ReadOnlySpan<byte> result);

        public abstract void Fail(Exception exception);
    }

    private sealed class PendingInvocation<T>(string method, JsonTypeInfo<T>? resultType) : PendingInvocation(method)
    {
        // Continuations must not run on the receive loop: a slow one would stall every other message.
        private readonly TaskCompletionSource<T?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T?> Task => _completion.Task;

        public override void Complete(ReadOnlySpan<byte> result)
        {
            try
            {
                _completion.TrySetResult(resultType is null ? default : HubProtocol.Deserialize(result, resultType));
            }
            catch (JsonException exception)
            {
                _completion.TrySetException(new JsonException($"The result of '{Method}' does not match {typeof(T).Name}: {exception.Message}", exception));
            }
        }

        public override void Fail(Exception exception) => _completion.TrySetException(exception);
    }
}
