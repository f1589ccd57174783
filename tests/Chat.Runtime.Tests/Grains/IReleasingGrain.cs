using Chat.Runtime.Tests.Infrastructure;

namespace Chat.Runtime.Tests.Grains;

/// <summary>A non-reentrant grain whose method ends its turn early (<see cref="ReleasableTurn.Release"/>).</summary>
public interface IReleasingGrain : IGrainWithGuidKey
{
    /// <summary>Counts, records "{key} released", ends its turn, waits for the gate "{key}", then returns the count.</summary>
    Task<int> CountThenWaitAfterRelease();

    /// <summary>Counts and returns the count.</summary>
    Task<int> Count();
}

public sealed class ReleasingGrain(Probe probe) : Grain, IReleasingGrain
{
    private int _count;

    public async Task<int> CountThenWaitAfterRelease()
    {
        var turn = CurrentTurn();
        var result = ++_count;
        var key = this.GetPrimaryKey().ToString();

        // Released from a continuation, as real methods do after their first await.
        await Task.Yield();
        turn.Release();
        probe.Record($"{key} released");
        await probe.Gate(key).Task;
        return result;
    }

    public Task<int> Count() => Task.FromResult(++_count);
}
