namespace Chat.LoadTest.Metrics;

/// <summary>
/// A thread-safe recorder: every value goes into the run's histogram and the current interval's; the
/// progress line and the timeline take the interval every second. A lock is enough: recording is a few
/// additions, and even 100,000 values per second leave it uncontended on two cores.
/// </summary>
public sealed class LatencyRecorder
{
    private readonly Lock _lock = new();
    private readonly LatencyHistogram _total = new();
    private LatencyHistogram _interval = new();

    /// <summary>Records a latency in microseconds.</summary>
    public void Record(long microseconds)
    {
        lock (_lock)
        {
            _total.Record(microseconds);
            _interval.Record(microseconds);
        }
    }

    /// <summary>Records an elapsed time.</summary>
    public void Record(TimeSpan elapsed) => Record(elapsed.Ticks / TimeSpan.TicksPerMicrosecond);

    /// <summary>The values recorded since the previous call; a new interval starts.</summary>
    public LatencyHistogram TakeInterval()
    {
        lock (_lock)
        {
            var interval = _interval;
            _interval = new LatencyHistogram();
            return interval;
        }
    }

    /// <summary>A copy of everything recorded so far.</summary>
    public LatencyHistogram Total()
    {
        lock (_lock)
        {
            return _total.Clone();
        }
    }
}
