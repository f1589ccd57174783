using Chat.Runtime.Tests.Infrastructure;

namespace Chat.Runtime.Tests.Grains;

/// <summary>Non-reentrant grain with the scheduling attributes.</summary>
public interface ISchedulingGrain : IGrainWithStringKey
{
    /// <summary>Holds the turn until the probe gate <paramref name="gate"/> opens.</summary>
    Task Block(string gate);

    [AlwaysInterleave]
    Task<string> Interleaved();

    [ReadOnly]
    Task<int> ReadWhileBlocked(string gate);

    Task<int> Write();

    [OneWay]
    Task FireAndForget(string gate);

    Task Record(int value);

    Task<int[]> Recorded();

    [ResponseTimeout("00:00:00.300")]
    Task HangWithShortTimeout(string gate);

    Task<string> ThrowDomain(string message);

    Task Hang(string gate);
}

public sealed class SchedulingGrain(Probe probe) : Grain, ISchedulingGrain
{
    private readonly List<int> _recorded = [];
    private int _readersInside;

    public async Task Block(string gate)
    {
        probe.Record($"{GrainId.Key}:block-start");
        await probe.Gate(gate).Task;
        probe.Record($"{GrainId.Key}:block-end");
    }

    public Task<string> Interleaved()
    {
        probe.Record($"{GrainId.Key}:interleaved");
        return Task.FromResult("interleaved");
    }

    public async Task<int> ReadWhileBlocked(string gate)
    {
        var inside = Interlocked.Increment(ref _readersInside);
        probe.Record($"{GrainId.Key}:reader-in:{inside}");
        await probe.Gate(gate).Task;
        Interlocked.Decrement(ref _readersInside);
        return inside;
    }

    public Task<int> Write()
    {
        probe.Record($"{GrainId.Key}:write:{_readersInside}");
        return Task.FromResult(_readersInside);
    }

    public async Task FireAndForget(string gate)
    {
        await probe.Gate(gate).Task;
        probe.Record($"{GrainId.Key}:one-way-done");
    }

    public Task Record(int value)
    {
        _recorded.Add(value);
        return Task.CompletedTask;
    }

    public Task<int[]> Recorded() => Task.FromResult(_recorded.ToArray());

    public Task HangWithShortTimeout(string gate) => probe.Gate(gate).Task;

    public Task<string> ThrowDomain(string message) => throw new TestDomainException(message) { Code = "TEST_CODE" };

    public async Task Hang(string gate)
    {
        probe.Increment($"{GrainId.Key}:hang-started");
        await probe.Gate(gate).Task;
    }
}

public sealed class TestDomainException(string message) : Exception(message)
{
    public required string Code { get; init; }
}
