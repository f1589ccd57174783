using Chat.Frontend.Hosting;
using Chat.Grains;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace Chat.Frontend.Realtime;

/// <summary>
/// This frontend's one subscription to its Orleans stream (<c>frontend-events/{frontendId}</c>),
/// on which the user grains send the events of every user connected here. Orleans forgets a
/// client's subscription after a failed delivery and a client must re-attach its observers after a
/// gateway loss, so the subscription is checked every <c>Chat:Frontend:SubscriptionCheckInterval</c>
/// and at once when the gateway count changes; after a gateway change every user's feed also
/// catches up with its event log (what went to a dead silo's queue is read back from there).
/// </summary>
internal sealed class FrontendEventSubscription(
    IClusterClient cluster,
    ConnectionRegistry registry,
    ClusterConnectionState connection,
    IOptions<FrontendOptions> options,
    ILogger<FrontendEventSubscription> logger) : BackgroundService, IAsyncObserver<UserEventEnvelope>
{
    private readonly SemaphoreSlim _changed = new(0);
    private bool _attached;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        connection.GatewaysChanged += OnGatewaysChanged;
        try
        {
            var gatewaysChanged = false;
            while (!stoppingToken.IsCancellationRequested)
            {
                if (connection.Started)
                {
                    try
                    {
                        if (await EnsureSubscribedAsync(reattach: gatewaysChanged) || gatewaysChanged)
                        {
                            // Events may have gone to a dead silo's queue, or to no subscription, meanwhile: read them back from the logs.
                            _ = registry.RenewAllAsync();
                        }
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        FrontendLog.SubscriptionCheckFailed(logger, exception.Message);
                    }
                }

                gatewaysChanged = await _changed.WaitAsync(options.Value.SubscriptionCheckInterval, stoppingToken);
                while (_changed.CurrentCount > 0)
                {
                    await _changed.WaitAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            connection.GatewaysChanged -= OnGatewaysChanged;
        }
    }

    private void OnGatewaysChanged() => _changed.Release();

    private IAsyncStream<UserEventEnvelope> Stream() =>
        cluster.GetStreamProvider(FrontendEventStream.ProviderName)
            .GetStream<UserEventEnvelope>(StreamId.Create(FrontendEventStream.Namespace, FrontendEventStream.KeyOf(registry.FrontendId)));

    /// <summary>Subscribes when the pub-sub has no subscription of this frontend (any more); true when it had to.</summary>
    private async Task<bool> EnsureSubscribedAsync(bool reattach)
    {
        var stream = Stream();
        var handles = await stream.GetAllSubscriptionHandles();
        if (handles.Count == 0)
        {
            var first = !_attached;
            await stream.SubscribeAsync(this);
            _attached = true;
            FrontendLog.Subscribed(logger, registry.FrontendId, first ? "new subscription" : "subscription lost, subscribed again");
            return !first;
        }

        if (reattach || !_attached)
        {
            foreach (var handle in handles)
            {
                await handle.ResumeAsync(this);
            }

            _attached = true;
            FrontendLog.Subscribed(logger, registry.FrontendId, "observer re-attached");
        }

        return false;
    }

    public async Task OnNextAsync(UserEventEnvelope item, StreamSequenceToken? token = null)
    {
        try
        {
            await registry.DispatchAsync(item);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Never fail the delivery: Orleans would drop this subscription for good.
            FrontendLog.DispatchFailed(logger, item.UserId, exception.Message);
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        FrontendLog.SubscriptionCheckFailed(logger, ex.Message);
        return Task.CompletedTask;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!connection.Started)
        {
            return;
        }

        try
        {
            // This frontend's id dies with the process: leave no subscription behind in the pub-sub store.
            foreach (var handle in await Stream().GetAllSubscriptionHandles().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken))
            {
                await handle.UnsubscribeAsync().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            FrontendLog.SubscriptionCheckFailed(logger, exception.Message);
        }
    }
}
