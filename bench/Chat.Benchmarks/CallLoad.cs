using System.Diagnostics;

namespace Chat.Benchmarks;

/// <summary>
/// Closed-loop load: N callers, each awaiting one call at a time for a fixed duration, each with
/// its own histogram (no shared counters on the hot path).
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
        var (calls, elapsed, histogram) = await RunCoreAsync(concurrency, duration, call);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new BenchmarkResult(
            name,
            concurrency,
            Math.Round(calls / elapsed.TotalSeconds),
            histogram.Percentile(50),
            histogram.Percentile(99),
            Math.Round((double)allocated / Math.Max(1, calls), 1));
    }

    private static async Task<(long Calls, TimeSpan Elapsed, LatencyHistogram Histogram)> RunCoreAsync(int concurrency, TimeSpan duration, Func<int, long, ValueTask<int>> call)
    {
        var histograms = Enumerable.Range(0, concurrency).Select(_ => new LatencyHistogram()).ToArray();
        var counts = new long[concurrency];
        var stop = 0;
        var started = Stopwatch.GetTimestamp();
        var callers = Enumerable.Range(0, concurrency).Select(c => Task.Run(async () =>
        {
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
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromMinutes(2));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var merged = new LatencyHistogram();
        foreach (var h in histograms)
        {
            merged.Merge(h);
        }

        return (counts.Sum(), elapsed, merged);
    }
}
