using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Frontend.Hosting;

/// <summary>
/// What this frontend's cluster client knows of its connection: started (a gateway answered once)
/// and how many gateways it is connected to now. <see cref="GatewaysChanged"/> lets the event
/// subscription re-create itself and fill gaps after a silo (gateway) was lost or came back.
/// </summary>
internal sealed class ClusterConnectionState : IClusterConnectionStatusObserver
{
    private volatile bool _started;
    private volatile int _gateways = -1;

    /// <summary>True once the client connected to the cluster.</summary>
    public bool Started => _started;

    /// <summary>Connected gateways, or -1 before Orleans reported any count.</summary>
    public int GatewayCount => _gateways;

    /// <summary>Raised when the number of connected gateways changed (or the connection was lost).</summary>
    public event Action? GatewaysChanged;

    public void MarkStarted()
    {
        _started = true;
        GatewaysChanged?.Invoke();
    }

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        _gateways = currentNumberOfGateways;
        GatewaysChanged?.Invoke();
    }

    public void NotifyClusterConnectionLost()
    {
        _gateways = 0;
        GatewaysChanged?.Invoke();
    }
}

/// <summary>Readiness: the cluster client is connected to at least one gateway.</summary>
internal sealed class ClusterClientReadinessCheck(ClusterConnectionState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state switch
        {
            { Started: false } => HealthCheckResult.Unhealthy("Not connected to the cluster yet (no gateway answered)."),
            { GatewayCount: 0 } => HealthCheckResult.Unhealthy("Connected to no gateway."),
            { GatewayCount: < 0 } => HealthCheckResult.Healthy("Connected to the cluster."),
            _ => HealthCheckResult.Healthy($"Connected to {state.GatewayCount} gateways."),
        });
}
