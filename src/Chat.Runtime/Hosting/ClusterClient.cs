using Chat.Runtime.Diagnostics;
using Chat.Runtime.Invocation;
using Chat.Runtime.Membership;
using Chat.Runtime.Messaging;
using Chat.Runtime.Placement;
using Chat.Runtime.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Runtime.Hosting;

/// <summary>
/// A client of the cluster from another process (the frontends): reads the active silos from the
/// membership table (LISTEN/NOTIFY plus a periodic read), computes each grain's owner exactly as
/// the silos do, and sends each call straight to it. It offers the same <see cref="IGrainFactory"/>
/// as code inside a silo.
/// </summary>
internal sealed class ClusterClient : GrainCallInvokerBase, IHostedService, IAsyncDisposable
{
    private readonly MembershipViewKeeper _keeper;
    private readonly MessageCenter _messages;
    private readonly GrainCallRouter _router;

    public ClusterClient(
        RuntimeDataSource database,
        IOptions<SiloOptions> silo,
        IOptions<ClusterClientOptions> options,
        IOptions<MessagingOptions> messaging,
        RuntimeServicesAccessor runtime,
        TimeProvider time,
        ILoggerFactory loggers,
        RuntimeLog log,
        IOptions<StreamOptions> streamOptions,
        RuntimeMetrics metrics)
        : base(time, messaging.Value.ResponseTimeout, log)
    {
        ClientId = Guid.NewGuid().ToString("N");
        var table = new MembershipTable(database.DataSource, silo.Value.ClusterId);
        _keeper = new MembershipViewKeeper(table, database.DataSource, options.Value.RefreshInterval, loggers.CreateLogger<MembershipViewKeeper>());
        _messages = new MessageCenter(
            new HelloMessage("client", silo.Value.ClusterId, null, ClientId),
            runtime.SerializerOptions,
            time,
            loggers.CreateLogger<MessageCenter>(),
            messaging.Value.TimeoutCheckInterval,
            options.Value.SendQueueCapacity);
        _router = new GrainCallRouter(null, _messages, _keeper, null);
        _keeper.ViewChanged += OnViewChanged;
        Streams = new StreamSubscriptionManager(() => this, runtime.SerializerOptions, time, streamOptions.Value.LeaseRenewInterval, loggers.CreateLogger<StreamSubscriptionManager>())
        {
            Endpoint = StreamEndpoint.Client(ClientId),
        };
        _messages.OnStreamEvent = (_, body) => Streams.OnFrame(body);
        metrics.MembershipVersionProvider = () => _keeper.Current.Version;
        metrics.ActiveSilosProvider = () => _keeper.Current.ActiveSilos.Count;
        _keeper.ReadFailed += _ => metrics.DatabaseError("membership-read");
    }

    /// <summary>This client's stream subscriptions.</summary>
    internal StreamSubscriptionManager Streams { get; }

    /// <summary>This client's id (silos push stream events to it by this id).</summary>
    public string ClientId { get; }

    /// <summary>True when at least one silo is active.</summary>
    public bool IsConnected => _keeper.Current.ActiveSilos.Count > 0;

    /// <summary>The membership view.</summary>
    public ClusterView View => _keeper.Current;

    internal MessageCenter Messages => _messages;

    internal MembershipViewKeeper Membership => _keeper;

    protected override void Dispatch(GrainRequest request) => _router.Route(request);

    /// <summary>Starts reading membership; the cluster (or its database) need not be up yet.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => _keeper.StartAsync(cancellationToken, requireFirstRead: false);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Stop();
        await DisposeAsync().ConfigureAwait(false);
    }

    private void OnViewChanged(ClusterView old, ClusterView view)
    {
        foreach (var member in view.Members)
        {
            if (member.Status == SiloStatus.Dead && old.StatusOf(member.Address) is not (null or SiloStatus.Dead))
            {
                _messages.DisconnectSilo(member.Address, "declared dead");
            }
        }

        _ = Streams.RenewAllAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Streams.DisposeAsync().ConfigureAwait(false);
        await _keeper.DisposeAsync().ConfigureAwait(false);
        await _messages.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Cluster client settings. Section <c>Chat:Client</c>.</summary>
public sealed class ClusterClientOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Client";

    /// <summary>How often the membership table is re-read besides notifications. Default 1 s.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Frames queued per connection before senders wait. Default 65,536.</summary>
    public int SendQueueCapacity { get; set; } = 65536;
}

/// <summary>Registers the cluster client.</summary>
public static class ClusterClientHostingExtensions
{
    /// <summary>
    /// Adds a cluster client: <see cref="IClusterClient"/> and <see cref="IGrainFactory"/> reach
    /// the grains of the cluster named by <c>Chat:Silo:ClusterId</c>, whose membership is in the
    /// database of <c>Chat:Database</c>. Do not combine with <c>AddChatSilo</c> in one process:
    /// a co-hosted silo already provides the factory.
    /// </summary>
    public static IServiceCollection AddChatClusterClient(this IServiceCollection services)
    {
        services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RuntimeDatabaseOptions>().BindConfiguration(RuntimeDatabaseOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RuntimeDatabaseOptions>, RuntimeDatabaseOptionsValidator>());
        services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName)
            .Validate(o => o.ResponseTimeout > TimeSpan.Zero, "Chat:Messaging:ResponseTimeout must be positive.")
            .Validate(o => o.TimeoutCheckInterval > TimeSpan.Zero, "Chat:Messaging:TimeoutCheckInterval must be positive.")
            .ValidateOnStart();
        services.AddOptions<ClusterClientOptions>().BindConfiguration(ClusterClientOptions.SectionName)
            .Validate(o => o.RefreshInterval > TimeSpan.Zero, "Chat:Client:RefreshInterval must be positive.")
            .Validate(o => o.SendQueueCapacity >= 16, "Chat:Client:SendQueueCapacity must be at least 16.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddLogging();
        services.TryAddSingleton<RuntimeMetrics>();
        services.TryAddSingleton<RuntimeLog>();
        services.TryAddSingleton<RuntimeDataSource>();
        services.TryAddSingleton<RuntimeServices>();
        services.TryAddSingleton(sp => new RuntimeServicesAccessor(sp.GetRequiredService<RuntimeServices>().SerializerOptions));
        services.TryAddSingleton<ClusterClient>();
        services.TryAddSingleton<IClusterClient>(sp => sp.GetRequiredService<ClusterClient>());
        services.TryAddSingleton<IGrainFactory>(sp => sp.GetRequiredService<ClusterClient>());
        services.AddHostedService(sp => sp.GetRequiredService<ClusterClient>());
        services.TryAddSingleton(sp => new ClusterClientState(sp.GetRequiredService<ClusterClient>()));
        services.AddOptions<StreamOptions>().BindConfiguration(StreamOptions.SectionName)
            .Validate(o => o.SubscriptionLease > o.LeaseRenewInterval, "Chat:Streams:SubscriptionLease must be longer than Chat:Streams:LeaseRenewInterval.")
            .ValidateOnStart();
        services.TryAddSingleton<IStreamProvider>(sp => new StreamProvider(sp.GetRequiredService<ClusterClient>().Streams));
        return services;
    }
}

/// <summary>The cluster client's connection state, for health checks and status.</summary>
public sealed class ClusterClientState
{
    private readonly ClusterClient _client;

    internal ClusterClientState(ClusterClient client) => _client = client;

    /// <summary>True when at least one silo is active.</summary>
    public bool IsConnected => _client.IsConnected;

    /// <summary>The membership view.</summary>
    public ClusterView View => _client.View;
}
