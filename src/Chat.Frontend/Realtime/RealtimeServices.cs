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
/// Graceful stop: as soon as the host begins stopping (before Kestrel closes connections and before the
/// cluster client stops), clients are told to reconnect elsewhere and resume without gaps, and this
/// frontend's presence leases are dropped.
/// </summary>
internal sealed class FrontendShutdownService(ConnectionRegistry registry, IHostApplicationLifetime lifetime, IOptions<FrontendOptions> options) : IHostedService
{
    private CancellationTokenRegistration _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // ApplicationStopping callbacks run before any hosted service stops; the host waits for them.
        _stopping = lifetime.ApplicationStopping.Register(() =>
            registry.ShutdownAsync().Wait(options.Value.ShutdownNoticeTimeout + TimeSpan.FromSeconds(10)));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _stopping.DisposeAsync().AsTask();
}
