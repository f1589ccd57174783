using System.Diagnostics;
using System.Globalization;
using Chat.Client;
using Chat.LoadTest.Cli;
using Chat.LoadTest.Metrics;
using Chat.LoadTest.Reporting;
using Chat.LoadTest.Verification;
using Microsoft.Extensions.Logging;

namespace Chat.LoadTest.Workload;

/// <summary>A user of the run: its hub connection and its conversations, weighted for picking.</summary>
internal sealed class SimulatedUser(ProvisionedUser account, Uri hubUrl, IReadOnlyList<Uri> alternateHubUrls, ProvisionedConversation[] conversations)
{
    // Smaller conversations are picked more often (weight 1/size): a 500-member group gets about as many
    // messages as a DM instead of one in four of every member's, which is closer to real workspaces.
    private readonly double[] _cumulativeWeights = Cumulative(conversations);

    public ProvisionedUser Account { get; } = account;

    public Uri HubUrl { get; } = hubUrl;

    public IReadOnlyList<Uri> AlternateHubUrls { get; } = alternateHubUrls;

    public ProvisionedConversation[] Conversations { get; } = conversations;

    public ChatHubClient? Hub { get; set; }

    public bool IsConnected => Hub?.State == HubConnectionState.Connected;

    public ProvisionedConversation? Pick(Random random)
    {
        if (Conversations.Length == 0)
        {
            return null;
        }

        var target = random.NextDouble() * _cumulativeWeights[^1];
        var index = Array.BinarySearch(_cumulativeWeights, target);
        return Conversations[Math.Min(index < 0 ? ~index : index, Conversations.Length - 1)];
    }

    private static double[] Cumulative(ProvisionedConversation[] conversations)
    {
        var weights = new double[conversations.Length];
        var sum = 0.0;
        for (var i = 0; i < conversations.Length; i++)
        {
            sum += 1.0 / conversations[i].Participants.Length;
            weights[i] = sum;
        }

        return weights;
    }
}

/// <summary>
/// One load generator process: provision, connect (ramp-up), send open-loop for the duration, drain,
/// report. Sender and recipients of every message are users of this process, which is what makes the
/// completeness check and the end-to-end latency (one clock) exact; several processes each get their
/// own users and conversations and their reports are merged.
/// </summary>
internal sealed class LoadRunner(LoadTestOptions options, ILoggerFactory loggers, TextWriter output)
{
    private const int ConnectConcurrency = 256;

