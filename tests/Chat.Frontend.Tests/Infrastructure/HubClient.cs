using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Chat.Frontend.Tests.Infrastructure;

/// <summary>An event pushed by the hub.</summary>
public sealed record HubEvent(string Name, JsonElement Payload)
{
    public long Seq => Payload.TryGetProperty("seq", out var seq) ? seq.GetInt64() : 0;

    public long Epoch => Payload.TryGetProperty("epoch", out var epoch) ? epoch.GetInt64() : 0;
}

/// <summary>A hub method failed; <see cref="Exception.Message"/> is the server's error text.</summary>
public sealed class HubCallException(string message) : Exception(message)
{
    /// <summary>The SPEC section 7 error object carried in the message.</summary>
    public JsonElement Error
    {
        get
        {
            var start = Message.IndexOf('{', StringComparison.Ordinal);
            Assert.True(start >= 0, $"No error object in: {Message}");
            using var document = JsonDocument.Parse(Message[start..]);
            return document.RootElement.GetProperty("error").Clone();
        }
    }

    public string Code => Error.GetProperty("code").GetString()!;
}

/// <summary>
/// A minimal client of the SignalR JSON hub protocol over a WebSocket, written from the protocol's
/// description (the .NET client packages are not in this workplace's registry; the Node tests use the
/// official JS client). Records every pushed event.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    private const char Separator = '\u001e';
    private readonly ClientWebSocket _socket;
    private readonly List<HubEvent> _events = [];
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiving = Task.CompletedTask;
    private Task _pinging = Task.CompletedTask;
    private int _nextId;

    private HubClient(ClientWebSocket socket) => _socket = socket;

    public IReadOnlyList<HubEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Completes when the server closed the connection.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects with the token in the access_token query parameter (as browsers do) or the Authorization header.</summary>
    public static async Task<HubClient> ConnectAsync(FrontendHost frontend, string token, bool tokenInQuery = true)
    {
        var builder = new UriBuilder(new Uri(frontend.BaseAddress, "hubs/chat")) { Scheme = "ws" };
        if (tokenInQuery)
        {
            builder.Query = "access_token=" + Uri.EscapeDataString(token);
        }

        var socket = new ClientWebSocket();
        if (!tokenInQuery)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        await socket.ConnectAsync(builder.Uri, CancellationToken.None).WaitAsync(ChatSystem.Timeout);
        var client = new HubClient(socket);
        await client.SendFrameAsync("{\"protocol\":\"json\",\"version\":1}");
        var handshake = await client.ReadMessagesAsync().WaitAsync(ChatSystem.Timeout);
        Assert.True(handshake.Count >= 1 && !handshake[0].Contains("error", StringComparison.Ordinal), $"Handshake failed: {string.Join(" ", handshake)}");
        foreach (var message in handshake.Skip(1))
        {
            client.Dispatch(message);
        }

        client._receiving = Task.Run(client.ReceiveLoopAsync);
        client._pinging = Task.Run(client.PingLoopAsync);
        return client;
    }

    public async Task<JsonElement> InvokeAsync(string method, params object?[] args)
    {
        var id = Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        await SendFrameAsync(JsonSerializer.Serialize(new { type = 1, invocationId = id, target = method, arguments = args }, JsonSerializerOptions.Web));
        return await completion.Task.WaitAsync(ChatSystem.Timeout);
    }

    /// <summary>Asserts that the call fails with the SPEC section 7 code.</summary>
    public async Task<JsonElement> InvokeFailingAsync(string code, string method, params object?[] args)
    {
        var exception = await Assert.ThrowsAsync<HubCallException>(() => InvokeAsync(method, args));
        Assert.True(code == exception.Code, $"Expected {code}: {exception.Message}");
        return exception.Error;
    }

    /// <summary>Events with a position, in arrival order.</summary>
    public IReadOnlyList<HubEvent> Positioned => [.. Events.Where(e => e.Seq > 0)];

    public async Task<HubEvent> WaitForAsync(Func<HubEvent, bool> match, string what)
    {
        HubEvent? found = null;
        await Eventually.TrueAsync(() => (found = Events.FirstOrDefault(match)) is not null, what);
        return found!;
    }

    public async Task<IReadOnlyList<HubEvent>> WaitForCountAsync(Func<HubEvent, bool> match, int count, string what)
    {
        await Eventually.TrueAsync(() => Events.Count(match) >= count, what);
        return [.. Events.Where(match)];
    }

    /// <summary>Drops the connection without a goodbye (as a network failure would).</summary>
    public void Kill()
    {
        _stop.Cancel();
        _socket.Abort();
    }

    private async Task SendFrameAsync(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json + Separator);
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(ChatSystem.Timeout);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private readonly StringBuilder _buffer = new();

    private async Task<List<string>> ReadMessagesAsync()
    {
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(chunk.AsMemory(), _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new WebSocketException("closed by the server");
                }

                _buffer.Append(Encoding.UTF8.GetString(chunk, 0, result.Count));
                var text = _buffer.ToString();
                var last = text.LastIndexOf(Separator);
                if (last < 0)
                {
                    continue;
                }

                _buffer.Clear().Append(text[(last + 1)..]);
                return [.. text[..last].Split(Separator)];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                foreach (var message in await ReadMessagesAsync())
                {
                    Dispatch(message);
                }
            }
        }
        catch (Exception)
        {
            // Closed or killed.
        }
        finally
        {
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(new HubCallException("The connection closed."));
            }

            _closed.TrySetResult();
        }
    }

    private void Dispatch(string message)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        switch (root.GetProperty("type").GetInt32())
        {
            case 1:
                var payload = root.GetProperty("arguments").EnumerateArray().FirstOrDefault().Clone();
                lock (_events)
                {
                    _events.Add(new HubEvent(root.GetProperty("target").GetString()!, payload));
                }

                break;
            case 3:
                if (_pending.TryRemove(root.GetProperty("invocationId").GetString()!, out var completion))
                {
                    if (root.TryGetProperty("error", out var error))
                    {
                        completion.TrySetException(new HubCallException(error.GetString()!));
                    }
                    else
                    {
                        completion.TrySetResult(root.TryGetProperty("result", out var result) ? result.Clone() : default);
                    }
                }

                break;
            case 7:
                _stop.Cancel();
                break;
        }
    }

    private async Task PingLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), _stop.Token);
                await SendFrameAsync("{\"type\":6}");
            }
        }
        catch (Exception)
        {
            // Closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception)
        {
            // The server may be gone already.
        }

        _stop.Cancel();
        _socket.Abort();
        await Task.WhenAll(_receiving, _pinging).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
    }
}
