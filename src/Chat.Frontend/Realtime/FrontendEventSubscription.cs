using Chat.Frontend.Hosting;
using Chat.Grains;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace Chat.Frontend.Realtime;

/// <summary>
/// This frontend's subscriptions to its Orleans streams (<c>frontend-events/{frontendId}/{shard}</c>,
/// <see cref="FrontendEventStream.Shards"/> of them), on which the user grains send the events of
/// every user connected here. Orleans forgets a
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
    ILogger<FrontendEventSubscription> logger) : BackgroundService, IAsyncObserver<UserEventBatch>
{
    private readonly SemaphoreSlim _changed = new(0);
    private readonly HashSet<int> _attached = [];

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

    private IAsyncStream<UserEventBatch> Stream(int shard) =>
        cluster.GetStreamProvider(FrontendEventStream.ProviderName)
            .GetStream<UserEventBatch>(StreamId.Create(FrontendEventStream.Namespace, FrontendEventStream.KeyOf(registry.FrontendId, shard)));

    /// <summary>Subscribes each stream the pub-sub has no subscription of (any more); true when one had been lost.</summary>
    private async Task<bool> EnsureSubscribedAsync(bool reattach)
    {
        var lost = await Task.WhenAll(Enumerable.Range(0, FrontendEventStream.Shards).Select(shard => EnsureSubscribedAsync(shard, reattach)));
        return lost.Any(l => l);
    }

    private async Task<bool> EnsureSubscribedAsync(int shard, bool reattach)
    {
        var stream = Stream(shard);
        var handles = await stream.GetAllSubscriptionHandles();
        bool first;
        lock (_attached)
        {
            first = !_attached.Contains(shard);
        }

        if (handles.Count == 0)
        {
            await stream.SubscribeAsync(this);
            MarkAttached(shard);
            if (!first)
            {
                FrontendLog.Subscribed(logger, FrontendEventStream.KeyOf(registry.FrontendId, shard), "subscription lost, subscribed again");
            }

            return !first;
        }

        if (reattach || first)
        {
            foreach (var handle in handles)
            {
                await handle.ResumeAsync(this);
            }

            MarkAttached(shard);
            FrontendLog.Subscribed(logger, FrontendEventStream.KeyOf(registry.FrontendId, shard), "observer re-attached");
        }

        return false;
    }

    private void MarkAttached(int shard)
    {
        lock (_attached)
        {
            _attached.Add(shard);
        }
    }

    public async Task OnNextAsync(UserEventBatch item, StreamSequenceToken? token = null)
    {
        foreach (var envelope in item.Events)
        {
            try
            {
                await registry.DispatchAsync(envelope);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Never fail the delivery: Orleans would drop this subscription for good.
                FrontendLog.DispatchFailed(logger, envelope.UserId, exception.Message);
            }
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
            await Task.WhenAll(Enumerable.Range(0, FrontendEventStream.Shards).Select(async shard =>
            {
                foreach (var handle in await Stream(shard).GetAllSubscriptionHandles().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken))
                {
                    await handle.UnsubscribeAsync().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
                }
            })).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            FrontendLog.SubscriptionCheckFailed(logger, exception.Message);
        }
    }
}
