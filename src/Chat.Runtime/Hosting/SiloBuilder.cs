using System.Reflection;
using System.Text.Json;
using Chat.Runtime.Activation;
using Chat.Runtime.Diagnostics;
using Chat.Runtime.Invocation;
using Chat.Runtime.Membership;
using Chat.Runtime.Persistence;
using Chat.Runtime.Streams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Runtime.Hosting;

/// <summary>Configures a silo: its grain classes, storage providers and options.</summary>
public sealed class SiloBuilder
{
    internal SiloBuilder(IServiceCollection services) => Services = services;

    /// <summary>The host's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds every grain class of an assembly.</summary>
    public SiloBuilder AddGrains(Assembly assembly)
    {
        foreach (var type in GrainClassRegistry.GrainClassesOf(assembly))
        {
            Services.AddSingleton(new GrainClassRegistration(type));
        }

        return this;
    }

    /// <summary>Adds one grain class.</summary>
    public SiloBuilder AddGrain<TGrain>()
        where TGrain : class
    {
        Services.AddSingleton(new GrainClassRegistration(typeof(TGrain)));
        return this;
    }

    /// <summary>Adds an in-memory storage provider (tests, demos).</summary>
    public SiloBuilder AddMemoryGrainStorage(string name = GrainStorageNames.Default)
    {
        Services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => new MemoryGrainStorage(sp.GetRequiredService<RuntimeServices>().SerializerOptions));
        return this;
    }

    /// <summary>
    /// Adds the PostgreSQL storage provider on the silo's database (<c>Chat:Database</c>); the
    /// runtime's tables are created by migrations at silo start.
    /// </summary>
    public SiloBuilder AddPostgresGrainStorage(string name = GrainStorageNames.Default)
    {
        UseDatabase();
        Services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => new PostgresGrainStorage(
            sp.GetRequiredService<RuntimeDataSource>().DataSource,
            sp.GetRequiredService<IOptions<SiloOptions>>().Value.ServiceId,
            sp.GetRequiredService<RuntimeServices>().SerializerOptions));
        return this;
    }

    /// <summary>Uses the PostgreSQL database of <c>Chat:Database</c> and applies the runtime's migrations at start.</summary>
    public SiloBuilder UseDatabase()
    {
        if (Services.Any(d => d.ServiceType == typeof(RuntimeDataSource)))
        {
            return this;
        }

        Services.AddOptions<RuntimeDatabaseOptions>().BindConfiguration(RuntimeDatabaseOptions.SectionName).ValidateOnStart();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RuntimeDatabaseOptions>, RuntimeDatabaseOptionsValidator>());
        Services.AddSingleton<RuntimeDataSource>();
        Services.AddSingleton<ISiloStartupTask>(sp => new MigrationStartupTask(
            sp.GetRequiredService<RuntimeDataSource>().DataSource, "runtime", SqlMigrator.FromEmbeddedResources(typeof(SiloBuilder).Assembly), sp.GetRequiredService<RuntimeLog>()));
        return this;
    }

    /// <summary>
    /// Joins a cluster: membership in the silo's database (<c>Chat:Database</c>), a TCP port for
    /// silos and clients, placement by rendezvous hashing. Options bind from <c>Chat:Cluster</c>.
    /// Without it the silo runs alone and reachable only from this process.
    /// </summary>
    public SiloBuilder UseClustering()
    {
        UseDatabase();
        if (Services.Any(d => d.ServiceType == typeof(SiloCluster)))
        {
            return this;
        }

        Services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.SectionName)
                .ValidateOnStart();
        Services.AddSingleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>();
        Services.AddSingleton<SiloCluster>();
        return this;
    }

    /// <summary>
    /// Applies a component's versioned SQL scripts (embedded resources named <c>NNNN_name.sql</c>
    /// in <paramref name="assembly"/>) at silo start, under the migration lock, after the runtime's own.
    /// </summary>
    public SiloBuilder AddMigrations(string component, Assembly assembly)
    {
        UseDatabase();
        Services.AddSingleton<ISiloStartupTask>(sp => new MigrationStartupTask(
            sp.GetRequiredService<RuntimeDataSource>().DataSource, component, SqlMigrator.FromEmbeddedResources(assembly), sp.GetRequiredService<RuntimeLog>()));
        return this;
    }

    /// <summary>Configures options.</summary>
    public SiloBuilder Configure<TOptions>(Action<TOptions> configure)
        where TOptions : class
    {
        Services.Configure(configure);
        return this;
    }
}

