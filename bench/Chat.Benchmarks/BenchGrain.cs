using Chat.Runtime;

namespace Chat.Benchmarks;

/// <summary>The smallest useful grain: the cost measured is the runtime's, not the grain's.</summary>
public interface IBenchGrain : IGrainWithIntegerKey
{
    ValueTask<int> Ping(int value);

    Task<int> PingTask(int value);
}

public sealed class BenchGrain : Grain, IBenchGrain
{
    private int _calls;

    public ValueTask<int> Ping(int value) => new(value + ++_calls);

    public Task<int> PingTask(int value) => Task.FromResult(value + ++_calls);
}
