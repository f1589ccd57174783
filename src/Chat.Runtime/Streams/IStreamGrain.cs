using System.Text.Json;

namespace Chat.Runtime.Streams;

/// <summary>Who receives a stream's events: a process (cluster client or silo) by endpoint id.</summary>
[Immutable]
public sealed record StreamEndpoint(string Id)
{
    /// <summary>A cluster client.</summary>
    public static StreamEndpoint Client(string clientId) => new("client:" + clientId);

    /// <summary>A silo.</summary>
    public static StreamEndpoint Silo(Messaging.SiloAddress address) => new("silo:" + address);

    /// <summary>A silo running alone (not clustered): everything is in one process.</summary>
    public static readonly StreamEndpoint Local = new("local");
}

/// <summary>A stream event as stored and sent: its position and JSON payload.</summary>
[Immutable]
public sealed record StoredStreamEvent(long Sequence, JsonElement Payload);

/// <summary>The answer to a subscription or its renewal.</summary>
[Immutable]
public sealed record StreamSubscribeResult(long Epoch, long LatestSequence, bool TokenTooOld, IReadOnlyList<StoredStreamEvent> Replay);

/// <summary>
/// The runtime's system grain behind every stream (key = "namespace/key"): it numbers events
/// (epoch, sequence), keeps a bounded replay buffer and pushes each event to its subscribers'
/// endpoints, in order. Subscriptions are leases kept in memory, never persisted per event.
/// </summary>
[GrainType("sys.stream")]
public interface IStreamGrain : IGrainWithStringKey
{
    /// <summary>Numbers, buffers and pushes one event.</summary>
    Task<StreamSequenceToken> Publish(JsonElement payload);

    /// <summary>Pushes an event to current subscribers without numbering or buffering it.</summary>
    [AlwaysInterleave]
    Task PublishEphemeral(JsonElement payload);

    /// <summary>Adds or renews a lease; with a token, also returns what the endpoint missed.</summary>
    Task<StreamSubscribeResult> Subscribe(StreamEndpoint endpoint, StreamSequenceToken? fromToken);

    /// <summary>Ends a lease.</summary>
    Task Unsubscribe(StreamEndpoint endpoint);

    /// <summary>Endpoints holding a live lease (for status and tests).</summary>
    [ReadOnly]
    Task<int> SubscriberCount();

    /// <summary>What came after a token, without subscribing.</summary>
    [ReadOnly]
    Task<StreamSubscribeResult> ReadSince(StreamSequenceToken fromToken);
}