    private readonly RunMetrics _metrics = new();
    private readonly CompletenessChecker _checker = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _runTag = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4));
    private readonly List<TimelinePoint> _timeline = [];
    private Random _random = new();
    private SimulatedUser[] _users = [];
    private volatile bool _sideTraffic = true;
    private volatile string _phase = "provisioning";
    private long _messageCounter;
    private long _measureStartTicks;

    public async Task<LoadReport> RunAsync(CancellationToken cancellationToken)
    {
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        using var http = CreateHttpClient();
        var world = await new Provisioner(options, http, output).ProvisionAsync(cancellationToken);
        var users = _users = CreateUsers(world);

        using var ticker = new CancellationTokenSource();
        var progress = ReportProgressAsync(users.Length, ticker.Token);
        try
        {
            _phase = "connecting";
            var before = MemorySample.Take();
            var connectWatch = Stopwatch.StartNew();
            await ConnectAllAsync(users, http, cancellationToken);
            var connectSeconds = connectWatch.Elapsed.TotalSeconds;
            var connectedAtStart = ConnectedCount;
            var clientMemory = MemorySample.Take().PerConnectionSince(before, connectedAtStart);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Tag}Connected {connectedAtStart:N0} of {users.Length:N0} users in {connectSeconds:0.##} s"));

            _phase = "sending";
            var startedAt = DateTimeOffset.UtcNow;
            Interlocked.Exchange(ref _measureStartTicks, _clock.Elapsed.Ticks);
            await SendAsync(users, cancellationToken);
            var duration = _clock.Elapsed - MeasureStart;

            _phase = "draining";
            _sideTraffic = false;
            await DrainAsync(cancellationToken);

            await ticker.CancelAsync();
            await progress;
            return BuildReport(world, users.Length, connectedAtStart, connectSeconds, startedAt, duration) with { ClientMemory = clientMemory };
        }
        finally
        {
            await ticker.CancelAsync();
            await progress.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _phase = "disconnecting";
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (user, _) =>
            {
                if (user.Hub is { } hub)
                {
                    await hub.DisposeAsync();
                }
            });
        }
    }

    /// <summary>The generator's managed heap (after a full collection) and working set at one moment.</summary>
    private readonly record struct MemorySample(long Managed, long WorkingSet)
    {
        public static MemorySample Take()
        {
            var managed = GC.GetTotalMemory(forceFullCollection: true);
            using var process = Process.GetCurrentProcess();
            return new MemorySample(managed, process.WorkingSet64);
        }

        public ClientMemory? PerConnectionSince(MemorySample before, int connections) =>
            connections == 0 ? null : new ClientMemory(connections, (Managed - before.Managed) / connections, (WorkingSet - before.WorkingSet) / connections);
    }

    private string Tag => options.ProcessCount > 1 ? $"[p{options.ProcessIndex}] " : "";

    private int ConnectedCount => _users.Count(u => u.IsConnected);

    private TimeSpan MeasureStart => TimeSpan.FromTicks(Interlocked.Read(ref _measureStartTicks));

    private long NowMicros => _clock.Elapsed.Ticks / TimeSpan.TicksPerMicrosecond;

    private static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = 128,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    private SimulatedUser[] CreateUsers(ProvisionedWorld world)
    {
        var byUser = world.Users.ToDictionary(u => u.Index, _ => new List<ProvisionedConversation>());
        foreach (var conversation in world.Conversations)
        {
            foreach (var member in conversation.Plan.Members)
            {
                byUser[member].Add(conversation);
            }
        }

        var hubs = options.Urls.Select(url => new Uri(url, "hubs/chat")).ToArray();
        return [.. world.Users.Select(user =>
        {
            var first = (user.Index + options.ProcessIndex) % hubs.Length;
            var alternates = Enumerable.Range(1, hubs.Length - 1).Select(k => hubs[(first + k) % hubs.Length]).ToArray();
            return new SimulatedUser(user, hubs[first], alternates, [.. byUser[user.Index]]);
        })];
    }

    // ---- connect ---------------------------------------------------------------------------------

    private async Task ConnectAllAsync(SimulatedUser[] users, HttpClient http, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(ConnectConcurrency);
        var watch = Stopwatch.StartNew();
        var connects = new List<Task>(users.Length);
        for (var i = 0; i < users.Length; i++)
        {
            // Ramp-up: connection i starts at i / rate seconds, so the frontends see a steady arrival rate.
            var due = TimeSpan.FromSeconds(i / options.RampUpPerSecond) - watch.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }

            await gate.WaitAsync(cancellationToken);
            var user = users[i];
            connects.Add(Task.Run(async () =>
            {
                try
                {
                    await ConnectAsync(user, http, cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }, cancellationToken));
        }

        await Task.WhenAll(connects);
    }

    private async Task ConnectAsync(SimulatedUser user, HttpClient http, CancellationToken cancellationToken)
    {
        var hub = new ChatHubClient(
            new ChatHubClientOptions
            {
                Url = user.HubUrl,
                AlternateUrls = user.AlternateHubUrls,
                AccessToken = user.Account.Token,
                HttpClient = http,
                SkipNegotiation = options.SkipNegotiation,
                InvocationTimeout = options.InvocationTimeout,
            },
            loggers.CreateLogger<ChatHubClient>());
        user.Hub = hub;
        hub.On<MessageEvent>(ChatEvents.MessageCreated, e => OnMessageCreated(user, e));
        hub.Reconnected += _ =>
        {
            _metrics.Reconnected();
            return Task.CompletedTask;
        };
        hub.Closed += error =>
        {
            if (error is not null)
            {
                _metrics.Error("CONNECTION_CLOSED");
            }

            return Task.CompletedTask;
        };
        hub.ResyncRequired += resync =>
        {
            _metrics.ResyncRequired();
            _ = CatchUpAsync(user, http, cancellationToken);
            return Task.CompletedTask;
        };

        for (var attempt = 1; ; attempt++)
        {
            var started = _clock.Elapsed;
            try
            {
                await hub.ConnectAsync(cancellationToken);
                _metrics.Connect.Record(_clock.Elapsed - started);
                return;
            }
            catch (Exception exception) when (exception is HubConnectionException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                if (attempt == 3)
                {
                    _metrics.Error("CONNECT_FAILED");
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), cancellationToken);
            }
        }
    }

    // ---- send ------------------------------------------------------------------------------------

    private async Task SendAsync(SimulatedUser[] users, CancellationToken cancellationToken)
    {
        var schedule = new OpenLoopSchedule(options.MessagesPerSecond, _random);
        var end = options.Duration.TotalSeconds;
        var next = schedule.Next();
        long sent = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = (_clock.Elapsed - MeasureStart).TotalSeconds;
            while (next <= now)
            {
                if (next > end || sent >= (options.Messages ?? long.MaxValue))
                {
                    return;
                }

                Fire(users[_random.Next(users.Length)], MeasureStart.Ticks / TimeSpan.TicksPerMicrosecond + (long)(next * 1_000_000));
                sent++;
                next = schedule.Next();
            }

            if (next > end)
            {
                // Nothing more to send: keep the connections open for the rest of the duration.
                var rest = end - now;
                if (rest > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(rest), cancellationToken);
                }

                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(next - now, 0.001, 0.05)), cancellationToken);
        }
    }

    private void Fire(SimulatedUser user, long scheduledMicros)
    {
        _metrics.SendStarted();
        var conversation = user.Pick(_random);
        var clientMessageId = string.Create(CultureInfo.InvariantCulture, $"{_runTag}-{options.ProcessIndex}-{Interlocked.Increment(ref _messageCounter)}");
        var typing = _random.NextDouble() < options.TypingProbability;
        _ = SendOneAsync(user, conversation, clientMessageId, scheduledMicros, typing);
    }

    private async Task SendOneAsync(SimulatedUser user, ProvisionedConversation? conversation, string clientMessageId, long scheduledMicros, bool typing)
    {
        try
        {
            if (conversation is null)
            {
                throw new InvalidOperationException("The user has no conversation.");
            }

            var hub = user.Hub is { State: HubConnectionState.Connected } connected
                ? connected
                : throw new HubConnectionException("The user is not connected.");
            if (typing)
            {
                _ = SideCallAsync(() => hub.TypingAsync(conversation.Id));
            }

            var content = MessageContent.Create(_runTag, scheduledMicros, options.MessageSize);
            var message = await hub.SendMessageAsync(conversation.Id, new SendMessageRequest(clientMessageId, content), options.InvocationTimeout);
            _metrics.Ack.Record(NowMicros - scheduledMicros);
            _checker.ExpectMessage(conversation.Id, message.Seq, conversation.Participants, user.Account.Id);
            _metrics.SendAcked();
        }
        catch (Exception exception)
        {
            _metrics.SendFailed(RunMetrics.CodeOf(exception));
        }
    }

    /// <summary>
    /// What a client does when the server says events were lost (a stream's silo died): reload the
    /// recent history of its conversations and merge what it lacks. The last 50 before the newest
    /// received are re-read, since the lost ones may lie below messages that arrived live.
    /// </summary>
    private async Task CatchUpAsync(SimulatedUser user, HttpClient http, CancellationToken cancellationToken)
    {
        var api = new ChatApiClient(http, new Uri(user.HubUrl, "/"), user.Account.Token);
        foreach (var conversation in user.Conversations)
        {
            try
            {
                var after = Math.Max(0, _checker.HighestSeq(user.Account.Id, conversation.Id) - 50);
                var page = await api.GetMessagesAsync(conversation.Id, after: after, limit: 100, cancellationToken: cancellationToken);
                foreach (var message in page.Messages)
                {
                    if (message.SenderId != user.Account.Id && MessageContent.TryParse(message.Content, _runTag, out var scheduledMicros)
                        && _checker.RecordCatchUp(user.Account.Id, message.ConversationId, message.Seq))
                    {
                        _metrics.CaughtUpOne();
                        _metrics.DeliveredAt(_clock.Elapsed.Ticks);
                        _metrics.EndToEnd.Record(NowMicros - scheduledMicros);
                    }
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _metrics.Error("CATCH_UP_FAILED");
            }
        }
    }

    private void OnMessageCreated(SimulatedUser user, MessageEvent created)
    {
        var message = created.Message;
        if (message.SenderId == user.Account.Id || !MessageContent.TryParse(message.Content, _runTag, out var scheduledMicros))
        {
            // Our own echo, or a message of an earlier run in a reused conversation.
            return;
        }

        var now = NowMicros;
        var outcome = _checker.RecordDelivery(user.Account.Id, message.ConversationId, message.Seq);
        if (outcome is DeliveryOutcome.Duplicate or DeliveryOutcome.MergedWithCatchUp)
        {
            return;
        }

        _metrics.DeliveredAt(_clock.Elapsed.Ticks);
        _metrics.EndToEnd.Record(now - scheduledMicros);
        if (!_sideTraffic || user.Hub is not { } hub)
        {
            return;
        }

        if (Random.Shared.NextDouble() < options.ReactionProbability)
        {
            _ = SideCallAsync(() => hub.AddReactionAsync(message.ConversationId, message.Id, "👍"));
        }

        if (Random.Shared.NextDouble() < options.ReadProbability)
        {
            _ = SideCallAsync(() => hub.MarkReadAsync(message.ConversationId, message.Seq));
        }
    }

    private async Task SideCallAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception exception)
        {
            _metrics.Error(RunMetrics.CodeOf(exception));
        }
    }

    // ---- drain and report --------------------------------------------------------------------------

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var deadline = _clock.Elapsed + options.DrainTimeout;
        while (_clock.Elapsed < deadline && !cancellationToken.IsCancellationRequested)
        {
            if (_metrics.InFlight == 0 && _checker.Result().Lost == 0)
            {
                return;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    private async Task ReportProgressAsync(int users, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var started = _clock.Elapsed;
        long sent = 0, acked = 0, delivered = 0, errors = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var (sentNow, ackedNow, deliveredNow, errorsNow) = (_metrics.Sent, _metrics.Acked, _metrics.Delivered, _metrics.ErrorCount);
                var ack = _metrics.Ack.TakeInterval();
                var endToEnd = _metrics.EndToEnd.TakeInterval();
                var measuring = _phase is "sending" or "draining";
                if (measuring)
                {
                    _timeline.Add(new TimelinePoint(
                        Math.Round((_clock.Elapsed - MeasureStart).TotalSeconds, 1),
                        ConnectedCount, sentNow - sent, ackedNow - acked, deliveredNow - delivered, errorsNow - errors,
                        ack.ToSnapshot(), endToEnd.ToSnapshot()));
                }

                if (!options.Quiet)
                {
                    var t = measuring ? (_clock.Elapsed - MeasureStart).TotalSeconds : (_clock.Elapsed - started).TotalSeconds;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{Tag}[{_phase,-10} {t,5:0}s] users {ConnectedCount:N0}/{users:N0}  sent {sentNow - sent:N0}/s  acked {ackedNow - acked:N0}/s  delivered {deliveredNow - delivered:N0}/s  ack p99 {ack.ValueAtPercentile(99) / 1000.0:0.0} ms  e2e p99 {endToEnd.ValueAtPercentile(99) / 1000.0:0.0} ms  errors {errorsNow:N0}  in flight {_metrics.InFlight:N0}"));
                }

                (sent, acked, delivered, errors) = (sentNow, ackedNow, deliveredNow, errorsNow);
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }

    private LoadReport BuildReport(ProvisionedWorld world, int users, int connectedAtStart, double connectSeconds, DateTimeOffset startedAt, TimeSpan duration)
    {
        var verdict = _checker.Result();
        var ack = _metrics.Ack.Total();
        var endToEnd = _metrics.EndToEnd.Total();
        var connect = _metrics.Connect.Total();
        // Deliveries go on after the last send; their rate is over the time until the last one arrived.
        var deliveryWindow = Math.Max(duration.TotalSeconds, (TimeSpan.FromTicks(_metrics.LastDeliveryTicks) - MeasureStart).TotalSeconds);
        return new LoadReport
        {
            StartedAt = startedAt,
            Urls = [.. options.Urls.Select(u => u.ToString())],
            Users = users,
            ConnectedUsers = connectedAtStart,
            DurationSeconds = Math.Round(duration.TotalSeconds, 3),
            MessagesSent = _metrics.Sent,
            MessagesAcked = _metrics.Acked,
            MessagesFailed = _metrics.Failed,
            DeliveriesExpected = verdict.Expected,
            DeliveriesReceived = verdict.Received,
            Lost = verdict.Lost,
            Duplicated = verdict.Duplicated,
            OutOfOrder = verdict.OutOfOrder,
            Anomalies = _checker.Anomalies,
            Unexpected = verdict.Unexpected,
            AcceptedPerSecond = ReportMerger.Rate(_metrics.Acked, duration.TotalSeconds),
            DeliveredPerSecond = ReportMerger.Rate(verdict.Received, deliveryWindow),
            AckLatencyMs = LatencySummary.Of(ack),
            EndToEndLatencyMs = LatencySummary.Of(endToEnd),
            ConnectLatencyMs = LatencySummary.Of(connect),
            ConnectSeconds = Math.Round(connectSeconds, 3),
            Reconnects = _metrics.Reconnects,
            Resyncs = _metrics.Resyncs,
            DeliveriesCaughtUp = _metrics.CaughtUp,
            Errors = _metrics.Errors,
            Workload = new WorkloadDescription(
                options.MessagesPerMinute,
                Math.Round(options.MessagesPerSecond, 2),
                options.Groups.Text,
                options.DirectPerUser,
                world.Conversations.Count,
                options.TypingProbability,
                options.ReactionProbability,
                options.ReadProbability,
                options.MessageSize,
                options.RampUpPerSecond),
            Timeline = [.. _timeline],
            Histograms = new ReportHistograms(ack.ToSnapshot(), endToEnd.ToSnapshot(), connect.ToSnapshot()),
        };
    }
}
