using Chat.Testing;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Chat.ServiceDefaults.Database;
using Chat.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;

namespace Chat.Benchmarks;

/// <summary>
/// Suite <c>cluster</c>: two silo processes (this executable in <c>--silo</c> mode) with ADO.NET
/// clustering on a throwaway PostgreSQL, and a cluster client in this process. Silo-to-silo calls
/// are driven from inside one silo to grains activated on the other; client calls go to grains on
/// both silos; then an open loop at a fixed 10,000 calls/s from the client.
/// </summary>
public static class ClusterBenchmark
{
    private const int Grains = 1000;
    private const string SiloMode = "--silo";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public static async Task<BenchmarkReport> RunAsync(TimeSpan duration)
    {
        using var postgres = await PostgresInstance.StartAsync();
        await using (var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString))
        {
            // The product's Orleans schema (membership, storage, reminders and their OrleansQuery rows).
            await SqlMigrator.ApplyAsync(dataSource, "orleans", SqlMigrator.FromEmbeddedResources(typeof(OrleansConfiguration).Assembly), CancellationToken.None);
        }

        var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var ports = FreePorts.Take(4);
        var silos = new List<Process>();
        try
        {
            var starting = Enumerable.Range(0, 2).Select(i => StartSiloAsync(postgres.ConnectionString, clusterId, $"bench-silo-{i + 1}", ports[2 * i], ports[(2 * i) + 1], silos)).ToList();
            await Task.WhenAll(starting).WaitAsync(StartTimeout);

            DbProviderFactories.RegisterFactory(OrleansConfiguration.Invariant, NpgsqlFactory.Instance);
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.ClearProviders();
            builder.UseOrleansClient(client => client
                .Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = clusterId)
                .UseAdoNetClustering(o =>
                {
                    o.Invariant = OrleansConfiguration.Invariant;
                    o.ConnectionString = postgres.ConnectionString;
                }));
            using var client = builder.Build();
            await client.StartAsync().WaitAsync(StartTimeout);
            try
            {
                var factory = client.Services.GetRequiredService<IClusterClient>();
                await WaitForSilosAsync(factory, 2);
                var grains = Enumerable.Range(0, Grains).Select(i => factory.GetGrain<IBenchGrain>(i)).ToArray();
                await Task.WhenAll(grains.Select(g => g.Ping(0).AsTask()));
                var homes = await Task.WhenAll(grains.Select(g => g.WhereAmI()));
                var spread = string.Join(", ", homes.GroupBy(h => h).Select(g => $"{g.Count()} on {g.Key}"));

                var results = new List<BenchmarkResult>();
                var driver = factory.GetGrain<IBenchDriverGrain>(0);
                var targets = 0;
                foreach (var concurrency in new[] { 1, 16, 256 })
                {
                    var remote = await driver.CallRemoteGrains(concurrency, duration.TotalSeconds);
                    targets = remote.Targets;
                    results.Add(remote.Result);
                }

                foreach (var concurrency in new[] { 1, 16, 256 })
                {
                    results.Add(await CallLoad.RunAsync("client-to-silo-call", concurrency, duration, (c, i) => grains[(int)((c * 7919 + i) % Grains)].Ping(1)));
                }

                results.Add(await CallLoad.OpenLoopAsync("client-to-silo-open-loop-10k", 10_000, duration, i => grains[(int)(i % Grains)].Ping(1)));
                return new BenchmarkReport("cluster", duration.TotalSeconds, MachineInfo.Current, results,
                [
                    $"silo-to-silo: callers in one silo process (outside any grain) to {targets} grains on the other; B/call = the calling silo's allocations",
                    $"client-to-silo: {Grains} grains ({spread}); B/call = the client process's allocations",
                    "open loop: 10,000 calls/s issued on a timer whatever the latency; calls/s is the rate achieved",
                ]);
            }
            finally
            {
                await client.StopAsync();
            }
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

                silo.Dispose();
            }
        }
    }

    private static async Task WaitForSilosAsync(IGrainFactory factory, int count)
    {
        var management = factory.GetGrain<IManagementGrain>(0);
        var deadline = Stopwatch.StartNew();
        while ((await management.GetHosts(onlyActive: true)).Count < count)
        {
            if (deadline.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"The cluster did not reach {count} active silos.");
            }

            await Task.Delay(100);
        }
    }

    private static async Task StartSiloAsync(string connectionString, string clusterId, string name, int siloPort, int gatewayPort, List<Process> started)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     typeof(ClusterBenchmark).Assembly.Location, SiloMode,
                     "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                     "--connection-string", connectionString, "--cluster-id", clusterId, "--name", name,
                     "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture),
                 })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {name}");
        lock (started)
        {
            started.Add(process);
        }

        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("READY", StringComparison.Ordinal))
            {
                // Keep draining, so a chatty silo never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync();
                return;
            }
        }

        throw new InvalidOperationException($"{name} exited (code {(process.HasExited ? process.ExitCode : -1)}) before it was ready.");
    }

    /// <summary>
    /// The hidden <c>--silo</c> mode: one benchmark silo (ADO.NET clustering, the bench grains) until
    /// the parent process is gone. Prints <c>READY &lt;silo address&gt;</c> once started.
    /// </summary>
    public static async Task RunSiloAsync(string[] args)
    {
        var parent = int.Parse(Option(args, "--parent-pid"), CultureInfo.InvariantCulture);
        var connectionString = Option(args, "--connection-string");
        var clusterId = Option(args, "--cluster-id");
        var name = Option(args, "--name");
        var siloPort = int.Parse(Option(args, "--silo-port"), CultureInfo.InvariantCulture);
        var gatewayPort = int.Parse(Option(args, "--gateway-port"), CultureInfo.InvariantCulture);

        DbProviderFactories.RegisterFactory(OrleansConfiguration.Invariant, NpgsqlFactory.Instance);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo
            .Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = clusterId)
            .Configure<SiloOptions>(o => o.SiloName = name)
            .ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort)
            .UseAdoNetClustering(o =>
            {
                o.Invariant = OrleansConfiguration.Invariant;
                o.ConnectionString = connectionString;
            }));
        using var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine($"READY {host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress}");
        while (IsAlive(parent))
        {
            await Task.Delay(500);
        }

        // The parent is gone (its PostgreSQL too, most likely): a short, then ungraceful, stop.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await host.StopAsync(patience.Token);
    }

    private static string Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : throw new ArgumentException($"{SiloMode} needs {name}");
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
