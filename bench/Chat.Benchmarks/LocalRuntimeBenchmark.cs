using Chat.Runtime;
using Chat.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Benchmarks;

/// <summary>Local (same-silo) grain calls over 1,000 grains with 1, 16 and 256 concurrent callers.</summary>
public static class LocalRuntimeBenchmark
{
    private const int Grains = 1000;

    public static async Task<BenchmarkReport> RunAsync(TimeSpan duration)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddChatSilo(silo => silo.AddGrain<BenchGrain>());
        using var host = builder.Build();
        await host.StartAsync();
        var factory = host.Services.GetRequiredService<IGrainFactory>();
        var grains = Enumerable.Range(0, Grains).Select(i => factory.GetGrain<IBenchGrain>(i)).ToArray();
        foreach (var grain in grains)
        {
            await grain.Ping(0);
        }

        var results = new List<BenchmarkResult>();
        foreach (var concurrency in new[] { 1, 16, 256 })
        {
            results.Add(await CallLoad.RunAsync("local-call-valuetask", concurrency, duration, (c, i) =>
                grains[(int)((c * 7919 + i) % Grains)].Ping(1)));
        }

        foreach (var concurrency in new[] { 1, 16, 256 })
        {
            results.Add(await CallLoad.RunAsync("local-call-task", concurrency, duration, (c, i) =>
                new ValueTask<int>(grains[(int)((c * 7919 + i) % Grains)].PingTask(1))));
        }

        await host.StopAsync();
        return new BenchmarkReport(MachineInfo.Current, results);
    }
}
