using Chat.Runtime.Tests.Infrastructure;

namespace Chat.Runtime.Tests.Grains;

public interface IReentrantGrain : IGrainWithIntegerKey
{
    Task WaitFor(string gate);

    Task Open(string gate);

    /// <summary>Synchronous work between awaits; reports the most threads ever inside at once.</summary>
    Task<int> Churn(int rounds);
}

[Reentrant]
public sealed class ReentrantGrain(Probe probe) : Grain, IReentrantGrain
{
    private int _threadsInside;
    private int _maxThreadsInside;

    public Task WaitFor(string gate) => probe.Gate(gate).Task;

    public Task Open(string gate)
    {
        probe.Gate(gate).TrySetResult();
        return Task.CompletedTask;
    }

    public async Task<int> Churn(int rounds)
    {
        for (var i = 0; i < rounds; i++)
        {
            var inside = Interlocked.Increment(ref _threadsInside);
            _maxThreadsInside = Math.Max(_maxThreadsInside, inside);
            Thread.SpinWait(200);
            Interlocked.Decrement(ref _threadsInside);
            await Task.Yield();
        }

        return _maxThreadsInside;
    }
}
