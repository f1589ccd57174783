using Chat.Runtime.Hosting;
using Chat.Runtime.Membership;
using Chat.Runtime.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Runtime.Testing;

/// <summary>How a <see cref="TestCluster"/> is built.</summary>
public sealed class TestClusterOptions
{
    /// <summary>PostgreSQL database for membership and storage (required).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Silos started by <see cref="TestCluster.StartAsync"/>. Default 2.</summary>
    public int InitialSilos { get; init; } = 2;

    /// <summary>The cluster id; a fresh one by default so clusters never see each other.</summary>
    public string ClusterId { get; init; } = "test-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Configures each silo (grain assemblies, storage…).</summary>
    public Action<SiloBuilder>? ConfigureSilo { get; init; }

    /// <summary>Adds services to every silo and to the client.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Extra configuration for silos and the client (e.g. shorter timeouts).</summary>
    public IReadOnlyDictionary<string, string?> Configuration { get; init; } = new Dictionary<string, string?>();
}

/// <summary>One silo of a <see cref="TestCluster"/>.</summary>
public sealed class TestSilo
{
    internal TestSilo(string name, IHost host)
    {
        Name = name;
        Host = host;
        Address = host.Services.GetRequiredService<SiloState>().Address ?? throw new InvalidOperationException("The silo has not joined.");
    }

    /// <summary>The silo's name (silo-1, silo-2, …).</summary>
    public string Name { get; }

    /// <summary>The silo's host.</summary>
    public IHost Host { get; }

    /// <summary>The silo's services.</summary>
    public IServiceProvider Services => Host.Services;

    /// <summary>The silo's state.</summary>
    public SiloState State => Services.GetRequiredService<SiloState>();

    /// <summary>The silo's cluster address (kept after the silo stops).</summary>
    public SiloAddress Address { get; }

    /// <summary>The grain factory inside this silo.</summary>
    public IGrainFactory GrainFactory => Services.GetRequiredService<IGrainFactory>();

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Address})";
}

/// <summary>
/// Several silos in this process, on loopback ports, forming one cluster over a PostgreSQL
/// database, plus a cluster client — like Orleans' TestingHost. Silos talk over real sockets.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterOptions _options;
    private readonly List<TestSilo> _silos = [];
    private readonly object _lock = new();
    private IHost? _client;
    private int _nextSilo;

    private TestCluster(TestClusterOptions options) => _options = options;

    /// <summary>The cluster id.</summary>
    public string ClusterId => _options.ClusterId;

    /// <summary>Silos that are running (neither stopped nor killed).</summary>
    public IReadOnlyList<TestSilo> Silos
    {
        get
        {
            lock (_lock)
            {
                return [.. _silos];
            }
        }
    }

    /// <summary>The cluster client (a separate host in this process, like a frontend).</summary>
    public IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    /// <summary>The client's services.</summary>
    public IServiceProvider ClientServices => _client!.Services;

    /// <summary>Starts the silos, then the client, and waits until all agree on the membership.</summary>
    public static async Task<TestCluster> StartAsync(TestClusterOptions options)
    {
        var cluster = new TestCluster(options);
        try
        {
            for (var i = 0; i < options.InitialSilos; i++)
            {
                await cluster.StartAdditionalSiloAsync().ConfigureAwait(false);
            }

            await cluster.StartClientAsync().ConfigureAwait(false);
            await cluster.WaitForLivenessToStabilizeAsync().ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts one more silo and waits until it is active.</summary>
    public async Task<TestSilo> StartAdditionalSiloAsync()
    {
        var name = $"silo-{Interlocked.Increment(ref _nextSilo)}";
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(BaseConfiguration(name));
        _options.ConfigureServices?.Invoke(builder.Services);
        builder.Services.AddChatSilo(silo =>
        {
            silo.UseClustering();
            _options.ConfigureSilo?.Invoke(silo);
        });
        var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var silo = new TestSilo(name, host);
        lock (_lock)
        {
            _silos.Add(silo);
        }

        return silo;
    }

    /// <summary>Stops a silo gracefully: it leaves placement, deactivates its grains and marks itself dead.</summary>
    public async Task StopSiloAsync(TestSilo silo)
    {
        lock (_lock)
        {
            _silos.Remove(silo);
        }

        await silo.Host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        silo.Host.Dispose();
    }

    /// <summary>Kills a silo: sockets dropped, heartbeats stop, no deactivation, no goodbye.</summary>
    public async Task KillSiloAsync(TestSilo silo)
    {
        lock (_lock)
        {
            _silos.Remove(silo);
        }

        silo.State.Kill();
        await silo.Host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        silo.Host.Dispose();
    }

    /// <summary>Freezes a silo's heartbeats and failure detection, as a long pause would.</summary>
    public static void PauseSilo(TestSilo silo, bool paused) => silo.State.Pause(paused);

    /// <summary>
    /// Waits until the running silos are exactly the active members and every running silo and the
    /// client hold a view of the same version.
    /// </summary>
    public async Task WaitForLivenessToStabilizeAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var silos = Silos;
            var expected = silos.Select(s => s.Address).OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray();
            var views = silos.Select(s => s.State.View).ToList();
            if (_client is not null)
            {
                views.Add(_client.Services.GetRequiredService<ClusterClientState>().View);
            }

            if (views.Count > 0
                && views.All(v => v.Version == views[0].Version)
                && views[0].ActiveSilos.SequenceEqual(expected)
                && silos.All(s => s.State.IsActive))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"Membership did not stabilise: expected active [{string.Join(", ", expected)}], views: " +
                    string.Join(" | ", views.Select(v => $"v{v.Version}: [{string.Join(", ", v.ActiveSilos)}]")));
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private async Task StartClientAsync()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(BaseConfiguration("client"));
        _options.ConfigureServices?.Invoke(builder.Services);
        builder.Services.AddChatClusterClient();
        _client = builder.Build();
        await _client.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
    }

    private Dictionary<string, string?> BaseConfiguration(string name)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Chat:Database:ConnectionString"] = _options.ConnectionString,
            ["Chat:Silo:ClusterId"] = _options.ClusterId,
            ["Chat:Silo:Name"] = name,
        };
        foreach (var (key, value) in _options.Configuration)
        {
            configuration[key] = value;
        }

        return configuration;
    }

    /// <summary>Stops the client and every silo.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try
            {
                await _client.StopAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            finally
            {
                _client.Dispose();
            }
        }

        foreach (var silo in Silos)
        {
            try
            {
                await StopSiloAsync(silo).ConfigureAwait(false);
            }
            catch (Exception)
            {
                await KillSiloAsync(silo).ConfigureAwait(false);
            }
        }
    }
}
