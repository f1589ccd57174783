namespace Chat.Runtime.Tests.Grains;

/// <summary>Every return shape the proxies must support, plus a concurrency detector.</summary>
public interface ICounterGrain : IGrainWithGuidKey
{
    Task Increment();

    Task<int> Add(int amount);

    ValueTask Reset();

    ValueTask<int> Get();

    /// <summary>Awaits inside the turn; records if another request ever entered meanwhile.</summary>
    Task<int> SlowIncrement(int delayMs);

    Task<string> Echo(string text);

    Task<Guid> GetKey();

    Task<int> MaxConcurrency();
}

public sealed class CounterGrain : Grain, ICounterGrain
{
    private int _value;
    private int _inside;
    private int _maxInside;

    public Task Increment()
    {
        _value++;
        return Task.CompletedTask;
    }

    public Task<int> Add(int amount) => Task.FromResult(_value += amount);

    public ValueTask Reset()
    {
        _value = 0;
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> Get() => new(_value);

    public async Task<int> SlowIncrement(int delayMs)
    {
        var inside = Interlocked.Increment(ref _inside);
        _maxInside = Math.Max(_maxInside, inside);
        await Task.Delay(delayMs);
        await Task.Yield();
        var value = ++_value;
        Interlocked.Decrement(ref _inside);
        return value;
    }

    public Task<string> Echo(string text) => Task.FromResult(text);

    public Task<Guid> GetKey() => Task.FromResult(this.GetPrimaryKey());

    public Task<int> MaxConcurrency() => Task.FromResult(_maxInside);
}
