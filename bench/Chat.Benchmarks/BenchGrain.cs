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

/// <summary>Result of a load run made inside a silo.</summary>
[Immutable]
public sealed record DriverResult(long Calls, double Seconds, double P50Us, double P99Us);

/// <summary>Drives calls from inside one silo to grains owned by other silos (silo-to-silo load).</summary>
public interface IBenchDriverGrain : IGrainWithIntegerKey
{
    Task<string> WhereAmI();

    [ResponseTimeout("00:02:00")]
    Task<DriverResult> CallRemoteGrains(int concurrency, double seconds);
}

public sealed class BenchDriverGrain(Chat.Runtime.Hosting.SiloState silo) : Grain, IBenchDriverGrain
{
    public Task<string> WhereAmI() => Task.FromResult(silo.Address?.ToString() ?? "local");

    public async Task<DriverResult> CallRemoteGrains(int concurrency, double seconds)
    {
        var view = silo.View;
        var self = silo.Address!.Value;
        var targets = Enumerable.Range(0, 100_000)
            .Where(i => Chat.Runtime.Placement.PlacementDirector.GetOwner(new GrainId(GrainFactory.GetGrainType(typeof(IBenchGrain)), i.ToString(System.Globalization.CultureInfo.InvariantCulture)), view) != self)
            .Take(1000)
            .Select(i => GrainFactory.GetGrain<IBenchGrain>(i))
            .ToArray();
        // Load generators run outside the grain's turn scheduler, like independent callers in the silo.
        var result = await Task.Run(() => CallLoad.RunAsync("silo-to-silo", concurrency, TimeSpan.FromSeconds(seconds), (c, i) => targets[(int)((c * 7919 + i) % targets.Length)].Ping(1)));
        return new DriverResult((long)(result.CallsPerSecond * seconds), seconds, result.P50Us, result.P99Us);
    }
}
