using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Chat.Runtime.Streams;

/// <summary>
/// The subscriber side of streams in one process (a cluster client or a silo): holds the local
/// subscriptions, renews their leases, and hands each event to each subscription's observer in
/// sequence order — filling gaps from the replay buffer and calling for a resync when that is
/// impossible (new epoch, or evicted events).
/// </summary>
internal sealed partial class StreamSubscriptionManager : IAsyncDisposable
{
    private readonly ConcurrentDictionary<StreamId, StreamEntry> _streams = new();
    private readonly Func<IGrainFactory> _grainFactory;
    private readonly JsonSerializerOptions _json;
    private readonly ILogger _logger;
    private readonly ITimer _renewTimer;

    public StreamSubscriptionManager(Func<IGrainFactory> grainFactory, JsonSerializerOptions json, TimeProvider time, TimeSpan renewInterval, ILogger logger)
    {
        _grainFactory = grainFactory;
        _json = json;
        _logger = logger;
        _renewTimer = time.CreateTimer(static s => _ = ((StreamSubscriptionManager)s!).RenewAllAsync(), this, renewInterval, renewInterval);
    }

    /// <summary>Where this process receives events.</summary>
    public StreamEndpoint Endpoint { get; set; } = StreamEndpoint.Local;

    internal JsonSerializerOptions SerializerOptions => _json;

    internal IStreamGrain GrainOf(StreamId id) => _grainFactory().GetGrain<IStreamGrain>(id.Namespace + "/" + id.Key);