/// <summary>Work the silo does at start, before it accepts calls (e.g. migrations), in registration order.</summary>
public interface ISiloStartupTask
{
    /// <summary>Runs the task.</summary>
    Task ExecuteAsync(CancellationToken cancellationToken);
}

/// <summary>Applies one component's migrations at silo start.</summary>
public sealed class MigrationStartupTask : ISiloStartupTask
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _component;
    private readonly IReadOnlyList<Migration> _migrations;
    private readonly RuntimeLog _log;

    internal MigrationStartupTask(NpgsqlDataSource dataSource, string component, IReadOnlyList<Migration> migrations, RuntimeLog log)
    {
        _dataSource = dataSource;
        _component = component;
        _migrations = migrations;
        _log = log;
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(CancellationToken cancellationToken)
    {
        var count = await SqlMigrator.ApplyAsync(_dataSource, _component, _migrations, cancellationToken).ConfigureAwait(false);
        _log.MigrationsApplied(count, _component);
    }
}

/// <summary>The runtime's connection pool on <c>Chat:Database</c>.</summary>
public sealed class RuntimeDataSource : IAsyncDisposable
{
    /// <summary>Creates the data source.</summary>
    public RuntimeDataSource(IOptions<RuntimeDatabaseOptions> options) => DataSource = NpgsqlDataSource.Create(WithPoolDefaults(options.Value.ConnectionString));

