using Chat.LoadTest.Metrics;

namespace Chat.LoadTest.Reporting;

/// <summary>
/// The result of a load run (<c>--report file.json</c>). Latencies are in milliseconds; the histograms
/// (microseconds, sparse) make reports of several load generators mergeable exactly.
/// </summary>
public sealed record LoadReport
{
    /// <summary>Format version of this document.</summary>
    public int Version { get; init; } = 1;

    /// <summary>When the measured phase began (after provisioning and connecting).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>The frontends the users were spread over.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>Load generator processes merged into this report.</summary>
    public int Processes { get; init; } = 1;

    /// <summary>Simulated users.</summary>
    public int Users { get; init; }

    /// <summary>Users connected when the measured phase began.</summary>
    public int ConnectedUsers { get; init; }

    /// <summary>Length of the measured phase (sending), in seconds.</summary>
    public double DurationSeconds { get; init; }

    /// <summary>Sends attempted.</summary>
    public long MessagesSent { get; init; }

    /// <summary>Sends acknowledged by the server (durable).</summary>
    public long MessagesAcked { get; init; }

    /// <summary>Sends that failed (see <see cref="Errors"/>).</summary>
    public long MessagesFailed { get; init; }

    /// <summary>Deliveries that had to happen: each acknowledged message times its recipients (sender excluded).</summary>
    public long DeliveriesExpected { get; init; }

    /// <summary>Expected deliveries that happened.</summary>
    public long DeliveriesReceived { get; init; }

    /// <summary>Expected deliveries that never came.</summary>
    public long Lost { get; init; }

    /// <summary>Deliveries of a message the recipient had already.</summary>
    public long Duplicated { get; init; }

    /// <summary>Deliveries that came after a higher seq of the same conversation.</summary>
    public long OutOfOrder { get; init; }

    /// <summary>The first duplicated or out-of-order deliveries with their details (per process; merged reports keep them all).</summary>
    public IReadOnlyList<Verification.DeliveryAnomaly> Anomalies { get; init; } = [];

    /// <summary>Deliveries of messages no acknowledgement announced (a lost ack, not a lost message).</summary>
    public long Unexpected { get; init; }

    /// <summary>Acknowledged messages per second of the measured phase.</summary>
    public double AcceptedPerSecond { get; init; }

    /// <summary>Expected deliveries per second of the measured phase.</summary>
    public double DeliveredPerSecond { get; init; }

    /// <summary>Send → acknowledgement, measured from the scheduled send time (open loop: no coordinated omission).</summary>
    public LatencySummary AckLatencyMs { get; init; } = LatencySummary.Of(new LatencyHistogram());

    /// <summary>Scheduled send time → each recipient's <c>messageCreated</c>.</summary>
    public LatencySummary EndToEndLatencyMs { get; init; } = LatencySummary.Of(new LatencyHistogram());

    /// <summary>One user's connect (negotiate, WebSocket, handshake, first Resume).</summary>
    public LatencySummary ConnectLatencyMs { get; init; } = LatencySummary.Of(new LatencyHistogram());

    /// <summary>Time to connect every user (the ramp-up), in seconds.</summary>
    public double ConnectSeconds { get; init; }

    /// <summary>What the load generator's own memory grew by per connection while connecting (null when nothing connected).</summary>
    public ClientMemory? ClientMemory { get; init; }

    /// <summary>Reconnects during the run.</summary>
    public long Reconnects { get; init; }

    /// <summary>Resyncs the server demanded during the run.</summary>
    public long Resyncs { get; init; }

    /// <summary>Deliveries fetched from history after a resync (a client's catch-up), included in <c>deliveriesReceived</c>.</summary>
    public long DeliveriesCaughtUp { get; init; }

    /// <summary>Failures by SPEC section 7 code (or a client-side reason such as <c>TIMEOUT</c>, <c>NOT_CONNECTED</c>).</summary>
    public IReadOnlyDictionary<string, long> Errors { get; init; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>What was run.</summary>
    public WorkloadDescription? Workload { get; init; }

    /// <summary>One point per second of the measured phase (and the drain after it).</summary>
    public IReadOnlyList<TimelinePoint> Timeline { get; init; } = [];

    /// <summary>The full histograms behind the summaries.</summary>
    public ReportHistograms Histograms { get; init; } = new(HistogramSnapshot.Empty, HistogramSnapshot.Empty, HistogramSnapshot.Empty);
}

/// <summary>The histograms of a report (microseconds).</summary>
public sealed record ReportHistograms(HistogramSnapshot Ack, HistogramSnapshot EndToEnd, HistogramSnapshot Connect);

/// <summary>One second of a run.</summary>
/// <param name="T">Seconds since <see cref="LoadReport.StartedAt"/> at the end of the interval.</param>
/// <param name="Connected">Users connected at that moment.</param>
/// <param name="Sent">Sends attempted in the interval.</param>
/// <param name="Acked">Acknowledgements in the interval.</param>
/// <param name="Delivered">Deliveries in the interval.</param>
/// <param name="Errors">Failures in the interval.</param>
/// <param name="Ack">Acknowledgement latencies of the interval.</param>
/// <param name="EndToEnd">End-to-end latencies of the interval.</param>
public sealed record TimelinePoint(double T, int Connected, long Sent, long Acked, long Delivered, long Errors, HistogramSnapshot Ack, HistogramSnapshot EndToEnd);

/// <summary>The settings of a run, kept in its report.</summary>
public sealed record WorkloadDescription(
    double MessagesPerMinutePerUser,
    double TargetMessagesPerSecond,
    string Groups,
    int DirectConversationsPerUser,
    int Conversations,
    double TypingProbability,
    double ReactionProbability,
    double ReadProbability,
    int MessageSize,
    double RampUpPerSecond);

/// <summary>
/// The load generator's memory growth from before the first connect to after the last, divided by the
/// connections opened: what one client connection costs in the generator process.
/// </summary>
/// <param name="Connections">Connections the growth is divided by.</param>
/// <param name="ManagedBytesPerConnection">Growth of the managed heap after a full GC, per connection.</param>
/// <param name="WorkingSetBytesPerConnection">Growth of the process's working set, per connection.</param>
public sealed record ClientMemory(int Connections, long ManagedBytesPerConnection, long WorkingSetBytesPerConnection)
{
    /// <summary>Combines the figures of several generator processes, weighted by their connections.</summary>
    public static ClientMemory? Merge(IEnumerable<ClientMemory?> parts)
    {
        var present = parts.OfType<ClientMemory>().Where(p => p.Connections > 0).ToList();
        var connections = present.Sum(p => p.Connections);
        return connections == 0
            ? null
            : new ClientMemory(
                connections,
                present.Sum(p => p.ManagedBytesPerConnection * p.Connections) / connections,
                present.Sum(p => p.WorkingSetBytesPerConnection * p.Connections) / connections);
    }
}