    public async Task<IStreamSubscription> SubscribeAsync<T>(StreamId id, IAsyncObserver<T> observer, StreamSequenceToken? fromToken)
    {
        var entry = _streams.GetOrAdd(id, static (i, m) => new StreamEntry(i, m), this);
        var subscription = new Subscription<T>(this, entry, observer);
        entry.Add(subscription);
        try
        {
            var result = await GrainOf(id).Subscribe(Endpoint, fromToken).ConfigureAwait(false);
            subscription.Initialize(fromToken, result);
            return subscription;
        }
        catch
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>An event frame arrived.</summary>
    public void OnFrame(ReadOnlySequence<byte> body)
    {
        var (stream, epoch, sequence, payload) = StreamDelivery.Read(body);
        OnEvent(stream, epoch, sequence, payload);
    }

    /// <summary>An event arrived (from a frame or from a stream grain in this process).</summary>
    public void OnEvent(StreamId stream, long epoch, long sequence, JsonElement payload)
    {
        if (_streams.TryGetValue(stream, out var entry))
        {
            entry.Dispatch(new Work(WorkKind.Live, epoch, sequence, payload, null, null));
        }
    }

    /// <summary>Renews every lease now (also after membership changes, so moved streams reattach fast).</summary>
    public async Task RenewAllAsync()
    {
        foreach (var entry in _streams.Values)
        {
            if (entry.IsEmpty)
            {
                continue;
            }

            try
            {
                var result = await GrainOf(entry.Id).Subscribe(Endpoint, null).ConfigureAwait(false);
                entry.Dispatch(new Work(WorkKind.Renewed, result.Epoch, result.LatestSequence, default, null, result));
            }
            catch (Exception ex)
            {
                LogRenewFailed(_logger, entry.Id.ToString(), ex.Message);
            }
        }
    }

    private async Task RemoveAsync(StreamEntry entry, ISubscription subscription)
    {
        if (entry.Remove(subscription) && _streams.TryRemove(KeyValuePair.Create(entry.Id, entry)))
        {
            try
            {
                await GrainOf(entry.Id).Unsubscribe(Endpoint).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The lease expires on its own.
                LogRenewFailed(_logger, entry.Id.ToString(), ex.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _renewTimer.DisposeAsync().ConfigureAwait(false);
        foreach (var entry in _streams.Values)
        {
            entry.Complete();
        }
    }

    [LoggerMessage(4001, LogLevel.Warning, "Renewing the subscription to stream {Stream} failed: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string stream, string reason);

    [LoggerMessage(4002, LogLevel.Warning, "A stream observer of {Stream} threw")]
    private static partial void LogObserverFailed(ILogger logger, string stream, Exception exception);

    private enum WorkKind
    {
        Live,
        Renewed,
        Initialize,
    }

    private readonly record struct Work(WorkKind Kind, long Epoch, long Sequence, JsonElement Payload, StreamSequenceToken? From, StreamSubscribeResult? Result);

    private interface ISubscription
    {
        void Enqueue(Work work);

        void Complete();
    }

    /// <summary>The local subscriptions of one stream.</summary>
    private sealed class StreamEntry(StreamId id, StreamSubscriptionManager manager)
    {
        private readonly List<ISubscription> _subscriptions = [];

        public StreamId Id { get; } = id;

        public StreamSubscriptionManager Manager { get; } = manager;

        public bool IsEmpty
        {
            get
            {
                lock (_subscriptions)
                {
                    return _subscriptions.Count == 0;
                }
            }
        }

        public void Add(ISubscription subscription)
        {
            lock (_subscriptions)
            {
                _subscriptions.Add(subscription);
            }
        }

        public bool Remove(ISubscription subscription)
        {
            lock (_subscriptions)
            {
                _subscriptions.Remove(subscription);
                return _subscriptions.Count == 0;
            }
        }

        public void Dispatch(Work work)
        {
            lock (_subscriptions)
            {
                foreach (var subscription in _subscriptions)
                {
                    subscription.Enqueue(work);
                }
            }
        }

        public void Complete()
        {
            lock (_subscriptions)
            {
                foreach (var subscription in _subscriptions)
                {
                    subscription.Complete();
                }
            }
        }
    }

    /// <summary>One observer: a queue drained by one loop, so the observer sees one event at a time, in order.</summary>
    private sealed class Subscription<T> : IStreamSubscription, ISubscription
    {
        private readonly StreamSubscriptionManager _manager;
        private readonly StreamEntry _entry;
        private readonly IAsyncObserver<T> _observer;
        private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
        private readonly List<Work> _early = [];
        private readonly Task _loop;
        private bool _initialized;
        private long _epoch = -1;
        private long _sequence;
        private int _disposed;

        public Subscription(StreamSubscriptionManager manager, StreamEntry entry, IAsyncObserver<T> observer)
        {
            _manager = manager;
            _entry = entry;
            _observer = observer;
            _loop = Task.Run(RunAsync);
        }

        public StreamId StreamId => _entry.Id;

        public bool ResyncRequired { get; private set; }

        public void Initialize(StreamSequenceToken? from, StreamSubscribeResult result)
        {
            ResyncRequired = result.TokenTooOld;
            _work.Writer.TryWrite(new Work(WorkKind.Initialize, result.Epoch, result.LatestSequence, default, from, result));
        }

        public void Enqueue(Work work) => _work.Writer.TryWrite(work);

        public void Complete() => _work.Writer.TryComplete();

        private async Task RunAsync()
        {
            await foreach (var work in _work.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    await HandleAsync(work).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogObserverFailed(_manager._logger, StreamId.ToString(), ex);
                }
            }
        }

        private async Task HandleAsync(Work work)
        {
            if (!_initialized && work.Kind != WorkKind.Initialize)
            {
                // Live events that overtook the subscription's answer wait for it.
                _early.Add(work);
                return;
            }

            switch (work.Kind)
            {
                case WorkKind.Initialize:
                    _initialized = true;
                    var result = work.Result!;
                    if (work.From is { } from && !result.TokenTooOld)
                    {
                        (_epoch, _sequence) = (from.Epoch, from.Sequence);
                        await DeliverReplayAsync(result.Replay).ConfigureAwait(false);
                    }
                    else
                    {
                        (_epoch, _sequence) = (result.Epoch, result.LatestSequence);
                        if (result.TokenTooOld)
                        {
                            await _observer.OnResyncRequiredAsync(new StreamSequenceToken(_epoch, _sequence)).ConfigureAwait(false);
                        }
                    }

                    foreach (var early in _early)
                    {
                        await HandleAsync(early).ConfigureAwait(false);
                    }

                    _early.Clear();
                    break;
                case WorkKind.Live:
                    await OnLiveAsync(work.Epoch, work.Sequence, work.Payload).ConfigureAwait(false);
                    break;
                case WorkKind.Renewed:
                    if (work.Epoch != _epoch || work.Sequence > _sequence)
                    {
                        // The stream restarted, or events were pushed while we had no lease: catch up.
                        await CatchUpAsync(new StreamSequenceToken(work.Epoch, work.Sequence)).ConfigureAwait(false);
                    }

                    break;
            }
        }

        private async Task OnLiveAsync(long epoch, long sequence, JsonElement payload)
        {
            if (sequence == 0)
            {
                // Ephemeral: no position, nothing to catch up or deduplicate.
                await _observer.OnNextAsync(payload.Deserialize<T>(_manager._json)!, new StreamSequenceToken(epoch, 0)).ConfigureAwait(false);
                return;
            }

            if (epoch == _epoch && sequence <= _sequence)
            {
                return; // Already delivered (replay and live overlap).
            }

            if (epoch != _epoch || sequence > _sequence + 1)
            {
                await CatchUpAsync(new StreamSequenceToken(epoch, sequence - 1)).ConfigureAwait(false);
                if (epoch == _epoch && sequence <= _sequence)
                {
                    return;
                }
            }

            await DeliverAsync(epoch, sequence, payload).ConfigureAwait(false);
        }

        /// <summary>Fills the gap up to <paramref name="target"/> from the replay buffer, or resyncs.</summary>
        private async Task CatchUpAsync(StreamSequenceToken target)
        {
            var replay = await _manager.GrainOf(StreamId).ReadSince(new StreamSequenceToken(_epoch, _sequence)).ConfigureAwait(false);
            if (replay.TokenTooOld)
            {
                (_epoch, _sequence) = (target.Epoch, target.Sequence);
                ResyncRequired = true;
                await _observer.OnResyncRequiredAsync(target).ConfigureAwait(false);
                return;
            }

            await DeliverReplayAsync(replay.Replay).ConfigureAwait(false);
        }

        private async Task DeliverReplayAsync(IReadOnlyList<StoredStreamEvent> events)
        {
            foreach (var evt in events)
            {
                if (evt.Sequence > _sequence)
                {
                    await DeliverAsync(_epoch, evt.Sequence, evt.Payload).ConfigureAwait(false);
                }
            }
        }

        private async Task DeliverAsync(long epoch, long sequence, JsonElement payload)
        {
            (_epoch, _sequence) = (epoch, sequence);
            var item = payload.Deserialize<T>(_manager._json)!;
            await _observer.OnNextAsync(item, new StreamSequenceToken(epoch, sequence)).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _work.Writer.TryComplete();
            await _manager.RemoveAsync(_entry, this).ConfigureAwait(false);
        }
    }
}
