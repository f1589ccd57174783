using Chat.Frontend.Hosting;
using Microsoft.Extensions.Options;

namespace Chat.Frontend.Realtime;

/// <summary>
/// Renews this frontend's presence leases in the user grains. A frontend that dies stops renewing, and
/// its users go offline when the leases expire (<c>Chat:Presence:LeaseDuration</c>).
/// </summary>
internal sealed class PresenceRenewalService(ConnectionRegistry registry, IOptions<FrontendOptions> options, TimeProvider time, ILogger<PresenceRenewalService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PresenceRenewInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await registry.RenewAllAsync();
                }
                catch (Exception exception)
                {
                    FrontendLog.RenewLoopFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}

/// <summary>
/// Graceful stop: registered after the cluster client, so it stops before it — clients are told to
/// reconnect elsewhere (and resume without gaps) while grains can still be told about it.
/// </summary>
internal sealed class FrontendShutdownService(ConnectionRegistry registry) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => registry.ShutdownAsync();
}
