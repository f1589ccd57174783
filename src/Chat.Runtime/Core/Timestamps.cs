namespace Chat.Runtime;

/// <summary>Conversions between <see cref="TimeSpan"/> and <see cref="TimeProvider"/> timestamps.</summary>
internal static class Timestamps
{
    public static long FromTimeSpan(TimeProvider time, TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span >= TimeSpan.FromDays(3650)
            ? long.MaxValue / 4
            : (long)(span.Ticks * ((double)time.TimestampFrequency / TimeSpan.TicksPerSecond));
}
