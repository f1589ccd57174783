using Chat.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Benchmarks;

/// <summary>
/// Suite <c>calls</c>: one silo (localhost clustering) and a cluster client in this process. In-silo
/// calls go through the silo's own <see cref="IGrainFactory"/> (from outside any grain, like a
/// hosted service); client calls through the client's gateway connection over loopback TCP. Both
/// over 1,000 grains with 1, 16 and 256 concurrent callers.
/// </summary>
public static class CallsBenchmark
{
    private const int Grains = 1000;

    public static async Task<BenchmarkReport> RunAsync(TimeSpan duration)
    {
        var ports = FreePorts.Take(2);
        int siloPort = ports[0], gatewayPort = ports[1];
        var clusterId = "bench-calls-" + Guid.NewGuid().ToString("N")[..8];

        var siloBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        siloBuilder.Logging.ClearProviders();
        siloBuilder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: clusterId, clusterId: clusterId));
        using var silo = siloBuilder.Build();
        await silo.StartAsync();

        var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        clientBuilder.Logging.ClearProviders();
        clientBuilder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort, serviceId: clusterId, clusterId: clusterId));
        using var client = clientBuilder.Build();
        await client.StartAsync();

        try
        {
            var results = new List<BenchmarkResult>();
            var inSilo = await ActivateAsync(silo.Services.GetRequiredService<IGrainFactory>());
            foreach (var concurrency in new[] { 1, 16, 256 })
            {
                results.Add(await CallLoad.RunAsync("in-silo-call", concurrency, duration, (c, i) => inSilo[(int)((c * 7919 + i) % Grains)].Ping(1)));
            }

            var fromClient = await ActivateAsync(client.Services.GetRequiredService<IClusterClient>());
            foreach (var concurrency in new[] { 1, 16, 256 })
            {
                results.Add(await CallLoad.RunAsync("client-to-silo-call", concurrency, duration, (c, i) => fromClient[(int)((c * 7919 + i) % Grains)].Ping(1)));
            }

            return new BenchmarkReport("calls", duration.TotalSeconds, MachineInfo.Current, results,
            [
                "silo and client share this process: B/call counts both sides of a client call",
                "in-silo calls are made outside any grain (silo's IGrainFactory) to 1,000 grains of the same silo",
                "percentiles are over calls: a caller the thread pool serves late (see per caller min-max, max us) barely shows in them",
            ]);
        }
        finally
        {
            await client.StopAsync();
            await silo.StopAsync();
        }

        static async Task<IBenchGrain[]> ActivateAsync(IGrainFactory factory)
        {
            var grains = Enumerable.Range(0, Grains).Select(i => factory.GetGrain<IBenchGrain>(i)).ToArray();
            await Task.WhenAll(grains.Select(g => g.Ping(0).AsTask()));
            return grains;
        }
    }
}
