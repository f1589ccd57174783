using System.Data.Common;
using Chat.Grains;
using Chat.ServiceDefaults.Cluster;
using Chat.ServiceDefaults.Database;
using Chat.ServiceDefaults.Health;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Chat.Frontend.Hosting;

/// <summary>The frontend as an Orleans cluster client (docs/orleans.md, "Frontends").</summary>
internal static class ClusterClientConfiguration
{
    /// <summary>
    /// The cluster client: gateways from the PostgreSQL membership table (refreshed every 2 s), the
    /// event streams' provider, a connection that waits for a first gateway instead of failing, and
    /// its start moved off the host's start (<see cref="ClusterClientStarter"/>).
    /// </summary>
    public static WebApplicationBuilder AddChatClusterClient(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        DbProviderFactories.RegisterFactory("Npgsql", Npgsql.NpgsqlFactory.Instance);
        services.AddOptions<ChatClusterOptions>().BindConfiguration(ChatClusterOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ClusterConnectionState>();
        services.AddHealthChecks().AddCheck<ClusterClientReadinessCheck>("cluster", tags: [ChatHealthChecks.ReadyTag]);

        ClusterClientStarter.Wrap(services, _ => builder.UseOrleansClient(client =>
        {
            // From the options, not from the configuration read now: hosts (and tests) may add configuration later.
            client.Services.AddOptions<ClusterOptions>().Configure<IOptions<ChatClusterOptions>>((o, cluster) =>
            {
                o.ClusterId = cluster.Value.ClusterId;
                o.ServiceId = cluster.Value.ServiceId;
            });
            client.Services.Configure<Orleans.Serialization.ExceptionSerializationOptions>(ChatSerialization.Configure);
            client.UseAdoNetClustering(o => o.Invariant = "Npgsql");
            client.Services.AddOptions<AdoNetClusteringClientOptions>().Configure<ChatDataSource>((o, pool) => o.DataSource = pool.DataSource);
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(2));
            // A call in flight to a silo that was killed ends only at its response timeout (Orleans' default
            // 30 s): a client cannot tell that the grain's silo died. 5 s keeps such a send short (the
            // kill-a-silo drill measured 11 s of recovery with 10 s); sends are idempotent and retried after it.
            client.Services.AddOptions<ClientMessagingOptions>().Configure(o => o.ResponseTimeout = TimeSpan.FromSeconds(5)).BindConfiguration("Orleans:Messaging");
            client.AddMemoryStreams(FrontendEventStream.ProviderName);
            client.Services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<ClusterConnectionState>());
            // No silo yet (or none reachable): keep trying until one answers or the host stops.
            client.UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                return !cancellationToken.IsCancellationRequested;
            });
        }));
        return builder;
    }
}
