using System.Diagnostics;

namespace Chat.Benchmarks;

/// <summary>
/// Load shapes. Closed loop: N callers, each awaiting one call at a time for a fixed duration, each
/// with its own histogram (no shared counters on the hot path); the clock starts once every caller
/// is running, and the fewest and most calls any one caller made are reported (fairness: the
/// percentiles are over calls, so a starved caller barely shows in them). Open loop: calls issued at
/// a fixed rate whatever the latency.
/// </summary>
public static class CallLoad
{
    public static async Task<BenchmarkResult> RunAsync(string name, int concurrency, TimeSpan duration, Func<int, long, ValueTask<int>> call)
    {
        // Warm-up with the same shape, so tiering and pools settle before we measure.
        await RunCoreAsync(concurrency, TimeSpan.FromMilliseconds(Math.Min(1000, duration.TotalMilliseconds / 2)), call);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var (perCaller, elapsed, histogram) = await RunCoreAsync(concurrency, duration, call);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var calls = perCaller.Sum();
        return new BenchmarkResult(
            name,
            concurrency,
            Math.Round(calls / elapsed.TotalSeconds),
            histogram.Percentile(50),
            histogram.Percentile(99),
            histogram.Max,
            Math.Round((double)allocated / Math.Max(1, calls), 1),
            calls,
            Math.Round(elapsed.TotalSeconds, 3),
            perCaller.Min(),
            perCaller.Max());
    }

    /// <summary>
    /// Calls at a fixed rate whatever the latency (open loop: a slow system is not given time to
    /// catch up). A dedicated thread issues, every millisecond, the calls that fell due; latency
    /// counts from each call's send (taken before the call is made, so the synchronous part of
    /// sending is included), and the achieved rate is reported so a lagging generator shows.
    /// Reported with 0 callers.
    /// </summary>
    public static async Task<BenchmarkResult> OpenLoopAsync(string name, int perSecond, TimeSpan duration, Func<long, ValueTask<int>> call)
    {
        // Warm-up: the same rate for up to a second.
        await OpenLoopCoreAsync(perSecond, TimeSpan.FromMilliseconds(Math.Min(1000, duration.TotalMilliseconds / 2)), call, new LatencyHistogram());
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var histogram = new LatencyHistogram();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var (total, elapsed) = await OpenLoopCoreAsync(perSecond, duration, call, histogram);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new BenchmarkResult(
            name,
            0,
            Math.Round(total / elapsed.TotalSeconds),
            histogram.Percentile(50),
            histogram.Percentile(99),
            histogram.Max,
            Math.Round((double)allocated / Math.Max(1, total), 1),
            total,
            Math.Round(elapsed.TotalSeconds, 3),
            null,
            null);
    }

    private static async Task<(long[] PerCaller, TimeSpan Elapsed, LatencyHistogram Histogram)> RunCoreAsync(int concurrency, TimeSpan duration, Func<int, long, ValueTask<int>> call)
    {
        var histograms = Enumerable.Range(0, concurrency).Select(_ => new LatencyHistogram()).ToArray();
        var counts = new long[concurrency];
        var stop = 0;
        var ready = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, concurrency).Select(c => Task.Run(async () =>
        {
            Interlocked.Increment(ref ready);
            await gate.Task;
            var histogram = histograms[c];
            long i = 0;
            while (Volatile.Read(ref stop) == 0)
            {
                var t0 = Stopwatch.GetTimestamp();
                await call(c, i++);
                histogram.RecordMicros((Stopwatch.GetTimestamp() - t0) * 1_000_000 / Stopwatch.Frequency);
            }

            counts[c] = i;
        })).ToArray();
        while (Volatile.Read(ref ready) < concurrency)
        {
            await Task.Delay(1);
        }

        var started = Stopwatch.GetTimestamp();
        gate.SetResult();
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromMinutes(2));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var merged = new LatencyHistogram();
        foreach (var h in histograms)
        {
            merged.Merge(h);
        }

        return (counts, elapsed, merged);
    }

    private static async Task<(long Calls, TimeSpan Elapsed)> OpenLoopCoreAsync(int perSecond, TimeSpan duration, Func<long, ValueTask<int>> call, LatencyHistogram histogram)
    {
        var total = (long)(perSecond * duration.TotalSeconds);
        var inFlight = new List<Task>((int)total);
        var started = Stopwatch.GetTimestamp();
        var generator = new Thread(() =>
        {
            long issued = 0;
            while (issued < total)
            {
                var now = Stopwatch.GetTimestamp();
                while (issued < total && started + (long)(issued * (double)Stopwatch.Frequency / perSecond) <= now)
                {
                    var sent = Stopwatch.GetTimestamp();
                    inFlight.Add(Measure(call(issued), sent, histogram));
                    issued++;
                }

                Thread.Sleep(1);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop generator",
        };
        generator.Start();
        await Task.Run(generator.Join);
        await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromMinutes(2));
        return (total, Stopwatch.GetElapsedTime(started));

        static async Task Measure(ValueTask<int> pending, long sent, LatencyHistogram histogram)
        {
            await pending;
            histogram.RecordMicros((Stopwatch.GetTimestamp() - sent) * 1_000_000 / Stopwatch.Frequency);
        }
    }
}
