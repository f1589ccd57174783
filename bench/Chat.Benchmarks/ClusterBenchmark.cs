using System.Diagnostics;
using Chat.Runtime;
using Chat.Runtime.Hosting;
using Chat.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Benchmarks;

/// <summary>
/// Remote calls between two silo processes (driven from inside one silo) and from a cluster
/// client through the transport, plus open-loop latency at a fixed 10,000 calls/s.
/// </summary>
public static class ClusterBenchmark
{
    private const int Grains = 1000;

    public static async Task<BenchmarkReport> RunAsync(TimeSpan duration)
    {
        await using var postgres = await PostgresServer.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("bench");
        var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var silos = new List<Process>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                silos.Add(await StartSiloAsync(connectionString, clusterId, $"bench-silo-{i + 1}"));
            }

            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Chat:Database:ConnectionString"] = connectionString,
                ["Chat:Silo:ClusterId"] = clusterId,
            });
            builder.Services.AddChatClusterClient();
            using var client = builder.Build();
            await client.StartAsync();
            var state = client.Services.GetRequiredService<ClusterClientState>();
            while (state.View.ActiveSilos.Count < 2)
            {
                await Task.Delay(50);
            }

            var factory = client.Services.GetRequiredService<IGrainFactory>();
            var grains = Enumerable.Range(0, Grains).Select(i => factory.GetGrain<IBenchGrain>(i)).ToArray();
            foreach (var grain in grains)
            {
                await grain.Ping(0);
            }

            var results = new List<BenchmarkResult>();
            foreach (var concurrency in new[] { 1, 16, 256 })
            {
                var driver = factory.GetGrain<IBenchDriverGrain>(0);
                await driver.CallRemoteGrains(concurrency, Math.Min(1, duration.TotalSeconds / 2));
                var remote = await driver.CallRemoteGrains(concurrency, duration.TotalSeconds);
                results.Add(new BenchmarkResult("silo-to-silo-call", concurrency, Math.Round(remote.Calls / remote.Seconds), remote.P50Us, remote.P99Us, null));
            }

            foreach (var concurrency in new[] { 1, 16, 256 })
            {
                results.Add(await CallLoad.RunAsync("client-to-silo-call", concurrency, duration, (c, i) => grains[(int)((c * 7919 + i) % Grains)].Ping(1)));
            }

            results.Add(await OpenLoopAsync("client-to-silo-open-loop-10k", 10_000, duration, i => grains[(int)(i % Grains)].Ping(1)));
            await client.StopAsync();
            return new BenchmarkReport(MachineInfo.Current, results);
        }
        finally
        {
            foreach (var silo in silos)
            {
                if (!silo.HasExited)
                {
                    silo.Kill(entireProcessTree: true);
                    await silo.WaitForExitAsync();
                }
            }
        }
    }

    /// <summary>
    /// Calls at a fixed rate whatever the latency (open loop: a slow system is not given time to
    /// catch up). A dedicated thread issues, every millisecond, the calls that fell due; latency
    /// counts from each call's send, and the achieved rate is reported so a lagging generator shows.
    /// </summary>
    private static async Task<BenchmarkResult> OpenLoopAsync(string name, int perSecond, TimeSpan duration, Func<long, ValueTask<int>> call)
    {
        var histogram = new LatencyHistogram();
        var total = (long)(perSecond * duration.TotalSeconds);
        var inFlight = new List<Task>((int)total);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        var generator = new Thread(() =>
        {
            long issued = 0;
            while (issued < total)
            {
                var now = Stopwatch.GetTimestamp();
                while (issued < total && started + (long)(issued * (double)Stopwatch.Frequency / perSecond) <= now)
                {
                    inFlight.Add(Measure(call(issued), Stopwatch.GetTimestamp(), histogram));
                    issued++;
                }

                Thread.Sleep(1);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop generator",
        };
        generator.Start();
        await Task.Run(generator.Join);
        await Task.WhenAll(inFlight);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var elapsed = Stopwatch.GetElapsedTime(started);
        return new BenchmarkResult(name, 0, Math.Round(total / elapsed.TotalSeconds), histogram.Percentile(50), histogram.Percentile(99), Math.Round((double)allocated / total, 1));

        static async Task Measure(ValueTask<int> pending, long sent, LatencyHistogram histogram)
        {
            await pending;
            histogram.RecordMicros((Stopwatch.GetTimestamp() - sent) * 1_000_000 / Stopwatch.Frequency);
        }
    }

    private static async Task<Process> StartSiloAsync(string connectionString, string clusterId, string name)
    {
        var startInfo = new ProcessStartInfo("dotnet", [typeof(ClusterBenchmark).Assembly.Location, "silo", "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        startInfo.Environment["Chat__Database__ConnectionString"] = connectionString;
        startInfo.Environment["Chat__Silo__ClusterId"] = clusterId;
        startInfo.Environment["Chat__Silo__Name"] = name;
        startInfo.Environment["DOTNET_gcServer"] = "1";
        var process = Process.Start(startInfo)!;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("READY", StringComparison.Ordinal))
            {
                _ = process.StandardOutput.ReadToEndAsync();
                return process;
            }
        }

        throw new InvalidOperationException($"{name} exited before it was ready.");
    }

    /// <summary>The "silo" command: a benchmark silo process until the parent exits.</summary>
    public static async Task RunSiloAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Logging.ClearProviders();
        builder.Services.AddChatSilo(silo => silo.UseClustering().AddGrain<BenchGrain>().AddGrain<BenchDriverGrain>());
        using var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine($"READY {host.Services.GetRequiredService<SiloState>().Address}");
        var index = Array.IndexOf(args, "--parent-pid");
        var parent = index >= 0 ? int.Parse(args[index + 1], System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
        while (parent is null || IsAlive(parent.Value))
        {
            await Task.Delay(500);
        }

        await host.StopAsync();
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
