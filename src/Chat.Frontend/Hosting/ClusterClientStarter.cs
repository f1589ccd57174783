namespace Chat.Frontend.Hosting;

/// <summary>
/// Starts the Orleans cluster client in the background, so the frontend host (Kestrel, /health/live)
/// is up while no silo is: Orleans' client start waits for a gateway (it retries through the
/// connection retry filter registered in <see cref="ClusterClientConfiguration"/>), which would
/// otherwise hold the whole host's start. Readiness reports the client until it is connected.
/// </summary>
internal sealed partial class ClusterClientStarter(IHostedService client, ClusterConnectionState state, ILogger<ClusterClientStarter> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _starting = Task.CompletedTask;

    /// <summary>Registers what <paramref name="register"/> adds, with its hosted services started in the background.</summary>
    public static void Wrap(IServiceCollection services, Action<IServiceCollection> register)
    {
        var before = services.Count;
        register(services);
        for (var i = before; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType == typeof(IHostedService) && descriptor.ImplementationFactory is { } factory)
            {
                services[i] = ServiceDescriptor.Singleton<IHostedService>(sp =>
                    new ClusterClientStarter((IHostedService)factory(sp), sp.GetRequiredService<ClusterConnectionState>(), sp.GetRequiredService<ILogger<ClusterClientStarter>>()));
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _starting = Task.Run(StartInBackgroundAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StartInBackgroundAsync()
    {
        try
        {
            await client.StartAsync(_stopping.Token);
            state.MarkStarted();
            LogConnected(logger);
        }
        catch (Exception exception) when (_stopping.IsCancellationRequested && exception is OperationCanceledException or ObjectDisposedException)
        {
            // Stopped before a silo came up.
        }
        catch (Exception exception)
        {
            LogStartFailed(logger, exception);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _starting;
        if (state.Started)
        {
            await client.StopAsync(cancellationToken);
        }
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Connected to the cluster")]
    private static partial void LogConnected(ILogger logger);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Error, Message = "The cluster client could not start")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);
}
