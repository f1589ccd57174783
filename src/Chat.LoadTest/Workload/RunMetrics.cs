using System.Collections.Concurrent;
using Chat.Client;
using Chat.LoadTest.Metrics;

namespace Chat.LoadTest.Workload;

/// <summary>The counters and latency recorders of one run, updated from many connections at once.</summary>
internal sealed class RunMetrics
{
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _sent;
    private long _acked;
    private long _failed;
    private long _delivered;
    private long _errorCount;
    private long _reconnects;
    private long _resyncs;
    private long _caughtUp;
    private long _inFlight;
    private long _lastDeliveryTicks;

    public LatencyRecorder Ack { get; } = new();

    public LatencyRecorder EndToEnd { get; } = new();

    public LatencyRecorder Connect { get; } = new();

    public long Sent => Interlocked.Read(ref _sent);

    public long Acked => Interlocked.Read(ref _acked);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>First deliveries of this run's messages (expected or not).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    public long ErrorCount => Interlocked.Read(ref _errorCount);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    public long Resyncs => Interlocked.Read(ref _resyncs);

    /// <summary>Deliveries that arrived by the history catch-up after a resync, not as live events.</summary>
    public long CaughtUp => Interlocked.Read(ref _caughtUp);

    /// <summary>Sends waiting for their acknowledgement.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>When the latest delivery arrived (Stopwatch ticks of the run's clock).</summary>
    public long LastDeliveryTicks => Interlocked.Read(ref _lastDeliveryTicks);

    public IReadOnlyDictionary<string, long> Errors => new SortedDictionary<string, long>(_errors, StringComparer.Ordinal);

    public void SendStarted()
    {
        Interlocked.Increment(ref _sent);
        Interlocked.Increment(ref _inFlight);
    }

    public void SendAcked()
    {
        Interlocked.Increment(ref _acked);
        Interlocked.Decrement(ref _inFlight);
    }

    public void SendFailed(string code)
    {
        Interlocked.Increment(ref _failed);
        Interlocked.Decrement(ref _inFlight);
        Error(code);
    }

    public void Error(string code)
    {
        Interlocked.Increment(ref _errorCount);
        _errors.AddOrUpdate(code, 1, static (_, count) => count + 1);
    }

    public void DeliveredAt(long ticks)
    {
        Interlocked.Increment(ref _delivered);
        long seen;
        do
        {
            seen = Interlocked.Read(ref _lastDeliveryTicks);
        }
        while (ticks > seen && Interlocked.CompareExchange(ref _lastDeliveryTicks, ticks, seen) != seen);
    }

    public void Reconnected() => Interlocked.Increment(ref _reconnects);

    public void ResyncRequired() => Interlocked.Increment(ref _resyncs);

    public void CaughtUpOne() => Interlocked.Increment(ref _caughtUp);

    /// <summary>The code a failure is counted under: the SPEC section 7 code, or a client-side reason.</summary>
    public static string CodeOf(Exception exception) => exception switch
    {
        ChatClientException chat => chat.Code,
        TimeoutException => "TIMEOUT",
        HubConnectionException => "NOT_CONNECTED",
        HttpRequestException => "HTTP_ERROR",
        OperationCanceledException => "CANCELLED",
        _ => exception.GetType().Name,
    };
}