    /// <summary>
    /// The connection string with this system's pool defaults where it does not choose itself:
    /// <c>No Reset On Close</c> (no <c>DISCARD ALL</c> each time a connection goes back to the pool —
    /// nothing here leaves session state behind) and <c>Max Auto Prepare=64</c> (the hot statements
    /// are parsed and planned once per connection, not per message). Both were a third of
    /// PostgreSQL's CPU under load (docs/benchmarks.md).
    /// </summary>
    public static string WithPoolDefaults(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var named = given.Keys.Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!named.Contains("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!named.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        return builder.ConnectionString;
    }

    /// <summary>The pool.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

internal sealed record GrainClassRegistration(Type GrainClass);

/// <summary>Reports every invalid cluster option by name.</summary>
internal sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        var failures = options.Validate().ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Runtime-wide singletons that depend on each other lazily.</summary>
internal sealed class RuntimeServices(IServiceProvider services)
{
    private readonly Lazy<JsonSerializerOptions> _serializerOptions = new(() => RuntimeJson.CreateOptions(() => services.GetRequiredService<IGrainFactory>()));

    public JsonSerializerOptions SerializerOptions => _serializerOptions.Value;
}

/// <summary>Registers the silo runtime.</summary>
public static class SiloHostingExtensions
{
    /// <summary>
    /// Adds a silo to the host: grains run in this process and <see cref="IGrainFactory"/> /
    /// <see cref="IClusterClient"/> reach them (co-hosting). Options bind from <c>Chat:Silo</c>,
    /// <c>Chat:Activation</c> and <c>Chat:Messaging</c> and are validated at start.
    /// </summary>
    public static IServiceCollection AddChatSilo(this IServiceCollection services, Action<SiloBuilder>? configure = null)
    {
        var builder = new SiloBuilder(services);
        if (!services.Any(d => d.ServiceType == typeof(SiloMarker)))
        {
            services.AddSingleton<SiloMarker>();
            AddCoreServices(services);
        }

        configure?.Invoke(builder);
        return services;
    }

    private static void AddCoreServices(IServiceCollection services)
    {
        services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ActivationOptions>().BindConfiguration(ActivationOptions.SectionName)
            .Validate(o => o.CollectionAge > TimeSpan.Zero, "Chat:Activation:CollectionAge must be positive.")
            .Validate(o => o.CollectionQuantum > TimeSpan.Zero, "Chat:Activation:CollectionQuantum must be positive.")
            .Validate(o => o.CollectionAgeByType.Values.All(v => v > TimeSpan.Zero), "Chat:Activation:CollectionAgeByType values must be positive.")
            .Validate(o => o.ActivationTimeout > TimeSpan.Zero, "Chat:Activation:ActivationTimeout must be positive.")
            .Validate(o => o.DeactivationTimeout > TimeSpan.Zero, "Chat:Activation:DeactivationTimeout must be positive.")
            .ValidateOnStart();
        services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName)
            .Validate(o => o.ResponseTimeout > TimeSpan.Zero, "Chat:Messaging:ResponseTimeout must be positive.")
            .Validate(o => o.TimeoutCheckInterval > TimeSpan.Zero, "Chat:Messaging:TimeoutCheckInterval must be positive.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddLogging();
        services.TryAddSingleton<RuntimeMetrics>();
        services.TryAddSingleton<RuntimeLog>();
        services.TryAddSingleton<RuntimeServices>();
        services.TryAddSingleton(sp => new RuntimeServicesAccessor(sp.GetRequiredService<RuntimeServices>().SerializerOptions));
        services.TryAddSingleton<IDeepCopier>(sp => new JsonDeepCopier(sp.GetRequiredService<RuntimeServices>().SerializerOptions));
        services.TryAddSingleton(sp => new GrainClassRegistry(
            sp.GetServices<GrainClassRegistration>().Select(r => r.GrainClass),
            sp.GetRequiredService<IOptions<ActivationOptions>>().Value.CollectionAgeByType));
        services.TryAddSingleton(sp => new Catalog(
            sp.GetRequiredService<GrainClassRegistry>(),
            sp,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ActivationOptions>>(),
            sp.GetRequiredService<IOptions<MessagingOptions>>(),
            sp.GetRequiredService<RuntimeLog>(),
            sp.GetRequiredService<RuntimeMetrics>(),
            new Lazy<IGrainFactory>(sp.GetRequiredService<IGrainFactory>),
            sp.GetRequiredService<IDeepCopier>()));
        services.TryAddSingleton<SiloRuntimeClient>();
        services.TryAddSingleton<SiloState>();
        services.TryAddSingleton<IGrainFactory>(sp => sp.GetRequiredService<SiloRuntimeClient>());
        services.TryAddSingleton<IClusterClient>(sp => sp.GetRequiredService<SiloRuntimeClient>());
        services.AddOptions<StreamOptions>().BindConfiguration(StreamOptions.SectionName)
            .Validate(o => o.ReplayBufferSize > 0, "Chat:Streams:ReplayBufferSize must be positive.")
            .Validate(o => o.SubscriptionLease > o.LeaseRenewInterval, "Chat:Streams:SubscriptionLease must be longer than Chat:Streams:LeaseRenewInterval.")
            .ValidateOnStart();
        services.TryAddSingleton(sp => StreamServices.CreateManager(sp));
        services.TryAddSingleton<StreamDelivery>();
        services.TryAddSingleton<IStreamProvider, StreamProvider>();
        services.AddSingleton(new GrainClassRegistration(typeof(StreamGrain)));
        services.AddHostedService<SiloHostedService>();
    }

    private sealed class SiloMarker;
}

/// <summary>
/// Starts the silo (startup tasks, then the cluster, then calls) and stops it gracefully: leave the
/// cluster's placement, deactivate every grain (their state is written), then mark ourselves dead.
/// </summary>
internal sealed class SiloHostedService(
    IEnumerable<ISiloStartupTask> startupTasks,
    Catalog catalog,
    SiloRuntimeClient client,
    SiloState state,
    IOptions<SiloOptions> siloOptions,
    IOptions<ActivationOptions> activationOptions,
    RuntimeLog log,
    SiloCluster? cluster = null) : IHostedService
{
    private volatile bool _joining;
    private int _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var task in startupTasks)
        {
            await task.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }

        if (cluster is not null)
        {
            _joining = true;
            await cluster.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        state.MarkStarted();
        var options = siloOptions.Value;
        log.SiloStarted(options.Name, options.ServiceId, options.ClusterId);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Hosts may stop twice (a failed start, then disposal); only the first stop does the work.
        if (state.IsKilled || Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        state.MarkStopping();
        log.SiloStopping(siloOptions.Value.Name, catalog.Count);
        // A silo whose start failed before it tried to join has no row to leave.
        if (cluster is not null && _joining)
        {
            await BestEffortAsync(() => cluster.BeginLeaveAsync(cancellationToken), "announce leaving").ConfigureAwait(false);
        }

        await catalog.DeactivateAllAsync(
            new DeactivationReason(DeactivationReasonCode.ShuttingDown, "silo stopping"),
            activationOptions.Value.DeactivationTimeout,
            cancellationToken).ConfigureAwait(false);
        if (cluster is not null)
        {
            if (_joining)
            {
                await BestEffortAsync(() => cluster.LeaveAsync(cancellationToken), "leave the cluster").ConfigureAwait(false);
            }

            await cluster.DisposeAsync().ConfigureAwait(false);
        }

        client.Stop();
        await catalog.DisposeAsync().ConfigureAwait(false);
        state.MarkStopped();
    }

    /// <summary>
    /// A step of a graceful stop that may fail (the database is unreachable): the stop goes on,
    /// and the others declare this silo dead once its heartbeats stop.
    /// </summary>
    private async Task BestEffortAsync(Func<Task> step, string what)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.StopStepFailed(what, ex);
        }
    }
}

