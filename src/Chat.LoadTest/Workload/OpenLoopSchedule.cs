namespace Chat.LoadTest.Workload;

/// <summary>
/// Arrival times of a Poisson process: sends are scheduled at a fixed average rate whatever the system
/// answers (open loop), so a slow server shows up as latency and not as a politely lower send rate.
/// Latencies are measured from these scheduled times, which also avoids coordinated omission when the
/// generator itself falls behind.
/// </summary>
internal sealed class OpenLoopSchedule(double ratePerSecond, Random random)
{
    private double _next;

    /// <summary>Seconds from the start to the next arrival (infinity for a rate of 0).</summary>
    public double Next()
    {
        if (ratePerSecond <= 0)
        {
            return double.PositiveInfinity;
        }

        _next += -Math.Log(1 - random.NextDouble()) / ratePerSecond;
        return _next;
    }
}
