using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Chat.Silo.Hosting;

/// <summary><c>/status</c>: who this silo is, what it sees of the cluster, how many grains it holds.</summary>
internal static class SiloStatusEndpoint
{
    public static async Task<IResult> GetAsync(
        IOptions<ChatSiloOptions> options, IOptions<SiloHttpOptions> http, ILocalSiloDetails local, IClusterMembershipService membership, IGrainFactory grains)
    {
        var snapshot = membership.CurrentSnapshot;
        var self = snapshot.GetSiloStatus(local.SiloAddress);
        int? activations = null;
        try
        {
            var statistics = await grains.GetGrain<IManagementGrain>(0).GetRuntimeStatistics([local.SiloAddress]).WaitAsync(TimeSpan.FromSeconds(2));
            activations = statistics.FirstOrDefault()?.ActivationCount;
        }
        catch (Exception exception) when (exception is TimeoutException or SiloUnavailableException or OrleansException)
        {
            // Still starting or leaving: the rest of the status is what operators need then.
        }

        return Results.Json(new
        {
            name = options.Value.Name,
            clusterId = options.Value.ClusterId,
            address = local.SiloAddress.ToString(),
            siloPort = options.Value.SiloPort,
            gatewayPort = options.Value.GatewayPort,
            httpUrl = http.Value.HttpUrl,
            status = self.ToString(),
            membershipVersion = snapshot.Version.Value,
            activeSilos = snapshot.Members.Values.Where(m => m.Status == Orleans.Runtime.SiloStatus.Active).Select(m => $"{m.Name} {m.SiloAddress}"),
            activations,
        });
    }
}

/// <summary>Readiness: this silo is Active in its cluster.</summary>
internal sealed class SiloReadinessCheck(ILocalSiloDetails local, IClusterMembershipService membership) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = membership.CurrentSnapshot;
        var status = snapshot.GetSiloStatus(local.SiloAddress);
        var active = snapshot.Members.Values.Count(m => m.Status == Orleans.Runtime.SiloStatus.Active);
        return Task.FromResult(status == Orleans.Runtime.SiloStatus.Active
            ? HealthCheckResult.Healthy($"Active in the cluster as {local.SiloAddress} (membership version {snapshot.Version.Value}, {active} active silos).")
            : HealthCheckResult.Unhealthy($"Not active in the cluster ({status})."));
    }
}
