using System.Net;
using Chat.Grains;
using Chat.Grains.Hosting;
using Chat.ServiceDefaults.Database;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Chat.Silo.Hosting;

/// <summary>
/// How this product configures Orleans (docs/orleans.md explains each choice): ADO.NET clustering
/// and grain storage on the shared PostgreSQL pool, memory streams to the frontends with a short
/// pulling period, failure detection tuned to declare a killed silo dead within about 4 s.
/// </summary>
public static class OrleansConfiguration
{
    /// <summary>The ADO.NET invariant of every provider (grain storage defaults to SQL Server's).</summary>
    public const string Invariant = "Npgsql";

    /// <summary>Grain storage of the streams' pub-sub (explicit subscriptions: one per frontend).</summary>
    public const string PubSubStore = "PubSubStore";

    /// <summary>Configures <paramref name="silo"/> from <c>Chat:Silo</c> (<see cref="ChatSiloOptions"/>) and the <c>Orleans:*</c> overrides.</summary>
    public static ISiloBuilder ConfigureChatCluster(this ISiloBuilder silo)
    {
        // From the options, not from the configuration as read while building: hosts (and tests) may add configuration later.
        silo.Services.AddOptions<ClusterOptions>().Configure<IOptions<ChatSiloOptions>>((cluster, options) =>
        {
            cluster.ClusterId = options.Value.ClusterId;
            cluster.ServiceId = options.Value.ServiceId;
        });
        silo.Services.AddOptions<SiloOptions>().Configure<IOptions<ChatSiloOptions>>((o, options) => o.SiloName = options.Value.Name);
        silo.Services.AddOptions<EndpointOptions>().Configure<IOptions<ChatSiloOptions>>((endpoints, options) =>
        {
            // Listens on every interface; advertises the configured address in the membership table.
            endpoints.AdvertisedIPAddress = IPAddress.TryParse(options.Value.AdvertisedIPAddress, out var address) ? address : IPAddress.Loopback;
            endpoints.SiloPort = options.Value.SiloPort;
            endpoints.GatewayPort = options.Value.GatewayPort;
            // Out-of-range ports are left to ChatSiloOptions' validation, which names the option.
            if (options.Value.SiloPort is > 0 and <= IPEndPoint.MaxPort && options.Value.GatewayPort is > 0 and <= IPEndPoint.MaxPort)
            {
                endpoints.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, options.Value.SiloPort);
                endpoints.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, options.Value.GatewayPort);
            }
        });

        silo.Services.Configure<Orleans.Serialization.ExceptionSerializationOptions>(ChatSerialization.Configure);
        silo.UseAdoNetClustering(o => o.Invariant = Invariant);
        silo.Services.AddOptions<AdoNetClusteringSiloOptions>().Configure<ChatDataSource>((o, pool) => o.DataSource = pool.DataSource);
        silo.AddChatGrainStorage();
        silo.AddAdoNetGrainStorage(PubSubStore, o => o.Invariant = Invariant);
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(PubSubStore).Configure<ChatDataSource>((o, pool) => o.DataSource = pool.DataSource);

        silo.AddMemoryStreams(FrontendEventStream.ProviderName, streams =>
        {
            streams.ConfigurePartitioning(EventStreamDefaults.Queues);
            streams.ConfigurePullingAgent(agent => agent.Configure(o => o.GetQueueMsgsTimerPeriod = EventStreamDefaults.PullingPeriod));
        });

        silo.Services.AddOptions<ClusterMembershipOptions>().Configure(FailureDetection.Apply).BindConfiguration("Orleans:Membership");
        silo.Services.AddOptions<GrainCollectionOptions>().BindConfiguration("Orleans:GrainCollection");
        // A call in flight to a silo that was killed ends only at its response timeout (Orleans' default 30 s);
        // the idempotent ones (notices) are retried after it.
        silo.Services.AddOptions<SiloMessagingOptions>().Configure(o => o.ResponseTimeout = TimeSpan.FromSeconds(10)).BindConfiguration("Orleans:Messaging");
        return silo;
    }

    /// <summary>
    /// Grain storage <see cref="ChatGrainStorage.Name"/>: ADO.NET on the shared pool, state written
    /// with Orleans' own serializer (the <c>[GenerateSerializer]</c>/<c>[Id]</c>/<c>[Alias]</c>
    /// contracts of the wire types, so renames and added members stay readable). Not Orleans'
    /// default Newtonsoft JSON: it embeds CLR type names and walks every public property, and
    /// <see cref="EventPosition.Next"/> (a struct returning a struct) recursed until the stack overflowed,
    /// killing the silo whenever a user's event log with events was closed.
    /// </summary>
    public static ISiloBuilder AddChatGrainStorage(this ISiloBuilder silo)
    {
        silo.AddAdoNetGrainStorage(ChatGrainStorage.Name, o => o.Invariant = Invariant);
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(ChatGrainStorage.Name).Configure<ChatDataSource, Orleans.Serialization.Serializer>((o, pool, serializer) =>
        {
            o.DataSource = pool.DataSource;
            o.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer);
        });
        return silo;
    }
}

/// <summary>The event streams' topology (docs/orleans.md, "Streams").</summary>
public static class EventStreamDefaults
{
    /// <summary>Memory-stream queues per cluster; each frontend's stream hashes to one of them. Default 8.</summary>
    public const int Queues = 8;

    /// <summary>How often a pulling agent reads its queue (Orleans' default is 100 ms: latency on every event). 10 ms.</summary>
    public static readonly TimeSpan PullingPeriod = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// Failure detection: a silo that stops answering is probed every second, suspected after three
/// missed probes and declared dead on two votes (one when only two silos are left), so a killed
/// silo is dead within about 4 s while a 2 s pause (GC, SIGSTOP) is survived. The membership table
/// is read every 2 s and heartbeats written every 5 s, so frontends and the table see changes soon.
/// Each value can be overridden under <c>Orleans:Membership</c>.
/// </summary>
public static class FailureDetection
{
    /// <summary>Applies the defaults above.</summary>
    public static void Apply(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.MinProbeTimeout = TimeSpan.FromMilliseconds(500);
        o.MaxProbeTimeout = TimeSpan.FromSeconds(2);
        o.NumMissedProbesLimit = 3;
        o.NumVotesForDeathDeclaration = 2;
        o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        o.DefunctSiloExpiration = TimeSpan.FromHours(1);
        o.DefunctSiloCleanupPeriod = TimeSpan.FromMinutes(10);
    }
}
