using System.Diagnostics;

namespace Chat.Client.Tests.Infrastructure;

/// <summary>Waits for conditions with generous deadlines instead of sleeping and hoping.</summary>
public static class Poll
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task UntilAsync(Func<bool> condition, string because, TimeSpan? deadline = null)
    {
        var limit = deadline ?? Deadline;
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                Assert.Fail($"Not within {limit.TotalSeconds:0} s: {because}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Checks that a condition holds continuously for a while (for "stays alive" properties).</summary>
    public static async Task HoldsForAsync(Func<bool> condition, TimeSpan duration, string because)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            Assert.True(condition(), $"after {watch.Elapsed.TotalMilliseconds:0} ms: {because}");
            await Task.Delay(20);
        }
    }
}
