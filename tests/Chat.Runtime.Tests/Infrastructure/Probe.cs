using System.Collections.Concurrent;

namespace Chat.Runtime.Tests.Infrastructure;

/// <summary>What test grains report to the test: events, counters and gates, shared through DI.</summary>
public sealed class Probe
{
    private readonly ConcurrentDictionary<string, int> _counters = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();

    public ConcurrentQueue<string> Events { get; } = new();

    public void Record(string evt) => Events.Enqueue(evt);

    public int Increment(string name) => _counters.AddOrUpdate(name, 1, static (_, v) => v + 1);

    public int Count(string name) => _counters.GetValueOrDefault(name);

    /// <summary>A gate grains can wait on until the test opens it.</summary>
    public TaskCompletionSource Gate(string name) =>
        _gates.GetOrAdd(name, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Waits until <paramref name="condition"/> holds, polling, or fails after the deadline.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? deadline = null, string? because = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException("Condition not met in time" + (because is null ? "" : ": " + because));
            }

            await Task.Delay(10);
        }
    }
}
