using System.Collections.Concurrent;
using System.Diagnostics;
using Chat.Client.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Xunit.Abstractions;

namespace Chat.Client.Tests;

public sealed class TestHubServerFixture : IAsyncLifetime
{
    public TestHubServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestHubServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class ChatHubClientTests(TestHubServerFixture fixture, ITestOutputHelper output) : IClassFixture<TestHubServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly List<ChatHubClient> _clients = [];
    private readonly List<TestHubServer> _servers = [];

    private TestHubServer Server => fixture.Server;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync().AsTask().WaitAsync(Timeout);
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_client_negotiates_handshakes_and_gets_results_of_invocations()
    {
        var client = Client(NewUser());
        await client.ConnectAsync().WaitAsync(Timeout);

        Assert.Equal(HubConnectionState.Connected, client.State);
        Assert.False(string.IsNullOrEmpty(client.ConnectionId), "negotiate gives a connection id");
        Assert.Equal("hello", await client.InvokeAsync<string>("Echo", ["hello"]).WaitAsync(Timeout));
        Assert.Equal(5, await client.InvokeAsync<int>("Add", [2, 3]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_client_can_skip_negotiation_and_connect_the_websocket_directly()
    {
        var client = Client(NewUser(), o => o.SkipNegotiation = true);
        await client.ConnectAsync().WaitAsync(Timeout);

        Assert.Null(client.ConnectionId);
        Assert.Equal("direct", await client.InvokeAsync<string>("Echo", ["direct"]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_client_without_a_valid_token_cannot_connect()
    {
        var anonymous = Client(null);
        var failure = await Assert.ThrowsAsync<HubConnectionException>(() => anonymous.ConnectAsync().WaitAsync(Timeout));
        Assert.Contains("401", failure.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Disconnected, anonymous.State);

        var skipping = Client(null, o => o.SkipNegotiation = true);
        await Assert.ThrowsAsync<HubConnectionException>(() => skipping.ConnectAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_hub_exception_reaches_the_caller_with_its_message_and_error_code()
    {
        var client = Client(NewUser());
        await client.ConnectAsync().WaitAsync(Timeout);

        var plain = await Assert.ThrowsAsync<HubInvocationException>(() => client.InvokeAsync("Fail", ["RATE_LIMITED: slow down"]).WaitAsync(Timeout));
        Assert.Contains("slow down", plain.Message, StringComparison.Ordinal);
        Assert.Equal("Fail", plain.Method);
        Assert.Equal(ChatErrorCodes.RateLimited, plain.Code);

        var json = await Assert.ThrowsAsync<HubInvocationException>(() =>
            client.InvokeAsync("Fail", ["""{"error":{"code":"NOT_PARTICIPANT","message":"not yours","retryAfter":3}}"""]).WaitAsync(Timeout));
        Assert.Equal(ChatErrorCodes.NotParticipant, json.Error.Code);
        Assert.Equal("not yours", json.Error.Message);
        Assert.Equal(3, json.Error.RetryAfter);

        Assert.Equal("still fine", await client.InvokeAsync<string>("Echo", ["still fine"]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_void_invocation_completes_and_a_send_runs_without_a_completion()
    {
        var user = NewUser();
        var client = Client(user);
        await client.ConnectAsync().WaitAsync(Timeout);

        await client.InvokeAsync("Void").WaitAsync(Timeout);
        await client.SendAsync("Void").WaitAsync(Timeout);

        await Poll.UntilAsync(() => Server.State.VoidCalls.Count(u => u == user) == 2, "both calls ran on the server");
    }

    [Fact]
    public async Task An_invocation_without_a_completion_times_out()
    {
        var client = Client(NewUser());
        await client.ConnectAsync().WaitAsync(Timeout);

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(() => client.InvokeAsync("Hang", timeout: TimeSpan.FromMilliseconds(300)).WaitAsync(Timeout));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the 300 ms timeout took {watch.Elapsed}");
        Assert.Equal("alive", await client.InvokeAsync<string>("Echo", ["alive"]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_pending_invocation_fails_when_the_connection_is_lost()
    {
        var user = NewUser();
        var client = Client(user);
        await client.ConnectAsync().WaitAsync(Timeout);

        var hanging = client.InvokeAsync("Hang");
        await Poll.UntilAsync(() => Server.State.ConnectionsOf(user).Count == 1, "the connection is registered");
        Server.State.DropConnectionsOf(user);

        await Assert.ThrowsAsync<HubConnectionException>(() => hanging.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Server_events_reach_the_handler_in_order_and_one_at_a_time()
    {
        const int Count = 5000;
        var client = Client(NewUser(), o => o.ResumeMethod = null);
        var received = new List<int>(Count);
        var inHandler = 0;
        var overlaps = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.On<Plain>("plain", async e =>
        {
            if (Interlocked.Increment(ref inHandler) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            if (e.N % 500 == 0)
            {
                // An await inside the handler must not let the next event in.
                await Task.Yield();
            }

            received.Add(e.N);
            Interlocked.Decrement(ref inHandler);
            if (received.Count == Count)
            {
                all.TrySetResult();
            }
        });
        await client.ConnectAsync().WaitAsync(Timeout);

        var watch = Stopwatch.StartNew();
        await client.InvokeAsync("Burst", ["plain", Count, false]).WaitAsync(Timeout);
        await all.Task.WaitAsync(Timeout);
        watch.Stop();

        Assert.Equal(0, overlaps);
        Assert.Equal(Enumerable.Range(1, Count), received);
        output.WriteLine($"{Count} events in {watch.ElapsedMilliseconds} ms: {Count / watch.Elapsed.TotalSeconds:N0} events/s through one connection (server and client in one process)");
    }

    [Fact]
    public async Task A_handler_may_invoke_hub_methods_and_a_failing_handler_does_not_stop_later_events()
    {
        var client = Client(NewUser(), o => o.ResumeMethod = null);
        var echoes = new ConcurrentQueue<string>();
        client.On<Plain>("plain", async e =>
        {
            if (e.N == 2)
            {
                throw new InvalidOperationException("handler bug");
            }

            echoes.Enqueue(await client.InvokeAsync<string>("Echo", [$"n{e.N}"]).WaitAsync(Timeout));
        });
        await client.ConnectAsync().WaitAsync(Timeout);

        await client.InvokeAsync("Burst", ["plain", 3, false]).WaitAsync(Timeout);

        await Poll.UntilAsync(() => echoes.Count == 2, "events 1 and 3 were handled");
        Assert.Equal(["n1", "n3"], echoes);
    }

    [Fact]
    public async Task A_server_asking_for_a_client_result_gets_an_error_instead_of_waiting()
    {
        var client = Client(NewUser());
        await client.ConnectAsync().WaitAsync(Timeout);

        var failure = await Assert.ThrowsAsync<HubInvocationException>(() => client.InvokeAsync<string>("AskClient").WaitAsync(Timeout));
        Assert.Contains("result", failure.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Pings_keep_an_idle_connection_alive()
    {
        // The server checks its keep-alive on Kestrel's 1 s heartbeat, so its pings come up to ~1.25 s apart;
        // 4 s timeouts leave room for a busy machine while the idle period below is more than twice as long.
        var server = await StartServerAsync(o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(250);
            o.ClientTimeoutInterval = TimeSpan.FromSeconds(4);
        });
        var closed = 0;
        var client = Client(NewUser(), o =>
        {
            o.Url = server.HubUrl;
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(250);
            o.ServerTimeout = TimeSpan.FromSeconds(4);
            o.AutomaticReconnect = false;
        });
        client.Closed += _ =>
        {
            Interlocked.Increment(ref closed);
            return Task.CompletedTask;
        };
        client.Reconnecting += _ =>
        {
            Interlocked.Increment(ref closed);
            return Task.CompletedTask;
        };
        await client.ConnectAsync().WaitAsync(Timeout);

        // Idle for several times both timeouts: only pings cross the connection.
        await Poll.HoldsForAsync(
            () => client.State == HubConnectionState.Connected && Volatile.Read(ref closed) == 0,
            TimeSpan.FromSeconds(9),
            "an idle connection stays connected while both sides ping");

        Assert.Equal("awake", await client.InvokeAsync<string>("Echo", ["awake"]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Server_silence_longer_than_the_server_timeout_ends_the_connection()
    {
        // This server never pings and never times clients out: only the client's own timeout can notice.
        var server = await StartServerAsync(o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMinutes(10);
            o.ClientTimeoutInterval = TimeSpan.FromMinutes(20);
        });
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = Client(NewUser(), o =>
        {
            o.Url = server.HubUrl;
            o.ServerTimeout = TimeSpan.FromMilliseconds(500);
            o.AutomaticReconnect = false;
        });
        client.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        await client.ConnectAsync().WaitAsync(Timeout);

        var error = await closed.Task.WaitAsync(Timeout);
        Assert.IsType<TimeoutException>(error);
        Assert.Equal(HubConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task A_close_from_the_server_is_detected_and_not_retried()
    {
        var user = NewUser();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnecting = 0;
        var client = Client(user);
        client.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        client.Reconnecting += _ =>
        {
            Interlocked.Increment(ref reconnecting);
            return Task.CompletedTask;
        };
        await client.ConnectAsync().WaitAsync(Timeout);

        try
        {
            await client.SendAsync("CloseMe").WaitAsync(Timeout);
        }
        catch (HubConnectionException)
        {
            // The server may act on the message and close before the client's send of it has completed.
        }

        await closed.Task.WaitAsync(Timeout);
        Assert.Equal(HubConnectionState.Disconnected, client.State);
        Assert.Equal(0, Volatile.Read(ref reconnecting));
        await Assert.ThrowsAsync<HubConnectionException>(() => client.InvokeAsync("Void").WaitAsync(Timeout));
    }

    [Fact]
    public async Task Stop_closes_the_connection_and_raises_closed_without_an_error()
    {
        var user = NewUser();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = Client(user);
        client.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        await client.ConnectAsync().WaitAsync(Timeout);
        await Poll.UntilAsync(() => Server.State.ConnectionsOf(user).Count == 1, "the server sees the connection");

        await client.StopAsync().WaitAsync(Timeout);

        Assert.Null(await closed.Task.WaitAsync(Timeout));
        Assert.Equal(HubConnectionState.Disconnected, client.State);
        await Poll.UntilAsync(() => Server.State.ConnectionsOf(user).Count == 0, "the server saw the connection close");

        await client.ConnectAsync().WaitAsync(Timeout);
        Assert.Equal("again", await client.InvokeAsync<string>("Echo", ["again"]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task After_the_server_drops_the_connection_the_client_resumes_from_its_last_position_before_new_events()
    {
        var user = NewUser();
        var seen = new ConcurrentQueue<long>();
        var reconnected = 0;
        var client = Client(user);
        client.On<TickEvent>("tick", e => seen.Enqueue(e.Seq));
        client.Reconnected += _ =>
        {
            Interlocked.Increment(ref reconnected);
            return Task.CompletedTask;
        };
        await client.ConnectAsync().WaitAsync(Timeout);
        await Poll.UntilAsync(() => Server.State.ConnectionsOf(user).Count == 1, "the server sees the connection");
        for (var n = 1; n <= 10; n++)
        {
            await Server.PublishAsync(user, n);
        }

        await Poll.UntilAsync(() => seen.Count == 10, "the first ten events arrived live");
        Assert.Equal(new EventPosition(1, 10), client.LastPosition);

        // While the client is away, events 11-20 are written; on reconnect the server pushes event 21 at
        // once, before the client can call Resume: it must still come after 11-20, and only once.
        for (var n = 11; n <= 20; n++)
        {
            await Server.PublishAsync(user, n, live: false);
        }

        Server.State.OnConnected = async (u, caller) =>
        {
            if (u == user)
            {
                var tick = Server.State.LogOf(user).Append(21);
                await caller.SendAsync(tick.Type, tick);
            }
        };
        Assert.Equal(1, Server.State.DropConnectionsOf(user));

        await Poll.UntilAsync(() => seen.Count >= 21, "the missed events and the new one arrived");
        Assert.Contains(Server.State.ResumeCalls, call => call == (user, 1, 10));
        Server.State.OnConnected = null;
        await Poll.UntilAsync(() => client.State == HubConnectionState.Connected, "the client is connected again");
        await Server.PublishAsync(user, 22);

        await Poll.UntilAsync(() => seen.Count >= 22, "a later live event arrived");
        Assert.Equal(Enumerable.Range(1, 22).Select(i => (long)i), seen);
        Assert.Equal(1, Volatile.Read(ref reconnected));
        Assert.Equal(new EventPosition(1, 22), client.LastPosition);
    }

    [Fact]
    public async Task A_resync_answer_raises_resync_required_and_later_events_still_arrive()
    {
        var user = NewUser();
        var seen = new ConcurrentQueue<long>();
        var resyncs = new ConcurrentQueue<ResyncRequiredEventArgs>();
        var client = Client(user);
        client.On<TickEvent>("tick", e => seen.Enqueue(e.Seq));
        client.ResyncRequired += e =>
        {
            resyncs.Enqueue(e);
            return Task.CompletedTask;
        };
        await client.ConnectAsync().WaitAsync(Timeout);
        await Poll.UntilAsync(() => Server.State.ConnectionsOf(user).Count == 1, "the server sees the connection");
        await Server.PublishAsync(user, 1);
        await Server.PublishAsync(user, 2);
        await Poll.UntilAsync(() => seen.Count == 2, "two events arrived");

        // The user's log restarted (a new epoch) while the client was away: the server cannot replay.
        Server.State.LogOf(user).Epoch = 2;
        Server.State.DropConnectionsOf(user);

        await Poll.UntilAsync(() => resyncs.Count == 1, "resync was required");
        Assert.Equal(new EventPosition(1, 2), resyncs.Single().From);
        await Poll.UntilAsync(() => client.State == HubConnectionState.Connected && Server.State.ConnectionsOf(user).Count == 1, "reconnected");
        await Server.PublishAsync(user, 3);

        await Poll.UntilAsync(() => seen.Count == 3, "a new-epoch event arrived after the resync");
        Assert.Equal(new EventPosition(2, 1), client.LastPosition);
    }

    [Fact]
    public async Task A_jump_in_live_positions_is_filled_by_resume_and_duplicates_are_dropped()
    {
        var user = NewUser();
        var seen = new ConcurrentQueue<long>();
        var client = Client(user);
        client.On<TickEvent>("tick", e => seen.Enqueue(e.Seq));
        await client.ConnectAsync().WaitAsync(Timeout);
        await Poll.UntilAsync(() => Server.State.ConnectionsOf(user).Count == 1, "the server sees the connection");

        var first = await Server.PublishAsync(user, 1);
        await Server.PublishAsync(user, 2);
        await Server.PublishAsync(user, 3, live: false);
        await Server.PublishAsync(user, 4, live: false);
        await Server.PublishAsync(user, 5);
        await Server.Hub.Clients.User(user).SendAsync("tick", first).WaitAsync(Timeout);
        await Server.PublishAsync(user, 6);

        await Poll.UntilAsync(() => seen.Count >= 6, "events 1-6 arrived");
        Assert.Contains(Server.State.ResumeCalls, call => call == (user, 1, 2));
        await client.InvokeAsync("Void").WaitAsync(Timeout);
        Assert.Equal([1L, 2, 3, 4, 5, 6], seen);
    }

    [Fact]
    public async Task A_fresh_client_starts_at_the_current_position_without_a_resync()
    {
        var user = NewUser();
        for (var n = 1; n <= 3; n++)
        {
            await Server.PublishAsync(user, n, live: false);
        }

        var seen = new ConcurrentQueue<long>();
        var resyncs = 0;
        var client = Client(user);
        client.On<TickEvent>("tick", e => seen.Enqueue(e.Seq));
        client.ResyncRequired += _ =>
        {
            Interlocked.Increment(ref resyncs);
            return Task.CompletedTask;
        };
        await client.ConnectAsync().WaitAsync(Timeout);

        await Poll.UntilAsync(() => client.LastPosition == new EventPosition(1, 3), "the client took the position Resume(0, 0) answered");
        Assert.Contains(Server.State.ResumeCalls, call => call == (user, 0, 0));
        await Server.PublishAsync(user, 4);

        await Poll.UntilAsync(() => seen.Count == 1, "the next event arrived");
        Assert.Equal([4L], seen);
        Assert.Equal(0, Volatile.Read(ref resyncs));
    }

    [Fact]
    public async Task A_resync_event_from_the_server_raises_resync_required_and_moves_the_position()
    {
        var user = NewUser();
        var seen = new ConcurrentQueue<long>();
        var resyncs = new ConcurrentQueue<ResyncRequiredEventArgs>();
        var client = Client(user);
        client.On<TickEvent>("tick", e => seen.Enqueue(e.Seq));
        client.ResyncRequired += e =>
        {
            resyncs.Enqueue(e);
            return Task.CompletedTask;
        };
        await client.ConnectAsync().WaitAsync(Timeout);
        await Poll.UntilAsync(() => client.LastPosition is not null, "the first Resume answered");
        await Server.PublishAsync(user, 1);
        await Server.PublishAsync(user, 2);

        await Server.Hub.Clients.User(user).SendAsync("resync", new { type = "resync", epoch = 1, seq = 50 }).WaitAsync(Timeout);
        await Server.Hub.Clients.User(user).SendAsync("tick", new TickEvent("tick", 1, 51, Guid.Empty, 51)).WaitAsync(Timeout);

        await Poll.UntilAsync(() => seen.Count == 3, "the event after the resync arrived");
        Assert.Equal([1L, 2, 51], seen);
        Assert.Equal(new EventPosition(1, 2), Assert.Single(resyncs).From);
        Assert.Equal(new EventPosition(1, 51), client.LastPosition);
    }

    [Fact]
    public async Task A_reconnect_request_from_a_stopping_frontend_moves_the_client_to_the_next_frontend()
    {
        var stopping = await StartServerAsync();
        var other = await StartServerAsync();
        var user = NewUser();
        var closed = 0;
        var reconnected = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = Client(user, o =>
        {
            o.Url = stopping.HubUrl;
            o.AlternateUrls = [other.HubUrl];
        });
        client.Closed += _ =>
        {
            Interlocked.Increment(ref closed);
            return Task.CompletedTask;
        };
        client.Reconnected += id =>
        {
            reconnected.TrySetResult(id);
            return Task.CompletedTask;
        };
        await client.ConnectAsync().WaitAsync(Timeout);

        try
        {
            await client.SendAsync("AskToReconnect").WaitAsync(Timeout);
        }
        catch (HubConnectionException)
        {
            // The server may act on the message and close before the client's send of it has completed.
        }

        await reconnected.Task.WaitAsync(Timeout);
        Assert.Equal(other.HubUrl, client.CurrentUrl);
        Assert.Equal(0, Volatile.Read(ref closed));
        Assert.Equal("there", await client.InvokeAsync<string>("Echo", ["there"]).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_client_started_from_a_saved_position_resumes_on_its_first_connection()
    {
        var user = NewUser();
        for (var n = 1; n <= 5; n++)
        {
            await Server.PublishAsync(user, n, live: false);
        }

        var seen = new ConcurrentQueue<long>();
        var client = Client(user, o => o.InitialPosition = new EventPosition(1, 3));
        client.On<TickEvent>("tick", e => seen.Enqueue(e.Seq));
        await client.ConnectAsync().WaitAsync(Timeout);

        await Poll.UntilAsync(() => seen.Count == 2, "events after the saved position arrived");
        Assert.Equal([4L, 5], seen);
    }

    [Fact]
    public async Task Reconnecting_goes_round_the_alternate_urls_when_a_frontend_is_gone()
    {
        var first = await StartServerAsync();
        var second = await StartServerAsync();
        var user = NewUser();
        var seen = new ConcurrentQueue<long>();
        var client = Client(user, o =>
        {
            o.Url = first.HubUrl;
            o.AlternateUrls = [second.HubUrl];
        });
        client.On<TickEvent>("tick", e => seen.Enqueue(e.Seq));
        await client.ConnectAsync().WaitAsync(Timeout);
        await first.PublishAsync(user, 1);
        await Poll.UntilAsync(() => seen.Count == 1, "the first event arrived");

        // The first frontend goes away for good; the second serves the same user's log from then on.
        await first.DisposeAsync();
        await second.PublishAsync(user, 1, live: false);
        await second.PublishAsync(user, 2, live: false);

        await Poll.UntilAsync(() => client.State == HubConnectionState.Connected && client.CurrentUrl == second.HubUrl, "connected to the second frontend");
        await Poll.UntilAsync(() => seen.Count == 2, "the missed event arrived through the second frontend");
        Assert.Contains(second.State.ResumeCalls, call => call == (user, 1, 1));
        Assert.Equal([1L, 2], seen);
    }

    [Fact]
    public async Task Five_hundred_connections_share_one_process()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("CHAT_CLIENT_TEST_CONNECTIONS"), out var configured) ? configured : 500;
        const int Events = 10;
        using var http = new HttpClient();
        var received = new int[count];
        var outOfOrder = 0;
        var clients = new ChatHubClient[count];
        for (var i = 0; i < count; i++)
        {
            var index = i;
            clients[i] = Client($"many-{Guid.NewGuid():N}", o =>
            {
                o.HttpClient = http;
                o.ResumeMethod = null;
            });
            clients[i].On<Plain>("broadcast", e =>
            {
                if (e.N != Volatile.Read(ref received[index]) + 1)
                {
                    Interlocked.Increment(ref outOfOrder);
                }

                Interlocked.Increment(ref received[index]);
            });
        }

        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(clients, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (client, ct) =>
            await client.ConnectAsync(ct).WaitAsync(Timeout, ct));
        var connected = watch.Elapsed;
        var bytesPerConnection = (GC.GetTotalMemory(forceFullCollection: true) - memoryBefore) / count;
        await Poll.UntilAsync(() => Server.State.ConnectionCount >= count, "the server sees every connection");
        await Task.WhenAll(clients.Select(c => c.InvokeAsync<string>("Echo", ["x"]))).WaitAsync(Timeout);

        watch.Restart();
        for (var n = 1; n <= Events; n++)
        {
            await Server.Hub.Clients.All.SendAsync("broadcast", new Plain(n)).WaitAsync(Timeout);
        }

        await Poll.UntilAsync(() => Enumerable.Range(0, count).All(i => Volatile.Read(ref received[i]) == Events), "every client got every broadcast", TimeSpan.FromSeconds(60));
        var delivered = watch.Elapsed;

        Assert.Equal(0, outOfOrder);
        Assert.All(clients, c => Assert.Equal(HubConnectionState.Connected, c.State));
        output.WriteLine($"{count} connections in {connected.TotalMilliseconds:0} ms ({count / connected.TotalSeconds:N0}/s), " +
            $"{bytesPerConnection / 1024.0:N1} KiB managed memory per connection (client and server side together); " +
            $"{count * Events} deliveries in {delivered.TotalMilliseconds:0} ms ({count * Events / delivered.TotalSeconds:N0}/s)");
    }

    private sealed record Plain(int N);

    private static string NewUser() => $"user-{Guid.NewGuid():N}";

    private async Task<TestHubServer> StartServerAsync(Action<HubOptions>? configure = null)
    {
        var server = await TestHubServer.StartAsync(configure);
        _servers.Add(server);
        return server;
    }

    private ChatHubClient Client(string? user, Action<ChatHubClientOptions>? configure = null)
    {
        var options = new ChatHubClientOptions
        {
            Url = Server.HubUrl,
            AccessToken = user,
            // Quick retries keep the reconnect tests short; the default policy backs off to 30 s.
            ReconnectPolicy = context => context.Elapsed > TimeSpan.FromSeconds(20) ? null : TimeSpan.FromMilliseconds(50 * Math.Min(context.PreviousAttempts, 10)),
        };
        configure?.Invoke(options);
        var client = new ChatHubClient(options, new TestOutputLogger<ChatHubClient>(output));
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }
}
