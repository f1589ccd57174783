using Chat.Runtime.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Frontend.Hosting;

/// <summary>Readiness: the cluster client sees at least one active silo.</summary>
internal sealed class ClusterHealthCheck(ClusterClientState cluster) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(cluster.IsConnected
            ? HealthCheckResult.Healthy($"{cluster.View.ActiveSilos.Count} active silos (membership view {cluster.View.Version}).")
            : HealthCheckResult.Unhealthy("No active silo in the cluster."));
}
