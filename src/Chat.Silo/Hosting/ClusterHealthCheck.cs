using Chat.Runtime.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Silo.Hosting;

/// <summary>Readiness: this silo has joined its cluster and takes grains.</summary>
internal sealed class ClusterHealthCheck(SiloState silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(silo.IsActive
            ? HealthCheckResult.Healthy($"Active in the cluster as {silo.Address} (membership view {silo.View.Version}, {silo.View.ActiveSilos.Count} active silos).")
            : HealthCheckResult.Unhealthy("Not active in the cluster (starting, leaving or fenced)."));
}