/// <summary>What a silo is doing now: for health checks, status pages and metrics.</summary>
public sealed class SiloState
{
    private readonly IServiceProvider _services;
    private volatile int _phase;
    private volatile bool _killed;

    /// <summary>Created by the runtime.</summary>
    public SiloState(IServiceProvider services) => _services = services;

    /// <summary>Started and (when clustered) active in the cluster.</summary>
    public bool IsActive => _phase == 1 && (Cluster is null || Cluster.IsActive);

    /// <summary>The silo's cluster address, when clustered.</summary>
    public Messaging.SiloAddress? Address => Cluster?.Address;

    /// <summary>The membership view, when clustered.</summary>
    public ClusterView View => Cluster?.View ?? ClusterView.Empty;

    /// <summary>What this silo's failure detector sees, when clustered.</summary>
    public FailureDetectorStatus? FailureDetector => Cluster?.FailureDetector;

    /// <summary>Activations on this silo.</summary>
    public int ActivationCount => _services.GetRequiredService<Catalog>().Count;

    /// <summary>Activations per grain type on this silo.</summary>
    public IReadOnlyDictionary<string, int> ActivationsByType =>
        _services.GetRequiredService<Catalog>().Activations.GroupBy(a => a.GrainType).ToDictionary(g => g.Key, g => g.Count());

    internal bool IsKilled => _killed;

    private SiloCluster? Cluster => _services.GetService<SiloCluster>();

    internal void MarkStarted() => _phase = 1;

    internal void MarkStopping() => _phase = 2;

    internal void MarkStopped() => _phase = 3;

    /// <summary>Crashes the silo in place: sockets dropped, no goodbye, grains gone without deactivation.</summary>
    internal void Kill()
    {
        _killed = true;
        _phase = 3;
        Cluster?.Kill();
        _services.GetRequiredService<SiloRuntimeClient>().Stop();
        _services.GetRequiredService<Catalog>().Abort();
    }

    /// <summary>Freezes heartbeats and failure detection (a stand-in for a long pause).</summary>
    internal void Pause(bool paused) => Cluster?.Pause(paused);
}

/// <summary>Gives tests and hosts the runtime's JSON settings (the ones grain references bind with).</summary>
public sealed class RuntimeServicesAccessor
{
    internal RuntimeServicesAccessor(System.Text.Json.JsonSerializerOptions serializerOptions) => SerializerOptions = serializerOptions;

    /// <summary>The runtime's JSON settings.</summary>
    public System.Text.Json.JsonSerializerOptions SerializerOptions { get; }
}

/// <summary>Builds the stream services shared by silos and clients.</summary>
internal static class StreamServices
{
    public static StreamSubscriptionManager CreateManager(IServiceProvider services) => new(
        services.GetRequiredService<IGrainFactory>,
        services.GetRequiredService<RuntimeServices>().SerializerOptions,
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<IOptions<StreamOptions>>().Value.LeaseRenewInterval,
        Microsoft.Extensions.Logging.LoggerFactoryExtensions.CreateLogger<StreamSubscriptionManager>(services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
}
