using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Client.Tests.Infrastructure;

/// <summary>An event of a test user's log, shaped like the chat hub's events: <c>{type, epoch, seq, conversationId, n}</c>.</summary>
public sealed record TickEvent(string Type, long Epoch, long Seq, Guid ConversationId, int N);

/// <summary>What the chat hub's Resume answers: the missed events or a resync, and the position reached.</summary>
public sealed record TestResumeResult(IReadOnlyList<TickEvent>? Events, bool? Resync, long Epoch, long Seq);

/// <summary>
/// Server-side state shared by the hub instances of one test server: per-user event logs (the stand-in for
/// the user's event stream), recorded Resume calls, and the live connections so tests can drop them.
/// </summary>
public sealed class TestHubState
{
    private readonly ConcurrentDictionary<string, UserLog> _logs = new();
    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new();

    public ConcurrentQueue<(string User, long Epoch, long Seq)> ResumeCalls { get; } = new();

    public ConcurrentQueue<string> VoidCalls { get; } = new();

    /// <summary>Users whose next Resume answers <c>{resync: true}</c>.</summary>
    public ConcurrentDictionary<string, bool> ResyncOnResume { get; } = new();

    /// <summary>Called when a user connects, before the client can invoke anything (e.g. to push an event at once).</summary>
    public Func<string, IClientProxy, Task>? OnConnected { get; set; }

    public int ConnectionCount => _connections.Count;

    public UserLog LogOf(string user) => _logs.GetOrAdd(user, _ => new UserLog());

    public void Add(HubCallerContext context) => _connections[context.ConnectionId] = context;

    public void Remove(HubCallerContext context) => _connections.TryRemove(context.ConnectionId, out _);

    public IReadOnlyList<HubCallerContext> ConnectionsOf(string user) =>
        [.. _connections.Values.Where(c => c.UserIdentifier == user)];

    /// <summary>Kills the user's connections at the transport, as a crashing frontend would: no close message.</summary>
    public int DropConnectionsOf(string user)
    {
        var connections = ConnectionsOf(user);
        foreach (var connection in connections)
        {
            connection.GetHttpContext()!.Abort();
        }

        return connections.Count;
    }

    public sealed class UserLog
    {
        private readonly Lock _lock = new();
        private readonly List<TickEvent> _events = [];

        public long Epoch { get; set; } = 1;

        public long Latest
        {
            get
            {
                lock (_lock)
                {
                    return _events.Count(e => e.Epoch == Epoch);
                }
            }
        }

        public TickEvent Append(int n)
        {
            lock (_lock)
            {
                var seq = _events.Count(e => e.Epoch == Epoch) + 1;
                var tick = new TickEvent("tick", Epoch, seq, Guid.Empty, n);
                _events.Add(tick);
                return tick;
            }
        }

        public IReadOnlyList<TickEvent> After(long epoch, long seq)
        {
            lock (_lock)
            {
                return [.. _events.Where(e => e.Epoch == epoch && e.Seq > seq)];
            }
        }
    }
}

[Authorize]
public sealed class TestHub(TestHubState state) : Hub
{
    private string User => Context.UserIdentifier!;

    public override async Task OnConnectedAsync()
    {
        state.Add(Context);
        if (state.OnConnected is { } onConnected)
        {
            await onConnected(User, Clients.Caller);
        }
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        state.Remove(Context);
        return Task.CompletedTask;
    }

    public string Echo(string text) => text;

    public int Add(int a, int b) => a + b;

    public void Fail(string message) => throw new HubException(message);

    public void Void() => state.VoidCalls.Enqueue(User);

    public async Task Hang() => await Task.Delay(Timeout.Infinite, Context.ConnectionAborted);

    /// <summary>Pushes <paramref name="count"/> events to the caller: positioned ones from the user's log, or plain ones.</summary>
    public async Task Burst(string eventName, int count, bool positioned)
    {
        var log = state.LogOf(User);
        for (var i = 1; i <= count; i++)
        {
            object payload = positioned ? log.Append(i) : new { n = i };
            await Clients.Caller.SendAsync(eventName, payload);
        }
    }

    /// <summary>Like the chat hub: a position of another epoch (0:0 for a fresh client) or beyond the log answers resync.</summary>
    public TestResumeResult Resume(long epoch, long seq)
    {
        state.ResumeCalls.Enqueue((User, epoch, seq));
        var log = state.LogOf(User);
        var latest = log.Latest;
        if (state.ResyncOnResume.TryRemove(User, out _) || epoch != log.Epoch || seq > latest)
        {
            return new TestResumeResult(null, true, log.Epoch, latest);
        }

        return new TestResumeResult(log.After(epoch, seq), null, log.Epoch, latest);
    }

    /// <summary>What a stopping chat frontend does: tell the client to reconnect, then close (reconnecting forbidden).</summary>
    public async Task AskToReconnect()
    {
        await Clients.Caller.SendAsync("reconnect", new { type = "reconnect", reason = "frontend stopping" });
        Context.Abort();
    }

    /// <summary>Closes from the server: SignalR sends a close message that forbids reconnecting.</summary>
    public void CloseMe() => Context.Abort();

    /// <summary>Asks the server to invoke a client method and wait for a result (a "client result").</summary>
    public async Task<string> AskClient() => await Clients.Caller.InvokeAsync<string>("question", CancellationToken.None);
}

/// <summary>Accepts any token as the user name (query <c>access_token</c> or bearer header); "bad" fails.</summary>
public sealed class TestAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? token = Request.Query["access_token"];
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(token) && header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            token = header["Bearer ".Length..];
        }

        if (string.IsNullOrEmpty(token))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (token == "bad")
        {
            return Task.FromResult(AuthenticateResult.Fail("bad token"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, token)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
