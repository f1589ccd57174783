using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chat.Runtime.Streams;

/// <summary>What a stream grain keeps across graceful moves.</summary>
public sealed class StreamGrainState
{
    /// <summary>The epoch in use.</summary>
    public long Epoch { get; set; }

    /// <summary>The last sequence number given out.</summary>
    public long Sequence { get; set; }

    /// <summary>True when the last activation ended with a graceful deactivation.</summary>
    public bool Clean { get; set; }

    /// <summary>The replay buffer at that moment.</summary>
    public List<StoredStreamEvent> Buffer { get; set; } = [];

    /// <summary>Subscribers and their lease expiry (UTC).</summary>
    public Dictionary<string, DateTimeOffset> Subscribers { get; set; } = [];
}

/// <summary>
/// Implements <see cref="IStreamGrain"/>. Continuity across activations: a graceful deactivation
/// saves the epoch, sequence, buffer and leases with Clean = true; the next activation continues
/// from them and immediately marks the record unclean. If it finds an unclean record (the holder
/// crashed) or none, it starts a new epoch, which tells consumers to resync.
/// </summary>
internal sealed class StreamGrain : Grain, IStreamGrain
{
    private readonly StreamDelivery _delivery;
    private readonly StreamOptions _options;
    private readonly TimeProvider _time;
    private readonly IGrainStorage? _storage;
    private readonly StateBox _state = new();
    private readonly LinkedList<StoredStreamEvent> _buffer = new();
    private readonly Dictionary<string, DateTimeOffset> _leases = [];
    private StreamId _streamId;
    private long _epoch;
    private long _sequence;

    public StreamGrain(StreamDelivery delivery, IOptions<StreamOptions> options, TimeProvider time, IServiceProvider services)
    {
        _delivery = delivery;
        _options = options.Value;
        _time = time;
        _storage = services.GetKeyedService<IGrainStorage>(GrainStorageNames.Default);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = GrainId.Key;
        var slash = key.IndexOf('/');
        _streamId = new StreamId(key[..slash], key[(slash + 1)..]);
        if (_storage is null)
        {
            _epoch = NewEpoch();
            return;
        }

        await _storage.ReadStateAsync("stream", GrainId, _state, cancellationToken);
        if (_state.RecordExists && _state.State.Clean)
        {
            _epoch = _state.State.Epoch;
            _sequence = _state.State.Sequence;
            foreach (var evt in _state.State.Buffer)
            {
                _buffer.AddLast(evt);
            }

            foreach (var (endpoint, expiry) in _state.State.Subscribers)
            {
                _leases[endpoint] = expiry;
            }
        }
        else
        {
            _epoch = NewEpoch();
        }

        // Claim the epoch: if this activation crashes, the next one must not reuse it.
        _state.State = new StreamGrainState { Epoch = _epoch, Sequence = _sequence, Clean = false };
        await _storage.WriteStateAsync("stream", GrainId, _state, cancellationToken);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_storage is null)
        {
            return;
        }

        _state.State = new StreamGrainState
        {
            Epoch = _epoch,
            Sequence = _sequence,
            Clean = true,
            Buffer = [.. _buffer],
            Subscribers = new Dictionary<string, DateTimeOffset>(_leases),
        };
        await _storage.WriteStateAsync("stream", GrainId, _state, cancellationToken);
    }

    public Task<StreamSequenceToken> Publish(JsonElement payload)
    {
        var evt = new StoredStreamEvent(++_sequence, payload);
        _buffer.AddLast(evt);
        while (_buffer.Count > _options.ReplayBufferSize)
        {
            _buffer.RemoveFirst();
        }

        var now = _time.GetUtcNow();
        List<string>? expired = null;
        foreach (var (endpoint, expiry) in _leases)
        {
            if (expiry < now)
            {
                (expired ??= []).Add(endpoint);
                continue;
            }

            _delivery.Push(endpoint, _streamId, _epoch, evt);
        }

        if (expired is not null)
        {
            foreach (var endpoint in expired)
            {
                _leases.Remove(endpoint);
            }
        }

        return Task.FromResult(new StreamSequenceToken(_epoch, _sequence));
    }

    public Task PublishEphemeral(JsonElement payload)
    {
        var now = _time.GetUtcNow();
        var evt = new StoredStreamEvent(0, payload);
        foreach (var (endpoint, expiry) in _leases)
        {
            if (expiry >= now)
            {
                _delivery.Push(endpoint, _streamId, _epoch, evt);
            }
        }

        return Task.CompletedTask;
    }

    public Task<StreamSubscribeResult> Subscribe(StreamEndpoint endpoint, StreamSequenceToken? fromToken)
    {
        _leases[endpoint.Id] = _time.GetUtcNow() + _options.SubscriptionLease;
        return Task.FromResult(fromToken is { } token ? Replay(token) : new StreamSubscribeResult(_epoch, _sequence, false, []));
    }

    public Task Unsubscribe(StreamEndpoint endpoint)
    {
        _leases.Remove(endpoint.Id);
        return Task.CompletedTask;
    }

    public Task<StreamSubscribeResult> ReadSince(StreamSequenceToken fromToken) => Task.FromResult(Replay(fromToken));

    public Task<int> SubscriberCount()
    {
        var now = _time.GetUtcNow();
        return Task.FromResult(_leases.Values.Count(expiry => expiry >= now));
    }

    private StreamSubscribeResult Replay(StreamSequenceToken from)
    {
        var oldest = _buffer.First?.Value.Sequence ?? _sequence + 1;
        // Too old: another epoch, a position we never gave out, or events already evicted.
        if (from.Epoch != _epoch || from.Sequence > _sequence || from.Sequence < oldest - 1)
        {
            return new StreamSubscribeResult(_epoch, _sequence, true, []);
        }

        var missed = _buffer.Where(e => e.Sequence > from.Sequence).ToArray();
        return new StreamSubscribeResult(_epoch, _sequence, false, missed);
    }

    private long NewEpoch() => _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 + Random.Shared.Next(1000);

    private sealed class StateBox : IGrainState<StreamGrainState>
    {
        public StreamGrainState State { get; set; } = new();

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}
