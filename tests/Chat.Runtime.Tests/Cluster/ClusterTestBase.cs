using Chat.Runtime.SiloProcess;
using Chat.Runtime.Testing;
using Chat.Runtime.Tests.Infrastructure;
using Chat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Runtime.Tests.Cluster;

/// <summary>Builds test clusters of the runtime test grains over a fresh database.</summary>
public static class TestClusters
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static Task<TestCluster> StartAsync(string connectionString, Probe probe, int silos = 2, Dictionary<string, string?>? configuration = null, LogCollector? logs = null) =>
        TestCluster.StartAsync(new TestClusterOptions
        {
            ConnectionString = connectionString,
            InitialSilos = silos,
            ConfigureServices = s =>
            {
                s.AddSingleton(probe);
                if (logs is not null)
                {
                    s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
                }
            },
            ConfigureSilo = s => s.AddGrains(typeof(TestClusters).Assembly).AddGrains(typeof(AppendGrain).Assembly).AddPostgresGrainStorage(),
            Configuration = configuration ?? [],
        });

    /// <summary>Retries a call while the cluster recovers, until it succeeds or the deadline passes.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> call, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                return await call().WaitAsync(Timeout);
            }
            catch (Exception ex) when (ex is SiloUnavailableException or GrainCallTimeoutException or InconsistentStateException && DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }
        }
    }
}

/// <summary>One shared two-silo cluster for tests that leave it as they found it.</summary>
public sealed class SharedClusterFixture : PostgresDatabaseFixture
{
    public Probe Probe { get; } = new();

    public TestCluster Cluster { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Cluster = await TestClusters.StartAsync(ConnectionString, Probe);
    }

    public override async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await base.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedClusterCollection : ICollectionFixture<SharedClusterFixture>
{
    public const string Name = "shared two-silo cluster";
}
