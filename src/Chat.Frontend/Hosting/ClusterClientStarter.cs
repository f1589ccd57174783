namespace Chat.Frontend.Hosting;

/// <summary>
/// Starts the cluster client in the background (retrying should its start fail), so that the host does
/// not wait for it: the client's start reads the membership table once, and although an unreachable
/// PostgreSQL or a missing table no longer fails it, that read lasts as long as connecting does — up to
/// the connection string's <c>Timeout</c> (15 s by default) when the server accepts connections but does
/// not answer. Kestrel starts after every hosted service, so without this the frontend would not even
/// answer <c>/health/live</c> meanwhile; with it, the frontend comes up at once, answers 503 UNAVAILABLE
/// and reports not-ready until the cluster is there.
/// </summary>
internal sealed partial class ClusterClientStarter(IHostedService client, ILogger<ClusterClientStarter> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _starting = Task.CompletedTask;
    private volatile bool _started;

    /// <summary>Replaces the hosted services that <paramref name="register"/> adds with background starters.</summary>
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
                    new ClusterClientStarter((IHostedService)factory(sp), sp.GetRequiredService<ILogger<ClusterClientStarter>>()));
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _starting = Task.Run(StartWithRetriesAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StartWithRetriesAsync()
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await client.StartAsync(_stopping.Token);
                _started = true;
                return;
            }
            catch (Exception exception) when (!_stopping.IsCancellationRequested)
            {
                LogRetrying(logger, delay, exception.Message);
                try
                {
                    await Task.Delay(delay, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _starting;
        if (_started)
        {
            await client.StopAsync(cancellationToken);
        }
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "The cluster client could not start (retrying in {Delay}): {Reason}")]
    private static partial void LogRetrying(ILogger logger, TimeSpan delay, string reason);
}
