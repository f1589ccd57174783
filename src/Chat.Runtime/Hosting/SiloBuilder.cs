using System.Reflection;
using System.Text.Json;
using Chat.Runtime.Activation;
using Chat.Runtime.Diagnostics;
using Chat.Runtime.Invocation;
using Chat.Runtime.Persistence;
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

        Services.AddOptions<RuntimeDatabaseOptions>().BindConfiguration(RuntimeDatabaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        Services.AddSingleton<RuntimeDataSource>();
        Services.AddSingleton<ISiloStartupTask>(sp => new MigrationStartupTask(
            sp.GetRequiredService<RuntimeDataSource>().DataSource, "runtime", SqlMigrator.FromEmbeddedResources(typeof(SiloBuilder).Assembly), sp.GetRequiredService<RuntimeLog>()));
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
    public RuntimeDataSource(IOptions<RuntimeDatabaseOptions> options) => DataSource = NpgsqlDataSource.Create(options.Value.ConnectionString);

    /// <summary>The pool.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

internal sealed record GrainClassRegistration(Type GrainClass);

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
        services.TryAddSingleton<IGrainFactory>(sp => sp.GetRequiredService<SiloRuntimeClient>());
        services.TryAddSingleton<IClusterClient>(sp => sp.GetRequiredService<SiloRuntimeClient>());
        services.AddHostedService<SiloHostedService>();
    }

    private sealed class SiloMarker;
}

/// <summary>Starts the silo (startup tasks, then calls) and stops it (deactivate everything, then refuse calls).</summary>
internal sealed class SiloHostedService(
    IEnumerable<ISiloStartupTask> startupTasks,
    Catalog catalog,
    SiloRuntimeClient client,
    IOptions<SiloOptions> siloOptions,
    IOptions<ActivationOptions> activationOptions,
    RuntimeLog log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var task in startupTasks)
        {
            await task.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }

        var options = siloOptions.Value;
        log.SiloStarted(options.Name, options.ServiceId, options.ClusterId);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        log.SiloStopping(siloOptions.Value.Name, catalog.Count);
        await catalog.DeactivateAllAsync(
            new DeactivationReason(DeactivationReasonCode.ShuttingDown, "silo stopping"),
            activationOptions.Value.DeactivationTimeout,
            cancellationToken).ConfigureAwait(false);
        client.Stop();
        await catalog.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Gives tests and hosts the runtime's JSON settings (the ones grain references bind with).</summary>
public sealed class RuntimeServicesAccessor
{
    internal RuntimeServicesAccessor(System.Text.Json.JsonSerializerOptions serializerOptions) => SerializerOptions = serializerOptions;

    /// <summary>The runtime's JSON settings.</summary>
    public System.Text.Json.JsonSerializerOptions SerializerOptions { get; }
}
