using System.Net.WebSockets;
using System.Text.Json;

namespace Chat.Client;

/// <summary>Settings of a <see cref="ChatHubClient"/>; the defaults match the SignalR clients and the chat hub.</summary>
public sealed class ChatHubClientOptions
{
    /// <summary>The hub's HTTP(S) address, e.g. <c>http://127.0.0.1:5080/hubs/chat</c>.</summary>
    public required Uri Url { get; set; }

    /// <summary>
    /// Other frontends serving the same hub: reconnect attempts go round <see cref="Url"/> and these,
    /// starting with the last one that worked (any frontend can resume any user).
    /// </summary>
    public IReadOnlyList<Uri> AlternateUrls { get; set; } = [];

    /// <summary>The bearer token; ignored when <see cref="AccessTokenProvider"/> is set.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Gives the bearer token before every connection attempt (e.g. to refresh it).</summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>
    /// Connect the WebSocket directly instead of POSTing to <c>/negotiate</c> first: one round trip and
    /// one HTTP connection fewer per client. The server must support it (ASP.NET Core does for WebSockets).
    /// </summary>
    public bool SkipNegotiation { get; set; }

    /// <summary>Used for <c>/negotiate</c>; share one between many clients. When null each client creates (and disposes) its own.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>Changes the WebSocket's options (headers, proxy, certificates) before it connects.</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>Limit for establishing one connection (negotiate, WebSocket, handshake).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Default limit for an invocation's completion (each call can override it).</summary>
    public TimeSpan InvocationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A ping is sent when nothing was sent for this long, so that the server keeps the connection.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Nothing received from the server for this long means the connection is dead (the server pings every 15 s).</summary>
    public TimeSpan ServerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconnect after a lost connection (not after <see cref="ChatHubClient.StopAsync"/> or a server close that forbids it).</summary>
    public bool AutomaticReconnect { get; set; } = true;

    /// <summary>
    /// Delay before each reconnect attempt, or null to give up (then <see cref="ChatHubClient.Closed"/> is raised).
    /// Default: <see cref="DefaultReconnectPolicy"/>.
    /// </summary>
    public Func<ReconnectContext, TimeSpan?> ReconnectPolicy { get; set; } = DefaultReconnectPolicy;

    /// <summary>
    /// The hub method called with the last processed <see cref="EventPosition"/> after a reconnect
    /// (SPEC: <c>Resume(epoch, seq)</c> → <c>{events[]}</c> or <c>{resync: true}</c>). Null turns event
    /// positions off: every event is then delivered as it arrives, for hubs that are not the chat hub.
    /// </summary>
    public string? ResumeMethod { get; set; } = "Resume";

    /// <summary>
    /// The server's "connect again and resume" event (a stopping frontend sends it, then closes with
    /// reconnecting forbidden): the client drops the connection and reconnects, starting with the next URL.
    /// Null: no such event.
    /// </summary>
    public string? ReconnectEventName { get; set; } = ChatEvents.Reconnect;

    /// <summary>
    /// The server's "events were lost" event <c>{epoch, seq}</c>: raised as <see cref="ChatHubClient.ResyncRequired"/>,
    /// and the client continues from its position. Null: no such event.
    /// </summary>
    public string? ResyncEventName { get; set; } = ChatEvents.Resync;

    /// <summary>The property of a resumed event that names it (live events are named by the hub method).</summary>
    public string ResumedEventNameProperty { get; set; } = "type";

    /// <summary>A position processed before (e.g. by an earlier run): the first connection resumes from it.</summary>
    public EventPosition? InitialPosition { get; set; }

    /// <summary>JSON settings for arguments, results and events; <see cref="ChatJson.Options"/> by default.</summary>
    public JsonSerializerOptions? SerializerOptions { get; set; }

    /// <summary>A message larger than this closes the connection (protects against a runaway server).</summary>
    public int MaximumReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Initial size of the receive buffer, rented only while data is being read.</summary>
    public int ReceiveBufferSize { get; set; } = 4096;

    /// <summary>
    /// The default reconnect policy: attempts after 0, 0.5, 1, 2, 4, 8, 16 and then every 30 s (±20 %, so
    /// that thousands of clients of a dead frontend do not come back at the same instant), for at most 10 minutes.
    /// </summary>
    public static TimeSpan? DefaultReconnectPolicy(ReconnectContext context)
    {
        if (context.Elapsed > TimeSpan.FromMinutes(10))
        {
            return null;
        }

        if (context.PreviousAttempts == 0)
        {
            return TimeSpan.Zero;
        }

        var seconds = Math.Min(30, 0.5 * Math.Pow(2, context.PreviousAttempts - 1));
        return TimeSpan.FromSeconds(seconds * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }
}
