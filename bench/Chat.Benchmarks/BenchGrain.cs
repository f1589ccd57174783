using Orleans.Placement;
using Orleans.Runtime;

namespace Chat.Benchmarks;

/// <summary>The smallest useful grain: the cost measured is Orleans', not the grain's.</summary>
[Alias("bench.ping")]
public interface IBenchGrain : IGrainWithIntegerKey
{
    ValueTask<int> Ping(int value);

    /// <summary>The silo holding this activation.</summary>
    Task<SiloAddress> WhereAmI();
}

/// <summary>
/// Random placement: whichever silo activates it, about half of the grains land on the other silo
/// of a two-silo cluster (the default, resource-optimized placement prefers the caller's silo).
/// </summary>
[RandomPlacement]
public sealed class BenchGrain(ILocalSiloDetails silo) : Grain, IBenchGrain
{
    private int _calls;

    public ValueTask<int> Ping(int value) => new(value + ++_calls);

    public Task<SiloAddress> WhereAmI() => Task.FromResult(silo.SiloAddress);
}

/// <summary>Result of a closed-loop run made inside a silo (allocations: that silo's process only), over <paramref name="Targets"/> remote grains.</summary>
[GenerateSerializer, Immutable, Alias("bench.DriverResult")]
public sealed record DriverResult(BenchmarkResult Result, int Targets);

/// <summary>Drives calls from inside one silo to grains activated on the other silos (silo-to-silo load).</summary>
[Alias("bench.driver")]
public interface IBenchDriverGrain : IGrainWithIntegerKey
{
    [ResponseTimeout("00:10:00")]
    Task<DriverResult> CallRemoteGrains(int concurrency, double seconds);
}

public sealed class BenchDriverGrain(ILocalSiloDetails silo) : Grain, IBenchDriverGrain
{
    private const int Targets = 1000;
    private const int Candidates = 20_000;
    private IBenchGrain[]? _targets;

    public async Task<DriverResult> CallRemoteGrains(int concurrency, double seconds)
    {
        var targets = _targets ??= await FindRemoteGrainsAsync();
        // The callers run outside this grain's turn, like independent callers in the silo (a
        // background service, a request handler): the load is not serialized by one activation.
        var result = await Task.Run(() => CallLoad.RunAsync("silo-to-silo-call", concurrency, TimeSpan.FromSeconds(seconds), (c, i) =>
            targets[(int)((c * 7919 + i) % targets.Length)].Ping(1)));
        return new DriverResult(result, targets.Length);
    }

    /// <summary>Activates bench grains (randomly placed) until <see cref="Targets"/> of them live on another silo.</summary>
    private async Task<IBenchGrain[]> FindRemoteGrainsAsync()
    {
        var self = silo.SiloAddress;
        var found = new List<IBenchGrain>(Targets);
        for (var start = 0; start < Candidates && found.Count < Targets; start += 200)
        {
            var batch = Enumerable.Range(start, 200).Select(i => GrainFactory.GetGrain<IBenchGrain>(i)).ToArray();
            var homes = await Task.WhenAll(batch.Select(g => g.WhereAmI()));
            found.AddRange(batch.Where((_, i) => !homes[i].Equals(self)));
        }

        if (found.Count == 0)
        {
            throw new InvalidOperationException($"No bench grain was activated outside {self}: is the other silo in the cluster?");
        }

        return [.. found.Take(Targets)];
    }
}
