using System.Data.Common;
using Chat.Silo.Hosting;
using Chat.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;

namespace Chat.Grains.Tests.Infrastructure;

/// <summary>
/// Real silo processes (<see cref="SiloProcess"/>) in a cluster of their own id on a test database,
/// and an Orleans cluster client in this process that finds their gateways in the PostgreSQL
/// membership table, as a frontend does.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The client's response timeout.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What every test silo process gets, as <see cref="ChatSilo.DefaultConfiguration"/> in process.</summary>
    private static readonly Dictionary<string, string> DefaultEnvironment = new()
    {
        ["Chat__Auth__PasswordHashIterations"] = "1000",
        ["Chat__Limits__MessagesPerMinute"] = "100000",
    };
    private readonly List<SiloProcess> _silos = [];
    private IHost? _client;

    private ProcessCluster(string connectionString, string clusterId)
    {
        ConnectionString = connectionString;
        ClusterId = clusterId;
    }

    public string ConnectionString { get; }

    public string ClusterId { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public IClusterClient Client => _client?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("Not started.");

    /// <summary>The warnings and errors the client logged.</summary>
    public LogCollector ClientLogs { get; } = new();

    /// <summary>Starts <paramref name="silos"/> silo processes at once, then the client; returns when the client sees them all active.</summary>
    public static async Task<ProcessCluster> StartAsync(string connectionString, int silos, IReadOnlyDictionary<string, string>? environment = null)
    {
        var cluster = new ProcessCluster(connectionString, "gt-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            var settings = new Dictionary<string, string>(DefaultEnvironment);
            foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            {
                settings[key] = value;
            }

            var starting = Enumerable.Range(1, silos)
                .Select(i => SiloProcess.StartAsync(connectionString, cluster.ClusterId, $"{cluster.ClusterId}-silo{i}", settings))
                .ToList();
            try
            {
                await Task.WhenAll(starting).WaitAsync(StartTimeout);
            }
            finally
            {
                foreach (var start in starting.Where(s => s.IsCompletedSuccessfully))
                {
                    cluster._silos.Add(start.Result);
                }
            }

            await cluster.StartClientAsync();
            await cluster.WaitForActiveSilosAsync(silos);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartClientAsync()
    {
        DbProviderFactories.RegisterFactory(OrleansConfiguration.Invariant, NpgsqlFactory.Instance);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders().AddProvider(ClientLogs);
        builder.UseOrleansClient(client => client
            .UseAdoNetClustering(o =>
            {
                o.Invariant = OrleansConfiguration.Invariant;
                o.ConnectionString = ConnectionString;
            })
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = new ChatSiloOptions().ServiceId;
            })
            .Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(2))
            // A call whose request was on its way to a silo when it was SIGKILLed gets no answer: it
            // ends with this timeout (Orleans' default is 30 s) and the caller retries.
            .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout));
        _client = builder.Build();
        await _client.StartAsync().WaitAsync(StartTimeout);
    }

    /// <summary>Waits until the membership (as the cluster sees it) has exactly <paramref name="count"/> active silos.</summary>
    public async Task WaitForActiveSilosAsync(int count, TimeSpan? within = null)
    {
        var management = Client.GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                var hosts = await management.GetHosts(onlyActive: true).WaitAsync(ChatSilo.Timeout);
                if (hosts.Count == count)
                {
                    return;
                }
            }
            catch (Exception exception) when (IsTransient(exception) && DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The cluster did not reach {count} active silos: {Describe()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The silo process holding the activation of <paramref name="grain"/> (activating it if needed by a call beforehand).</summary>
    public async Task<SiloProcess> HostOfAsync(IAddressable grain)
    {
        var address = await Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain).AsTask().WaitAsync(ChatSilo.Timeout);
        Assert.NotNull(address);
        return _silos.Single(s => s.SiloPort == address.Endpoint.Port);
    }

    /// <summary>Failures a caller retries while a silo is lost (and the cluster notices).</summary>
    public static bool IsTransient(Exception exception) =>
        GrainCallRetry.IsTransient(exception) || exception is TimeoutException or Orleans.Runtime.Messaging.ConnectionFailedException
        || exception is ChatException { Code: ChatErrorCodes.Unavailable };

    /// <summary>Every silo's state and last output plus the client's warnings, for failure messages.</summary>
    public string Describe() =>
        string.Join(Environment.NewLine + Environment.NewLine, _silos.Select(s => s.Describe()))
        + Environment.NewLine + "client: " + string.Join(Environment.NewLine, ClientLogs.Entries.TakeLast(50));

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try
            {
                await _client.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
            {
            }

            _client.Dispose();
        }

        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }
}
