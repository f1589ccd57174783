using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace Chat.Grains.Events;

/// <summary>
/// Sends envelopes to the user's stream of each frontend (<c>frontend-events/{frontendId}/{shard}</c>),
/// batched per stream the way a database batches commits: the first envelope goes out at once, and
/// whatever the silo's user grains send to the same stream while that is on its way goes out next, as
/// one stream event. A caller's task completes when its envelope's batch was queued on the stream,
/// so an acknowledged message still means "on every recipient frontend's stream". One batch per
/// stream is in flight at a time, which keeps each user's events in order.
/// </summary>
internal sealed class StreamUserEventPublisher(IServiceProvider services) : IUserEventPublisher
{
    private const int MaxBatch = 256;
    private readonly Lazy<IStreamProvider> _streams = new(() => services.GetRequiredKeyedService<IStreamProvider>(FrontendEventStream.ProviderName));
    private readonly ConcurrentDictionary<string, StreamBatcher> _batchers = new(StringComparer.Ordinal);

    public Task PublishAsync(IReadOnlyCollection<string> frontends, UserEventEnvelope envelope)
    {
        if (frontends.Count == 0)
        {
            return Task.CompletedTask;
        }

        if (frontends.Count == 1)
        {
            return BatcherOf(frontends.First(), envelope.UserId).Add(envelope);
        }

        var sends = new List<Task>(frontends.Count);
        foreach (var frontend in frontends)
        {
            sends.Add(BatcherOf(frontend, envelope.UserId).Add(envelope));
        }

        return Task.WhenAll(sends);
    }

    private StreamBatcher BatcherOf(string frontendId, Guid userId)
    {
        var key = FrontendEventStream.KeyOf(frontendId, userId);
        return _batchers.TryGetValue(key, out var batcher)
            ? batcher
            : _batchers.GetOrAdd(key, k => new StreamBatcher(_streams.Value.GetStream<UserEventBatch>(StreamId.Create(FrontendEventStream.Namespace, k))));
    }

    private sealed class StreamBatcher(IAsyncStream<UserEventBatch> stream)
    {
        private readonly object _lock = new();
        private List<(UserEventEnvelope Envelope, TaskCompletionSource Sent)> _pending = [];
        private bool _sending;

        public Task Add(UserEventEnvelope envelope)
        {
            var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                _pending.Add((envelope, sent));
                if (_sending)
                {
                    return sent.Task;
                }

                _sending = true;
            }

            // Off the caller's grain turn: the batch belongs to no grain.
            _ = Task.Run(SendAsync);
            return sent.Task;
        }

        private async Task SendAsync()
        {
            while (true)
            {
                List<(UserEventEnvelope Envelope, TaskCompletionSource Sent)> batch;
                lock (_lock)
                {
                    if (_pending.Count == 0)
                    {
                        _sending = false;
                        return;
                    }

                    if (_pending.Count <= MaxBatch)
                    {
                        batch = _pending;
                        _pending = [];
                    }
                    else
                    {
                        batch = _pending[..MaxBatch];
                        _pending.RemoveRange(0, MaxBatch);
                    }
                }

                try
                {
                    await stream.OnNextAsync(new UserEventBatch([.. batch.Select(b => b.Envelope)])).ConfigureAwait(false);
                    foreach (var (_, sent) in batch)
                    {
                        sent.TrySetResult();
                    }
                }
                catch (Exception exception)
                {
                    foreach (var (_, sent) in batch)
                    {
                        sent.TrySetException(exception);
                    }
                }
            }
        }
    }
}
